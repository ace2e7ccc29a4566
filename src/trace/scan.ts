/**
 * `scanTrace`: summary statistics of a trace in one streaming pass (constant memory apart from
 * one counter per connection).
 */
import {TraceError} from '../errors.js'
import {serviceMean} from './fast-stats.js'
import type {PreStats, QuickStats, TraceSource, TraceStats} from './types.js'
import {DEFAULT_GHZ} from './units.js'

/** Sub-buckets per power of two: relative bucket width 1/256 (< 0.4%). */
const SUB = 256

/**
 * Log-linear histogram of values >= 1 with per-bucket min and max, so that a quantile falling
 * in a bucket holding one distinct value (fixed or bimodal service) is exact.
 */
export class LogHistogram {
  private counts = new Float64Array(64 * SUB)
  private mins = new Float64Array(64 * SUB).fill(Infinity)
  private maxs = new Float64Array(64 * SUB).fill(-Infinity)
  total = 0

  record(v: number): void {
    let i: number
    if (v >= 1 && v < 4294967296 && v === Math.floor(v)) {
      // Integer fast path (cycle counts): exponent from clz32, 8 mantissa bits below the top bit.
      const x = v >>> 0
      const e = 31 - Math.clz32(x)
      i = e * SUB + (e >= 8 ? (x >>> (e - 8)) & 0xff : (x << (8 - e)) & 0xff)
    } else {
      const x = v < 1 ? 1 : v
      let e = Math.floor(Math.log2(x))
      let sub = Math.floor((x / Math.pow(2, e) - 1) * SUB)
      if (sub >= SUB) {
        e++
        sub = 0
      } else if (sub < 0) {
        e--
        sub = SUB - 1
      }
      i = e * SUB + sub
    }
    this.counts[i]++
    if (v < this.mins[i]) this.mins[i] = v
    if (v > this.maxs[i]) this.maxs[i] = v
    this.total++
  }

  /** Value at quantile q in (0, 1]: the bucket holding rank ceil(q·n), as its midpoint clamped to the values seen there. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil(q * this.total))
    let acc = 0
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i]
      if (acc >= rank) {
        const e = Math.floor(i / SUB)
        const sub = i % SUB
        const mid = Math.pow(2, e) * (1 + (sub + 0.5) / SUB)
        return Math.min(this.maxs[i], Math.max(this.mins[i], mid))
      }
    }
    return Number.NaN
  }
}

export interface ScanOptions {
  /** Clock the source's cycles were computed with (stored in the stats for rendering). Default 2.4. */
  ghz?: number
}

/**
 * One pass over `source`: request count, connections, arrival span and rate, service mean, min,
 * max, CV, p50 and p99, busiest connection share, per-type counts and the trace fingerprint.
 * Times in cycles. Throws TraceError for a trace without rows.
 */
