/**
 * Running one cell of a sweep → one result row. Used by the worker threads and by the in-process
 * mode (`jobs: 0`). A cell is a pure function of (sweep spec, cell): the same inputs give the
 * same row, whichever worker runs it and in whatever order (wall-clock columns aside).
 *
 * Seeds: replication r of a latency cell runs with seed + r (synthetic traces are also drawn
 * with trace seed + r); search cells use replication 0.
 *
 * During a max-load search, a run stopped by `--max-sim-time` counts as "SLO not met" at that
 * load (its queues were running away), rather than failing the cell.
 */
import {LimitError} from '../errors.js'
import {parsePolicySpec} from '../sim/policies/registry.js'
import {simulate, type RunResult} from '../sim/simulate.js'
import {latencyAt, percentileColumn, toRow, type ResultRow} from '../results/schema.js'
import {TOOL} from '../version.js'
import type {Cell, SweepSpec} from './plan.js'
import {maxLoadAtSlo} from './search.js'
import {TraceCache} from './trace-input.js'

export interface CellRunOptions {
  signal?: AbortSignal
  cache?: TraceCache
}

export async function runCell(spec: SweepSpec, sweepId: string, cell: Cell, opts: CellRunOptions = {}): Promise<ResultRow> {
  const cache = opts.cache ?? new TraceCache()
  const trace = spec.traces[cell.trace]
  const {source, stats} = await cache.get(trace.input, cell.replication, trace.stats)
  const base = {...spec.sim, policy: cell.policy, seed: spec.sim.seed + cell.replication}
  const info = {
    kind: cell.kind,
    sweep_id: sweepId,
    cell_id: cell.id,
    cell_index: cell.index,
    trace: trace.name,
    replication: cell.replication,
    slo: trace.slo,
  }
  const started = performance.now()
  if (cell.kind === 'latency') {
    const r = await simulate(source, stats, {...base, load: cell.load}, {signal: opts.signal})
    return toRow(r, {...info, load: cell.load})
  }
  const column = percentileColumn(trace.slo.percentile)
  if (column === undefined) throw new Error(`internal: no latency column for p${trace.slo.percentile}`)
  const search = await maxLoadAtSlo<RunResult>(async (load) => {
    try {
      const r = await simulate(source, stats, {...base, load}, {signal: opts.signal})
      const v = latencyAt(r.latency, column)
      return {meets: v <= trace.slo.us, result: r}
    } catch (error) {
      if (error instanceof LimitError && error.where.flag === 'max-sim-time') return {meets: false}
      throw error
    }
  }, spec.search)
  const policy = parsePolicySpec(cell.policy)
  return toRow(search.result ?? null, {
    ...info,
    search: {maxLoad: search.maxLoad, status: search.status, lo: spec.search.lo, hi: spec.search.hi, tol: spec.search.tol, evals: search.evals},
    wall_ms: performance.now() - started,
    service_mean_us: stats.serviceMean / (spec.sim.ghz * 1000),
    trace_sha256: stats.sha256,
    policy: policy.spec,
    family: policy.def.family,
    seed: base.seed,
    cores: spec.sim.cores,
    ghz: spec.sim.ghz,
    cost_preset: spec.sim.costPreset,
    tool_version: TOOL.version,
    config: base,
  })
}
