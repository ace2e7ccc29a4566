/**
 * Result rows as one tidy CSV: one header line of stored column names (./file-columns.ts: snake
 * case, units in the names), then one line per result row (a cell: policy × load × replication,
 * or a max-load search), in cell order. Numbers are written as numbers (integers without a
 * decimal point), a missing value (null) as an empty field, text quoted only when it holds a
 * comma, a quote or a line break. Lists (counters, metrics, per-core utilisation, costs, warning
 * details) and the JSON text columns are left to the Parquet / Arrow / JSON files; `wall_ms` is
 * left out too (it is not reproducible: the same sweep gives the same CSV, byte for byte).
 * `efficiency` is filled (withEfficiency) where the rows hold the mgn-fcfs reference.
 */
import {SCALAR_COLUMNS, toRecord} from './file-columns.js'
import {withEfficiency} from './row.js'
import type {ResultRow} from './schema.js'

/** The columns of the tidy CSV, in order. */
export const CSV_COLUMNS: readonly string[] = SCALAR_COLUMNS.filter((c) => c.name !== 'wall_ms' && !c.name.endsWith('_json')).map((c) => c.name)

function field(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : ''
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** The tidy CSV of result rows (ends with a newline). */
export function rowsToCsv(rows: readonly ResultRow[]): string {
  const sorted = withEfficiency([...rows].sort((a, b) => a.cell_index - b.cell_index))
  const lines = [CSV_COLUMNS.join(',')]
  for (const r of sorted) {
    const rec = toRecord(r)
    lines.push(CSV_COLUMNS.map((c) => field(rec[c])).join(','))
  }
  return lines.join('\n') + '\n'
}
