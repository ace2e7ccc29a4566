/**
 * Building result rows (schema.ts describes the columns): one row from a run and its cell
 * (`toRow`), the efficiency column filled once a sweep's rows are all in (`withEfficiency`), and
 * reading a row's JSON columns back (`jsonColumn`).
 */
import type {RunResult} from '../sim/simulate.js'
import type {RunWarning} from '../stats/validity.js'
import {configDoc} from './naming.js'
import {perTypeRows} from './per-type.js'
import {type ResultRow, type RowKind, SCHEMA_VERSION, type SearchStatus} from './schema.js'

/** What a cell contributes to its row besides the RunResult. */
export interface CellInfo {
  kind: RowKind
  sweep_id: string
  cell_id: string
  cell_index: number
  /** The trace as named on the command line. */
  trace: string
  replication: number
  /** Target load (latency cells). */
  load?: number
  /** `--vary`: the parameter and this cell's value; the sweep id without the varied values. */
  vary?: {name: string; value: string}
  sweep_base_id?: string
  /** The SLO: first target's percentile and bound (µs; NaN when a slowdown), and all targets as text. */
  slo: {percentile: number; us: number; spec?: string}
  /** max_load cells: the search outcome. */
  search?: {maxLoad: number; status: SearchStatus; lo: number; hi: number; tol: number; evals: number}
  /** Warnings of the cell itself (e.g. an infeasible SLO), added to the run's. */
  warnings?: RunWarning[]
  /** Wall time of the whole cell, ms (defaults to the run's). */
  wall_ms?: number
  /** Mean service time of the trace, µs (used when `result` is null). */
  service_mean_us?: number
  /** Trace fingerprint and tool version (used when `result` is null). */
  trace_sha256?: string
  policy?: string
  family?: string
  seed?: number
  cores?: number
  ghz?: number
  cost_preset?: string
  tool_version?: string
  config?: unknown
  /** Plug-in policies (used when `result` is null). */
  policy_module?: {path: string; sha256: string}
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null)

/**
 * One result row from a run and its cell. `result` may be null only for a `max_load` cell whose
 * SLO was not met at any load (then the run columns are null and the identity columns come from
 * `cell`).
 */
