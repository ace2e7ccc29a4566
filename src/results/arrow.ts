/**
 * Result rows ⇄ Apache Arrow tables (the in-memory form behind the Parquet and Arrow IPC files).
 * One column per `FILE_COLUMNS` entry (./file-columns.ts), in that order; nullable numbers are
 * Arrow nulls. Files of schema versions 1–3 (every number float64, JSON text columns, in-memory
 * names) are still read.
 */
import {Table, vectorFromArray, type Vector} from '../arrow-lib.js'

import {ResultsError} from '../errors.js'
import {arrowTypeOf} from './arrow-types.js'
import {FILE_COLUMNS, fromRecord, perTypeOf, plainValue, toRecord, type FileKind} from './file-columns.js'

export {perTypeArrowType} from './arrow-types.js'
export {perTypeOf} from './file-columns.js'
import {configDoc} from './naming.js'
import {COLUMNS, SCHEMA_VERSION, type ResultRow} from './schema.js'

/** Schema-level metadata keys written into every results file. */
export const META = {
  schemaVersion: 'tailsim.schema_version',
  toolVersion: 'tailsim.tool_version',
  sweepId: 'tailsim.sweep_id',
  traceSha256: 'tailsim.trace_sha256',
  cellsPlanned: 'tailsim.cells_planned',
  shard: 'tailsim.shard',
} as const

export function rowsToTable(rows: readonly ResultRow[], metadata: ReadonlyMap<string, string> = new Map()): Table {
  const records = rows.map(toRecord)
  const cols: Record<string, Vector> = {}
  for (const c of FILE_COLUMNS) {
    const values = records.map((r) => arrowValue(c.kind, r[c.name]))
    cols[c.name] = vectorFromArray(values as never[], arrowTypeOf(c.kind) as never) as Vector
  }
  const t = new Table(cols)
  for (const [k, v] of metadata) t.schema.metadata.set(k, v)
  return t
}

/** A stored value as the Arrow builders want it (int64 as BigInt, also inside structs). */
function arrowValue(kind: FileKind, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (kind === 'int64') return BigInt(v as number)
  if (kind === 'int_pairs') return (v as {name: string; value: number | null}[]).map((p) => ({name: p.name, value: p.value === null ? null : BigInt(p.value)}))
  if (kind === 'per_type') return (v as {count: number | null}[]).map((p) => ({...p, count: p.count === null ? null : BigInt(p.count)}))
  return v
}

/**
 * Rows from an Arrow table of schema `version`; `file` names the source in errors. Files of
 * version 4 on hold the stored form (./file-columns.ts); older ones the in-memory columns.
 */
export function tableToRows(t: Table, file: string, version = SCHEMA_VERSION): ResultRow[] {
  if (version < 4) return legacyTableToRows(t, file)
  const vecs: {name: string; vec: Vector}[] = []
  for (const c of FILE_COLUMNS) {
    if (c.from === undefined) continue
    const vec = t.getChild(c.name)
    if (vec === null) {
      // Added after the file's version, or within it (a version-4 file may predate a since-4 column).
      if (c.since !== undefined && c.since >= version) continue
      throw new ResultsError(`${file}: Expected a tailsim results file with a column \`${c.name}\`, got none (is this a trace, not results?)`, {file, column: c.name})
    }
    vecs.push({name: c.name, vec})
  }
  const rows: ResultRow[] = []
  for (let i = 0; i < t.numRows; i++) {
    const rec: Record<string, unknown> = {}
    for (const {name, vec} of vecs) rec[name] = plainValue(vec.get(i))
    rows.push(fromRecord(rec, file, i + 1))
  }
  return rows
}

/** Rows of a file written before schema version 4 (every number float64, JSON text columns). */
function legacyTableToRows(t: Table, file: string): ResultRow[] {
  const rows = legacyRows(t, file)
  return rows.map(upgradeLegacyRow)
}

/** An older row in today's in-memory form: the config document renamed (naming.ts). */
export function upgradeLegacyRow(row: ResultRow): ResultRow {
  if (row.config_json === '') return row
  const c = JSON.parse(row.config_json, (_k, v: unknown) => (v === 'Infinity' ? Infinity : v)) as unknown
  return {...row, config_json: JSON.stringify(configDoc(c))}
}

/** Rows from a pre-4 Arrow table (in-memory names); checks every column is present and typed. */
function legacyRows(t: Table, file: string): ResultRow[] {
  const getters: {name: keyof ResultRow; vec: Vector | null; kind: 'num' | 'str' | 'list'; nullable: boolean; fill?: string | null | []}[] = []
  const kindOf = (c: (typeof COLUMNS)[number]) => (c.type === 'utf8' ? 'str' : c.type === 'per_type' ? 'list' : 'num')
  for (const c of COLUMNS) {
    const vec = t.getChild(c.name)
    if (vec === null && c.since !== undefined) {
      // A column added after the file's schema version: read as null ('' for strings, [] for lists).
      getters.push({name: c.name, vec: null, kind: kindOf(c), nullable: true, fill: c.type === 'per_type' ? [] : c.type === 'utf8' && !c.nullable ? '' : null})
      continue
    }
    if (vec === null) {
      throw new ResultsError(`${file}: Expected a tailsim results file with a column \`${c.name}\`, got none (is this a trace, not results?)`, {
        file,
        column: c.name,
      })
    }
    getters.push({name: c.name, vec, kind: kindOf(c), nullable: c.nullable})
  }
  const rows: ResultRow[] = []
  for (let i = 0; i < t.numRows; i++) {
    const row: Record<string, unknown> = {}
    for (const g of getters) {
      if (g.vec === null) {
        row[g.name] = g.fill ?? null
        continue
      }
      let v: unknown = g.vec.get(i)
      if (g.kind === 'list') {
        const list = perTypeOf(v)
        if (list === undefined) {
          throw new ResultsError(`${file}: row ${i + 1}: Expected column \`${g.name}\` to be a list of per-type structs, got ${typeof v}`, {file, row: i + 1, column: g.name})
        }
        row[g.name] = list
        continue
      }
      if (typeof v === 'bigint') v = Number(v)
      if (v === null || v === undefined) {
        if (!g.nullable) {
          throw new ResultsError(`${file}: row ${i + 1}: Expected column \`${g.name}\` to have a value, got null`, {file, row: i + 1, column: g.name})
        }
        v = null
      } else if (g.kind === 'num' ? typeof v !== 'number' : typeof v !== 'string') {
        throw new ResultsError(`${file}: row ${i + 1}: Expected column \`${g.name}\` to be a ${g.kind === 'num' ? 'number' : 'string'}, got ${typeof v}`, {
          file,
          row: i + 1,
          column: g.name,
        })
      }
      row[g.name] = v
    }
    rows.push(row as unknown as ResultRow)
  }
  return rows
}