export async function scanTrace(source: TraceSource, opts: ScanOptions = {}): Promise<TraceStats> {
  // File digests stream the file concurrently with the scan; stdin's is ready after the pass.
  const early = source.name !== '-' && source.digest ? source.digest() : undefined
  early?.catch(() => {})
  let n = 0
  let first = 0
  let last = 0
  let shift = 0
  let sum = 0
  let sumSq = 0
  let min = Infinity
  let max = -Infinity
  let perConn = new Uint32Array(4096)
  let connections = 0
  let typeCounts = new Float64Array(0)
  const hist = new LogHistogram()
  for await (const b of source.batches()) {
    const len = b.length
    if (len === 0) continue
    if (n === 0) {
      first = b.arrival[0]
      shift = b.service[0]
    }
    last = b.arrival[len - 1]
    const s = b.service
    for (let i = 0; i < len; i++) {
      const v = s[i]
      const d = v - shift
      sum += d
      sumSq += d * d
      if (v < min) min = v
      if (v > max) max = v
      hist.record(v)
    }
    const c = b.conn
    for (let i = 0; i < len; i++) {
      const k = c[i]
      if (k >= perConn.length) {
        const g = new Uint32Array(Math.max(perConn.length * 2, k + 1))
        g.set(perConn)
        perConn = g
      }
      if (perConn[k]++ === 0 && k >= connections) connections = k + 1
    }
    if (b.type) {
      const t = b.type
      for (let i = 0; i < len; i++) {
        const k = t[i]
        if (k >= typeCounts.length) {
          const g = new Float64Array(Math.max(16, k + 1, typeCounts.length * 2))
          g.set(typeCounts)
          typeCounts = g
        }
        typeCounts[k]++
      }
    }
    n += len
  }
  if (n === 0) throw new TraceError('Expected at least one request, got none', {file: source.name})
  let busiest = 0
  let used = 0
  for (let k = 0; k < connections; k++) {
    if (perConn[k] > busiest) busiest = perConn[k]
    if (perConn[k] > 0) used++
  }
  const mean = serviceMean(shift, sum, n)
  const variance = Math.max(0, sumSq / n - (sum / n) ** 2)
  const types: Record<string, number> = {}
  for (let k = 0; k < typeCounts.length; k++) {
    if (typeCounts[k] > 0) types[source.typeNames[k] ?? String(k)] = typeCounts[k]
  }
  const sha256 = early ? await early : source.digest ? await source.digest() : ''
  return {
    requests: n,
    connections: used,
    firstArrival: first,
    lastArrival: last,
    ratePerCycle: ratePerCycle(n, first, last),
    serviceMean: mean,
    serviceMax: max,
    serviceMin: min,
    serviceCv: mean > 0 ? Math.sqrt(variance) / mean : 0,
    busiestConnShare: busiest / n,
    typeCounts: types,
    sha256,
    name: source.name,
    ghz: opts.ghz ?? DEFAULT_GHZ,
    serviceP50: hist.quantile(0.5),
    serviceP99: hist.quantile(0.99),
  }
}

/** Mean arrival rate, requests per cycle: (n − 1)/(last − first), 0 without a span. */
export function ratePerCycle(n: number, first: number, last: number): number {
  const span = last - first
  return n > 1 && span > 0 ? (n - 1) / span : 0
}

/**
 * The statistics a run needs before simulating (see PreStats), with one pass over the trace where
 * one suffices: the quick statistics come from the source when it has them without a full decode
 * (file metadata, one column, the stats cache: fast-stats.ts); otherwise a full pass computes
 * them (and the source remembers them for the next run). The fingerprint is started here and is
 * computed off the critical path (hash.ts): `sha256` is its promise. Everything else a result
 * reports (connections) is computed by the simulation's own pass.
 */
export async function preScan(source: TraceSource, opts: ScanOptions = {}): Promise<PreStats> {
  const quick = source.quickStats ? await source.quickStats() : undefined
  if (quick === undefined) {
    const full = await scanTrace(source, opts)
    await source.rememberStats?.(full)
    return full
  }
  const sha256 = source.digest ? source.digest() : Promise.resolve('')
  sha256.catch(() => {})
  return fromQuick(quick, sha256, source.name, opts.ghz)
}

/** PreStats from quick statistics. */
export function fromQuick(q: QuickStats, sha256: string | Promise<string>, name: string, ghz?: number): PreStats {
  return {
    requests: q.requests,
    firstArrival: q.firstArrival,
    lastArrival: q.lastArrival,
    serviceMean: q.serviceMean,
    ratePerCycle: ratePerCycle(q.requests, q.firstArrival, q.lastArrival),
    sha256,
    name,
    ghz: ghz ?? DEFAULT_GHZ,
  }
}

/** Offered load ρ = λ·E[S]/cores of a scanned trace. */
export function offeredLoad(stats: Pick<PreStats, 'ratePerCycle' | 'serviceMean'>, cores: number): number {
  return (stats.ratePerCycle * stats.serviceMean) / cores
}
