/**
 * The one streaming interface every trace reader and generator implements.
 *
 * Time is in integer CPU cycles of one core clock (docs/model.md §1): readers convert nanoseconds or
 * microseconds to cycles once, at ingest, by rounding (`Math.round(ns * ghz)`).
 */

/** A batch of requests, struct-of-arrays. Only the first `length` entries are valid. */
export interface TraceBatch {
  length: number
  /** Arrival at the NIC, cycles (integer-valued), non-decreasing across the whole trace. */
  arrival: Float64Array
  /**
   * Dense connection index, 0 .. connections-1, assigned in order of first appearance in the
   * trace (so relabelling connection ids does not change results). Synthetic traces use 0..C-1.
   */
  conn: Uint32Array
  /** Service time, cycles (integer-valued, >= 1). */
  service: Float64Array
  /** Request class index into `TraceSource.typeNames`, or undefined when the trace has no `type` column. */
  type?: Uint16Array
}

export type TimeUnit = 'ns' | 'us'

export interface TraceOptions {
  /** Core clock in GHz used to convert time to cycles. Default 2.4. */
  ghz: number
  /** Column name overrides (defaults: arrival_ns|arrival_us, conn, service_ns|service_us, type). */
  columns?: {arrival?: string; conn?: string; service?: string; type?: string}
  /** Units for overridden columns whose name carries no unit suffix. */
  arrivalUnit?: TimeUnit
  serviceUnit?: TimeUnit
  /** Rows per yielded batch (default 65536). */
  batchSize?: number
  /** Sort arrivals in memory (bounded by `maxSortRows`) instead of rejecting a decreasing arrival. */
  sort?: boolean
  /**
   * Internal: yield rows in file order without the arrival-order check and without sorting. The
   * reader worker reads this way when its parent sorts (`sort`), so the rows are sorted once.
   */
  unordered?: boolean
  maxSortRows?: number
  /**
   * Read files in a worker thread (default true when the compiled worker exists): contains
   * decoder hangs, traps and runaway memory, and overlaps decoding with simulation.
   * See src/trace/isolated.ts. Stdin is always read in-thread.
   */
  isolate?: boolean
  /** With isolation: a reader that yields nothing for this long is stopped (default 30 000 ms). */
  stallTimeoutMs?: number
  /** Force a format instead of sniffing magic bytes and the file extension. */
  format?: TraceFormat
  /** CSV parser: `auto` (fast path for unquoted lines, csv-parse otherwise) or `csv-parse` only. */
  csvParser?: 'auto' | 'csv-parse'
}

/** Trace file formats. `arrow` covers both the Arrow IPC file and stream formats. */
export type TraceFormat = 'arrow' | 'parquet' | 'csv'

export interface TraceSource {
  /** File path, '-' for stdin, or the synthetic spec; used in messages. */
  readonly name: string
  /** Names of request classes seen so far (index = TraceBatch.type value). Complete after a full pass. */
  readonly typeNames: string[]
  /**
   * Stream the trace. May be called more than once (each call re-reads from the start) unless
   * the source is stdin, which can be read once (a second call throws a ConfigError).
   * Batches may reuse their arrays: a consumer must finish with a batch before pulling the next.
   */
  batches(): AsyncIterable<TraceBatch>
  /**
   * Number of rows when known before reading (synthetic traces, Arrow/Parquet file metadata),
   * e.g. for progress bars. Undefined when unknown.
   */
  readonly rowsHint?: number
  /**
   * Fingerprint of the trace: SHA-256 (hex) of the file bytes, or of the canonical synthetic
   * spec. For stdin, available only after a full pass of `batches()`.
   */
  digest?(): Promise<string>
}

/** Summary statistics from one pass over a trace (`scanTrace`). Times in cycles. */
export interface TraceStats {
  requests: number
  connections: number
  firstArrival: number
  lastArrival: number
  /** Mean inter-arrival rate, requests per cycle: (requests-1)/(last-first). */
  ratePerCycle: number
  serviceMean: number
  serviceMax: number
  serviceMin: number
  /** Coefficient of variation of service time. */
  serviceCv: number
  /** Requests of the busiest connection / requests. */
  busiestConnShare: number
  /** Per type name: count. Empty when the trace has no type column. */
  typeCounts: Record<string, number>
  /** SHA-256 of the trace file bytes (hex), or of the synthetic spec string for synthetic sources. */
  sha256: string
  /** Source name (path, '-' or synthetic description). */
  name?: string
  /** Clock used for the cycle values, GHz. */
  ghz?: number
  /** Approximate service-time median and 99th percentile, cycles (log histogram, <= 0.4% error). */
  serviceP50?: number
  serviceP99?: number
}
