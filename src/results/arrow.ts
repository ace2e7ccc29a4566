/**
 * Result rows ⇄ Apache Arrow tables (the in-memory form behind the Parquet and Arrow IPC files).
 * One column per `COLUMNS` entry, in that order; nullable numbers are Arrow nulls.
 */
import {Field, Float64, Int32, List, Struct, Table, Utf8, vectorFromArray, type DataType, type Vector} from '../arrow-lib.js'

import {ResultsError} from '../errors.js'
import {COLUMNS, PER_TYPE_FIELDS, type PerTypeRow, type ResultRow} from './schema.js'

/** The Arrow type of the `per_type` column: list<struct<type: utf8, count: float64, ...>>. */
export function perTypeArrowType(): List {
  const fields = [new Field('type', new Utf8(), false), ...PER_TYPE_FIELDS.map((n) => new Field(n, new Float64(), true))]
  return new List(new Field('item', new Struct(fields), false))
}

function arrowType(type: string): DataType {
  return type === 'int32' ? new Int32() : type === 'float64' ? new Float64() : type === 'utf8' ? new Utf8() : perTypeArrowType()
}

/** A `per_type` cell back as plain objects; undefined when it is not a list of such structs. */
function perTypeOf(v: unknown): PerTypeRow[] | undefined {
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
  const cols: Record<string, Vector> = {}
  for (const c of COLUMNS) {
    const values = rows.map((r) => r[c.name] as unknown)
    const type = arrowType(c.type)
    cols[c.name] = vectorFromArray(values as never[], type as never) as Vector
  }
  const t = new Table(cols)
  for (const [k, v] of metadata) t.schema.metadata.set(k, v)
  return t
}

/** Rows from an Arrow table; `file` names the source in errors. Checks every column is present and typed. */
export function tableToRows(t: Table, file: string): ResultRow[] {
  const getters: {name: keyof ResultRow; vec: Vector | null; kind: 'num' | 'str' | 'list'; nullable: boolean; fill?: string | null | []}[] = []
  for (const c of COLUMNS) {
    const vec = t.getChild(c.name)
    if (vec === null && c.since !== undefined) {
      // A column added after the file's schema version: read as null ('' for strings).
      getters.push({name: c.name, vec: null, kind: kindOf(c.type), nullable: true, fill: c.type === 'per_type' ? [] : c.type === 'utf8' && !c.nullable ? '' : null})
      continue
    }
    if (vec === null) {
      throw new ResultsError(`${file}: Expected a tailsim results file with a column \`${c.name}\`, got none (is this a trace, not results?)`, {
        file,
        column: c.name,
      })
    }
    getters.push({name: c.name, vec, kind: kindOf(c.type), nullable: c.nullable})
  }
  const rows: ResultRow[] = []
  for (let i = 0; i < t.numRows; i++) {
    const row: Record<string, unknown> = {}
    for (const g of getters) {
      if (g.vec === null) {
        row[g.name] = Array.isArray(g.fill) ? [] : (g.fill ?? null)
        continue
      }
      if (g.kind === 'list') {
        const list = perTypeOf(g.vec.get(i))
        if (list === undefined) {
          throw new ResultsError(`${file}: row ${i + 1}: Expected column \`${g.name}\` to be a list of per-type structs, got another value`, {file, row: i + 1, column: g.name})
        }
        row[g.name] = list
        continue
      }
      let v: unknown = g.vec.get(i)
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

const kindOf = (t: string): 'num' | 'str' | 'list' => (t === 'utf8' ? 'str' : t === 'per_type' ? 'list' : 'num')

export {perTypeOf}
