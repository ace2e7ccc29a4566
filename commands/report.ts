/**
 * `tailsim report RESULTS...`: tables (as `compare` prints them), charts and an HTML page from
 * result files (Parquet / Arrow / JSON, or directories of parts written by `compare --out`).
 */
import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base.js'
import {reportFlags, reportOptions} from '../src/cli/report-flags.js'
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

\`--charts DIR\` writes, per trace, latency-vs-load (the SLO's percentile: one line per policy with its own colour, marker and dash, 95% interval bands where intervals exist, log axis, the SLO as a black dashed line; plus a chart of --percentile when it is another) and max-load-at-SLO bar charts as SVG, as PNG with \`--png\` and as PDF with \`--pdf\`. \`--html FILE\` writes one self-contained page (no scripts, no external URLs) with the tables, the charts inline and the provenance (seeds, costs, version, command line, time; SOURCE_DATE_EPOCH fixes the time). Files are written atomically and never replaced without \`--force\`.

Completeness: every result file written by \`compare\` records how many cells its sweep plans (all shards) and which shard wrote it. When cells are missing (a shard not run or not finished, an interrupted run, failed cells) \`report\` prints a warning naming the missing cells and their shards, and still prints the tables of the cells present; with \`--strict\` it prints the warning and exits 1 instead, writing nothing.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> results/',
    '<%= config.bin %> <%= command.id %> results/part-1-of-3.parquet results/part-2-of-3.parquet results/part-3-of-3.parquet --format markdown',
    '<%= config.bin %> <%= command.id %> results.parquet --charts charts/ --png --pdf --title "Figure 3"',
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
    ...reportFlags,
    strict: Flags.boolean({description: 'Fail (exit 1, nothing written) when the results are an incomplete sweep, instead of warning.', default: false}),
    force: Flags.boolean({char: 'f', description: 'Replace existing chart or page files.', default: false}),
  }

  async run(): Promise<ReportResult> {
    const {argv, flags} = await this.parse(Report)
    const paths = argv as string[]
    const chartOpts = reportOptions(flags, [this.id ?? 'report', ...this.argv])
    const {rows, plans} = await readResultsPlanned(paths)
    const incomplete = missingCells(plans).map(describeMissing)
    if (flags.strict && incomplete.length > 0) {
      throw new IncompleteSweepError(`${incomplete.join('; ')}; --strict refuses it`)
    }
    const report = await buildReport(rows, {
      format: flags.format as 'table' | 'markdown' | 'csv' | 'json',
      percentile: flags.percentile,
      ...chartOpts,
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
