/**
 * The stats cache: the quick statistics of a trace file (count, first/last arrival, service mean),
 * remembered between runs so that a trace whose format has no cheaper way (CSV, an Arrow stream)
 * is decoded once per run instead of twice, from the second run on.
 *
 * Where: `--stats-cache DIR`, else $XDG_CACHE_HOME/tailsim/stats, else ~/.cache/tailsim/stats;
 * `--no-stats-cache` turns it off. One small JSON file per (file, reading options).
 *
 * Key: the file's absolute path, size, modification time (ns), inode, a fingerprint (SHA-256 of
 * its first and last MiB, i.e. of the whole file up to 2 MiB), the options that change how rows
 * are read (clock, columns, units, format, sort) and the tool version. A file rewritten in place
 * with the same size, the same modification time and the same first and last MiB would hit a
 * stale entry: the fingerprint makes that unlikely, not impossible.
 *
 * Safe with concurrent writers: an entry is written to a temporary file in the same folder and
 * renamed into place. An entry that does not parse, or whose key does not match, is ignored.
 * The cache never makes a run fail: any error reading or writing it counts as a miss.
 */
import {createHash, randomBytes} from 'node:crypto'
import {mkdir, open, readFile, rename, stat, unlink, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

import {TOOL} from '../version.js'
import type {QuickStats, TraceOptions} from './types.js'

/** Bumped when what is stored, or how rows are read into cycles, changes. */
const CACHE_FORMAT = 1
/** Bytes fingerprinted at each end of the file. */
const EDGE = 1 << 20

/** The cache folder for `opts`, or undefined when caching is off. */
export function statsCacheDir(opts: Pick<TraceOptions, 'statsCache'>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (opts.statsCache === false) return undefined
  if (typeof opts.statsCache === 'string') return resolve(opts.statsCache)
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache')
  return join(base, 'tailsim', 'stats')
}

/** The reading options that change the rows (and so the statistics) of a file. */
function readingKey(opts: TraceOptions): unknown {
  return {
    ghz: opts.ghz,
    columns: opts.columns ?? null,
    arrivalUnit: opts.arrivalUnit ?? null,
    serviceUnit: opts.serviceUnit ?? null,
    format: opts.format ?? null,
    sort: opts.sort === true,
  }
}

/** The identity of a file's current contents and of how it is read; undefined when it cannot be read. */
async function entryKey(path: string, opts: TraceOptions): Promise<{id: string; key: string} | undefined> {
  try {
    const abs = resolve(path)
    const st = await stat(abs, {bigint: true})
    if (!st.isFile()) return undefined
    const size = Number(st.size)
    const h = createHash('sha256')
    const fh = await open(abs, 'r')
    try {
      const head = Buffer.alloc(Math.min(size, 2 * EDGE))
      if (size <= 2 * EDGE) {
        await fh.read(head, 0, size, 0)
        h.update(head)
      } else {
        await fh.read(head, 0, EDGE, 0)
        await fh.read(head, EDGE, EDGE, size - EDGE)
        h.update(head)
      }
    } finally {
      await fh.close()
    }
    const key = JSON.stringify({
      v: CACHE_FORMAT,
      tool: TOOL.version,
      path: abs,
      size,
      mtimeNs: String(st.mtimeNs),
      ino: String(st.ino),
      edges: h.digest('hex'),
      read: readingKey(opts),
    })
    return {id: createHash('sha256').update(key).digest('hex').slice(0, 40), key}
  } catch {
    return undefined
  }
}

function isStats(x: unknown): x is QuickStats {
  const s = x as QuickStats
  return (
    typeof s === 'object' &&
    s !== null &&
    Number.isInteger(s.requests) &&
    s.requests > 0 &&
    [s.firstArrival, s.lastArrival, s.serviceMean].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    s.lastArrival >= s.firstArrival
  )
}

/** The cached statistics of `path` read with `opts`, or undefined (no entry, stale, corrupt, or caching off). */
export async function cachedStats(path: string, opts: TraceOptions): Promise<QuickStats | undefined> {
  const dir = statsCacheDir(opts)
  if (dir === undefined || path === '-') return undefined
  const k = await entryKey(path, opts)
  if (k === undefined) return undefined
  try {
    const entry = JSON.parse(await readFile(join(dir, `${k.id}.json`), 'utf8')) as {key?: unknown; stats?: unknown}
    if (entry.key !== k.key || !isStats(entry.stats)) return undefined
    const {requests, firstArrival, lastArrival, serviceMean} = entry.stats
    return {requests, firstArrival, lastArrival, serviceMean}
  } catch {
    return undefined
  }
}

/** Store the statistics of `path` read with `opts` (atomically; errors are ignored). */
export async function storeStats(path: string, opts: TraceOptions, stats: QuickStats): Promise<void> {
  const dir = statsCacheDir(opts)
  if (dir === undefined || path === '-' || !isStats(stats)) return
  const k = await entryKey(path, opts)
  if (k === undefined) return
  const {requests, firstArrival, lastArrival, serviceMean} = stats
  const final = join(dir, `${k.id}.json`)
  const tmp = join(dir, `.${k.id}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await mkdir(dir, {recursive: true})
    await writeFile(tmp, JSON.stringify({key: k.key, stats: {requests, firstArrival, lastArrival, serviceMean}}) + '\n', {flag: 'wx'})
    await rename(tmp, final)
  } catch {
    await unlink(tmp).catch(() => {})
  }
}
