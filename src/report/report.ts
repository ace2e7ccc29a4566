/**
 * The report library entry: result rows → {tables, chart SVGs (and PNGs), one HTML page}, and the
 * atomic, no-clobber writing of those files.
 *
 * The charts are drawn from the same numbers as the tables (`buildTables`): the latency chart
 * plots, per policy and load, the mean over replications of a percentile (as the latency table
 * does), with its 95% interval as a band (chart-data.ts); the bar chart plots the max-load table.
 * One latency chart and one max-load chart per trace.
 *
 * The latency chart plots the SLO's percentile, so its SLO rule always applies to the curves (a
 * p99.9 bound drawn over p99 curves would mislead); when `percentile` (the table's) is another,
 * a second latency chart plots that one, without a rule. The bar chart always names the SLO.
 */
import {existsSync, mkdirSync, statSync} from 'node:fs'
import {basename, join, resolve} from 'node:path'

import {ConfigError, OutputError} from '../errors.js'
import {PERCENTILE_COLUMNS, type ResultRow} from '../results/schema.js'
import {writeAtomic} from '../results/write.js'
import {fmtBounds, type Bounds} from './cell-interval.js'
import {buildTables, fmtNum, renderTables, type Cell, type TableFormat, type TableModel, type TablesModel, type TraceTables} from './tables.js'
import {latencyChartSvg, type MaxLoadBar, maxLoadChartSvg, svgToPng} from './charts.js'
import {latencyPoints, provenance, traceBaseName} from './chart-data.js'
import {type VaryPoint, varyChartSvg, varyNumber} from './vary-chart.js'
import {type GroupedBar, groupedBarChartSvg} from './type-chart.js'
import {describeTarget, rowSloTargets} from '../experiment/slo.js'
import {type HtmlTable, renderHtml} from './html.js'
import {grouped} from '../grouped.js'

export interface ReportOptions {
  /** Format of the rendered tables (`tables` in the result) [table]. */
  format?: TableFormat
  /** Percentile of the latency table and chart: p50, p90, p99, p99.9, p99.99, max, mean [p99]. */
  percentile?: string
  /** Render chart SVGs [true]. */
  charts?: boolean
  /** Also rasterise each chart to PNG [false]. */
  png?: boolean
  /** PNG pixel density [2]. */
  pngScale?: number
  /** Extra font files for the PNGs (see `svgToPng`) [none]. */
  fontFiles?: string[]
  /** Build the HTML page [false]. */
  html?: boolean
  /** Also render each chart to PDF [false]. */
  pdf?: boolean
  /** Title of the page and the charts [page: `tailsim report`; charts: the trace's base name]. */
  title?: string
  /** The command line that made the report, shown in the page's provenance. */
  commandLine?: string
  /** When the report was made (ISO 8601), shown in the page's provenance; none by default, so the page is deterministic. */
  generatedAt?: string
  /** The result files or directories the rows came from, listed in the page's provenance. */
  sources?: string[]
}

export interface ChartFile {
  /** File name without extension, unique within the report: `latency`, `max-load` (one trace) or `latency-2-NAME`. */
  name: string
  kind: 'latency' | 'max_load' | 'per_type'
  trace: string
  title: string
  svg: string
  png?: Uint8Array
  pdf?: Uint8Array
  /** PNG size, pixels. */
  width?: number
  height?: number
}

export interface Report {
  /** The numbers of the tables (what `--format json` prints). */
  model: TablesModel
  /** The tables rendered in `format`. */
  tables: string
  charts: ChartFile[]
  /** The self-contained page, when `html` was asked for. */
  html?: string
  /** Things the user should know (e.g. the PNGs have no text: no font found). */
  warnings: string[]
}

/** What a trace's SLO is, from its rows: its text, and the latency bound a latency chart can draw. */
interface Slo {
  text: string
  /** The first target when it bounds the latency of all requests. */
  percentile?: string
  us?: number
}

const pctLabel = (p: number): string => (p === 100 ? 'max' : `p${p}`)

