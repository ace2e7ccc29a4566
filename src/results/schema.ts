/**
 * The flat result row of tailsim sweeps: one row per finished cell, the same columns in every part
 * file, so any set of parts concatenates (Parquet, Arrow IPC, JSON; DuckDB `read_parquet('dir/*.parquet')`).
 *
 * Row kinds:
 * - `latency`: one simulation at one offered load (trace × policy × load × replication). The
 *   latency/throughput/utilisation columns are that run's.
 * - `max_load`: the max-load-at-SLO search of one trace × policy. `max_load` is the largest load
 *   found to meet the SLO (bisection, the true value lies in [max_load, max_load + tolerance]);
 *   the latency/throughput columns are those of the run *at* `max_load` (NaN-free: null when the
 *   SLO was not met even at the lowest load searched). `efficiency` (max load / the `mgn-fcfs` max
 *   load of the same trace and SLO) is filled by `withEfficiency` once a sweep's rows are all in
 *   (a part whose reference cell lives in another shard keeps null; report fills it on reading).
 *
 * Dynamic things (counters, policy metrics, per-type latencies, per-core utilisation, the config)
 * are JSON text in memory, so every row has the same shape whatever the policy; files store them
 * as typed lists and structs (./file-columns.ts), with unit-suffixed names (./naming.ts).
 *
 * Per-type results are a typed column `per_type`: a list of structs, one per request type
 * (PER_TYPE_FIELDS; an empty list when the trace has no types); `per_type_json` keeps the run's
 * full per-type record as JSON text.
 *
 * Slowdown (dimensionless, no unit suffix) = time in the server / the request's service time in
 * the trace; see src/stats/recorder.ts.
 *
 * Provenance: tool version, trace SHA-256, seed, the full config JSON, and `sweep_id` = SHA-256 of
 * the sweep's canonical config (traces by content, policies, loads, replications, SLO, search
 * bounds, simulation config; *not* shard, jobs or output paths). Parts with different `sweep_id`s
 * are refused when merged.
 *
 * Units: times in microseconds (`_us`), rates in requests per second (`_rps`), loads and
 * utilisations as fractions.
 */
import type {LatencyUs} from '../sim/simulate.js'
import type {PerTypeRow} from './per-type.js'

export {PER_TYPE_FIELDS, perTypeRows, rowSloValue, type PerTypeField, type PerTypeRow} from './per-type.js'

/**
 * Bump when a column changes meaning or is removed; readers refuse newer versions. Version 3 added
 * slowdown, the typed `per_type` column and `slo`; version 4 is the typed file layout of
 * ./file-columns.ts (integer columns, lists and structs instead of JSON text, unit-suffixed
 * names); files of versions 1–3 are still read (see ./arrow.ts). A column added within version 4
 * (`since: 4`, e.g. `slowdown_min`) may be missing from version-4 files written before it: it reads
 * as null.
 */
export const SCHEMA_VERSION = 4

export type RowKind = 'latency' | 'max_load'

/**
 * Outcome of a max-load search:
 * - `ok`: the SLO holds at `max_load` and fails within `max_load + tolerance`;
 * - `unmet`: the SLO fails even at the lowest load searched (`max_load` = 0);
 * - `at_upper_bound`: the SLO holds at the highest load searched (`max_load` = that bound; the
 *   true max load may be higher).
 */
export type SearchStatus = 'ok' | 'unmet' | 'at_upper_bound'

