/**
 * The comparison tables, from result rows (of one sweep, or merged parts):
 *   1. latency vs offered load — one row per load, one column per policy (the chosen percentile,
 *      µs; the mean over replications when a cell was replicated);
 *   2. max load at SLO — per policy: the largest load meeting the SLO (bisection, ±tolerance), the
 *      throughput there (req/s), the efficiency vs `mgn-fcfs` on the same trace, and the latency
 *      percentile of the SLO at that load;
 *   3. latency and slowdown by request type — per policy, one row for all requests and one per
 *      type of the trace: requests, p50/p99/p99.9 latency (µs), slowdown p99/p99.9, at the same
 *      load as the counters (or, in a sweep without latency cells, at each policy's max load);
 *      a percentile with too few samples above it reads `n/a (k samples)` (over replications,
 *      `n/a in j of n runs (k samples)`: never a mean of the runs that have it), and a type some
 *      replication did not measure reads `absent from j of n runs`;
 *   4. counters — one column per policy at one common load (the highest swept load that every
 *      policy ran), one row per quantity: utilisation (total, application, network/kernel), drops,
 *      every counter per 100 completed requests (so `steals` reads as the % of requests stolen),
 *      and the policies' own metrics; rows that are zero or absent for every policy are omitted.
 * One set of tables per trace, in cell order. Policies appear in the sweep's order.
 *
 * `buildTables` gives the numbers (the `json` format prints them); `renderTables` formats them as a
 * terminal table, Markdown or JSON. Its `csv` format is not these wide tables but the tidy long CSV
 * of the rows themselves (src/results/csv.ts: one line per cell, one header line). Output depends only on the rows' deterministic columns (never `wall_ms`), so a
 * resumed or sharded sweep renders byte-identical tables.
 */
import Table from 'cli-table3'

import {ConfigError} from '../errors.js'
import {describeTarget, rowSloTargets, type ResolvedTarget} from '../experiment/slo.js'
import {rowsToCsv} from '../results/csv.js'
import {efficiencyReference, withEfficiency} from '../results/row.js'
import {PERCENTILE_COLUMNS, rowSloValue, type ResultRow} from '../results/schema.js'
import {cellInterval, fmtBounds, type Bounds} from './cell-interval.js'
import {splitColumns} from './table-split.js'
import {typeTableRows} from './type-table.js'
import {grouped} from '../grouped.js'

export type TableFormat = 'table' | 'markdown' | 'csv' | 'json'

export interface TableOptions {
  format: TableFormat
  /** Percentile of the latency table: p50, p90, p99, p99.9, p99.99, max or mean (default p99). */
  percentile?: string
}

export type Cell = number | string | null

export interface TableModel {
  title: string
  columns: string[]
  rows: Cell[][]
  /** Per row and column: a mark shown next to the value (e.g. `saturated`), or null. */
  marks?: (string | null)[][]
  /**
   * Per row and column: the bounds of the value's 95 % interval, or null when there is none. Over
   * replications, the t-interval of their mean clamped to the observed range of the quantity (so
   * it may be uneven); with one replication, the run's own batch-means interval
   * (./cell-interval.ts).
   */
  intervals?: (Bounds | null)[][]
  /** Lines printed under the table (e.g. why an SLO cannot be met). */
  notes?: string[]
}

export interface TraceTables {
  trace: string
  trace_sha256: string
  service_mean_us: number
  cores: number
  cost_preset: string
  latency: TableModel
  max_load: TableModel
  per_type: TableModel
  counters: TableModel
}

export interface TablesModel {
  percentile: string
  traces: TraceTables[]
}

const pctLabel = (p: number): string => (p === 100 ? 'max' : `p${p}`)

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
}

function ordered<T>(rows: readonly ResultRow[], key: (r: ResultRow) => T): T[] {
  const out: T[] = []
  for (const r of rows) {
    const k = key(r)
    if (!out.includes(k)) out.push(k)
  }
  return out
}

