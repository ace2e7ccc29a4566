/**
 * How many CPUs this process may really use: the default of `--jobs`.
 *
 * `os.cpus()` counts the machine's CPUs. A process may be limited to fewer in two ways: its CPU
 * affinity (taskset, cpusets: `os.availableParallelism()`), and a CPU quota of its control group
 * (containers, systemd, batch schedulers: cgroup v2 `cpu.max` "QUOTA PERIOD", cgroup v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`; -1 or "max" = no quota). A quota of QUOTA/PERIOD CPUs
 * is rounded up (1.5 CPUs -> 2 workers); quotas of the enclosing groups apply too, so the smallest
 * on the way to the root counts. The result is the smaller of affinity and quota, at least 1.
 */
import {readFileSync} from 'node:fs'
import os from 'node:os'
import {posix} from 'node:path'

/** Where the numbers come from (replaced by fakes in tests). */
export interface CpuSources {
  /** CPUs in the affinity mask (os.availableParallelism). */
  affinity: () => number
  /** A file's text, or undefined when it cannot be read. */
  read: (path: string) => string | undefined
}

const system: CpuSources = {
  affinity: () => os.availableParallelism(),
  read: (path) => {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return undefined
    }
  },
}

/** The CPUs this process may use: min(affinity, cgroup quota), at least 1. */
export function usableCpus(src: CpuSources = system): number {
  const affinity = Math.max(1, Math.floor(src.affinity()))
  const quota = cgroupCpuQuota(src.read)
  return Math.max(1, quota === undefined ? affinity : Math.min(affinity, Math.ceil(quota)))
}

/** A cgroup mount: where it is mounted, the group path of its root, and its version. */
interface Mount {
  dir: string
  root: string
  v2: boolean
}

/**
 * The CPU quota of this process's cgroup (and its ancestors), in CPUs, or undefined when there is
 * none or it cannot be read.
 */
export function cgroupCpuQuota(read: CpuSources['read']): number | undefined {
  const groups = read('/proc/self/cgroup')
  if (groups === undefined) return undefined
  const mounts = cgroupMounts(read('/proc/self/mountinfo') ?? '')
  let best: number | undefined
  for (const line of groups.split('\n')) {
    // "ID:CONTROLLERS:PATH"; cgroup v2 is "0::PATH"
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim())
    if (m === null) continue
    const v2 = m[1] === '0' && m[2] === ''
    if (!v2 && !m[2].split(',').includes('cpu')) continue
    const mount = mounts.find((x) => x.v2 === v2) ?? {dir: v2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/cpu', root: '/', v2}
    const q = quotaAlong(read, mount, m[3])
    if (q !== undefined) best = best === undefined ? q : Math.min(best, q)
  }
  return best
}

/** The smallest quota from the group `path` up to the mount's root. */
function quotaAlong(read: CpuSources['read'], mount: Mount, path: string): number | undefined {
  // Without a cgroup namespace the path is absolute while the mount shows a subtree: strip it.
  let rel = mount.root !== '/' && (path === mount.root || path.startsWith(mount.root + '/')) ? path.slice(mount.root.length) : path
  if (!rel.startsWith('/')) rel = '/' + rel
  let best: number | undefined
  for (;;) {
    const dir = posix.join(mount.dir, rel).replace(/\/+$/, '')
    const q = mount.v2 ? quotaV2(read(`${dir}/cpu.max`)) : quotaV1(read(`${dir}/cpu.cfs_quota_us`), read(`${dir}/cpu.cfs_period_us`))
    if (q !== undefined) best = best === undefined ? q : Math.min(best, q)
    if (rel === '/') return best
    rel = posix.dirname(rel)
  }
}

/** cgroup v2 `cpu.max`: "max 100000" (no quota) or "QUOTA PERIOD". */
export function quotaV2(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const [quota, period = '100000'] = text.trim().split(/\s+/)
  if (quota === 'max') return undefined
  return ratio(quota, period)
}

/** cgroup v1: `cpu.cfs_quota_us` (-1 = no quota) over `cpu.cfs_period_us`. */
export function quotaV1(quota: string | undefined, period: string | undefined): number | undefined {
  if (quota === undefined || period === undefined) return undefined
  return ratio(quota.trim(), period.trim())
}

function ratio(quota: string, period: string): number | undefined {
  const q = Number(quota)
  const p = Number(period)
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : undefined
}

/**
 * cgroup mounts from /proc/self/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE
 * SOURCE SUPEROPTS". A v1 mount counts only when it carries the `cpu` controller.
 */
export function cgroupMounts(mountinfo: string): Mount[] {
  const out: Mount[] = []
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ')
    if (right === undefined) continue
    const f = left.split(' ')
    const [fstype, , superopts = ''] = right.split(' ')
    if (f.length < 5) continue
    const unescape = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)))
    if (fstype === 'cgroup2') out.push({dir: unescape(f[4]), root: unescape(f[3]), v2: true})
    else if (fstype === 'cgroup' && superopts.split(',').includes('cpu')) out.push({dir: unescape(f[4]), root: unescape(f[3]), v2: false})
  }
  return out
}
