/**
 * The stored form of a result row (schema version 4 on): the names and types of the columns of
 * Parquet / Arrow files, and the keys of JSON result rows (`.json` files, `compare --json`).
 *
 * In memory a ResultRow keeps a few things as JSON text (counters, metrics, per-core utilisation,
 * warnings, config); here they become typed columns:
 * - `counters`: list<struct<name: utf8, value: int64>>, the policy's counters in its order;
 * - `metrics`: list<struct<name: utf8, value: float64>> (null: not finite);
 * - `util_per_core_fraction`: list<float64>, busy fraction of each core;
 * - `warning_details`: list<struct<code: utf8, message: utf8>> (`warnings` holds the codes, comma-separated);
 * - `per_type` (a list of structs in memory too): one struct per request type (schema.ts PER_TYPE_FIELDS);
 * - the config: `config_json` (the whole config document, for provenance: see naming.ts) and typed
 *   columns of its numbers, `warmup_fraction`, `batches`, `network_rtt_us`, `rss_buckets`,
 *   `nic_ring_descriptors` (null = unbounded), `max_sim_time_s` (null = no limit) and
 *   `costs_cycles` (list<struct<name: utf8, value: int64>>). These are written, not read back
 *   (config_json is the source).
 * Every other column is the in-memory one, renamed where its unit was missing (FILE_NAMES).
 * Integers are int32/int64 (a reader of int64 gets BigInt: converted back to number here). The
 * Arrow types of these columns are in ./arrow-types.ts.
 */
import {ResultsError} from '../errors.js'
import {COLUMNS, PER_TYPE_FIELDS, type ColumnDef, type PerTypeRow, type ResultRow} from './schema.js'

/** In-memory column → stored name, where they differ (a unit added, or JSON text made typed). */
export const FILE_NAMES: Readonly<Partial<Record<keyof ResultRow, string>>> = {
  load: 'load_fraction',
  offered_load: 'offered_load_fraction',
  max_load: 'max_load_fraction',
  search_lo: 'search_lo_fraction',
  search_hi: 'search_hi_fraction',
  search_tol: 'search_tol_fraction',
  util: 'util_fraction',
  util_app: 'util_app_fraction',
  util_net: 'util_net_fraction',
  counters_json: 'counters',
  metrics_json: 'metrics',
  util_per_core_json: 'util_per_core_fraction',
  warnings_json: 'warning_details',
}

export type FileKind = 'int32' | 'int64' | 'float64' | 'utf8' | 'bool' | 'float64_list' | 'int_pairs' | 'float_pairs' | 'warning_list' | 'per_type'

export interface FileColumn {
  /** Stored name. */
  name: string
  kind: FileKind
  nullable: boolean
  /** The in-memory column it comes from (absent: derived from config_json, write-only). */
  from?: keyof ResultRow
  /** Schema version that added the in-memory column (older files lack it). */
  since?: number
}

const JSON_KINDS: Partial<Record<keyof ResultRow, FileKind>> = {
  counters_json: 'int_pairs',
  metrics_json: 'float_pairs',
  util_per_core_json: 'float64_list',
  warnings_json: 'warning_list',
}

/** Typed columns derived from the config document: [stored name, kind, config key]. */
const CONFIG_COLUMNS: readonly [string, FileKind, string][] = [
  ['warmup_fraction', 'float64', 'warmup_fraction'],
  ['batches', 'int32', 'batches'],
  ['network_rtt_us', 'float64', 'network_rtt_us'],
  ['rss_buckets', 'int32', 'rss_buckets'],
  ['nic_ring_descriptors', 'int64', 'nic_ring_descriptors'],
  ['max_sim_time_s', 'float64', 'max_sim_time_s'],
  ['costs_cycles', 'int_pairs', 'costs_cycles'],
]

function fileColumn(c: ColumnDef): FileColumn {
  const kind: FileKind = JSON_KINDS[c.name] ?? (c.type as FileKind)
  return {name: FILE_NAMES[c.name] ?? c.name, kind, nullable: c.nullable, from: c.name, ...(c.since !== undefined ? {since: c.since} : {})}
}

