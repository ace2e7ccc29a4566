/** The recorder's interfaces: its options, its per-request records, its results and the series the validity checks read. */
import type {LatencySummary} from './sliced.js'

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

/** What the statistics of a run need to know (RecorderOptions without the per-request records). */
export type StatsOptions = Omit<RecorderOptions, 'records'>

/** A run's statistics as plain data (see StatsCore.results): what crosses from a statistics thread. */
export interface StatsResults {
  /** Completions (measured or not). */
  completed: number
  /** Completions that arrived after the warm-up. */
  measured: number
  summary: LatencySummary
  /** Slowdowns in units of SLOWDOWN_SCALE. */
  slowdown: LatencySummary
  /** Per type index (>= 1). */
  types: Map<number, LatencySummary>
  typesSlowdown: Map<number, LatencySummary>
  series: RunSeries
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
  /** For each bin of `mser`: its end (cycles): truncating bins 0..d−1 cuts arrivals before it. */
  mserArrival: Float64Array
  /** Mean requests per non-empty bin (about 5 for traces up to 5 · 65 536 requests). */
  blockSize: number
}