export function toRow(result: RunResult | null, cell: CellInfo): ResultRow {
  const r = result
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`internal: toRow without a result needs cell.${what}`)
    return v
  }
  const lat = r?.latency
  const sd = r?.slowdown
  const search = cell.search
  const load = cell.kind === 'max_load' ? need(search, 'search').maxLoad : need(cell.load, 'load')
  return {
    schema_version: SCHEMA_VERSION,
    kind: cell.kind,
    sweep_id: cell.sweep_id,
    cell_id: cell.cell_id,
    cell_index: cell.cell_index,
    trace: cell.trace,
    trace_sha256: r?.trace_sha256 ?? need(cell.trace_sha256, 'trace_sha256'),
    policy: r?.policy ?? need(cell.policy, 'policy'),
    family: r?.family ?? need(cell.family, 'family'),
    replication: cell.replication,
    seed: r?.seed ?? need(cell.seed, 'seed'),
    cores: r?.cores ?? need(cell.cores, 'cores'),
    ghz: r?.ghz ?? need(cell.ghz, 'ghz'),
    cost_preset: r?.cost_preset ?? need(cell.cost_preset, 'cost_preset'),
    load,
    offered_load: r ? r.offered_load : null,
    offered_rate_rps: r ? r.offered_rate_rps : null,
    service_mean_us: r?.service_mean_us ?? need(cell.service_mean_us, 'service_mean_us'),
    requests: r ? r.requests : null,
    connections: r ? r.connections : null,
    completed: r ? r.completed : null,
    measured: r ? r.measured : null,
    dropped: r ? r.dropped : null,
    throughput_rps: r ? r.throughput_rps : null,
    mean_us: lat ? finite(lat.mean_us) : null,
    p50_us: lat ? finite(lat.p50_us) : null,
    p90_us: lat ? finite(lat.p90_us) : null,
    p99_us: lat ? finite(lat.p99_us) : null,
    p999_us: lat ? finite(lat.p999_us) : null,
    p9999_us: lat ? finite(lat.p9999_us) : null,
    max_us: lat ? finite(lat.max_us) : null,
    p99_ci_low_us: lat ? finite(lat.p99_ci_low_us) : null,
    p99_ci_high_us: lat ? finite(lat.p99_ci_high_us) : null,
    min_us: lat ? finite(lat.min_us) : null,
    mean_ci_low_us: lat ? finite(lat.mean_ci_low_us) : null,
    mean_ci_high_us: lat ? finite(lat.mean_ci_high_us) : null,
    p50_ci_low_us: lat ? finite(lat.p50_ci_low_us) : null,
    p50_ci_high_us: lat ? finite(lat.p50_ci_high_us) : null,
    p90_ci_low_us: lat ? finite(lat.p90_ci_low_us) : null,
    p90_ci_high_us: lat ? finite(lat.p90_ci_high_us) : null,
    p999_ci_low_us: lat ? finite(lat.p999_ci_low_us) : null,
    p999_ci_high_us: lat ? finite(lat.p999_ci_high_us) : null,
    p9999_ci_low_us: lat ? finite(lat.p9999_ci_low_us) : null,
    p9999_ci_high_us: lat ? finite(lat.p9999_ci_high_us) : null,
    slowdown_mean: sd ? finite(sd.mean) : null,
    slowdown_p50: sd ? finite(sd.p50) : null,
    slowdown_p90: sd ? finite(sd.p90) : null,
    slowdown_p99: sd ? finite(sd.p99) : null,
    slowdown_p99_ci_low: sd ? finite(sd.p99_ci_low) : null,
    slowdown_p99_ci_high: sd ? finite(sd.p99_ci_high) : null,
    slowdown_p999: sd ? finite(sd.p999) : null,
    slowdown_p999_ci_low: sd ? finite(sd.p999_ci_low) : null,
    slowdown_p999_ci_high: sd ? finite(sd.p999_ci_high) : null,
    slowdown_p9999: sd ? finite(sd.p9999) : null,
    slowdown_max: sd ? finite(sd.max) : null,
    slowdown_min: sd ? finite(sd.min) : null,
    per_type: r ? perTypeRows(r.per_type) : [],
    warnings: [...new Set([...(r?.warnings ?? []), ...(cell.warnings ?? [])].map((w) => w.code))].join(','),
    warnings_json: JSON.stringify([...(r?.warnings ?? []), ...(cell.warnings ?? [])]),
    achieved_ratio: r ? r.achieved_ratio : null,
    warmup_cut_us: r ? r.warmup_cut_us : null,
    mser_cut_us: r ? r.mser_cut_us : null,
    vary_name: cell.vary?.name ?? '',
    vary_value: cell.vary?.value ?? '',
    sweep_base_id: cell.sweep_base_id ?? cell.sweep_id,
    util: r ? r.util : null,
    util_app: r ? r.util_app : null,
    util_net: r ? r.util_net : null,
    sim_time_us: r ? r.sim_time_us : null,
    events: r ? r.events : null,
    wall_ms: cell.wall_ms ?? r?.wall_ms ?? 0,
    slo_percentile: cell.slo.percentile,
    slo_us: finite(cell.slo.us),
    slo: cell.slo.spec ?? '',
    max_load: search ? search.maxLoad : null,
    search_status: search ? search.status : null,
    search_lo: search ? search.lo : null,
    search_hi: search ? search.hi : null,
    search_tol: search ? search.tol : null,
    search_evals: search ? search.evals : null,
    efficiency: null,
    counters_json: JSON.stringify(r?.counters ?? {}),
    metrics_json: JSON.stringify(r?.metrics ?? {}),
    per_type_json: JSON.stringify(r?.per_type ?? {}),
    util_per_core_json: JSON.stringify(r?.util_per_core ?? []),
    config_json: JSON.stringify(configDoc(r?.config ?? cell.config ?? {})),
    tool_version: r?.tool_version ?? need(cell.tool_version, 'tool_version'),
    policy_module: (r ? r.policy_module : cell.policy_module)?.path ?? '',
    policy_module_sha256: (r ? r.policy_module : cell.policy_module)?.sha256 ?? '',
  }
}

/**
 * Fill `efficiency` of `max_load` rows: max_load / the mgn-fcfs max_load of the same trace
 * (by SHA-256), SLO, cores, replication and --vary value. Rows without a usable reference keep null. Returns new rows.
 */
export function withEfficiency(rows: readonly ResultRow[]): ResultRow[] {
  const refOf = efficiencyReference(rows)
  return rows.map((r) => {
    if (r.kind !== 'max_load' || r.max_load === null) return r
    const m = refOf(r)
    return {...r, efficiency: m === undefined ? null : r.max_load / m}
  })
}

/**
 * The reference of a max_load row's efficiency: the `mgn-fcfs` max load of the same trace, SLO,
 * cores, replication and --vary value among `rows` (undefined when absent or 0).
 */
export function efficiencyReference(rows: readonly ResultRow[]): (r: ResultRow) => number | undefined {
  // Paired by replication (the same trace draw and seed) and --vary value.
  const key = (r: ResultRow) => `${r.trace_sha256}|${r.slo_percentile}|${r.slo_us}|${r.slo}|${r.cores}|${r.replication}|${r.vary_name}=${r.vary_value}`
  const ref = new Map<string, number>()
  for (const r of rows) {
    if (r.kind === 'max_load' && r.policy === 'mgn-fcfs' && r.max_load !== null && r.max_load > 0) ref.set(key(r), r.max_load)
  }
  return (r) => ref.get(key(r))
}

/** Parse a JSON column of a row (counters_json etc.), tolerating an empty string. */
export function jsonColumn<T>(row: ResultRow, column: 'counters_json' | 'metrics_json' | 'per_type_json' | 'util_per_core_json' | 'config_json'): T {
  const text = row[column]
  return (text === '' ? {} : JSON.parse(text)) as T
}