/** The numbers behind the tables. Rows need not be sorted; they are ordered by cell_index. */
export function buildTables(input: readonly ResultRow[], percentile = 'p99'): TablesModel {
  const column = PERCENTILE_COLUMNS[percentile]
  if (column === undefined) {
    throw new ConfigError(`Expected a percentile, one of ${Object.keys(PERCENTILE_COLUMNS).join(', ')}; got "${percentile}"`, {flag: 'percentile'})
  }
  const rows = withEfficiency([...input].sort((a, b) => a.cell_index - b.cell_index))
  const traces: TraceTables[] = []
  // One set of tables per trace as named (replication r of a synthetic trace is another draw,
  // with another SHA-256, of the same trace).
  for (const name of ordered(rows, (r) => r.trace)) {
    const tr = rows.filter((r) => r.trace === name)
    const first = tr[0]
    const sha = first.trace_sha256
    // A "policy" column is a policy, or a policy at one value of the --vary parameter.
    const policies = ordered(tr, seriesLabel)
    const lat = tr.filter((r) => r.kind === 'latency')
    const loads = ordered(lat, (r) => r.load as number).sort((a, b) => a - b)

    const latCells = loads.map((load) => policies.map((p) => lat.filter((r) => seriesLabel(r) === p && r.load === load)))
    const latency: TableModel = {
      title: `${percentile} latency (µs) vs offered load (value [95% interval]: a t-interval over replications clamped to the runs' [min, max] latency, or the run's batch-means interval, none for a saturated run; n/a: fewer than 10 samples above the percentile; saturated: the run did not keep up)`,
      columns: ['load', ...policies],
      rows: loads.map((load, i) => [load, ...latCells[i].map((rs) => latencyCell(rs, column).value)]),
      marks: latCells.map((row) => [null, ...row.map((rs) => (rs.some((r) => hasWarning(r, 'saturated')) ? 'saturated' : null))]),
      intervals: latCells.map((row) => [null, ...row.map((rs) => latencyCell(rs, column).bounds)]),
    }

    const ml = tr.filter((r) => r.kind === 'max_load')
    const slo = ml[0] ?? first
    const targets = rowSloTargets(slo)
    const sloText = targets.map(describeTarget).join(', ')
    const tol = ml[0]?.search_tol ?? null
    const groups = policies.map((p) => ml.filter((r) => seriesLabel(r) === p).sort((a, b) => a.replication - b.replication)).filter((g) => g.length > 0)
    const k = Math.max(0, ...groups.map((g) => g.length))
    const vary = first.vary_name
    const refOf = efficiencyReference(rows)
    const mlCells = groups.map((g) => maxLoadCells(g, refOf))
    const maxLoad: TableModel = {
      title:
        `max load at SLO (${sloText})` +
        (k >= 2
          ? `, mean [95% t-interval over ${k} replications, clamped to [0, the search's upper bound]] (search resolution ±${tol})`
          : `${tol !== null ? `, search resolution ±${tol}` : ''}; one replication: no interval (run-to-run spread can exceed the resolution; use --replications)`),
      columns: [
        'policy',
        'max load',
        'status',
        'throughput (req/s)',
        'efficiency vs mgn-fcfs',
        ...targets.map(targetColumn),
        'max load per replication',
        ...(vary !== '' ? [vary] : []),
      ],
      rows: groups.map((g, gi) => {
        const r = g[0]
        const loadsR = g.map((x) => x.max_load)
        const status = g.every((x) => x.search_status === r.search_status) ? r.search_status : 'mixed'
        const m = (xs: (number | null)[]) => (xs.some((x) => x === null) ? null : mean(xs as number[]))
        return [
          seriesLabel(r),
          mlCells[gi].load.value,
          status,
          m(g.map((x) => x.throughput_rps)),
          mlCells[gi].efficiency.value,
          ...targets.map((t) => m(g.map((x) => rowSloValue(x, t)))),
          g.length >= 2 ? loadsR.map((x) => (x === null ? 'n/a' : x.toFixed(3))).join(' ') : null,
          ...(vary !== '' ? [r.vary_value] : []),
        ]
      }),
      // Over replications only: one search's result has no interval.
      intervals: groups.map((g, gi) => {
        const c = mlCells[gi]
        return [null, g.length >= 2 ? c.load.bounds : null, null, null, g.length >= 2 ? c.efficiency.bounds : null, ...targets.map(() => null), null, ...(vary !== '' ? [null] : [])]
      }),
      notes: groups.flatMap((g) => {
        const w = (JSON.parse(g[0].warnings_json || '[]') as {code: string; message: string}[]).find((x) => x.code === 'slo_infeasible')
        return w ? [`${seriesLabel(g[0])}: ${w.message}`] : []
      }),
    }

    // Counters at the highest load every policy ran.
    const common = loads.filter((l) => policies.every((p) => lat.some((r) => r.policy === p && r.load === l)))
    const at = common.length > 0 ? common[common.length - 1] : undefined
    const atRows = at === undefined ? [] : lat.filter((r) => r.load === at)
    const counterNames = new Set<string>()
    const metricNames = new Set<string>()
    for (const r of atRows) {
      for (const k of Object.keys(JSON.parse(r.counters_json) as object)) counterNames.add(k)
      for (const k of Object.keys(JSON.parse(r.metrics_json) as object)) metricNames.add(k)
    }
    const cNames = [...counterNames].sort()
    const mNames = [...metricNames].sort()
    // One row per quantity, one column per policy (like the latency table); quantities that are
    // zero or absent for every policy are left out.
    const present = policies.filter((p) => atRows.some((r) => r.policy === p))
    const per = present.map((p) => {
      const rs = atRows.filter((r) => r.policy === p)
      return {
        rs,
        cs: rs.map((r) => JSON.parse(r.counters_json) as Record<string, number>),
        ms: rs.map((r) => JSON.parse(r.metrics_json) as Record<string, number>),
      }
    })
    const quantities: [string, (x: (typeof per)[number]) => number | null][] = [
      ['util %', (x) => mean(x.rs.map((r) => (r.util ?? 0) * 100))],
      ['app %', (x) => mean(x.rs.map((r) => (r.util_app ?? 0) * 100))],
      ['net %', (x) => mean(x.rs.map((r) => (r.util_net ?? 0) * 100))],
      ['dropped', (x) => mean(x.rs.map((r) => r.dropped ?? 0))],
      ...cNames.map((c): [string, (x: (typeof per)[number]) => number | null] => [
        `${c} /100 req`,
        (x) => mean(x.cs.map((v, i) => ((v[c] ?? 0) * 100) / Math.max(1, x.rs[i].completed ?? 0))),
      ]),
      ...mNames.map((m): [string, (x: (typeof per)[number]) => number | null] => [
        m,
        (x) => {
          const vs = x.ms.map((v) => v[m]).filter((v): v is number => typeof v === 'number')
          return vs.length === 0 ? null : mean(vs)
        },
      ]),
    ]
    const counters: TableModel = {
      title: at === undefined ? 'counters (no load common to all policies)' : `counters at load ${fmtNum(at)} (counters per 100 completed requests)`,
      columns: ['quantity', ...present],
      rows: quantities
        .map(([name, f]): Cell[] => [name, ...per.map(f)])
        .filter((row, i) => i < 3 || row.slice(1).some((v) => v !== null && v !== 0)),
    }
    // Latency and slowdown by type: at the counters' load, or at each policy's max load.
    const typeRows = at !== undefined ? atRows : ml.filter((r) => r.search_status !== 'unmet' && r.measured !== null)
    const typeTables = policies.map((p) => typeTableRows(p, typeRows.filter((r) => seriesLabel(r) === p)))
    const perType: TableModel = {
      title:
        (at !== undefined ? `latency (µs) and slowdown by request type at load ${fmtNum(at)}` : 'latency (µs) and slowdown by request type at each policy\'s max load') +
        ' (value [95% interval] as in the latency table, clamped to the range of the type over the runs; slowdown = time in the server / service time; n/a: fewer than 10 samples above the percentile)',
      columns: ['policy', 'type', 'requests', 'p50', 'p99', 'p99.9', 'slowdown p99', 'slowdown p99.9'],
      rows: typeTables.flatMap((t) => t.rows),
      intervals: typeTables.flatMap((t) => t.intervals),
    }
    traces.push({
      trace: first.trace,
      trace_sha256: sha,
      service_mean_us: first.service_mean_us,
      cores: first.cores,
      cost_preset: first.cost_preset,
      latency,
      max_load: maxLoad,
      per_type: perType,
      counters,
    })
  }
  return {percentile, traces}
}

