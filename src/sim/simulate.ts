/**
 * One simulation run: a trace (streamed), a machine, a policy → one result row.
 *
 * Rescaling (MODEL.md §2): `load` or `rate` multiplies every inter-arrival gap by one factor
 * f = (trace rate) / (target rate), computed from the trace's statistics (preScan); arrival i
 * becomes first + round((a_i − first)·f). Service times never change. The offered load reported is
 * ρ = λ·E[S]/cores for the rescaled trace.
 *
 * The loop allocates nothing per request: slots come from a reusable table, events from a
 * typed-array heap, latencies go into HDR histograms.
 */
import {ConfigError, LimitError, TailsimError} from '../errors.js'
import {Rng} from '../rng.js'
import {roundHalfUp} from '../round.js'
import {initHistograms} from '../stats/histogram.js'
import {type LatencySummary, Recorder, type RecordSink} from '../stats/recorder.js'
import {Counters} from '../stats/counters.js'
import type {PreStats, TraceSource} from '../trace/types.js'
import {TOOL} from '../version.js'
import {Engine} from './engine/engine.js'
import {type CostTable} from './machine/costs.js'
import {Machine} from './machine/machine.js'
import {RequestTable} from './machine/requests.js'
import type {SimContext} from './policy.js'
import {parsePolicySpec} from './policies/registry.js'

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
  /** Batch-means slices for the p99 interval. */
  batches: number
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
}

/** Latency statistics in microseconds. */
export interface LatencyUs {
  count: number
  mean_us: number
  p50_us: number
  p90_us: number
  p99_us: number
  p999_us: number
  p9999_us: number
  max_us: number
  p99_ci_low_us: number
  p99_ci_high_us: number
}

export interface RunResult {
  policy: string
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
  per_type: Record<string, LatencyUs>
  sim_time_us: number
  events: number
  wall_ms: number
  /** Simulated requests per wall-clock second. */
  sim_rate_rps: number
  tool_version: string
  config: SimConfig
}

export class InterruptedError extends TailsimError {
  override readonly exitCode = 130
  override readonly code = 'INTERRUPTED'
}

function validate(config: SimConfig): void {
  const bad = (flag: string, what: string, got: unknown) =>
    new ConfigError(`Expected \`${flag}\` to be ${what}, got ${String(got)}`, {flag})
  if (!(config.ghz > 0 && Number.isFinite(config.ghz))) throw bad('ghz', 'a positive number', config.ghz)
  if (!(config.warmup >= 0 && config.warmup < 1)) throw bad('warmup', 'a fraction in [0, 1)', config.warmup)
  if (config.load !== undefined && config.rate !== undefined) {
    throw new ConfigError('Expected at most one of --load and --rate, got both', {flag: 'load'})
  }
  if (config.load !== undefined && !(config.load > 0 && Number.isFinite(config.load))) throw bad('load', 'a positive number', config.load)
  if (config.rate !== undefined && !(config.rate > 0 && Number.isFinite(config.rate))) throw bad('rate', 'a positive number of requests/s', config.rate)
  if (!(config.networkRttUs >= 0)) throw bad('network-rtt', 'a non-negative number of microseconds', config.networkRttUs)
  if (!(config.nicRing >= 1)) throw bad('nic-ring', 'a positive number of descriptors', config.nicRing)
  if (!Number.isInteger(config.seed)) throw bad('seed', 'an integer', config.seed)
}

/** The rescale factor for inter-arrival gaps, and the resulting offered rate (requests/cycle). */
export function rescaleFactor(stats: Pick<PreStats, 'ratePerCycle' | 'serviceMean'>, config: Pick<SimConfig, 'load' | 'rate' | 'cores' | 'ghz'>): {factor: number; ratePerCycle: number} {
  let target: number | undefined
  if (config.load !== undefined) target = (config.load * config.cores) / stats.serviceMean
  else if (config.rate !== undefined) target = config.rate / (config.ghz * 1e9)
  if (target === undefined || !(stats.ratePerCycle > 0)) return {factor: 1, ratePerCycle: stats.ratePerCycle}
  return {factor: stats.ratePerCycle / target, ratePerCycle: target}
}

/** A copy of `a` with room for index `k`. */
function grow(a: Uint8Array, k: number): Uint8Array {
  const g = new Uint8Array(Math.max(a.length * 2, k + 1))
  g.set(a)
  return g
}

