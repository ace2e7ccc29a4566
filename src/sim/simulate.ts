/**
 * One simulation run: a trace (streamed), a machine, a policy → one result row.
 *
 * Rescaling (docs/model.md §2): `load` or `rate` multiplies every inter-arrival gap by one factor
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
import {isMainThread} from 'node:worker_threads'
import {usableCpus} from '../experiment/cpus.js'
import {type LatencySummary, Recorder, type StatsOptions} from '../stats/recorder.js'
import {STATS_THREAD_MIN_REQUESTS, StatsLink, statsThreadAvailable} from '../stats/stats-thread.js'
import {slowdownStats} from '../stats/slowdown.js'

export {slowdownStats, type SlowdownStats} from '../stats/slowdown.js'
import {Counters} from '../stats/counters.js'
import {checkRun} from '../stats/validity.js'
import type {PreStats, TraceSource} from '../trace/types.js'
import {TOOL} from '../version.js'
import {Engine} from './engine/engine.js'
import {Machine} from './machine/machine.js'
import {RequestTable} from './machine/requests.js'
import type {SimContext} from './policy.js'
import {parsePolicySpec} from './policies/registry.js'
import {loadPolicyModules} from './plugin.js'

export {DEFAULT_CONFIG, type LatencyUs, type RunResult, type SimConfig, type SimRunOptions, type TypeResult} from './run-types.js'
import {DEFAULT_CONFIG, type LatencyUs, type RunResult, type SimConfig, type SimRunOptions, type TypeResult} from './run-types.js'

/** Largest accepted --network-rtt, µs (10 s). */
export const MAX_NETWORK_RTT_US = 1e7
/** The integer clock is exact up to 2^53 cycles; a run that passes it stops with a LimitError. */
export const MAX_SIM_CYCLES = 2 ** 53

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
  if (!(config.networkRttUs >= 0 && config.networkRttUs <= MAX_NETWORK_RTT_US)) {
    throw bad('network-rtt', `a number of microseconds in [0, ${MAX_NETWORK_RTT_US}]`, config.networkRttUs)
  }
  if (!(config.nicRing >= 1)) throw bad('nic-ring', 'a positive number of descriptors', config.nicRing)
  // The generators take unsigned 32-bit seeds: a wider one would silently alias (2^32 equals 0,
  // and -1 equals 2^32 - 1).
  if (!(Number.isInteger(config.seed) && config.seed >= 0 && config.seed <= 2 ** 32 - 1)) {
    throw bad('seed', `an integer in [0, ${2 ** 32 - 1}] (replication r uses seed + r)`, config.seed)
  }
}

/** The rescale factor for inter-arrival gaps, and the resulting offered rate (requests/cycle). */
export function rescaleFactor(stats: Pick<PreStats, 'ratePerCycle' | 'serviceMean' | 'requests' | 'firstArrival' | 'lastArrival'>, config: Pick<SimConfig, 'load' | 'rate' | 'cores' | 'ghz'>): {factor: number; ratePerCycle: number} {
  let target: number | undefined
  if (config.load !== undefined) target = (config.load * config.cores) / stats.serviceMean
  else if (config.rate !== undefined) target = config.rate / (config.ghz * 1e9)
  if (target === undefined) return {factor: 1, ratePerCycle: stats.ratePerCycle}
  const flag = config.load !== undefined ? 'load' : 'rate'
  if (!(stats.ratePerCycle > 0)) {
    throw new ConfigError(
      `Expected a trace whose arrivals span some time to rescale to a --${flag}, got ${stats.requests} arrival(s) all at one instant (span 0); replay it without --load/--rate`,
      {flag},
    )
  }
  const factor = stats.ratePerCycle / target
  // Rescaled arrivals must stay exact integers in float64 (below 2^53 cycles).
  if (stats.firstArrival + (stats.lastArrival - stats.firstArrival) * factor >= 2 ** 53) {
    throw new ConfigError(
      `Expected a --${flag} that keeps the rescaled trace below 2^53 cycles (${(2 ** 53 / config.ghz / 1e9 / 86400).toFixed(1)} days at ${config.ghz} GHz), got one that stretches it ${factor.toPrecision(3)}-fold to ${((stats.lastArrival - stats.firstArrival) * factor / config.ghz / 1e9 / 86400).toPrecision(3)} days; raise --${flag}`,
      {flag},
    )
  }
  return {factor, ratePerCycle: target}
}