/** The max-load table's column for a target's statistic at the max load. */
function targetColumn(t: ResolvedTarget): string {
  const name = describeTarget(t).replace(/ <=.*$/, '')
  return t.metric === 'latency' ? `${name} at max load (µs)` : `${name} at max load`
}

/**
 * A latency cell (one policy at one load, its replications): the mean of the runs' statistic and
 * its interval (./cell-interval.ts), clamped over replications to the runs' [min, max] latency.
 * A saturated run has no steady state to estimate: its cell has no interval. The latency chart
 * draws the same bounds.
 */
export function latencyCell(rs: readonly ResultRow[], column: keyof ResultRow): {value: number | null; bounds: Bounds | null} {
  const name = String(column)
  const ci = (side: 'low' | 'high') => (name.endsWith('_us') ? name.replace(/_us$/, `_ci_${side}_us`) : undefined)
  const num = (r: ResultRow, key: string | undefined) => {
    const x = key === undefined ? undefined : (r[key as keyof ResultRow] as unknown)
    return typeof x === 'number' && Number.isFinite(x) ? x : null
  }
  const c = cellInterval(
    rs.map((r) => ({
      v: r[column] as number | null,
      lo: num(r, ci('low')),
      hi: num(r, ci('high')),
      // Files of schema 1 lack min_us: a latency is never negative.
      min: num(r, 'min_us') ?? 0,
      max: num(r, 'max_us') ?? Infinity,
    })),
  )
  return rs.some((r) => hasWarning(r, 'saturated')) ? {value: c.value, bounds: null} : c
}

