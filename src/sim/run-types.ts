/**
 * The shapes of one simulation run (simulate.ts): its configuration, its options and its result.
 */
import type {RecordSink} from '../stats/recorder.js'
import type {SlowdownStats} from '../stats/slowdown.js'
import type {RunWarning} from '../stats/validity.js'
import type {CostTable} from './machine/costs.js'

export interface SimConfig {
  /** Policy spec, `name[:opt=value]*`. */
  policy: string
  cores: number
  /** Core clock, GHz (cycles per ns). */
  ghz: number
  seed: number
  /** Name of the cost preset the costs came from (for provenance). */
  costPreset: string
  /** Effective costs, cycles. */
  costs: CostTable
  /** Target offered load ρ (rescales arrivals). Exclusive with `rate`. */
  load?: number
  /** Target arrival rate, requests per second (rescales arrivals). */
  rate?: number
  /** Fraction of the trace's time span excluded from statistics, [0, 1). */
  warmup: number
  /** Constant added to every latency, microseconds. */
  networkRttUs: number
  /** NIC RX ring per queue, descriptors; Infinity = unbounded. */
  nicRing: number
  rssBuckets: number
  /** Accept an offered load >= 1 (queues then grow without bound). */
  allowOverload: boolean
  /** Stop with a LimitError when simulated time exceeds this many seconds. */
  maxSimTimeS: number
  /** Batch-means slices of the intervals and validity checks. */
  batches: number
  /**
   * `--warmup auto`: a pilot run with no warm-up finds the MSER-5 truncation point, and the run
   * is repeated with that cut (recorded in `warmup` and the result's `warmup_cut_us`).
   */
  warmupAuto?: boolean
}

export const DEFAULT_CONFIG: Omit<SimConfig, 'policy' | 'cores' | 'costs'> = {
  ghz: 2.4,
  seed: 1,
  costPreset: 'zero',
  warmup: 0.1,
  networkRttUs: 0,
  nicRing: Infinity,
  rssBuckets: 128,
  allowOverload: false,
  maxSimTimeS: Infinity,
  batches: 10,
}

export interface SimRunOptions {
  records?: RecordSink
  /** Called after each trace batch with requests fed so far. */
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
  /**
   * On abort, stop feeding requests at the next trace batch, simulate the requests already fed to
   * completion, and return their statistics marked `partial` (instead of throwing InterruptedError).
   */
  partialOnAbort?: boolean
  /**
   * Where the statistics are computed (src/stats/stats-thread.ts): 'off' in this thread; 'on' in
   * a statistics thread alongside the simulation; 'auto' (the default) in a statistics thread for
   * runs of at least STATS_THREAD_MIN_REQUESTS requests, from the main thread, when the process
   * may use two CPUs or more and the compiled thread is there. The results are the same.
   */
  statsThread?: 'auto' | 'on' | 'off'
}

/**
 * Latency statistics in microseconds. A percentile is NaN (null in JSON) when fewer than 10
 * measured samples lie above it; each `_ci_low_us`/`_ci_high_us` pair is its 95% interval
 * (sectioning over the batch-means slices; NaN when not supported). See src/stats/intervals.ts.
 */
export interface LatencyUs {
  count: number
  mean_us: number
  min_us: number
  p50_us: number
  p90_us: number
  p99_us: number
  p999_us: number
  p9999_us: number
  max_us: number
  mean_ci_low_us: number
  mean_ci_high_us: number
  p50_ci_low_us: number
  p50_ci_high_us: number
  p90_ci_low_us: number
  p90_ci_high_us: number
  p99_ci_low_us: number
  p99_ci_high_us: number
  p999_ci_low_us: number
  p999_ci_high_us: number
  p9999_ci_low_us: number
  p9999_ci_high_us: number
}

/** One request type's latency (µs) and slowdown. */
export type TypeResult = LatencyUs & {slowdown: SlowdownStats}

export interface RunResult {
  policy: string
  /** Plug-in policies only: the module file's absolute path and SHA-256. */
  policy_module?: {path: string; sha256: string}
  family: 'theory' | 'system'
  cores: number
  ghz: number
  seed: number
  cost_preset: string
  trace: string
  trace_sha256: string
  requests: number
  connections: number
  /** Offered load ρ = λ·E[S]/cores after rescaling. */
  offered_load: number
  offered_rate_rps: number
  service_mean_us: number
  completed: number
  measured: number
  dropped: number
  /** Completed requests per simulated second (first arrival to last completion). */
  throughput_rps: number
  latency: LatencyUs
  /** Mean busy fraction over cores, and its split. */
  util: number
  util_app: number
  util_net: number
  util_per_core: number[]
  counters: Record<string, number>
  metrics: Record<string, number>
  /** Slowdown over all measured requests. */
  slowdown: SlowdownStats
  /** Per request type (the trace's `type` column; empty without one): latency and slowdown. */
  per_type: Record<string, TypeResult>
  /** Validity checks that failed (src/stats/validity.ts), with stable codes. */
  warnings: RunWarning[]
  /** Completions / arrivals over the measured window (1 for a stable run). */
  achieved_ratio: number | null
  /** Warm-up cut applied, µs after the first arrival (`--warmup auto`: where MSER-5 put it). */
  warmup_cut_us: number
  /** Where MSER-5 would cut, µs after the first arrival (null when the run is too short to say). */
  mser_cut_us: number | null
  sim_time_us: number
  events: number
  wall_ms: number
  /** Simulated requests per wall-clock second. */
  sim_rate_rps: number
  tool_version: string
  config: SimConfig
  /**
   * Set when the run was interrupted (SimRunOptions.partialOnAbort): only the first `requests` of
   * the trace's `requests_planned` were fed, and simulated to completion.
   */
  partial?: true
  requests_planned?: number
}