/** Whether a run of `requests` requests computes its statistics in a statistics thread. */
function useStatsThread(mode: 'auto' | 'on' | 'off', requests: number): boolean {
  if (mode === 'off') return false
  if (mode === 'on') return true
  return requests >= STATS_THREAD_MIN_REQUESTS && isMainThread && usableCpus() >= 2 && statsThreadAvailable()
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
  if (config.warmupAuto) return simulateAutoWarmup(source, stats, config, opts)
  await loadPolicyModules([config.policy]) // plug-in policies (no-op for built-in names)
  const spec = parsePolicySpec(config.policy)
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
  const statsOpts: StatsOptions = {
    warmupUntil,
    lastArrival: last,
    networkRtt: Math.round(config.networkRttUs * 1000 * config.ghz),
    batches: config.batches,
    firstArrival: first,
    expectedRequests: stats.requests,
  }
  const recorder = new Recorder(requests, {...statsOpts, records: opts.records}, useStatsThread(opts.statsThread ?? 'auto', stats.requests) ? new StatsLink(statsOpts) : undefined)
  // From here on, `recorder.destroy()` (finally) releases the statistics, a statistics thread included,
  // whatever throws (a policy refusing its options, a limit, an interrupt).
  try {
    const engine = new Engine()
    const counters = new Counters()
    const usage = {app: new Float64Array(config.cores), net: new Float64Array(config.cores)}
    const ctx: SimContext = {engine, machine, requests, rng: rng.derive(2), recorder, counters, usage}
    const policy = spec.def.create(ctx, spec.options)
    engine.bind(policy)
    // Simulated time stays an exact integer: a run stops before its clock passes 2^53 cycles.
    const maxCycles = Math.min(config.maxSimTimeS * config.ghz * 1e9, MAX_SIM_CYCLES)
    const limitError = () =>
      new LimitError(
        maxCycles === MAX_SIM_CYCLES
          ? `Simulated time passed 2^53 cycles (${(MAX_SIM_CYCLES / config.ghz / 1e9).toFixed(0)} s at ${config.ghz} GHz), the most the integer clock represents exactly; lower the costs, the trace span or --max-sim-time`
          : `Simulated time passed the limit of ${config.maxSimTimeS} s (--max-sim-time) at ${(Math.max(engine.now, recorder.lastEnd) / config.ghz / 1e9).toFixed(3)} s`,
        {flag: 'max-sim-time'},
      )

    let seq = 0
    // Connections seen, counted on this pass (the statistics taken before it need not have them).
    let connSeen: Uint8Array = new Uint8Array(4096)
    let connections = 0
    // Policies that settle a request at its arrival take its fields directly (see Policy.arriveDirect).
    const direct = policy.arriveDirect !== undefined
    let partial = false
    for await (const b of source.batches()) {
      if (opts.signal?.aborted) {
        if (!opts.partialOnAbort) throw new InterruptedError('Interrupted')
        partial = true
        break
      }
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
    if (engine.pending > 0 || recorder.lastEnd > maxCycles) throw limitError()
    policy.finish?.()
    // Lazy policies (ix, the PS models) settle what is left of their work in `finish`.
    if (recorder.lastEnd > maxCycles) throw limitError()
    recorder.flush()
    await recorder.finish()
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
    const lat = (s: LatencySummary) => latencyUs(s, config.ghz)
    const perType: Record<string, TypeResult> = {}
    const typeSd = recorder.typeSlowdownSummaries()
    for (const [idx, s] of recorder.typeSummaries()) {
      perType[source.typeNames[idx - 1] ?? String(idx - 1)] = {...lat(s), slowdown: slowdownStats(typeSd.get(idx)!)}
    }
    const summary = recorder.summary()
    const validity = checkRun({
      summary,
      series: recorder.series(),
      firstArrival: first,
      warmupUntil,
      lastArrival: last,
      cyclesPerUs: config.ghz * 1000,
      types: Object.entries(perType).map(([name, t]) => [name, t.count] as const),
    })
    const wall = performance.now() - wallStart
    // The fingerprint was computed alongside the run (see preScan); this is where it is needed.
    const sha256 = await stats.sha256
    return {
      policy: spec.spec,
      ...(spec.module ? {policy_module: spec.module} : {}),
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
      latency: lat(summary),
      slowdown: slowdownStats(recorder.slowdownSummary()),
      util: (app + net) / elapsed / config.cores,
      util_app: app / elapsed / config.cores,
      util_net: net / elapsed / config.cores,
      util_per_core: perCore,
      counters: counters.toRecord(),
      metrics: policy.metrics?.() ?? {},
      per_type: perType,
      warnings: validity.warnings,
      achieved_ratio: validity.saturation?.ratio ?? null,
      warmup_cut_us: toUs(warmupUntil - first),
      mser_cut_us: validity.mser ? toUs(validity.mser.cutArrival - first) : null,
      sim_time_us: toUs(elapsed),
      events: engine.events,
      wall_ms: wall,
      sim_rate_rps: seq / (wall / 1000),
      tool_version: TOOL.version,
      config,
      ...(partial ? {partial: true as const, requests_planned: stats.requests} : {}),
    }
  } finally {
    recorder.destroy()
  }
}

/** A recorder summary (cycles) in microseconds. */
export function latencyUs(s: LatencySummary, ghz: number): LatencyUs {
  const toUs = (cycles: number) => cycles / (ghz * 1000)
  return {
    count: s.count,
    mean_us: toUs(s.mean),
    min_us: toUs(s.min),
    p50_us: toUs(s.p50),
    p90_us: toUs(s.p90),
    p99_us: toUs(s.p99),
    p999_us: toUs(s.p999),
    p9999_us: toUs(s.p9999),
    max_us: toUs(s.max),
    mean_ci_low_us: toUs(s.ci.mean.low),
    mean_ci_high_us: toUs(s.ci.mean.high),
    p50_ci_low_us: toUs(s.ci.p50.low),
    p50_ci_high_us: toUs(s.ci.p50.high),
    p90_ci_low_us: toUs(s.ci.p90.low),
    p90_ci_high_us: toUs(s.ci.p90.high),
    p99_ci_low_us: toUs(s.ci.p99.low),
    p99_ci_high_us: toUs(s.ci.p99.high),
    p999_ci_low_us: toUs(s.ci.p999.low),
    p999_ci_high_us: toUs(s.ci.p999.high),
    p9999_ci_low_us: toUs(s.ci.p9999.low),
    p9999_ci_high_us: toUs(s.ci.p9999.high),
  }
}

/**
 * `--warmup auto`: a pilot run without warm-up gives MSER-5's truncation point; the run is then
 * repeated with that cut (deterministic: the same requests and seed give the same trajectory, so
 * the second run measures the pilot's trajectory from the cut on). Costs one extra run.
 */
async function simulateAutoWarmup(source: TraceSource, stats: PreStats, config: SimConfig, opts: SimRunOptions): Promise<RunResult> {
  const pilot = await simulate(source, stats, {...config, warmupAuto: false, warmup: 0}, {signal: opts.signal, partialOnAbort: opts.partialOnAbort})
  // Interrupted during the pilot: its statistics (no warm-up cut) are what there is.
  if (pilot.partial) return {...pilot, config: {...pilot.config, warmupAuto: true}}
  const span = pilot.sim_time_us > 0 ? stats.lastArrival - stats.firstArrival : 0
  const {factor} = rescaleFactor(stats, config)
  const spanUs = (span * factor) / (config.ghz * 1000)
  const cut = pilot.mser_cut_us !== null && spanUs > 0 ? Math.min(0.99, Math.max(0, pilot.mser_cut_us / spanUs)) : config.warmup
  const r = await simulate(source, stats, {...config, warmupAuto: false, warmup: cut}, opts)
  return {...r, config: {...r.config, warmupAuto: true}}
}