export async function simulate(
  source: TraceSource,
  stats: PreStats,
  config: SimConfig,
  opts: SimRunOptions = {},
): Promise<RunResult> {
  validate(config)
  const spec = parsePolicySpec(config.policy)
  await initHistograms()
  const wallStart = performance.now()

  if (stats.requests === 0) throw new ConfigError(`The trace ${source.name} has no requests`)
  const {factor, ratePerCycle} = rescaleFactor(stats, config)
  const offeredLoad = (ratePerCycle * stats.serviceMean) / config.cores
  if (offeredLoad >= 1 && !config.allowOverload) {
    throw new LimitError(
      `The offered load is ${offeredLoad.toFixed(3)} (>= 1): queues would grow without bound. ` +
        'Lower --load/--rate or pass --allow-overload to simulate it anyway.',
      {flag: 'allow-overload'},
    )
  }
  const first = stats.firstArrival
  const last = first + roundHalfUp((stats.lastArrival - first) * factor)
  const warmupUntil = first + config.warmup * (last - first)

  const rng = new Rng(config.seed)
  const machine = new Machine({
    cores: config.cores,
    ghz: config.ghz,
    rssBuckets: config.rssBuckets,
    nicRing: config.nicRing,
    costs: config.costs,
    rssSalt: rng.derive(1).uint32(),
  })
  const requests = new RequestTable(1024)
  const recorder = new Recorder(requests, {
    warmupUntil,
    lastArrival: last,
    networkRtt: Math.round(config.networkRttUs * 1000 * config.ghz),
    batches: config.batches,
    records: opts.records,
  })
  const engine = new Engine()
  const counters = new Counters()
  const usage = {app: new Float64Array(config.cores), net: new Float64Array(config.cores)}
  const ctx: SimContext = {engine, machine, requests, rng: rng.derive(2), recorder, counters, usage}
  const policy = spec.def.create(ctx, spec.options)
  engine.bind(policy)
  const maxCycles = config.maxSimTimeS * config.ghz * 1e9
  const limitError = () =>
    new LimitError(
      `Simulated time passed the limit of ${config.maxSimTimeS} s (--max-sim-time) at ${(Math.max(engine.now, recorder.lastEnd) / config.ghz / 1e9).toFixed(3)} s`,
      {flag: 'max-sim-time'},
    )

  let seq = 0
  // Connections seen, counted on this pass (the statistics taken before it need not have them).
  let connSeen: Uint8Array = new Uint8Array(4096)
  let connections = 0
  // Policies that settle a request at its arrival take its fields directly (see Policy.arriveDirect).
  const direct = policy.arriveDirect !== undefined
  try {
    for await (const b of source.batches()) {
      if (opts.signal?.aborted) throw new InterruptedError('Interrupted')
      const n = b.length
      const arr = b.arrival
      const svc = b.service
      const cn = b.conn
      const ty = b.type
      for (let i = 0; i < n; i++) {
        const c = cn[i]
        if (c >= connSeen.length) connSeen = grow(connSeen, c)
        if (connSeen[c] === 0) {
          connSeen[c] = 1
          connections++
        }
      }
      for (let i = 0; i < n; i++) {
        const t = factor === 1 ? arr[i] : first + roundHalfUp((arr[i] - first) * factor)
        engine.advanceTo(t)
        if (direct) {
          policy.arriveDirect!(seq++, t, svc[i], cn[i], ty === undefined ? 0 : ty[i] + 1)
        } else {
          const slot = requests.alloc(seq++, t, svc[i], cn[i], ty === undefined ? 0 : ty[i] + 1)
          policy.arrive(slot)
        }
      }
      opts.onProgress?.(seq, stats.requests)
      if (engine.now > maxCycles) throw limitError()
    }
    engine.drain(maxCycles)
    // Policies that compute completions without events (the FCFS recursions) report them
    // through the recorder: the limit applies to those too.
    if (engine.queue.size > 0 || recorder.lastEnd > maxCycles) throw limitError()
    policy.finish?.()
    recorder.flush()
    if (recorder.completed + recorder.dropped !== seq || requests.live !== 0) {
      throw new Error(
        `internal: ${seq} requests fed but ${recorder.completed} completed and ${recorder.dropped} dropped (${requests.live} still held)`,
      )
    }

    const elapsed = Math.max(1, recorder.lastEnd - first)
    const perCore: number[] = []
    let app = 0
    let net = 0
    for (let c = 0; c < config.cores; c++) {
      perCore.push((usage.app[c] + usage.net[c]) / elapsed)
      app += usage.app[c]
      net += usage.net[c]
    }
    const toUs = (cycles: number) => cycles / (config.ghz * 1000)
    const lat = (s: LatencySummary): LatencyUs => ({
      count: s.count,
      mean_us: toUs(s.mean),
      p50_us: toUs(s.p50),
      p90_us: toUs(s.p90),
      p99_us: toUs(s.p99),
      p999_us: toUs(s.p999),
      p9999_us: toUs(s.p9999),
      max_us: toUs(s.max),
      p99_ci_low_us: toUs(s.p99CiLow),
      p99_ci_high_us: toUs(s.p99CiHigh),
    })
    const perType: Record<string, LatencyUs> = {}
    for (const [idx, s] of recorder.typeSummaries()) perType[source.typeNames[idx - 1] ?? String(idx - 1)] = lat(s)
    const wall = performance.now() - wallStart
    // The fingerprint was computed alongside the run (see preScan); this is where it is needed.
    const sha256 = await stats.sha256
    return {
      policy: spec.spec,
      family: spec.def.family,
      cores: config.cores,
      ghz: config.ghz,
      seed: config.seed,
      cost_preset: config.costPreset,
      trace: source.name,
      trace_sha256: sha256,
      requests: seq,
      connections,
      offered_load: offeredLoad,
      offered_rate_rps: ratePerCycle * config.ghz * 1e9,
      service_mean_us: toUs(stats.serviceMean),
      completed: recorder.completed,
      measured: recorder.measured,
      dropped: recorder.dropped,
      throughput_rps: (recorder.completed / elapsed) * config.ghz * 1e9,
      latency: lat(recorder.summary()),
      util: (app + net) / elapsed / config.cores,
      util_app: app / elapsed / config.cores,
      util_net: net / elapsed / config.cores,
      util_per_core: perCore,
      counters: counters.toRecord(),
      metrics: policy.metrics?.() ?? {},
      per_type: perType,
      sim_time_us: toUs(elapsed),
      events: engine.events,
      wall_ms: wall,
      sim_rate_rps: seq / (wall / 1000),
      tool_version: TOOL.version,
      config,
    }
  } finally {
    recorder.destroy()
  }
}
