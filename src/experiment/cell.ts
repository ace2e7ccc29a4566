/**
 * Running one cell of a sweep → one result row. Used by the worker threads and by the in-process
 * mode (`jobs: 0`). A cell is a pure function of (sweep spec, cell): the same inputs give the
 * same row, whichever worker runs it and in whatever order (wall-clock columns aside).
 *
 * Seeds: replication r of a latency cell runs with seed + r (synthetic traces are also drawn
 * with trace seed + r); search cells use replication 0.
 *
 * During a max-load search, a run stopped by `--max-sim-time` counts as "SLO not met" at that
 * load (its queues were running away), rather than failing the cell. So does a run flagged
 * `saturated` (its percentiles depend on the run length, not a steady state) and a run whose SLO
 * percentile is n/a (too few samples to say). When even the lowest load misses the SLO, the row
 * carries a `slo_infeasible` warning that says why.
 */
import {LimitError} from '../errors.js'
import {parsePolicySpec} from '../sim/policies/registry.js'
import {loadPolicyModules} from '../sim/plugin.js'
import {simulate, type RunResult} from '../sim/simulate.js'
import {toRow} from '../results/row.js'
import {latencyAt, percentileColumn, type ResultRow} from '../results/schema.js'
import {TOOL} from '../version.js'
import type {Cell, SweepSpec} from './plan.js'
import {scanTrace} from '../trace/scan.js'
import type {TraceStats} from '../trace/types.js'
import type {RunWarning} from '../stats/validity.js'
import {maxLoadAtSlo} from './search.js'
import {sweepBaseId} from './plan.js'
import {describeTarget, type ResolvedTarget, type Slo} from './slo.js'
import {applyVary} from './vary.js'
import {TraceCache} from './trace-input.js'

export interface CellRunOptions {
  signal?: AbortSignal
  cache?: TraceCache
}

export async function runCell(spec: SweepSpec, sweepId: string, cell: Cell, opts: CellRunOptions = {}): Promise<ResultRow> {
  // A plug-in policy is loaded once per thread (worker threads too) and must be the file the sweep planned with.
  await loadPolicyModules([cell.policy], {flag: 'policies', expect: spec.policyModules})
  const cache = opts.cache ?? new TraceCache()
  const trace = spec.traces[cell.trace]
  const {source, stats} = await cache.get(trace.input, cell.replication, trace.stats)
  const varied = applyVary(spec.sim, cell.policy, spec.vary, cell.varyValue)
  const base = {...varied.sim, policy: varied.policy, seed: spec.sim.seed + cell.replication}
  const info = {
    kind: cell.kind,
    sweep_id: sweepId,
    cell_id: cell.id,
    cell_index: cell.index,
    trace: trace.name,
    replication: cell.replication,
    slo: trace.slo,
    ...(spec.vary && cell.varyValue !== undefined ? {vary: {name: spec.vary.name, value: cell.varyValue}} : {}),
    sweep_base_id: sweepBaseId(spec),
  }
  const started = performance.now()
  if (cell.kind === 'latency') {
    const r = await simulate(source, stats, {...base, load: cell.load}, {signal: opts.signal})
    return toRow(r, {...info, load: cell.load})
  }
  // The run at the lowest load evaluated, to explain an infeasible SLO.
  let lowest: {load: number; result?: RunResult} | undefined
  const search = await maxLoadAtSlo<RunResult>(async (load) => {
    try {
      const r = await simulate(source, stats, {...base, load}, {signal: opts.signal})
      if (lowest === undefined || load < lowest.load) lowest = {load, result: r}
      return {meets: meetsSlo(r, trace.slo), result: r}
    } catch (error) {
      if (error instanceof LimitError && error.where.flag === 'max-sim-time') {
        if (lowest === undefined || load < lowest.load) lowest = {load}
        return {meets: false}
      }
      throw error
    }
  }, spec.search)
  const policy = parsePolicySpec(base.policy)
  // Explaining an unmet SLO needs the service-time percentiles, which the statistics taken before
  // a run do not hold: a full pass over the trace, only in this (rare) case.
  const full = search.status === 'unmet' ? ('serviceP99' in stats ? (stats as TraceStats) : await scanTrace(source, {ghz: spec.sim.ghz})) : undefined
  const warnings: RunWarning[] = full !== undefined ? [infeasible(trace.slo, full, spec.sim.ghz, lowest)] : []
  return toRow(search.result ?? null, {
    ...info,
    warnings,
    search: {maxLoad: search.maxLoad, status: search.status, lo: spec.search.lo, hi: spec.search.hi, tol: spec.search.tol, evals: search.evals},
    wall_ms: performance.now() - started,
    service_mean_us: stats.serviceMean / (spec.sim.ghz * 1000),
    trace_sha256: stats.sha256,
    policy: policy.spec,
    ...(policy.module ? {policy_module: policy.module} : {}),
    family: policy.def.family,
    seed: base.seed,
    cores: base.cores,
    ghz: spec.sim.ghz,
    cost_preset: spec.sim.costPreset,
    tool_version: TOOL.version,
    config: base,
  })
}

