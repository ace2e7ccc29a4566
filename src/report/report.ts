/**
 * The report library entry: result rows → {tables, chart SVGs (and PNGs), one HTML page}, and the
 * atomic, no-clobber writing of those files.
 *
 * The charts are drawn from the same numbers as the tables (`buildTables`): the latency chart
 * plots, per policy and load, the mean over replications of a percentile (as the latency table
 * does), with its 95% interval as a band (chart-data.ts); the bar chart plots the max-load table.
 * One latency chart and one max-load chart per trace (trace-charts.ts draws a trace's charts).
 *
 * The latency chart plots the SLO's percentile, so its SLO rule always applies to the curves (a
 * p99.9 bound drawn over p99 curves would mislead); when `percentile` (the table's) is another,
 * a second latency chart plots that one, without a rule. The bar chart always names the SLO.
 */
import {existsSync, mkdirSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {ConfigError, OutputError} from '../errors.js'
import type {ResultRow} from '../results/schema.js'
import {writeAtomic} from '../results/write.js'
import type {Bounds} from './cell-interval.js'
import {buildTables, fmtCell, PAGE, renderTables, type Cell, type TableFormat, type TableModel, type TablesModel} from './tables.js'
import {svgToPng} from './charts.js'
import {provenance} from './chart-data.js'
import {type HtmlTable, renderHtml} from './html.js'
import {chartsOf, sloOf, traceTitle} from './trace-charts.js'

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

/** A table cell for the page: as in the terminal table (`fmtCell`), in the page's style; an empty cell stays null. */
function htmlCell(t: TableModel, col: number, v: Cell, row: Cell[], b: Bounds | null): string | number | null {
  return v === null || typeof v === 'string' ? v : fmtCell(t, col, v, row, b, PAGE)
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
