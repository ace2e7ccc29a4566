/**
 * The charts of one trace in a report (report.ts): the latency chart of the SLO's percentile (with
 * its rule) and of the table's when it is another, the max-load bars, the slowdown-by-type bars
 * and, for a `--vary` sweep, max load against the varied parameter. Each is drawn from the same
 * numbers as the tables (`buildTables`).
 */
import {basename} from 'node:path'

import {describeTarget, rowSloTargets} from '../experiment/slo.js'
import {PERCENTILE_COLUMNS, type ResultRow} from '../results/schema.js'
import {latencyPoints, traceBaseName} from './chart-data.js'
import {latencyChartSvg, type MaxLoadBar, maxLoadChartSvg} from './charts.js'
import type {ChartFile} from './report.js'
import {fmtNum, type TableModel, type TraceTables} from './tables.js'
import {type GroupedBar, groupedBarChartSvg} from './type-chart.js'
import {type VaryPoint, varyChartSvg, varyNumber} from './vary-chart.js'

/** What a trace's SLO is, from its rows: its text, and the latency bound a latency chart can draw. */
export interface Slo {
  text: string
  /** The first target when it bounds the latency of all requests. */
  percentile?: string
  us?: number
}

const pctLabel = (p: number): string => (p === 100 ? 'max' : `p${p}`)

export function sloOf(rows: readonly ResultRow[], sha: string): Slo | undefined {
  const r = rows.find((x) => x.trace_sha256 === sha && x.kind === 'max_load') ?? rows.find((x) => x.trace_sha256 === sha)
  if (r === undefined) return undefined
  const targets = rowSloTargets(r)
  const first = targets[0]
  const text = targets.map((t) => describeTarget({...t, bound: Number(fmtNum(t.bound))})).join(', ').replace(/<=/g, '≤')
  if (first.metric !== 'latency' || first.type !== undefined || !Number.isFinite(first.bound)) return {text}
  return {text, percentile: pctLabel(first.percentile), us: first.bound}
}

function colIndex(t: TableModel, name: string): number {
  const i = t.columns.indexOf(name)
  if (i < 0) throw new Error(`internal: the table "${t.title}" has no column "${name}" (columns: ${t.columns.join(', ')})`)
  return i
}

/** The bars of a max-load table. */
function barsOf(t: TableModel): MaxLoadBar[] {
  if (t.rows.length === 0) return []
  const iPolicy = colIndex(t, 'policy')
  const iMax = colIndex(t, 'max load')
  const iStatus = colIndex(t, 'status')
  const iEff = colIndex(t, 'efficiency vs mgn-fcfs')
  const bars: MaxLoadBar[] = []
  for (const [ri, r] of t.rows.entries()) {
    const max = r[iMax]
    const status = r[iStatus]
    const eff = r[iEff]
    const b = t.intervals?.[ri]?.[iMax] ?? null
    bars.push({
      policy: String(r[iPolicy]),
      maxLoad: typeof max === 'number' ? max : 0,
      ...(b !== null ? {lo: b.low, hi: b.high} : {}),
      ...(typeof eff === 'number' ? {efficiency: eff} : {}),
      ...(status === 'ok' || status === 'unmet' || status === 'at_upper_bound' ? {status} : {}),
    })
  }
  return bars
}