/**
 * The statistic a target bounds in a run: µs for latency, a ratio for slowdown; NaN when n/a (too
 * few samples, or no measured request of the target's type).
 */
export function sloValue(r: RunResult, t: ResolvedTarget): number {
  const column = percentileColumn(t.percentile)
  if (column === undefined) throw new Error(`internal: no latency column for p${t.percentile}`)
  const typed = t.type !== undefined ? r.per_type[t.type] : undefined
  if (t.type !== undefined && typed === undefined) return NaN
  if (t.metric === 'latency') return latencyAt(typed ?? r.latency, column)
  const sd = typed?.slowdown ?? r.slowdown
  const key = (column as string).replace(/_us$/, '') as 'p50' | 'p90' | 'p99' | 'p999' | 'p9999'
  return sd[key]
}

/** Whether a run meets the SLO: every target's statistic is known and within its bound, and the run is not saturated. */
export function meetsSlo(r: RunResult, slo: Slo): boolean {
  if (r.warnings.some((w) => w.code === 'saturated')) return false
  return slo.targets.every((t) => {
    const v = sloValue(r, t)
    return Number.isFinite(v) && v <= t.bound
  })
}

/** Why the SLO fails even at the lowest load searched. */
export function infeasible(slo: Slo, stats: TraceStats, ghz: number, lowest: {load: number; result?: RunResult} | undefined): RunWarning {
  const us = (cycles: number) => cycles / (ghz * 1000)
  const fmt = (v: number) => Number(v.toPrecision(4)).toString()
  const why: string[] = []
  const r = lowest?.result
  for (const t of slo.targets) {
    if (t.metric !== 'latency' || t.type !== undefined) continue
    const serviceP = t.percentile >= 99 ? stats.serviceP99 : t.percentile >= 50 ? stats.serviceP50 : undefined
    const serviceName = t.percentile >= 99 ? 'p99' : 'p50'
    if (serviceP !== undefined && us(serviceP) > t.bound) {
      why.push(`the service-time ${serviceName} alone (${fmt(us(serviceP))} µs) exceeds the bound of ${fmt(t.bound)} µs`)
    } else if (us(stats.serviceMax) > t.bound && t.percentile >= 99.99) {
      why.push(`the longest service time (${fmt(us(stats.serviceMax))} µs) exceeds the bound`)
    }
  }
  if (lowest !== undefined && r === undefined) why.push(`at load ${lowest.load} the run passed --max-sim-time`)
  else if (r !== undefined) {
    if (r.warnings.some((w) => w.code === 'saturated')) why.push(`at load ${lowest!.load} the system is already saturated (network/kernel time ${(r.util_net * 100).toFixed(0)}% of the cores)`)
    else {
      for (const t of slo.targets) {
        const v = sloValue(r, t)
        const name = describeTarget(t).replace(/ <=.*$/, '')
        const unit = t.metric === 'latency' ? ' µs' : ''
        if (!Number.isFinite(v)) why.push(`at load ${lowest!.load} the ${name} is n/a (too few samples above it)`)
        else if (v > t.bound) {
          let text = `at load ${lowest!.load} the ${name} is ${fmt(v)}${unit} > ${fmt(t.bound)}${unit}`
          if (t.metric === 'latency' && t.type === undefined) {
            const serviceP = t.percentile >= 99 ? stats.serviceP99 : t.percentile >= 50 ? stats.serviceP50 : undefined
            const serviceName = t.percentile >= 99 ? 'p99' : 'p50'
            const overhead = v - (serviceP !== undefined ? us(serviceP) : 0)
            if (serviceP !== undefined && overhead > 0) text += `, of which ${fmt(overhead)} µs above the service-time ${serviceName} (per-request overheads and queueing of the policy)`
          }
          why.push(text)
        }
      }
    }
  }
  return {code: 'slo_infeasible', message: `SLO ${slo.text} cannot be met at any load searched: ${why.join('; ') || 'the SLO statistic exceeds its bound at the lowest load'}`}
}