/**
 * A max-load row group's (one policy, its replications) max load and efficiency with their
 * intervals over replications. A max load lies in [0, the search's upper bound] (0: the SLO was
 * unmet at the lowest load), so its interval is clamped there; the efficiency (max load / the
 * mgn-fcfs max load of the same replication) to [0, upper bound / that reference].
 */
function maxLoadCells(g: readonly ResultRow[], refOf: (r: ResultRow) => number | undefined): {load: ReturnType<typeof cellInterval>; efficiency: ReturnType<typeof cellInterval>} {
  const top = (r: ResultRow) => (r.search_hi !== null && Number.isFinite(r.search_hi) ? r.search_hi : Infinity)
  return {
    load: cellInterval(g.map((r) => ({v: r.max_load, lo: null, hi: null, min: 0, max: top(r)}))),
    efficiency: cellInterval(
      g.map((r) => {
        const ref = refOf(r)
        return {v: r.efficiency, lo: null, hi: null, min: 0, max: ref === undefined ? Infinity : top(r) / ref}
      }),
    ),
  }
}

/** The column a row belongs to: its policy, with the --vary value when there is one. */
export function seriesLabel(r: ResultRow): string {
  return r.vary_name ? `${r.policy} [${r.vary_name}=${r.vary_value}]` : r.policy
}

export function hasWarning(r: ResultRow, code: string): boolean {
  return r.warnings !== '' && r.warnings.split(',').includes(code)
}

export {decimalsFor} from './cell-interval.js'

/** Numbers for humans: 4 significant digits, no exponent for ordinary magnitudes. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e5) return Math.round(v).toString()
  if (a >= 1e3) return v.toFixed(1)
  return Number(v.toPrecision(4)).toString()
}

/** A cell as text; `b`: its 95 % interval, shown as `value [low, high]`. */
/** How some cells read: in a terminal table, or on the page of `report --html` (more room, typographic). */
export interface CellStyle {
  /** Before a max load that is the search's upper bound. */
  atLeast: string
  /** A max load that is below the lowest load searched. */
  unmet: string
  /** Whole counts (throughput, requests). */
  count: (v: number) => string
}

const TERMINAL: CellStyle = {atLeast: '>=', unmet: '< lowest', count: (v) => Math.round(v).toString()}
/** The page's style: thousands get separators. */
export const PAGE: CellStyle = {atLeast: '≥', unmet: 'below the lowest load', count: grouped}

