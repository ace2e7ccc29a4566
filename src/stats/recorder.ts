/**
 * The recorder of one run: turns completions into latencies, histograms and counts.
 *
 * Latency = (cycle the reply leaves the NIC) − (arrival at the NIC) + networkRtt (docs/model.md §2).
 * Warm-up: requests arriving before `warmupUntil` are simulated and counted as completed but not
 * recorded in any latency statistic. Batch means: the measured window
 * [warmupUntil, lastArrival] is cut into `batches` equal time slices by arrival; the p99 of each
 * slice gives a 95% t-interval on p99 (batch-means method).
 */
import type {RequestTable} from '../sim/machine/requests.js'
import {type Histogram, HistogramFront, meanCi, newHistogram} from './histogram.js'

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
}

export interface LatencySummary {
  count: number
  /** All in cycles. */
  mean: number
  p50: number
  p90: number
  p99: number
  p999: number
  p9999: number
  max: number
  /** 95% interval on p99 by batch means, cycles; NaN when not computable. */
  p99CiLow: number
  p99CiHigh: number
}

const RECORD_CHUNK = 65536
/** Request types whose latencies are counted through a HistogramFront (see recordType). */
const TYPE_FRONTS = 32

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
  private readonly typeHists: (Histogram | undefined)[] = []
  /**
   * Values are counted by a HistogramFront per histogram (cheap per request) and handed to the
   * histograms in bulk before any statistic is read (`settle`).
   */
  private readonly wholeFront: HistogramFront | undefined
  private readonly batchFronts: HistogramFront[] = []
  private readonly typeFronts: (HistogramFront | undefined)[] = []
  private readonly typeSums: number[] = []
  private readonly batchScale: number
  private readonly warmupUntil: number
  private readonly networkRtt: number
  private readonly sink: RecordSink | undefined
  private readonly rec: RequestRecordBatch | undefined

  constructor(
    private readonly requests: RequestTable,
    opts: RecorderOptions,
  ) {
    this.warmupUntil = opts.warmupUntil
    this.networkRtt = opts.networkRtt
    const k = opts.batches ?? 10
    const span = opts.lastArrival - opts.warmupUntil
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
    if (arrival >= this.warmupUntil) {
      this.measured++
      this.sum += latency
      if (this.wholeFront === undefined) {
        let b = Math.floor((arrival - this.warmupUntil) * this.batchScale)
        if (b >= this.batchFronts.length) b = this.batchFronts.length - 1
        this.batchFronts[b].record(latency)
      } else {
        this.wholeFront.record(latency)
      }
      if (type !== 0) this.recordType(type, latency)
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
    for (const f of this.typeFronts) f?.flush()
  }

  summary(): LatencySummary {
    this.settle()
    if (this.whole !== undefined) return summarize(this.whole, this.measured, this.sum, [])
    const all = newHistogram()
    try {
      for (const h of this.batchHists) all.add(h)
      return summarize(all, this.measured, this.sum, this.batchP99s())
    } finally {
      all.destroy()
    }
  }

  /**
   * Per request class (type index >= 1; index 0 means "no type"), keyed by index.
   * Type indices come from the trace's type dictionary, offset by one.
   */
  typeSummaries(): Map<number, LatencySummary> {
    this.settle()
    const out = new Map<number, LatencySummary>()
    this.typeHists.forEach((h, i) => {
      if (h !== undefined) out.set(i, summarize(h, h.totalCount, this.typeSums[i], []))
    })
    return out
  }

  destroy(): void {
    this.wholeFront?.release()
    for (const f of this.batchFronts) f.release()
    for (const f of this.typeFronts) f?.release()
    this.whole?.destroy()
    for (const h of this.batchHists) h.destroy()
    for (const h of this.typeHists) h?.destroy()
  }

  private batchP99s(): number[] {
    return this.batchHists.filter((h) => h.totalCount > 0).map((h) => h.getValueAtPercentile(99))
  }

  private recordType(t: number, latency: number): void {
    let h = this.typeHists[t]
    if (h === undefined) {
      h = newHistogram()
      this.typeHists[t] = h
      // A front holds ~360 kB: the first TYPE_FRONTS types get one, further ones (a trace may
      // have up to 65 535) record into their histogram directly.
      if (t <= TYPE_FRONTS) this.typeFronts[t] = new HistogramFront(h)
      this.typeSums[t] = 0
    }
    const f = this.typeFronts[t]
    if (f !== undefined) f.record(latency)
    else h.recordValue(latency)
    this.typeSums[t] += latency
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

function summarize(h: Histogram, count: number, sum: number, batchP99: number[]): LatencySummary {
  if (count === 0) {
    return {count, mean: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, p9999: NaN, max: NaN, p99CiLow: NaN, p99CiHigh: NaN}
  }
  const ci = meanCi(batchP99)
  return {
    count,
    mean: sum / count,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    p9999: h.getValueAtPercentile(99.99),
    max: h.maxValue,
    p99CiLow: ci.mean - ci.half,
    p99CiHigh: ci.mean + ci.half,
  }
}
