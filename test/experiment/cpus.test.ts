// The default of --jobs (src/experiment/cpus.ts): affinity and cgroup CPU quota, fed with fake
// /proc and /sys files.
import os from 'node:os'

import {describe, expect, test} from 'vitest'

import {cgroupCpuQuota, cgroupMounts, quotaV1, quotaV2, usableCpus} from '../../src/experiment/cpus.js'

const V2_MOUNT = '29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n'
const V1_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
  '34 31 0:31 / /sys/fs/cgroup/cpuset rw,nosuid - cgroup cgroup rw,cpuset',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw',
].join('\n')

/** Sources reading from a map of fake files. */
function sources(affinity: number, files: Record<string, string>) {
  return {affinity: () => affinity, read: (p: string) => files[p]}
}

describe('usable CPUs', () => {
  test('no cgroup files (not Linux): the affinity', () => {
    expect(usableCpus(sources(6, {}))).toBe(6)
  })

  test('cgroup v2 without a quota ("max"): the affinity', () => {
    const files = {'/proc/self/cgroup': '0::/user.slice/session-1.scope\n', '/proc/self/mountinfo': V2_MOUNT, '/sys/fs/cgroup/user.slice/session-1.scope/cpu.max': 'max 100000\n'}
    expect(usableCpus(sources(16, files))).toBe(16)
  })

  test('cgroup v2 quota of 2 CPUs on a 16-CPU machine: 2', () => {
    const files = {'/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': V2_MOUNT, '/sys/fs/cgroup/cpu.max': '200000 100000\n'}
    expect(usableCpus(sources(16, files))).toBe(2)
  })

  test('a fractional quota is rounded up; a quota above the affinity leaves the affinity', () => {
    const at = (max: string, affinity: number) =>
      usableCpus(sources(affinity, {'/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': V2_MOUNT, '/sys/fs/cgroup/cpu.max': max}))
    expect(at('150000 100000', 16)).toBe(2)
    expect(at('50000 100000', 16)).toBe(1)
    expect(at('800000 100000', 4)).toBe(4)
    expect(at('1000 100000', 4)).toBe(1) // a hundredth of a CPU still gets one worker
  })

  test('the smallest quota on the way to the root counts (an enclosing group can be stricter)', () => {
    const files = {
      '/proc/self/cgroup': '0::/batch/job-7/step\n',
      '/proc/self/mountinfo': V2_MOUNT,
      '/sys/fs/cgroup/batch/job-7/step/cpu.max': 'max 100000',
      '/sys/fs/cgroup/batch/job-7/cpu.max': '300000 100000',
      '/sys/fs/cgroup/batch/cpu.max': '800000 100000',
    }
    expect(usableCpus(sources(32, files))).toBe(3)
  })

  test('cgroup v1 (cfs quota and period), controller mounted with cpuacct', () => {
    const files = {
      '/proc/self/cgroup': '12:cpuset:/\n4:cpu,cpuacct:/docker/abc\n0::/\n',
      '/proc/self/mountinfo': V1_MOUNTS,
      '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '400000\n',
      '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    }
    expect(usableCpus(sources(64, files))).toBe(4)
  })

  test('cgroup v1 without a quota (-1): the affinity', () => {
    const files = {
      '/proc/self/cgroup': '1:cpu:/\n',
      '/proc/self/mountinfo': '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
    }
    expect(usableCpus(sources(2, files))).toBe(2)
  })

  test('a container without a cgroup namespace: the mount shows the group itself as its root', () => {
    const files = {
      '/proc/self/cgroup': '0::/kubepods/pod1/c2\n',
      '/proc/self/mountinfo': '29 23 0:26 /kubepods/pod1/c2 /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n',
      '/sys/fs/cgroup/cpu.max': '250000 100000',
    }
    expect(usableCpus(sources(8, files))).toBe(3)
  })

  test('no mountinfo: the usual mount points are assumed', () => {
    expect(cgroupCpuQuota((p) => ({'/proc/self/cgroup': '0::/a', '/sys/fs/cgroup/a/cpu.max': '100000 50000'})[p])).toBe(2)
    expect(
      cgroupCpuQuota(
        (p) => ({'/proc/self/cgroup': '3:cpu,cpuacct:/', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000'})[p],
      ),
    ).toBe(0.5)
  })

  test('garbage in the files is ignored, never an error', () => {
    expect(quotaV2('lots of cpus')).toBeUndefined()
    expect(quotaV2('0 100000')).toBeUndefined()
    expect(quotaV2('100000 0')).toBeUndefined()
    expect(quotaV1('abc', '100000')).toBeUndefined()
    expect(quotaV1('-1', '100000')).toBeUndefined()
    expect(usableCpus(sources(4, {'/proc/self/cgroup': 'nonsense\n::\n', '/proc/self/mountinfo': 'x - y'}))).toBe(4)
    expect(usableCpus(sources(0, {}))).toBe(1)
  })

  test('mountinfo: the cgroup2 mount and the v1 mount carrying cpu, with octal escapes', () => {
    expect(cgroupMounts(V1_MOUNTS)).toEqual([
      {dir: '/sys/fs/cgroup/cpu,cpuacct', root: '/', v2: false},
      {dir: '/sys/fs/cgroup/unified', root: '/', v2: true},
    ])
    expect(cgroupMounts('9 1 0:5 / /mnt/my\\040cg rw - cgroup2 none rw')).toEqual([{dir: '/mnt/my cg', root: '/', v2: true}])
  })

  test('this machine: between 1 and the affinity', () => {
    const n = usableCpus()
    expect(n).toBeGreaterThanOrEqual(1)
    expect(n).toBeLessThanOrEqual(os.availableParallelism())
  })
})
