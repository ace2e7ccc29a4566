/**
 * `tailsim report RESULTS...`: tables (as `compare` prints them), charts and an HTML page from
 * result files (Parquet / Arrow / JSON, or directories of parts written by `compare --out`).
 */
import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base.js'
import {ConfigError} from '../src/errors.js'
import {buildReport, writeReport} from '../src/report/report.js'
import type {TablesModel} from '../src/report/tables.js'
import {refuseInputAsOutput} from '../src/results/guard.js'
import {describeMissing, missingCells} from '../src/results/completeness.js'
import {IncompleteSweepError} from '../src/experiment/sweep.js'
import {readResultsPlanned} from '../src/results/read.js'

export interface ReportResult {
  tables: TablesModel
  /** Files written (charts, page), in order. */
  written: string[]
  warnings: string[]
}

export default class Report extends BaseCommand {
  static override summary = 'Render tables, charts and an HTML page from result files.'

  static override description = `Reads result files or directories of parts (Parquet, Arrow IPC or JSON, as written by \`compare --out\`), merges them (refusing parts of different sweeps or of a newer schema), and prints the same tables as \`compare\`: latency vs offered load, max load at the SLO, and the counters.

\`--charts DIR\` writes, per trace, latency-vs-load (one line per policy, log axis, the SLO as a dashed line) and max-load-at-SLO bar charts as SVG, and as PNG with \`--png\`. \`--html FILE\` writes one self-contained page (no scripts, no external URLs) with the tables and the charts inline. Files are written atomically and never replaced without \`--force\`.

Completeness: every result file written by \`compare\` records how many cells its sweep plans (all shards) and which shard wrote it. When cells are missing (a shard not run or not finished, an interrupted run, failed cells) \`report\` prints a warning naming the missing cells and their shards, and still prints the tables of the cells present; with \`--strict\` it prints the warning and exits 1 instead, writing nothing.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> results/',
    '<%= config.bin %> <%= command.id %> results/part-1-of-3.parquet results/part-2-of-3.parquet results/part-3-of-3.parquet --format markdown',
    '<%= config.bin %> <%= command.id %> results.parquet --charts charts/ --png',
    '<%= config.bin %> <%= command.id %> results/ --html report.html --percentile p99.9',
  ]

  static override strict = false

  static override args = {
    results: Args.string({description: 'Result files or directories of result parts.', required: true}),
  }

  static override flags = {
    format: Flags.string({
      description: 'Output on stdout: the tables (table, markdown; json: their numbers), or csv: the result rows as one tidy CSV (one line per cell, one header line).',
      options: ['table', 'markdown', 'csv', 'json'],
      default: 'table',
      env: 'TAILSIM_FORMAT',
    }),
    percentile: Flags.string({
      description: 'Latency percentile of the latency table and chart: p50, p90, p99, p99.9, p99.99, max or mean.',
      default: 'p99',
    }),
    charts: Flags.string({description: 'Write the charts as SVG files into this directory (created if missing).'}),
    png: Flags.boolean({description: 'With --charts: also write each chart as PNG.', default: false}),
    'png-scale': Flags.string({description: 'PNG pixel density (2 = twice the SVG size).', default: '2'}),
    'font-file': Flags.string({description: 'A TTF/OTF font for the PNG text, when the system has none (repeatable).', multiple: true}),
    html: Flags.string({description: 'Write one self-contained HTML page with the tables and charts to this file.'}),
    title: Flags.string({description: 'Title of the HTML page.', default: 'tailsim report'}),
    strict: Flags.boolean({description: 'Fail (exit 1, nothing written) when the results are an incomplete sweep, instead of warning.', default: false}),
    force: Flags.boolean({char: 'f', description: 'Replace existing chart or page files.', default: false}),
  }

  async run(): Promise<ReportResult> {
    const {argv, flags} = await this.parse(Report)
    const paths = argv as string[]
    if (flags.png && flags.charts === undefined) {
      throw new ConfigError('Expected --charts DIR with --png (the PNGs are written next to the SVGs), got no --charts', {flag: 'png'})
    }
    const scale = Number(flags['png-scale'])
    if (!(Number.isFinite(scale) && scale > 0 && scale <= 16)) {
      throw new ConfigError(`Expected a pixel density in (0, 16], got "${flags['png-scale']}"`, {flag: 'png-scale'})
    }
    const {rows, plans} = await readResultsPlanned(paths)
    const incomplete = missingCells(plans).map(describeMissing)
    if (flags.strict && incomplete.length > 0) {
      throw new IncompleteSweepError(`${incomplete.join('; ')}; --strict refuses it`)
    }
    const report = await buildReport(rows, {
      format: flags.format as 'table' | 'markdown' | 'csv' | 'json',
      percentile: flags.percentile,
      charts: flags.charts !== undefined,
      png: flags.png,
      pngScale: scale,
      fontFiles: flags['font-file'],
      html: flags.html !== undefined,
      title: flags.title,
      sources: paths,
    })
    refuseInputAsOutput(flags.html, [...paths, ...(flags['font-file'] ?? [])], 'html')
    const written = writeReport(report, {chartsDir: flags.charts, htmlPath: flags.html, force: flags.force})
    if (!this.jsonEnabled()) {
      process.stdout.write(report.tables)
      for (const w of incomplete) process.stderr.write(`Warning: ${w}; the tables show only the cells present (--strict fails instead)\n`)
      for (const w of report.warnings) process.stderr.write(`Warning: ${w}\n`)
      for (const p of written) process.stderr.write(`Wrote ${p}\n`)
    }
    return {tables: report.model, written, warnings: [...incomplete, ...report.warnings]}
  }
}
