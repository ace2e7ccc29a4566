/**
 * The recorder of one run: turns completions into latencies, histograms and counts.
 *
 * Latency = (cycle the reply leaves the NIC) − (arrival at the NIC) + networkRtt (docs/model.md §2).
 * Warm-up: requests arriving before `warmupUntil` are simulated and counted as completed but not
 * recorded in any latency statistic. Batch means: the measured window
 * [warmupUntil, lastArrival] is cut into `batches` equal time slices by arrival; each slice's
 * percentiles and mean give the 95% sectioning intervals (intervals.ts), and its arrivals,
 * completions and mean latency feed the validity checks (validity.ts), as does the MSER series of
 * every completion. Percentiles are clamped to [min, max] of the measured latencies (an HDR
 * histogram reports the top of a percentile's bucket, which may lie above the maximum).
 */
import type {RequestTable} from '../sim/machine/requests.js'
import {type Histogram, HistogramFront, newHistogram} from './histogram.js'
import {type Interval, intervalSupported, NO_INTERVAL, percentileSupported, sectioningInterval} from './intervals.js'
import {SECTION_KEYS, SparseHistogram} from './sparse.js'

/** Per-request output rows, struct-of-arrays (times in cycles). */
export interface RequestRecordBatch {
  length: number
  seq: Float64Array
  arrival: Float64Array
  conn: Uint32Array
  queue: Int32Array
  core: Int32Array
  start: Float64Array
  end: Float64Array
  latency: Float64Array
}

/** Receives per-request records synchronously; the arrays are reused after `write` returns. */
export interface RecordSink {
  write(batch: RequestRecordBatch): void
}

export interface RecorderOptions {
  /** Cycles; arrivals before this are not measured. */
  warmupUntil: number
  /** Cycles; arrival of the last request (for batch means). */
  lastArrival: number
  /** Cycles added to every latency. */
  networkRtt: number
  /** Number of batch-means slices (default 10; 0 disables). */
  batches?: number
  records?: RecordSink
  /** Cycles; arrival of the first request (start of the MSER series). Default 0. */
  firstArrival?: number
  /** Requests the run will complete (sizes the MSER series: about 5 per bin). Default: the cap. */
  expectedRequests?: number
}

/** Percentiles every run reports, with their LatencySummary keys. */
export const PERCENTILES = [
  ['p50', 50],
  ['p90', 90],
  ['p99', 99],
  ['p999', 99.9],
  ['p9999', 99.99],
] as const

export type PercentileKey = (typeof PERCENTILES)[number][0]
export type StatKey = PercentileKey | 'mean'

export interface LatencySummary {
  count: number
  /** All in cycles; a percentile is NaN when too few samples lie above it (see intervals.ts). */
  mean: number
  min: number
  p50: number
  p90: number
  p99: number
  p999: number
  p9999: number
  max: number
  /** 95% intervals (sectioning over the batch-means slices), cycles; NaN bounds when not supported. */
  ci: Record<StatKey, Interval>
}

/** What the validity checks need from a run (src/stats/validity.ts). */
export interface RunSeries {
  /** Per batch-means slice (by arrival time over the measured window): measured arrivals. */
  arrivals: number[]
  /** Per slice: completions whose reply left within the slice's time range (any arrival time). */
  completions: number[]
  /** Per slice: mean latency of its measured arrivals (cycles; NaN when empty). */
  means: number[]
  /**
   * MSER input: mean latency of the requests (all, warm-up included) whose arrival falls in each
   * of equal arrival-time bins over [firstArrival, lastArrival], empty bins left out. By arrival,
   * not by completion order, so the series depends only on each request's (arrival, latency):
   * a policy that reports completions in another order (the FCFS recursions) gives the same one.
   */
  mser: Float64Array
  /** For each block: the latest arrival (cycles) among the requests completed so far. */
  /** For each bin of `mser`: its end (cycles): truncating bins 0..d−1 cuts arrivals before it. */
  mserArrival: Float64Array
  /** Mean requests per non-empty bin (about MSER_BLOCK for traces up to MSER_BLOCK·MSER_CAP requests). */
  blockSize: number
}