export function fmtCell(model: TableModel, col: number, v: Cell, row: Cell[], b: Bounds | null = null, style: CellStyle = TERMINAL): string {
  if (v === null) return model.columns[0] === 'load' && col > 0 ? 'n/a' : '—'
  if (typeof v === 'string') return v
  const name = model.columns[col]
  if (name === 'max load') {
    const status = row[model.columns.indexOf('status')]
    const x = b !== null ? fmtBounds(v, b) : v.toFixed(3)
    return status === 'at_upper_bound' ? `${style.atLeast} ${x}` : status === 'unmet' ? style.unmet : x
  }
  if (name === 'efficiency vs mgn-fcfs') return b !== null ? fmtBounds(v, b, 100, '%') : `${(v * 100).toFixed(1)}%`
  if (b !== null) return fmtBounds(v, b)
  if (name === 'throughput (req/s)' || name === 'requests') return style.count(v)
  if (name === 'load') return v.toFixed(3).replace(/0+$/, '').replace(/\.$/, '')
  if (name.endsWith('%') || (col > 0 && String(row[0]).endsWith('%'))) return v.toFixed(1)
  return fmtNum(v)
}

function header(t: TraceTables): string {
  return `Trace ${t.trace} (sha256 ${t.trace_sha256.slice(0, 12)}, mean service ${fmtNum(t.service_mean_us)} µs, ${t.cores} cores, ${t.cost_preset} costs)`
}

function renderOne(model: TableModel, format: 'table' | 'markdown'): string {
  // Human formats: without replications the per-replication column is left out.
  const hidden = new Set<number>()
  if (model.rows.every((r) => r[model.columns.indexOf('max load per replication')] === null)) hidden.add(model.columns.indexOf('max load per replication'))
  hidden.delete(-1)
  const keep = (_: unknown, i: number) => !hidden.has(i)
  const cells = model.rows.map((r, ri) =>
    r
      .map((v, i) => {
        const mark = model.marks?.[ri]?.[i]
        const text = fmtCell(model, i, v, r, model.intervals?.[ri]?.[i] ?? null)
        return mark ? `${text} (${mark})` : text
      })
      .filter(keep),
  )
  model = {...model, columns: model.columns.filter(keep)}
  if (format === 'markdown') {
    const esc = (s: string) => s.replace(/\|/g, '\\|')
    const lines = [`### ${model.title}`, '', `| ${model.columns.map(esc).join(' | ')} |`, `|${model.columns.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`]
    for (const r of cells) lines.push(`| ${r.map(esc).join(' | ')} |`)
    if (model.notes?.length) lines.push('', ...model.notes.map((n) => `Note: ${n}`))
    return lines.join('\n')
  }
  // A table wider than the terminal's 120 columns is cut into several, each repeating the key
  // columns (the load, or the policy and the type).
  const keys = model.columns[1] === 'type' ? 2 : 1
  const parts = splitColumns([model.columns, ...cells], keys, 120).map((cols, i) => {
    const table = new Table({
      head: cols.map((c) => model.columns[c]),
      style: {head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true},
      colAligns: cols.map((c) => (c === 0 ? 'left' : 'right')),
    })
    for (const r of cells) table.push(cols.map((c) => r[c]))
    return (i > 0 ? '(continued)\n' : '') + table.toString()
  })
  const notes = (model.notes ?? []).map((n) => `note: ${n}`)
  return [`${model.title}`, ...parts, ...notes].join('\n')
}

/** Render the tables of `rows` as one string (ends with a newline). */
export function renderTables(rows: readonly ResultRow[], opts: TableOptions): string {
  const model = buildTables(rows, opts.percentile ?? 'p99')
  if (opts.format === 'json') return JSON.stringify(model, null, 2) + '\n'
  // CSV is the tidy long form of the rows (one line per cell), not the wide tables.
  if (opts.format === 'csv') return rowsToCsv(rows)
  const parts: string[] = []
  for (const t of model.traces) {
    const sections = [t.latency, t.max_load, t.per_type, t.counters].filter((m) => m.rows.length > 0).map((m) => renderOne(m, opts.format as 'table' | 'markdown'))
    if (opts.format === 'markdown') parts.push(`## ${header(t)}\n\n${sections.join('\n\n')}`)
    else parts.push(`${header(t)}\n\n${sections.join('\n\n')}`)
  }
  return parts.join('\n\n') + '\n'
}