function sloOf(rows: readonly ResultRow[], sha: string): Slo | undefined {
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

function traceTitle(t: TraceTables): string {
  return `${t.trace} — mean service ${fmtNum(t.service_mean_us)} µs, ${t.cores} cores, ${t.cost_preset} costs`
}

interface ChartContext {
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

async function chartsOf(t: TraceTables, c: ChartContext): Promise<ChartFile[]> {
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

/**
 * A table cell for the page, formatted like the terminal table (`fmtCell` of tables.ts; thousands
 * get separators here, as a page has room for them), with its 95 % interval as `value [low, high]`.
 */
function htmlCell(t: TableModel, col: number, v: Cell, row: Cell[], b: Bounds | null): string | number | null {
  if (v === null || typeof v === 'string') return v
  const name = t.columns[col]
  if (name === 'max load') {
    const status = row[t.columns.indexOf('status')]
    const x = b !== null ? fmtBounds(v, b) : v.toFixed(3)
    return status === 'at_upper_bound' ? `≥ ${x}` : status === 'unmet' ? 'below the lowest load' : x
  }
  if (name === 'efficiency vs mgn-fcfs') return b !== null ? fmtBounds(v, b, 100, '%') : `${(v * 100).toFixed(1)}%`
  if (b !== null) return fmtBounds(v, b)
  if (name === 'throughput (req/s)') return grouped(v)
  if (name === 'load') return Number(v.toFixed(3)).toString()
  // Percent columns, or percent rows of the transposed counters table (`quantity` first).
  if (name.endsWith('%') || (col > 0 && String(row[0]).endsWith('%'))) return v.toFixed(1)
  return fmtNum(v)
}

function htmlTable(t: TableModel): HtmlTable {
  const rows = t.rows.map((r, ri) =>
    r.map((v, i) => {
      const cell = htmlCell(t, i, v, r, t.intervals?.[ri]?.[i] ?? null)
      const mark = t.marks?.[ri]?.[i]
      return mark ? `${cell === null ? 'n/a' : String(cell)} (${mark})` : cell
    }),
  )
  // Right-align every column whose raw cells are numbers (formatted ones are strings now).
  const numeric = t.columns.map((_, i) => i).filter((i) => t.rows.length > 0 && t.rows.every((r) => r[i] === null || typeof r[i] === 'number'))
  return {title: t.title, columns: t.columns, rows, numeric}
}

/** Build the report of merged result rows (from `readResults`). */
export async function buildReport(rows: readonly ResultRow[], opts: ReportOptions = {}): Promise<Report> {
  const percentile = opts.percentile ?? 'p99'
  const format = opts.format ?? 'table'
  const model = buildTables(rows, percentile)
  const tables = renderTables(rows, {format, percentile})
  const warnings: string[] = []
  const wantCharts = (opts.charts ?? true) || opts.html === true || opts.png === true || opts.pdf === true
  const charts: ChartFile[] = []
  const perTrace: ChartFile[][] = []
  if (wantCharts) {
    const many = model.traces.length > 1
    for (let i = 0; i < model.traces.length; i++) {
      const t = model.traces[i]
      const cs = await chartsOf(t, {
        rows: rows.filter((r) => r.trace === t.trace),
        index: i,
        many,
        slo: sloOf(rows, t.trace_sha256),
        percentile,
        ...(opts.title !== undefined ? {title: opts.title} : {}),
        warnings,
      })
      perTrace.push(cs)
      charts.push(...cs)
    }
  }
  if (opts.png === true) {
    for (const c of charts) {
      const r = svgToPng(c.svg, {scale: opts.pngScale, fontFiles: opts.fontFiles})
      c.png = r.png
      c.width = r.width
      c.height = r.height
      if (r.warning !== undefined && !warnings.includes(r.warning)) warnings.push(r.warning)
    }
  }
  if (opts.pdf === true) {
    // pdfkit and its font stack take ~0.25 s of CPU to load: only for --pdf.
    const {svgToPdf} = await import('./pdf.js')
    for (const c of charts) {
      const r = await svgToPdf(c.svg, opts.fontFiles?.[0] !== undefined ? {fontFile: opts.fontFiles[0]} : {})
      c.pdf = r.pdf
      if (r.warning !== undefined && !warnings.includes(r.warning)) warnings.push(r.warning)
    }
  }
  let html: string | undefined
  if (opts.html === true) {
    const prov = provenance({rows, traces: model.traces, sources: opts.sources, commandLine: opts.commandLine, generatedAt: opts.generatedAt})
    html = renderHtml({
      title: opts.title ?? 'tailsim report',
      subtitle: [
        `${model.traces.length} trace${model.traces.length === 1 ? '' : 's'}, ${rows.length} result rows; latency percentile ${percentile}.`,
      ],
      sections: model.traces.map((t, i) => {
        const slo = sloOf(rows, t.trace_sha256)
        return {
          heading: traceTitle(t),
          intro:
            slo !== undefined
              ? `SLO: ${slo.text}. Offered load ρ = λ·E[S]/cores; latencies in microseconds.`
              : 'Offered load ρ = λ·E[S]/cores; latencies in microseconds.',
          charts: (perTrace[i] ?? []).map((c) => ({title: c.title, svg: c.svg})),
          tables: [t.latency, t.max_load, t.per_type, t.counters].filter((m) => m.rows.length > 0).map(htmlTable),
        }
      }),
      provenance: prov,
    })
  }
  return {model, tables, charts, ...(html !== undefined ? {html} : {}), warnings}
}

export interface WriteReportOptions {
  /** Directory for the charts (created if missing): NAME.svg, and NAME.png and NAME.pdf when PNGs or PDFs were built. */
  chartsDir?: string
  /** Path of the HTML page. */
  htmlPath?: string
  /** Replace existing files [false: an existing file is an OutputError naming it]. */
  force?: boolean
}

/**
 * Write a report's files. All destinations are checked before anything is written, so a refused
 * clobber writes nothing; each file is written atomically (temp name + rename). Returns the paths
 * written, in order.
 */
export function writeReport(report: Report, opts: WriteReportOptions): string[] {
  const planned: {path: string; bytes: Uint8Array}[] = []
  const enc = new TextEncoder()
  if (opts.chartsDir !== undefined) {
    const dir = opts.chartsDir
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new OutputError(`Expected --charts to name a directory, got ${dir}, which is a file`, {file: dir, flag: 'charts'})
    }
    for (const c of report.charts) {
      planned.push({path: join(dir, `${c.name}.svg`), bytes: enc.encode(c.svg)})
      if (c.png !== undefined) planned.push({path: join(dir, `${c.name}.png`), bytes: c.png})
      if (c.pdf !== undefined) planned.push({path: join(dir, `${c.name}.pdf`), bytes: c.pdf})
    }
  }
  if (opts.htmlPath !== undefined) {
    if (report.html === undefined) throw new ConfigError('Expected a report built with `html: true` to write an HTML page, got none')
    planned.push({path: opts.htmlPath, bytes: enc.encode(report.html)})
  }
  const seen = new Set<string>()
  for (const p of planned) {
    const abs = resolve(p.path)
    if (seen.has(abs)) throw new OutputError(`Two outputs of the report would both be written to ${p.path}`, {file: p.path})
    seen.add(abs)
    if (!opts.force && existsSync(p.path)) {
      throw new OutputError(`${p.path} already exists; pass --force to replace it`, {file: p.path})
    }
  }
  if (opts.chartsDir !== undefined && planned.length > 0) {
    try {
      mkdirSync(opts.chartsDir, {recursive: true})
    } catch (error) {
      throw new OutputError(`Cannot create the charts directory ${opts.chartsDir}: ${(error as Error).message}`, {file: opts.chartsDir})
    }
  }
  const written: string[] = []
  for (const p of planned) {
    writeAtomic(p.path, p.bytes)
    written.push(p.path)
  }
  return written
}