const RECORD_CHUNK = 65536
/** MSER-5: bins of about 5 requests each by arrival time, at most MSER_CAP bins. */
const MSER_BLOCK = 5
const MSER_CAP = 1 << 16

export class Recorder {
  completed = 0
  measured = 0
  dropped = 0
  /** Cycle of the last completion. */
  lastEnd = 0
  private sum = 0
  /**
   * Measured latencies go into exactly one histogram: the batch slice of their arrival (or the
   * single `whole` histogram when batch means are off). The overall distribution is the sum of
   * the slices, merged once at the end: one record per request instead of two.
   */
  private readonly whole: Histogram | undefined
  private readonly batchHists: Histogram[] = []
  /** Per request type (index >= 1): compact statistics, created at the type's first request. */
  private readonly types: (SparseHistogram | undefined)[] = []
  /**
   * Values are counted by a HistogramFront per histogram (cheap per request) and handed to the
   * histograms in bulk before any statistic is read (`settle`).
   */
  private readonly wholeFront: HistogramFront | undefined
  private readonly batchFronts: HistogramFront[] = []
  private readonly batchScale: number
  private readonly span: number
  private readonly warmupUntil: number
  private readonly networkRtt: number
  private readonly sink: RecordSink | undefined
  private readonly rec: RequestRecordBatch | undefined
  // MSER series (see RunSeries): latency sum and count per arrival-time bin.
  private readonly mserSum: Float64Array
  private readonly mserCount: Float64Array
  private readonly mserFirst: number
  private readonly mserScale: number
  /** Per batch-means slice: completions whose reply left within its time range. */
  private readonly batchDone: Float64Array

  constructor(
    private readonly requests: RequestTable,
    opts: RecorderOptions,
  ) {
    this.warmupUntil = opts.warmupUntil
    this.networkRtt = opts.networkRtt
    const k = Math.min(opts.batches ?? 10, SECTION_KEYS)
    const span = opts.lastArrival - opts.warmupUntil
    this.span = span
    if (k >= 2 && span > 0) {
      for (let i = 0; i < k; i++) this.batchHists.push(newHistogram())
      this.batchFronts = this.batchHists.map((h) => new HistogramFront(h))
      this.batchScale = k / span
      this.whole = undefined
      this.wholeFront = undefined
    } else {
      this.batchScale = 0
      this.whole = newHistogram()
      this.wholeFront = new HistogramFront(this.whole)
    }
    const bins = Math.max(1, Math.min(MSER_CAP, Math.floor((opts.expectedRequests ?? MSER_BLOCK * MSER_CAP) / MSER_BLOCK)))
    this.mserSum = new Float64Array(bins)
    this.mserCount = new Float64Array(bins)
    this.mserFirst = opts.firstArrival ?? 0
    const mserSpan = opts.lastArrival - this.mserFirst
    this.mserScale = mserSpan > 0 ? bins / mserSpan : 0
    this.batchDone = new Float64Array(Math.max(1, this.batchFronts.length))
    this.sink = opts.records
    if (this.sink) {
      this.rec = {
        length: 0,
        seq: new Float64Array(RECORD_CHUNK),
        arrival: new Float64Array(RECORD_CHUNK),
        conn: new Uint32Array(RECORD_CHUNK),
        queue: new Int32Array(RECORD_CHUNK),
        core: new Int32Array(RECORD_CHUNK),
        start: new Float64Array(RECORD_CHUNK),
        end: new Float64Array(RECORD_CHUNK),
        latency: new Float64Array(RECORD_CHUNK),
      }
    }
  }

