/**
 * Quick statistics: what a run needs before simulating (request count, first and last arrival,
 * service mean), without decoding the whole trace twice when the file allows it. Every path gives
 * exactly the values of a full pass (`scanTrace`); the tests compare them on every format.
 *
 * In order of preference (`quickStatsOf`, run in the reader worker when there is one):
 *  1. statistics written by `tailsim generate` into the file's metadata (key `tailsim.stats`):
 *     count and service sum, in cycles at the clock the file was written with. Trusted only when
 *     the file is read at that clock through the default columns, its row count (from the
 *     record-batch headers or the row groups) matches, and so do the first row's service and the
 *     arrival span of the first and last rows, decoded with the ordinary reader;
 *  2. Arrow IPC file: counts from the record-batch headers listed in the footer, first and last
 *     arrival from the first and last batch, the service column's buffers only for the mean
 *     (fast-stats-arrow.ts); Parquet: counts from the row-group metadata, first and last rows,
 *     the service column alone (fast-stats-parquet.ts);
 *  3. otherwise (CSV, Arrow streams, --sort, anything unusual): undefined, and the caller makes a
 *     full pass (`preScan` in scan.ts), whose result the stats cache keeps for the next run.
 * Anything unexpected on the way (a null, a compressed body, a bad value) also gives undefined:
 * the full pass then reports the problem with the usual message.
 */
import {roundHalfUp} from '../round.js'
import type {QuickStats, TraceBatch, TraceOptions} from './types.js'

/** How often each quick path gave the statistics in this thread (tests and diagnostics). */
export const fastStatsCounts = {metadata: 0, columns: 0}

/** Schema metadata key of the statistics written by `tailsim generate`. */
export const STATS_METADATA_KEY = 'tailsim.stats'

/**
 * Running count, arrival span and service sum, accumulated exactly as `scanTrace` does: the sum
 * is of (s − first service) in row order, so the mean comes out bit for bit the same.
 */
export class StatsAccumulator {
  requests = 0
  firstArrival = 0
  lastArrival = 0
  serviceFirst = 0
  serviceSum = 0

  add(b: TraceBatch): void {
    const n = b.length
    if (n === 0) return
    if (this.requests === 0) {
      this.firstArrival = b.arrival[0]
      this.serviceFirst = b.service[0]
    }
    this.lastArrival = b.arrival[n - 1]
    this.addService(b.service, n)
    this.requests += n
  }

  /** Services only (the caller counts rows and tracks arrivals). */
  addService(s: ArrayLike<number>, n: number): void {
    const shift = this.serviceFirst
    let sum = this.serviceSum
    for (let i = 0; i < n; i++) sum += s[i] - shift
    this.serviceSum = sum
  }

  get serviceMean(): number {
    return serviceMean(this.serviceFirst, this.serviceSum, this.requests)
  }

  /** The metadata value written by `tailsim generate` (cycles at `ghz`). */
  metadata(ghz: number): string {
    return JSON.stringify({
      v: 1,
      ghz,
      rows: this.requests,
      first_arrival: this.firstArrival,
      last_arrival: this.lastArrival,
      service_first: this.serviceFirst,
      service_sum: this.serviceSum,
    })
  }
}

/** The service mean of `scanTrace`: first + Σ(s − first)/n. */
export function serviceMean(first: number, sum: number, n: number): number {
  return first + sum / n
}

/** Statistics from `tailsim generate`'s metadata, as written. */
export interface WrittenStats {
  ghz: number
  rows: number
  firstArrival: number
  lastArrival: number
  serviceFirst: number
  serviceSum: number
}

/** Parse the metadata value; undefined when absent or malformed. */
export function parseWrittenStats(raw: string | undefined): WrittenStats | undefined {
  if (raw === undefined) return undefined
  try {
    const m = JSON.parse(raw) as Record<string, unknown>
    const nums = ['ghz', 'rows', 'first_arrival', 'last_arrival', 'service_first', 'service_sum'].map((k) => m[k])
    if (m.v !== 1 || !nums.every((x) => typeof x === 'number' && Number.isFinite(x))) return undefined
    const [ghz, rows, firstArrival, lastArrival, serviceFirst, serviceSum] = nums as number[]
    if (!Number.isInteger(rows) || rows < 1) return undefined
    return {ghz, rows, firstArrival, lastArrival, serviceFirst, serviceSum}
  } catch {
    return undefined
  }
}