/** The stored columns, in file order: COLUMNS (renamed, typed), the config's typed columns after `config_json`. */
export const FILE_COLUMNS: readonly FileColumn[] = COLUMNS.flatMap((c) =>
  c.name === 'config_json' ? [fileColumn(c), ...CONFIG_COLUMNS.map(([name, kind]): FileColumn => ({name, kind, nullable: true}))] : [fileColumn(c)],
)

/** A `per_type` cell (Arrow list of structs, or plain objects) as plain objects; undefined when it is not one. */
export function perTypeOf(v: unknown): PerTypeRow[] | undefined {
  if (v === null || typeof v !== 'object' || !(Symbol.iterator in v)) return undefined
  const out: PerTypeRow[] = []
  for (const item of v as Iterable<unknown>) {
    const o = (item !== null && typeof item === 'object' && 'toJSON' in item ? (item as {toJSON(): unknown}).toJSON() : item) as Record<string, unknown>
    if (o === null || typeof o !== 'object' || typeof o.type !== 'string') return undefined
    const row: Record<string, unknown> = {type: o.type}
    for (const n of PER_TYPE_FIELDS) {
      let x = o[n]
      if (typeof x === 'bigint') x = Number(x)
      if (x !== null && x !== undefined && typeof x !== 'number') return undefined
      row[n] = x ?? null
    }
    out.push(row as PerTypeRow)
  }
  return out
}


const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const parse = (text: string, empty: unknown): unknown => (text === '' ? empty : (JSON.parse(text) as unknown))
const pairs = (o: unknown): {name: string; value: number | null}[] =>
  o !== null && typeof o === 'object' ? Object.entries(o as Record<string, unknown>).map(([name, value]) => ({name, value: finite(value)})) : []

/** The config document of a row (either naming; `'Infinity'` of older rows is unbounded: null). */
function configOf(row: ResultRow): Record<string, unknown> {
  const c = parse(row.config_json, {}) as Record<string, unknown>
  const pick = (snake: string, camel: string) => (snake in c ? c[snake] : c[camel])
  return {
    warmup_fraction: finite(pick('warmup_fraction', 'warmup')),
    batches: finite(c.batches),
    network_rtt_us: finite(pick('network_rtt_us', 'networkRttUs')),
    rss_buckets: finite(pick('rss_buckets', 'rssBuckets')),
    nic_ring_descriptors: finite(pick('nic_ring_descriptors', 'nicRing')),
    max_sim_time_s: finite(pick('max_sim_time_s', 'maxSimTimeS')),
    costs_cycles: pairs(pick('costs_cycles', 'costs')),
  }
}

/** A row in its stored form: stored names, typed values (plain JSON values; int64 as numbers). */
export function toRecord(row: ResultRow): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let config: Record<string, unknown> | undefined
  for (const c of FILE_COLUMNS) {
    if (c.from === undefined) {
      config ??= configOf(row)
      out[c.name] = config[c.name] ?? null
      continue
    }
    const v = row[c.from] as unknown
    switch (c.kind) {
      case 'int_pairs':
      case 'float_pairs':
        out[c.name] = pairs(parse(v as string, {}))
        break
      case 'float64_list':
        out[c.name] = (parse(v as string, []) as unknown[]).map(finite)
        break
      case 'warning_list':
        out[c.name] = (parse(v as string, []) as {code: string; message: string}[]).map((w) => ({code: String(w.code), message: String(w.message)}))
        break
      default:
        out[c.name] = v
    }
  }
  return out
}

/** The scalar stored columns (no lists): what a CSV row holds. */
export const SCALAR_COLUMNS: readonly FileColumn[] = FILE_COLUMNS.filter((c) => ['int32', 'int64', 'float64', 'utf8', 'bool'].includes(c.kind))

const isPairList = (v: unknown, value: 'int' | 'float'): v is {name: string; value: number | null}[] =>
  Array.isArray(v) &&
  v.every(
    (p) =>
      p !== null &&
      typeof p === 'object' &&
      typeof (p as {name?: unknown}).name === 'string' &&
      ((p as {value?: unknown}).value === null || (typeof (p as {value?: unknown}).value === 'number' && (value === 'float' || Number.isInteger((p as {value: number}).value)))),
  )

/**
 * A row from its stored form (JSON or an Arrow row already turned into plain values; BigInt
 * accepted). `where` names the file and row in errors. Columns a file predates (`since`) read as
 * null ('' for text, empty lists).
 */