export interface ResultRow {
  schema_version: number
  kind: RowKind
  /** SHA-256 (hex) of the sweep's canonical config. */
  sweep_id: string
  /** Stable identity of the cell inside its sweep, e.g. `L|0|zygos|0.5|0` (see experiment/plan). */
  cell_id: string
  /** Position of the cell in the sweep's deterministic order. */
  cell_index: number
  /** The trace as the user named it (path or `synthetic:SPEC`). */
  trace: string
  trace_sha256: string
  /** Canonical policy spec, `name[:opt=value]*`. */
  policy: string
  family: string
  replication: number
  seed: number
  cores: number
  ghz: number
  cost_preset: string
  /** Target offered load of a `latency` cell; the max load found for a `max_load` cell. */
  load: number | null
  offered_load: number | null
  offered_rate_rps: number | null
  service_mean_us: number
  requests: number | null
  connections: number | null
  completed: number | null
  measured: number | null
  dropped: number | null
  throughput_rps: number | null
  mean_us: number | null
  p50_us: number | null
  p90_us: number | null
  p99_us: number | null
  p999_us: number | null
  p9999_us: number | null
  max_us: number | null
  p99_ci_low_us: number | null
  p99_ci_high_us: number | null
  /** Since schema 2: min latency and the 95% sectioning intervals of the other statistics (null: not supported). */
  min_us: number | null
  mean_ci_low_us: number | null
  mean_ci_high_us: number | null
  p50_ci_low_us: number | null
  p50_ci_high_us: number | null
  p90_ci_low_us: number | null
  p90_ci_high_us: number | null
  p999_ci_low_us: number | null
  p999_ci_high_us: number | null
  p9999_ci_low_us: number | null
  p9999_ci_high_us: number | null
  /** Since schema 3: slowdown statistics over all measured requests (dimensionless; null: n/a). */
  slowdown_mean: number | null
  slowdown_p50: number | null
  slowdown_p90: number | null
  slowdown_p99: number | null
  slowdown_p99_ci_low: number | null
  slowdown_p99_ci_high: number | null
  slowdown_p999: number | null
  slowdown_p999_ci_low: number | null
  slowdown_p999_ci_high: number | null
  slowdown_p9999: number | null
  slowdown_max: number | null
  /** Added within schema 4 (older files read null): the smallest measured slowdown, the lower bound of slowdown intervals over replications. */
  slowdown_min: number | null
  /** Since schema 3: per request type (empty without a type column). */
  per_type: PerTypeRow[]
  /** Since schema 2: the run's validity warning codes, comma-separated ('' when none); see stats/validity. */
  warnings: string
  /** JSON: RunWarning[] (code and message). */
  warnings_json: string
  /** Completions / arrivals over the measured window (below 1 when the backlog grew). */
  achieved_ratio: number | null
  /** Warm-up cut applied and MSER-5's cut, µs after the first arrival. */
  warmup_cut_us: number | null
  mser_cut_us: number | null
  /** Since schema 2: the varied parameter of a `--vary` sweep ('' when none) and this cell's value. */
  vary_name: string
  vary_value: string
  /** SHA-256 of the sweep's config without the varied parameter's values: sweeps differing only there merge. */
  sweep_base_id: string
  util: number | null
  util_app: number | null
  util_net: number | null
  sim_time_us: number | null
  events: number | null
  /** Wall-clock time of the cell (all runs of a search), ms. Not reproducible; never in tables. */
  wall_ms: number
  /** SLO percentile, e.g. 99 or 99.9 (both kinds carry the sweep's SLO). */
  slo_percentile: number
  /** SLO bound, µs, of the first target (null when that target is a slowdown). */
  slo_us: number | null
  /** Since schema 3: every target of the SLO in `--slo` syntax, bounds resolved (e.g. `p99:50us,slowdown:p99.9:10`); see experiment/slo. */
  slo: string
  /** max_load rows: the largest load meeting the SLO (also in `load`); null for latency rows. */
  max_load: number | null
  search_status: SearchStatus | null
  search_lo: number | null
  search_hi: number | null
  search_tol: number | null
  /** Simulations the search ran. */
  search_evals: number | null
  /** max_load / the mgn-fcfs max_load on the same trace and SLO; null in stored parts. */
  efficiency: number | null
  /** JSON: Record<string, number>. */
  counters_json: string
  metrics_json: string
  /** JSON: Record<type, LatencyUs>. */
  per_type_json: string
  /** JSON: number[] (busy fraction per core). */
  util_per_core_json: string
  /** JSON: the run's full SimConfig as a document (naming.ts `configDoc`: snake_case, units, null = unbounded). */
  config_json: string
  tool_version: string
  /** Plug-in policies: absolute path of the module file ('' for built-in policies). */
  policy_module: string
  /** Plug-in policies: SHA-256 (hex) of the module file ('' for built-in policies). */
  policy_module_sha256: string
}

export type ColumnType = 'int32' | 'int64' | 'float64' | 'utf8' | 'per_type'

export interface ColumnDef {
  name: keyof ResultRow
  type: ColumnType
  nullable: boolean
  /** Schema version that added the column: older files read it as null (or '' for strings). */
  since?: number
}

const f = (name: keyof ResultRow, nullable = true): ColumnDef => ({name, type: 'float64', nullable})
const s = (name: keyof ResultRow, nullable = false): ColumnDef => ({name, type: 'utf8', nullable})
/** Integer columns (int64 where a count may pass 2^31; readers convert BigInt to number). */
const i32 = (name: keyof ResultRow, nullable = true): ColumnDef => ({name, type: 'int32', nullable})
const i64 = (name: keyof ResultRow, nullable = true): ColumnDef => ({name, type: 'int64', nullable})