  /** The reply of request `slot` leaves the NIC at cycle `end`. Frees the slot. */
  complete(slot: number, end: number): void {
    const r = this.requests
    const arrival = r.arrival[slot]
    const latency = this.measure(arrival, end, r.type[slot])
    // The other fields are read only when records are written.
    if (this.rec !== undefined) this.record(r.seq[slot], arrival, r.conn[slot], r.queue[slot], r.core[slot], r.start[slot], end, latency)
    r.release(slot)
  }

  /**
   * The reply of a request that has no slot (a policy's `arriveDirect` path) leaves the NIC at
   * cycle `end`: the request's fields as `RequestTable` holds them (type 0 = none).
   */
  completeRequest(seq: number, arrival: number, conn: number, type: number, queue: number, core: number, start: number, end: number): void {
    const latency = this.measure(arrival, end, type)
    if (this.rec !== undefined) this.record(seq, arrival, conn, queue, core, start, end, latency)
  }

  /** Count a completion and, after the warm-up, its latency; returns the latency. */
  private measure(arrival: number, end: number, type: number): number {
    const latency = end - arrival + this.networkRtt
    this.completed++
    if (end > this.lastEnd) this.lastEnd = end
    // MSER series over every completion, by arrival time; completions per slice by reply time.
    let mb = Math.floor((arrival - this.mserFirst) * this.mserScale)
    if (mb >= this.mserSum.length) mb = this.mserSum.length - 1
    else if (mb < 0) mb = 0
    this.mserSum[mb] += latency
    this.mserCount[mb]++
    if (end >= this.warmupUntil) {
      const e = Math.floor((end - this.warmupUntil) * this.batchScale)
      if (e < this.batchDone.length) this.batchDone[e]++
    }
    if (arrival >= this.warmupUntil) {
      this.measured++
      this.sum += latency
      let b = 0
      if (this.wholeFront === undefined) {
        b = Math.floor((arrival - this.warmupUntil) * this.batchScale)
        if (b >= this.batchFronts.length) b = this.batchFronts.length - 1
        this.batchFronts[b].record(latency)
      } else {
        this.wholeFront.record(latency)
      }
      if (type !== 0) this.recordType(type, latency, b)
    }
    return latency
  }

  /** Request `slot` was dropped (bounded NIC ring overflow). Frees the slot. */
  drop(slot: number): void {
    this.dropped++
    this.requests.release(slot)
  }

  /** Flush buffered per-request records to the sink. */
  flush(): void {
    if (this.rec !== undefined && this.rec.length > 0) {
      this.sink!.write(this.rec)
      this.rec.length = 0
    }
  }

  /** Hand every counted value to its histogram (before reading any statistic). */
  private settle(): void {
    this.wholeFront?.flush()
    for (const f of this.batchFronts) f.flush()
  }

  summary(): LatencySummary {
    this.settle()
    const n = this.measured
    if (n === 0) return emptySummary()
    const fronts = this.wholeFront !== undefined ? [this.wholeFront] : this.batchFronts
    const lo = Math.min(...fronts.map((f) => f.lowest))
    const hi = Math.max(...fronts.map((f) => f.highest))
    const clampV = (x: number) => (x < lo ? lo : x > hi ? hi : x)
    const used = this.batchHists.filter((h) => h.totalCount > 0)
    const all = this.whole ?? newHistogram()
    try {
      if (this.whole === undefined) for (const h of this.batchHists) all.add(h)
      const out = {count: n, mean: this.sum / n, min: lo, max: hi, ci: {} as Record<StatKey, Interval>} as LatencySummary
      for (const [key, p] of PERCENTILES) {
        const est = percentileSupported(n, p) ? clampV(all.getValueAtPercentile(p)) : NaN
        out[key] = est
        out.ci[key] =
          Number.isFinite(est) && intervalSupported(n, used.length, p)
            ? sectioningInterval(est, used.map((h) => clampV(h.getValueAtPercentile(p))), lo, hi)
            : {...NO_INTERVAL}
      }
      const means: number[] = []
      // Slice means from the slice histograms (within 0.1%: enough for their spread; the mean
      // itself is the exact sum over the count).
      for (const h of this.batchHists) if (h.totalCount > 0) means.push(h.mean)
      out.ci.mean = this.whole === undefined ? sectioningInterval(out.mean, means, lo, hi) : {...NO_INTERVAL}
      return out
    } finally {
      if (this.whole === undefined) all.destroy()
    }
  }