export function fromRecord(rec: Record<string, unknown>, file: string, rowNumber: number): ResultRow {
  const row: Record<string, unknown> = {}
  const where = `${file}: row ${rowNumber}`
  const bad = (c: FileColumn, expected: string, got: unknown): never => {
    throw new ResultsError(`${where}: Expected column \`${c.name}\` to be ${expected}, got ${show(got)}`, {file, row: rowNumber, column: c.name})
  }
  for (const c of FILE_COLUMNS) {
    if (c.from === undefined) continue
    let v = rec[c.name]
    if (typeof v === 'bigint') v = Number(v)
    if (v === undefined && c.since !== undefined) {
      row[c.from] =
        c.kind === 'per_type'
          ? []
          : JSON_KINDS[c.from] !== undefined
            ? c.kind === 'float64_list' || c.kind === 'warning_list'
              ? '[]'
              : '{}'
            : c.kind === 'utf8' && !c.nullable
              ? ''
              : null
      continue
    }
    if (v === undefined || v === null) {
      if (!c.nullable) {
        throw new ResultsError(`${where}: Expected column \`${c.name}\` to have a value, got ${v === null ? 'null' : 'none'}`, {file, row: rowNumber, column: c.name})
      }
      row[c.from] = null
      continue
    }
    switch (c.kind) {
      case 'int32':
      case 'int64':
        if (typeof v !== 'number' || !Number.isInteger(v)) bad(c, 'an integer', v)
        row[c.from] = v
        break
      case 'float64':
        if (typeof v !== 'number') bad(c, 'a number', v)
        row[c.from] = v
        break
      case 'utf8':
        if (typeof v !== 'string') bad(c, 'a string', v)
        row[c.from] = v
        break
      case 'bool':
        if (typeof v !== 'boolean') bad(c, 'true or false', v)
        row[c.from] = v
        break
      case 'int_pairs':
      case 'float_pairs': {
        const list = Array.isArray(v) ? v.map((p) => (p !== null && typeof p === 'object' && typeof (p as {value?: unknown}).value === 'bigint' ? {...p, value: Number((p as {value: bigint}).value)} : p)) : v
        if (!isPairList(list, c.kind === 'int_pairs' ? 'int' : 'float')) bad(c, `a list of {name, value} with ${c.kind === 'int_pairs' ? 'integer' : 'number'} values`, v)
        row[c.from] = JSON.stringify(Object.fromEntries((list as {name: string; value: number | null}[]).map((p) => [p.name, p.value])))
        break
      }
      case 'per_type': {
        const list = Array.isArray(v) ? perTypeOf(v) : undefined
        if (list === undefined) bad(c, 'a list of per-type structs ({type, count, ...})', v)
        row[c.from] = list
        break
      }
      case 'float64_list':
        if (!Array.isArray(v) || !v.every((x) => x === null || typeof x === 'number')) bad(c, 'a list of numbers', v)
        row[c.from] = JSON.stringify(v)
        break
      case 'per_type': {
        const list = Array.isArray(v) ? perTypeOf(v) : undefined
        if (list === undefined) bad(c, 'a list of per-type objects', v)
        row[c.from] = list
        break
      }
      case 'warning_list':
        if (!Array.isArray(v) || !v.every((w) => w !== null && typeof w === 'object' && typeof (w as {code?: unknown}).code === 'string')) {
          bad(c, 'a list of {code, message}', v)
        }
        row[c.from] = JSON.stringify((v as {code: string; message?: unknown}[]).map((w) => ({code: w.code, message: String(w.message ?? '')})))
        break
    }
  }
  return row as unknown as ResultRow
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** A plain value from an Arrow cell (structs and lists become objects and arrays; int64 BigInt stays). */
export function plainValue(v: unknown): unknown {
  if (v === null || v === undefined || typeof v !== 'object') return v
  if (typeof (v as {toArray?: unknown}).toArray === 'function' && Symbol.iterator in v) return [...(v as Iterable<unknown>)].map(plainValue)
  if (typeof (v as {toJSON?: unknown}).toJSON === 'function') {
    const o = (v as {toJSON(): Record<string, unknown>}).toJSON()
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(o)) out[k] = plainValue(x)
    return out
  }
  return v
}