/**
 * The columns, in file order. Counts and indexes are integers (int32, or int64 where they may pass
 * 2^31), other numbers float64. These are the in-memory names; ./file-columns.ts maps them to the
 * names and types stored in files.
 */
export const COLUMNS: readonly ColumnDef[] = [
  {name: 'schema_version', type: 'int32', nullable: false},
  s('kind'),
  s('sweep_id'),
  s('cell_id'),
  i32('cell_index', false),
  s('trace'),
  s('trace_sha256'),
  s('policy'),
  s('family'),
  i32('replication', false),
  i64('seed', false),
  i32('cores', false),
  f('ghz', false),
  s('cost_preset'),
  f('load'),
  f('offered_load'),
  f('offered_rate_rps'),
  f('service_mean_us', false),
  i64('requests'),
  i64('connections'),
  i64('completed'),
  i64('measured'),
  i64('dropped'),
  f('throughput_rps'),
  f('mean_us'),
  f('p50_us'),
  f('p90_us'),
  f('p99_us'),
  f('p999_us'),
  f('p9999_us'),
  f('max_us'),
  f('p99_ci_low_us'),
  f('p99_ci_high_us'),
  ...(
    [
      'min_us',
      'mean_ci_low_us',
      'mean_ci_high_us',
      'p50_ci_low_us',
      'p50_ci_high_us',
      'p90_ci_low_us',
      'p90_ci_high_us',
      'p999_ci_low_us',
      'p999_ci_high_us',
      'p9999_ci_low_us',
      'p9999_ci_high_us',
    ] as const
  ).map((n) => ({...f(n), since: 2})),
  ...(
    [
      'slowdown_mean',
      'slowdown_p50',
      'slowdown_p90',
      'slowdown_p99',
      'slowdown_p99_ci_low',
      'slowdown_p99_ci_high',
      'slowdown_p999',
      'slowdown_p999_ci_low',
      'slowdown_p999_ci_high',
      'slowdown_p9999',
      'slowdown_max',
    ] as const
  ).map((n) => ({...f(n), since: 3})),
  {...f('slowdown_min'), since: 4},
  {name: 'per_type', type: 'per_type', nullable: false, since: 3},
  {...s('warnings'), since: 2},
  {...s('warnings_json'), since: 2},
  {...f('achieved_ratio'), since: 2},
  {...f('warmup_cut_us'), since: 2},
  {...f('mser_cut_us'), since: 2},
  {...s('vary_name'), since: 2},
  {...s('vary_value'), since: 2},
  {...s('sweep_base_id'), since: 2},
  f('util'),
  f('util_app'),
  f('util_net'),
  f('sim_time_us'),
  i64('events'),
  f('wall_ms', false),
  f('slo_percentile', false),
  f('slo_us'),
  {...s('slo'), since: 3},
  f('max_load'),
  s('search_status', true),
  f('search_lo'),
  f('search_hi'),
  f('search_tol'),
  i32('search_evals'),
  f('efficiency'),
  s('counters_json'),
  s('metrics_json'),
  s('per_type_json'),
  s('util_per_core_json'),
  s('config_json'),
  s('tool_version'),
  {...s('policy_module'), since: 2},
  {...s('policy_module_sha256'), since: 2},
]

/** Percentiles a table or an SLO can name, and the row column holding each. */
export const PERCENTILE_COLUMNS: Readonly<Record<string, keyof ResultRow>> = {
  p50: 'p50_us',
  p90: 'p90_us',
  p99: 'p99_us',
  'p99.9': 'p999_us',
  'p99.99': 'p9999_us',
  max: 'max_us',
  mean: 'mean_us',
}

/** The column for a numeric percentile (99 → p99_us, 99.9 → p999_us); undefined if not recorded. */
export function percentileColumn(p: number | string): keyof ResultRow | undefined {
  const key = typeof p === 'number' ? `p${p}` : p.startsWith('p') || p === 'max' || p === 'mean' ? p : `p${p}`
  return PERCENTILE_COLUMNS[key]
}

/** The latency statistic (µs) of a LatencyUs for a percentile column. */
export function latencyAt(l: LatencyUs, column: keyof ResultRow): number {
  switch (column) {
    case 'p50_us':
      return l.p50_us
    case 'p90_us':
      return l.p90_us
    case 'p99_us':
      return l.p99_us
    case 'p999_us':
      return l.p999_us
    case 'p9999_us':
      return l.p9999_us
    case 'max_us':
      return l.max_us
    case 'mean_us':
      return l.mean_us
    default:
      throw new Error(`internal: ${String(column)} is not a latency column`)
  }
}