  /**
   * Per request class (type index >= 1; index 0 means "no type"), keyed by index.
   * Type indices come from the trace's type dictionary, offset by one.
   */
  typeSummaries(): Map<number, LatencySummary> {
    const out = new Map<number, LatencySummary>()
    const ps = PERCENTILES.map(([, p]) => p)
    const k = this.batchFronts.length
    this.types.forEach((h, i) => {
      if (h === undefined) return
      const s = h.summarize(ps, k)
      const sum = emptySummary()
      sum.count = s.count
      sum.mean = s.mean
      sum.min = s.min
      sum.max = s.max
      PERCENTILES.forEach(([key], j) => {
        sum[key] = s.pct[j]
        sum.ci[key] = s.ci[j]
      })
      sum.ci.mean = s.ci[ps.length]
      out.set(i, sum)
    })
    return out
  }

  /** The per-slice and MSER series of the run, for the validity checks. */
  series(): RunSeries {
    const k = this.batchFronts.length
    this.settle()
    const means = this.batchHists.map((h) => (h.totalCount > 0 ? h.mean : NaN))
    const bins = this.mserSum.length
    const z: number[] = []
    const ends: number[] = []
    let n = 0
    for (let i = 0; i < bins; i++) {
      if (this.mserCount[i] === 0) continue
      z.push(this.mserSum[i] / this.mserCount[i])
      ends.push(this.mserScale > 0 ? this.mserFirst + (i + 1) / this.mserScale : this.mserFirst)
      n += this.mserCount[i]
    }
    return {
      arrivals: this.batchHists.map((h) => h.totalCount),
      completions: k >= 2 && this.span > 0 ? Array.from(this.batchDone) : [],
      means,
      mser: Float64Array.from(z),
      mserArrival: Float64Array.from(ends),
      blockSize: z.length > 0 ? n / z.length : MSER_BLOCK,
    }
  }

  /** Bytes held by the per-type statistics (for the memory test). */
  typeBytes(): number {
    let b = 0
    for (const h of this.types) if (h !== undefined) b += h.bytes()
    return b
  }

  destroy(): void {
    this.wholeFront?.release()
    for (const f of this.batchFronts) f.release()
    this.whole?.destroy()
    for (const h of this.batchHists) h.destroy()
    this.types.length = 0
  }

  private recordType(t: number, latency: number, section: number): void {
    let h = this.types[t]
    if (h === undefined) {
      h = new SparseHistogram()
      this.types[t] = h
    }
    h.record(latency, section)
  }

  private record(seq: number, arrival: number, conn: number, queue: number, core: number, start: number, end: number, latency: number): void {
    const rec = this.rec!
    const i = rec.length++
    rec.seq[i] = seq
    rec.arrival[i] = arrival
    rec.conn[i] = conn
    rec.queue[i] = queue
    rec.core[i] = core
    rec.start[i] = start
    rec.end[i] = end
    rec.latency[i] = latency
    if (rec.length === RECORD_CHUNK) this.flush()
  }
}

function emptySummary(): LatencySummary {
  const ci = {} as Record<StatKey, Interval>
  for (const k of ['mean', 'p50', 'p90', 'p99', 'p999', 'p9999'] as const) ci[k] = {...NO_INTERVAL}
  return {count: 0, mean: NaN, min: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, p9999: NaN, max: NaN, ci}
}
