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

export type TimeUnit = 's' | 'ms' | 'us' | 'ns'

/** Where connection ids come from: a column, drawn per request, or one connection per request. */
export type ConnSource =
  | {mode: 'column'; column: string}
  | {mode: 'uniform'; connections: number; seed: number}
  | {mode: 'per-request'}

/**
 * The clock of a trace's arrival column, as read (see src/trace/clock.ts). Batches carry cycles
 * counted from `baseSeconds` on that clock: cycle c is the instant baseSeconds + c/(ghz·1e9) s.
 */
export interface TraceClock {
  /** How arrivals were written: numbers, an Arrow/Parquet timestamp column, or ISO-8601 text. */
  kind: 'number' | 'timestamp' | 'iso'
  column: string
  unit: TimeUnit
  /** The whole second (on the trace's own clock) that cycle 0 stands for; 0 when not rebased. */
  baseSeconds: number
  /** True when the trace was rebased (an absolute clock: timestamps, ISO text, or large numbers). */
  rebased: boolean
  /** True when the clock counts from the Unix epoch, so instants can be shown as ISO-8601. */
  epoch: boolean
}

/** What a reader learnt about a trace while reading it (complete after a full pass). */
export interface TraceIngest {
  clock?: TraceClock
  connections?: ConnSource
}

export interface TraceOptions {
  /** Core clock in GHz used to convert time to cycles. Default 2.4. */
  ghz: number
  /** Column name overrides (defaults: arrival_ns|arrival_us, conn, service_ns|service_us, type). */
  columns?: {arrival?: string; conn?: string; service?: string; type?: string}
  /** Units of the time columns (override the `_s`/`_ms`/`_us`/`_ns` suffix of their names). */
  arrivalUnit?: TimeUnit
  serviceUnit?: TimeUnit
  /** CSV field delimiter (one character). Default: tab for `.tsv` names, else comma. */
  delimiter?: string
  /**
   * For a trace without a connection column: draw each request's connection uniformly from
   * `connections` ids (seeded by `connSeed`), or give every request its own (`connPerRequest`).
   */
  connections?: number
  connSeed?: number
  connPerRequest?: boolean
  /** Most distinct connection ids accepted (a LimitError beyond). Default DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number
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
   * Read files in a worker thread (when the compiled worker exists): contains decoder hangs, traps
   * and runaway memory, and overlaps decoding with simulation. See src/trace/isolated.ts. Default
   * (undefined): every file except a CSV of at most INLINE_MAX_BYTES (open.ts), which is read in
   * this thread; true: every file; false: none. Stdin is always read in-thread.
   */
  isolate?: boolean
  /** With isolation: a reader that yields nothing for this long, not counting time it waited for a CPU, is stopped (default 30 000 ms). */
  stallTimeoutMs?: number
  /** Force a format instead of sniffing magic bytes and the file extension. */
  format?: TraceFormat
  /**
   * Where statistics of traces are cached between runs (stats-cache.ts): a folder, `false` for no
   * cache. Default: $XDG_CACHE_HOME/tailsim/stats (~/.cache/tailsim/stats).
   */
  statsCache?: string | false
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
  /** Clock and connection source found while reading (filled during the first pass). */
  readonly ingest?: TraceIngest
  /**
   * Fingerprint of the trace: SHA-256 (hex) of the file bytes, or of the canonical synthetic
   * spec. For stdin, available only after a full pass of `batches()`.
   */
  digest?(): Promise<string>
  /**
   * The statistics a run needs before simulating (count, arrival span, service mean), without
   * decoding the whole trace when the file allows it (file metadata, a single column read, the
   * stats cache: see fast-stats.ts); undefined when only a full pass can tell.
   */
  quickStats?(): Promise<QuickStats | undefined>
  /** Remember statistics computed by a full pass (the stats cache), for the next run. */
  rememberStats?(stats: QuickStats): Promise<void>
}

/**
 * What simulating needs before its first request. Values are exactly those of a full pass
 * (`scanTrace`): the service mean is `first + Σ(s − first)/n` summed in row order, `first` being
 * the first row's service.
 */
export interface QuickStats {
  requests: number
  firstArrival: number
  lastArrival: number
  serviceMean: number
}

/**
 * The statistics of a trace a run uses (`preScan`): the quick ones, the arrival rate, and the
 * fingerprint, which may still be being computed (off the critical path) when simulating starts.
 */
export interface PreStats extends QuickStats {
  /** Mean inter-arrival rate, requests per cycle: (requests-1)/(last-first). */
  ratePerCycle: number
  /** SHA-256 of the trace (hex), or its pending computation. */
  sha256: string | Promise<string>
  /** Source name (path, '-' or synthetic description). */
  name?: string
  /** Clock used for the cycle values, GHz. */
  ghz?: number
}

/** Summary statistics from one pass over a trace (`scanTrace`). Times in cycles. */
export interface TraceStats extends PreStats {
  connections: number
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
  /** Approximate service-time median and 99th percentile, cycles (log histogram, <= 0.4% error). */
  serviceP50?: number
  serviceP99?: number
}