/** Whether `opts` reads a file exactly as `tailsim generate` wrote it (default columns, same clock). */
export function readsAsWritten(w: WrittenStats, opts: TraceOptions, arrivalName: string, serviceName: string): boolean {
  return (
    w.ghz === opts.ghz &&
    opts.columns?.arrival === undefined &&
    opts.columns?.service === undefined &&
    opts.arrivalUnit === undefined &&
    opts.serviceUnit === undefined &&
    arrivalName === 'arrival_ns' &&
    serviceName === 'service_ns'
  )
}

/**
 * What the first and last rows, decoded with the ordinary reader, say: first/last arrival (in
 * cycles, as the full pass computes them) and the first row's service.
 */
export interface Edges {
  firstArrival: number
  lastArrival: number
  serviceFirst: number
}

/** Quick statistics from written metadata, checked against the rows counted and the decoded edges. */
export function fromWritten(w: WrittenStats, rows: number, edges: Edges): QuickStats | undefined {
  if (w.rows !== rows || w.serviceFirst !== edges.serviceFirst) return undefined
  if (w.lastArrival - w.firstArrival !== edges.lastArrival - edges.firstArrival) return undefined
  return {requests: rows, firstArrival: edges.firstArrival, lastArrival: edges.lastArrival, serviceMean: serviceMean(w.serviceFirst, w.serviceSum, rows)}
}

/**
 * The statistics `tailsim generate` wrote into a file's metadata (`text`, the value under
 * STATS_METADATA_KEY), when they apply to this reading (`readsAsWritten`) and check out against the
 * rows counted and the decoded edges; undefined otherwise.
 */
export function fromMetadata(
  text: string | undefined,
  opts: TraceOptions,
  names: {arrival: string; service: string},
  rows: number,
  edges: Edges,
): QuickStats | undefined {
  const written = parseWrittenStats(text)
  if (written === undefined || !readsAsWritten(written, opts, names.arrival, names.service)) return undefined
  const q = fromWritten(written, rows, edges)
  if (q !== undefined) fastStatsCounts.metadata++
  return q
}

/**
 * Raw service values → cycles, added to `acc`, exactly as the readers convert them
 * (`BatchBuilder`: round half up of value × cycles-per-unit, at least 1 cycle). Returns false
 * when a value is one the readers reject (the full pass then reports it).
 */
export function addRawService(acc: StatsAccumulator, raw: ArrayLike<number>, n: number, toCycles: number, scratch: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    const s = raw[i]
    if (!(s > 0 && s < Infinity)) return false
    const c = roundHalfUp(s * toCycles)
    scratch[i] = c >= 1 ? c : 1
  }
  if (acc.requests === 0 && n > 0) acc.serviceFirst = scratch[0]
  acc.addService(scratch, n)
  acc.requests += n
  return true
}

/** Quick statistics of a file read in this thread, or undefined (see the module comment). */
export async function quickStatsOf(path: string, opts: TraceOptions): Promise<QuickStats | undefined> {
  if (path === '-' || opts.sort === true || opts.unordered === true) return undefined
  try {
    const {detectFormat} = await import('./open.js')
    const format = await detectFormat(path, opts.format)
    if (format === 'arrow') {
      const {arrowQuickStats} = await import('./fast-stats-arrow.js')
      return await arrowQuickStats(path, opts)
    }
    if (format === 'parquet') {
      const {parquetQuickStats} = await import('./fast-stats-parquet.js')
      return await parquetQuickStats(path, opts)
    }
  } catch {
    // Whatever went wrong, the full pass finds it again and reports it properly.
  }
  return undefined
}