/** A file-name-safe short form of a trace name. */
function slug(trace: string): string {
  const base = basename(trace.replace(/^synthetic:/, 'synthetic-'))
    .replace(/\.(csv|parquet|arrow|feather|ipc|gz)$/gi, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
  return (base === '' ? 'trace' : base).slice(0, 40)
}

export function traceTitle(t: TraceTables): string {
  return `${t.trace} — mean service ${fmtNum(t.service_mean_us)} µs, ${t.cores} cores, ${t.cost_preset} costs`
}

export interface ChartContext {
  /** The rows of this trace. */
  rows: readonly ResultRow[]
  index: number
  many: boolean
  slo: Slo | undefined
  percentile: string
  title?: string
  /** Collects what the reader should know (a chart that could not be drawn). */
  warnings: string[]
}

export async function chartsOf(t: TraceTables, c: ChartContext): Promise<ChartFile[]> {
  const {slo, percentile} = c
  const suffix = c.many ? `-${c.index + 1}-${slug(t.trace)}` : ''
  const policies = t.latency.columns.slice(1)
  const out: ChartFile[] = []
  const sloText = slo?.text
  // Chart titles: --title (with the trace's name when there are several traces), else the trace's base name.
  const base = traceBaseName(t.trace)
  const head = c.title === undefined ? base : c.many ? `${c.title}: ${base}` : c.title
  const setting = `${t.cores} cores, ${t.cost_preset} costs, mean service ${fmtNum(t.service_mean_us)} µs`
  // The SLO's percentile first (with the rule), then the table's percentile when it is another.
  // (An SLO on the slowdown or on one request type has no latency bound to draw: no rule.)
  const sloUs = slo?.us
  const sloPct = sloUs !== undefined && slo?.percentile !== undefined && PERCENTILE_COLUMNS[slo.percentile] !== undefined ? slo.percentile : undefined
  const pcts = sloPct === undefined ? [percentile] : sloPct === percentile ? [sloPct] : [sloPct, percentile]
  for (const pct of pcts) {
    const points = latencyPoints(c.rows, pct)
    if (points.length === 0) {
      c.warnings.push(`No ${pct} latency chart for ${t.trace}: no run has a ${pct} value (too few samples above the percentile; more requests fix it).`)
      continue
    }
    const drawSlo = sloUs !== undefined && pct === sloPct
    out.push({
      name: `latency${pct === (sloPct ?? percentile) ? '' : `-${pct}`}${suffix}`,
      kind: 'latency',
      trace: t.trace,
      title: `${pct} latency vs offered load — ${traceTitle(t)}`,
      svg: await latencyChartSvg({
        points,
        policies,
        percentile: pct,
        ...(drawSlo ? {sloUs, sloLabel: `SLO: ${pct} ≤ ${fmtNum(sloUs)} µs`} : {}),
        title: head,
        subtitle: `${pct} latency vs offered load; ${setting}`,
      }),
    })
  }
  const bars = barsOf(t.max_load)
  if (bars.length > 0) {
    out.push({
      name: `max-load${suffix}`,
      kind: 'max_load',
      trace: t.trace,
      title: `Max load at SLO${sloText !== undefined ? ` (${sloText})` : ''} — ${traceTitle(t)}`,
      svg: await maxLoadChartSvg({
        bars,
        policies: [...policies, ...bars.map((b) => b.policy)],
        sloLabel: sloText,
        title: head,
        subtitle: `Max load at SLO${sloText !== undefined ? ` (${sloText})` : ''}; ${setting}`,
      }),
    })
  }
  const byType = typeBarsOf(t.per_type)
  if (byType !== undefined) {
    out.push({
      name: `slowdown-by-type${suffix}`,
      kind: 'per_type',
      trace: t.trace,
      title: `Slowdown ${byType.stat} by request type — ${traceTitle(t)}`,
      svg: await groupedBarChartSvg({
        bars: byType.bars,
        groups: policies.length > 0 ? policies : undefined,
        valueTitle: `slowdown ${byType.stat} (time in server / service time)`,
        seriesTitle: 'type',
        logY: true,
        title: head,
        caption: t.per_type.title.replace(/^latency \(µs\) and slowdown by request type /, '').replace(/ \(slowdown = .*$/, ''),
      }),
    })
  }
  const vary = varyOf(t.max_load)
  if (vary !== undefined) {
    out.push({
      name: `max-load-vs-${slug(vary.name)}${suffix}`,
      kind: 'max_load',
      trace: t.trace,
      title: `Max load at SLO against ${vary.name}${sloText !== undefined ? ` (${sloText})` : ''} — ${traceTitle(t)}`,
      svg: await varyChartSvg({...vary, sloLabel: sloText, title: head, subtitle: `Max load at SLO against ${vary.name}; ${setting}`}),
    })
  }
  return out
}

/**
 * The bars of the slowdown-by-type chart (policy × type): slowdown p99.9, or p99 when some type's
 * p99.9 is n/a (short runs); undefined when the trace has no types.
 */
function typeBarsOf(t: TableModel): {bars: GroupedBar[]; stat: string} | undefined {
  if (t.rows.length === 0) return undefined
  const iPolicy = colIndex(t, 'policy')
  const iType = colIndex(t, 'type')
  const rows = t.rows.filter((r) => r[iType] !== 'all')
  if (rows.length === 0) return undefined
  const i999 = colIndex(t, 'slowdown p99.9')
  const stat = rows.every((r) => typeof r[i999] === 'number') ? 'p99.9' : 'p99'
  const iSd = stat === 'p99.9' ? i999 : colIndex(t, 'slowdown p99')
  return {stat, bars: rows.map((r) => ({group: String(r[iPolicy]), series: String(r[iType]), value: typeof r[iSd] === 'number' ? r[iSd] : null}))}
}

/** The max-load points of a --vary sweep (the table's last column is the varied parameter). */
function varyOf(t: TableModel): {name: string; multiples: boolean; points: VaryPoint[]; policies: string[]} | undefined {
  const known = ['policy', 'max load', 'status', 'throughput (req/s)', 'efficiency vs mgn-fcfs', 'max load per replication']
  const name = t.columns[t.columns.length - 1]
  if (t.rows.length === 0 || known.includes(name) || name.includes(' at max load')) return undefined
  const iPolicy = colIndex(t, 'policy')
  const iMax = colIndex(t, 'max load')
  const iVal = t.columns.length - 1
  const points: VaryPoint[] = []
  let multiples = true
  for (const [ri, r] of t.rows.entries()) {
    const v = String(r[iVal])
    if (!v.startsWith('x')) multiples = false
    const policy = String(r[iPolicy]).replace(/ \[[^\]]*\]$/, '')
    const max = r[iMax]
    const b = t.intervals?.[ri]?.[iMax] ?? null
    if (typeof max === 'number') points.push({policy, value: varyNumber(v), maxLoad: max, ...(b !== null ? {lo: b.low, hi: b.high} : {})})
  }
  return {name, multiples, points, policies: [...new Set(points.map((p) => p.policy))]}
}
