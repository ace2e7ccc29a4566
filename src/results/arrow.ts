/**
 * Result rows ⇄ Apache Arrow tables (the in-memory form behind the Parquet and Arrow IPC files).
 * One column per `COLUMNS` entry, in that order; nullable numbers are Arrow nulls.
 */
import {Float64, Int32, Table, Utf8, vectorFromArray, type Vector} from '../arrow-lib.js'

import {ResultsError} from '../errors.js'
import {COLUMNS, type ResultRow} from './schema.js'

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
    const type = c.type === 'int32' ? new Int32() : c.type === 'float64' ? new Float64() : new Utf8()
    cols[c.name] = vectorFromArray(values as never[], type as never) as Vector
  }
  const t = new Table(cols)
  for (const [k, v] of metadata) t.schema.metadata.set(k, v)
  return t
}

/** Rows from an Arrow table; `file` names the source in errors. Checks every column is present and typed. */
export function tableToRows(t: Table, file: string): ResultRow[] {
  const getters: {name: keyof ResultRow; vec: Vector | null; kind: 'num' | 'str'; nullable: boolean; fill?: string | null}[] = []
  for (const c of COLUMNS) {
    const vec = t.getChild(c.name)
    if (vec === null && c.since !== undefined) {
      // A column added after the file's schema version: read as null ('' for strings).
      getters.push({name: c.name, vec: null, kind: c.type === 'utf8' ? 'str' : 'num', nullable: true, fill: c.type === 'utf8' && !c.nullable ? '' : null})
      continue
    }
    if (vec === null) {
      throw new ResultsError(`${file}: Expected a tailsim results file with a column \`${c.name}\`, got none (is this a trace, not results?)`, {
        file,
        column: c.name,
      })
    }
    getters.push({name: c.name, vec, kind: c.type === 'utf8' ? 'str' : 'num', nullable: c.nullable})
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
