/**
 * Independent replications of one simulation (docs/model.md §6: "a 95% interval on p99 from
 * replications with independent seeds").
 *
 * Replication r (0-based) runs with simulation seed `config.seed + r` (the RSS salt and every
 * random choice of the policy are derived from it) and, for synthetic input, on a trace the caller
 * regenerates for r (by convention with trace seed + r, as `compare` does). For a trace file the
 * requests are the same in every replication, so only the simulator's own randomness varies; the
 * interval then says nothing about the sampling error of the trace itself, and says so in
 * `traceVaries`.
 *
 * The interval: the k per-replication statistics (p50 … p99.99, mean) are independent and
 * identically distributed, so mean ± t₀.₉₇₅(k−1)·sd/√k is a 95% t-interval on the expected value
 * of that statistic for a run of this length (for long runs, on the statistic itself), clamped to
 * the observed [min, max]. The single-run sectioning intervals are in each RunResult
 * (`latency.*_ci_*_us`).
 */
import {ConfigError} from '../errors.js'
import {meanCi} from '../stats/intervals.js'
import {perTypeReplicas, replicaStat, slowdownReplicas, type ReplicaInterval, type ReplicaStat, type SlowdownReplicas, type TypeReplicas} from './replication-stats.js'
import type {RecordSink} from '../stats/recorder.js'
import {simulate, type RunResult, type SimConfig} from '../sim/simulate.js'
import type {PreStats, TraceSource} from '../trace/types.js'

/** The input of replication r: its trace stream and that trace's one-pass statistics. */
export interface ReplicaInput {
  source: TraceSource
  stats: PreStats
}

export interface ReplicationOptions {
  /** Number of replications k >= 1. */
  replications: number
  /** Input for replication r (called once per replication, in order). */
  input(r: number): Promise<ReplicaInput> | ReplicaInput
  /** Whether `input(r)` gives a different trace per replication (synthetic input). */
  traceVaries: boolean
  /** Per-request records of replication 0 only. */
  records?: RecordSink
  /** Progress over all replications: requests fed so far and the total. */
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
  /**
   * On abort, end with what was done instead of throwing: replication r stops feeding requests and
   * returns its partial statistics (see SimRunOptions.partialOnAbort); no later replication runs.
   * A partial replication after the first is left out of `runs` and the summary (an interval over
   * replications needs whole runs); the outcome says so in `interrupted`.
   */
  partialOnAbort?: boolean
}

export type {ReplicaInterval, ReplicaStat, SlowdownReplicas, TypeReplicas} from './replication-stats.js'

export interface ReplicationSummary {
  k: number
  /** Simulation seeds used, one per replication. */
  seeds: number[]
  traceVaries: boolean
  /** Per-replication values, µs. */
  p99_us: number[]
  mean_us: number[]
  /** 95% t-intervals across replications, µs. */
  p99: ReplicaInterval
  mean: ReplicaInterval
  throughput_rps: ReplicaInterval
  /**
   * Every reported latency statistic: mean of the k runs ± 95% t-interval, clamped to the
   * observed [min, max] of all runs. A statistic that some run could not report (too few samples)
   * is NaN (null in JSON), mean included, and `na_runs` says in how many runs it was missing.
   */
  latency: Record<'mean' | 'p50' | 'p90' | 'p99' | 'p999' | 'p9999', ReplicaStat>
  /** Slowdown over all measured requests, by the same rules (replication-stats.ts). */
  slowdown: SlowdownReplicas
  /** Each request type of the trace (none without a type column), by the same rules. */
  per_type: Record<string, TypeReplicas>
  /** Distinct warning codes of the runs, with how many runs raised each. */
  warnings: Record<string, number>
}

export interface ReplicationsOutcome {
  /** Every replication's full result, in order (replication 0 first). */
  runs: RunResult[]
  summary: ReplicationSummary
  /** Set when the run was interrupted: the replication that was running (0-based) and k. */
  interrupted?: {replication: number; of: number}
}

export function interval(xs: readonly number[]): ReplicaInterval {
  const {mean, half} = meanCi(xs)
  return {mean, low: mean - half, high: mean + half, half}
}

/** Run k independent replications of `config` and summarise them. */
export async function runReplications(config: SimConfig, opts: ReplicationOptions): Promise<ReplicationsOutcome> {
  const k = opts.replications
  if (!(Number.isInteger(k) && k >= 1 && k <= 10_000)) {
    throw new ConfigError(`Expected \`replications\` to be an integer from 1 to 10000, got ${String(k)}`, {flag: 'replications'})
  }
  const runs: RunResult[] = []
  let before = 0
  let grandTotal = 0
  let interrupted: ReplicationsOutcome['interrupted']
  for (let r = 0; r < k; r++) {
    if (r > 0 && opts.partialOnAbort && opts.signal?.aborted) {
      interrupted = {replication: r, of: k}
      break
    }
    const {source, stats} = await opts.input(r)
    // Total for progress: replication 0's size times k (exact for files and fixed-size synthetic traces).
    if (r === 0) grandTotal = stats.requests * k
    const seed = config.seed + r
    const offset = before
    const result = await simulate(source, stats, {...config, seed}, {
      records: r === 0 ? opts.records : undefined,
      signal: opts.signal,
      partialOnAbort: opts.partialOnAbort,
      onProgress: opts.onProgress ? (done) => opts.onProgress!(offset + done, grandTotal) : undefined,
    })
    before += result.requests
    if (result.partial) {
      interrupted = {replication: r, of: k}
      if (r === 0) runs.push(result)
      break
    }
    runs.push(result)
  }
  const p99 = runs.map((x) => x.latency.p99_us)
  const mean = runs.map((x) => x.latency.mean_us)
  const lo = Math.min(...runs.map((x) => x.latency.min_us))
  const hi = Math.max(...runs.map((x) => x.latency.max_us))
  const iv = (xs: number[]): ReplicaStat => replicaStat(xs, lo, hi)
  const warnings: Record<string, number> = {}
  for (const x of runs) for (const code of new Set(x.warnings.map((w) => w.code))) warnings[code] = (warnings[code] ?? 0) + 1
  return {
    runs,
    ...(interrupted !== undefined ? {interrupted} : {}),
    summary: {
      k,
      seeds: runs.map((x) => x.seed),
      traceVaries: opts.traceVaries,
      p99_us: p99,
      mean_us: mean,
      p99: iv(p99),
      mean: iv(mean),
      throughput_rps: interval(runs.map((x) => x.throughput_rps)),
      latency: {
        mean: iv(mean),
        p50: iv(runs.map((x) => x.latency.p50_us)),
        p90: iv(runs.map((x) => x.latency.p90_us)),
        p99: iv(p99),
        p999: iv(runs.map((x) => x.latency.p999_us)),
        p9999: iv(runs.map((x) => x.latency.p9999_us)),
      },
      slowdown: slowdownReplicas(runs),
      per_type: perTypeReplicas(runs),
      warnings,
    },
  }
}
