/**
 * `tailsim compare TRACE... --policies ... --loads ...`: the side-by-side verdict. Thin: flags →
 * SweepRequest → prepareSweep/runSweep (src/experiment) → renderTables (src/report/tables).
 */
import {existsSync} from 'node:fs'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base.js'
import {compareDoc} from '../src/cli/json-docs.js'
import {count} from '../src/cli/count-flag.js'
import {createProgress, progressFlags, type ProgressMode} from '../src/cli/progress.js'
import {buildSimConfig, numberFlag, simFlags, type SimFlagValues} from '../src/cli/sim-flags.js'
import {ConfigError, OutputError} from '../src/errors.js'
import {usableCpus} from '../src/experiment/cpus.js'
import {parseLoads} from '../src/experiment/loads.js'
import {parseShard} from '../src/experiment/plan.js'
import type {CellFailure} from '../src/experiment/pool.js'
import {describeSlo, parseSlo} from '../src/experiment/slo.js'
import {IncompleteSweepError, SweepInterruptedError, prepareSweep, runSweep, type SweepOutcome} from '../src/experiment/sweep.js'
import {buildTables, renderTables, type TableFormat, type TablesModel} from '../src/report/tables.js'
import {refuseInputAsOutput} from '../src/results/guard.js'
import type {ResultRow} from '../src/results/schema.js'
import {traceFlags, traceOptions} from '../src/cli/trace-flags.js'
import {reportFlags, reportOptions} from '../src/cli/report-flags.js'

export const DEFAULT_POLICIES = 'zygos,ix,linux-partitioned,linux-floating,mgn-fcfs,n-mg1-fcfs'
export const DEFAULT_LOADS = '0.1:0.9:0.1'

export interface CompareResult {
  sweep_id: string
  shard: string
  cells: number
  resumed: number
  complete: boolean
  out?: string
  failures: {cell_id: string; message: string; code: string}[]
  tables: TablesModel
  rows: ResultRow[]
}

export function describeCell(f: CellFailure, traces: string[]): string {
  const c = f.cell
  const where = c.kind === 'max_load' ? 'max-load search' : `load ${c.load}, replication ${c.replication}`
  return `cell ${c.index} (${traces[c.trace]}, ${c.policy}, ${where})`
}

export default class Compare extends BaseCommand {
  static override summary = 'Compare scheduling policies on traces: latency vs load, max load at an SLO, counters.'

  static override description = `Runs every policy × load (× replication) cell on a pool of worker threads, plus one max-load-at-SLO search per trace × policy (bisection to ±0.005 of load), and prints:
  1. the latency-vs-load table (--percentile, p99 by default), one column per policy;
  2. the max load at the SLO, with the throughput there and the efficiency relative to mgn-fcfs (always included as the reference);
  3. the counters that explain the differences (utilisation, steals, IPIs, batch sizes, ...), per 100 requests at the highest common load.

TRACE is a trace file (Arrow IPC, Parquet, CSV) or synthetic:SPEC (e.g. synthetic:exp:10us, synthetic:bimodal2:10us; --requests, --connections; replication r draws with seed + r).

The SLO (--slo) defaults to the paper's: p99 <= 10 × the trace's mean service time. Also: --slo 100us, --slo 20x, --slo p99.9:200us; on the slowdown (time in the server / service time): --slo slowdown:p99.9:10; on one request type of the trace: --slo type=short:p99:50us; several targets, all of which must hold, separated by commas: --slo p99:200us,slowdown:p99.9:10.

Results: --out DIR/ writes one Parquet part per finished cell (DIR/cell-NNNNN.parquet), atomically, as cells finish; --out FILE.parquet (or .arrow, .json) stages the parts in FILE.parts/ and merges them into FILE when every cell is done. --resume skips cells whose parts exist (same sweep only) and gives the same tables as an uninterrupted run. --shard i/n runs cells k with k mod n = i-1, for batch arrays; \`tailsim report\` merges the shards' parts. Ctrl-C (SIGINT) / SIGTERM: no new cell starts; the running cells get --grace seconds (default 10) to finish and are kept; then the ones still running are stopped. A second Ctrl-C / SIGTERM stops them at once. The finished cells' parts stay in --out; compare says which cells were kept, stopped or never started, and exits 130 (SIGINT) / 143 (SIGTERM). A failing cell is reported with its parameters, the others finish, and the exit code is 1 (incomplete sweep).

Charts and page: --charts DIR (SVG; --png, --pdf) and --html FILE draw the results as \`tailsim report\` does, titled by --title or the trace's name.`

  static override examples = [
    {description: 'The sample trace, four systems and the models.', command: `<%= config.bin %> compare traces/sample.csv --policies ${DEFAULT_POLICIES} --cores 16`},
    {description: 'A synthetic paper workload, Markdown tables.', command: '<%= config.bin %> compare synthetic:exp:10us --policies zygos,ix:batch=1,mgn-fcfs --loads 0.1:0.9:0.1 --format markdown'},
    {description: 'A stricter SLO on p99.9.', command: '<%= config.bin %> compare traces/sample.csv --policies zygos,ix --slo p99.9:200us'},
    {description: 'Shard 3 of 16 of a batch array, parts in a shared directory.', command: '<%= config.bin %> compare trace.parquet --policies zygos,ix --shard 3/16 --out results/'},
    {description: 'Max load with a 95% interval over 5 replications.', command: '<%= config.bin %> compare synthetic:exp:10us --policies zygos,mgn-fcfs --loads 0.5 --replications 5 --requests 50000'},
    {description: 'Sensitivity: max load against one cost, halved and doubled.', command: '<%= config.bin %> compare synthetic:exp:10us --policies zygos,ix --loads 0.5 --vary rx_packet=x0.5,x1,x2'},
    {description: 'Charts (SVG, PNG, PDF) and an HTML page of the results.', command: '<%= config.bin %> compare synthetic:exp:10us --policies zygos,ix --charts charts/ --png --pdf --html report.html --title "Exponential service"'},
    {description: 'Continue an interrupted sweep.', command: '<%= config.bin %> compare trace.parquet --policies zygos,ix --out results/ --resume'},
  ]

  static override strict = false

  static override args = {
    traces: Args.string({description: 'Trace files or synthetic:SPEC (one or more).', required: true}),
  }

  static override flags = {
    policies: Flags.string({
      char: 'p',
      description: 'Comma-separated policy specs (options with `:`, e.g. ix:batch=1); a path such as ./my-policy.mjs loads a plug-in policy module. mgn-fcfs is always added.',
      default: DEFAULT_POLICIES,
    }),
    loads: Flags.string({char: 'l', description: 'Offered loads: LO:HI:STEP or a comma list.', default: DEFAULT_LOADS}),
    replications: Flags.integer({
      char: 'k',
      description: 'Independent replications (seed + r) of each latency cell and of each max-load search: every value is then the mean of the runs with its 95% t-interval, clamped to the range observed over them and printed as `value [low, high]`.',
      default: 1,
      min: 1,
      max: 10_000,
    }),
    interval: Flags.string({description: 'Require intervals over replications (`replications`: needs --replications >= 2).', options: ['replications']}),
    vary: Flags.string({description: 'Parameter axis: NAME=V1,V2,... with NAME a cost (cycles, or xF for F times the preset), ghz, cores or POLICY:OPTION (e.g. ix:batch=1,8,64).'}),
    slo: Flags.string({description: 'SLO: 100us, 10x (× mean service time), p99.9:200us, slowdown:p99.9:10, type=NAME:p99:50us; comma-separated targets must all hold. [default: p99 <= 10x]'}),
    percentile: Flags.string({description: 'Percentile of the latency table: p50, p90, p99, p99.9, p99.99, max or mean.', default: 'p99'}),
    format: Flags.string({description: 'Output on stdout: the tables (table, markdown; json: their numbers), or csv: the result rows as one tidy CSV (one line per cell, one header line).', options: ['table', 'markdown', 'csv', 'json'], default: 'table', env: 'TAILSIM_FORMAT'}),
    'max-load': Flags.boolean({description: 'Search the max load at the SLO for each policy (--no-max-load skips it).', default: true, allowNo: true}),
    'search-range': Flags.string({description: 'Load range LO:HI of the max-load search.', default: '0.01:0.99'}),
    'search-tol': Flags.string({description: 'Bisection tolerance of the max-load search, in load.', default: '0.005'}),
    out: Flags.string({char: 'o', description: 'Write results: DIR/ (one Parquet part per cell) or FILE.parquet|.arrow|.json.'}),
    shard: Flags.string({description: 'Run shard i of n (cells k with k mod n = i-1), e.g. 3/16.'}),
    resume: Flags.boolean({description: 'Skip cells whose parts already exist in --out (same sweep).', default: false}),
    force: Flags.boolean({char: 'f', description: 'Overwrite --out (delete its earlier parts).', default: false}),
    jobs: Flags.integer({
      char: 'j',
      description: 'Worker threads (0 = run in this thread). [default: the CPUs this process may use: affinity and cgroup CPU quota]',
      min: 0,
      env: 'TAILSIM_JOBS',
    }),
    grace: Flags.custom<number>({
      async parse(input) {
        const v = Number(input)
        // A plain Error: the parser adds the flag's name (see src/cli/fail.ts).
        if (input.trim() === '' || !Number.isFinite(v) || v < 0 || v > 86_400) throw new Error(`Expected a number of seconds in [0, 86400], got "${input}"`)
        return v
      },
    })({description: 'After Ctrl-C / SIGTERM: seconds the running cells get to finish (0 = stop them at once).', default: 10}),
    'worker-memory': Flags.integer({description: 'Heap limit per worker thread, MB.', min: 16}),
    requests: count({char: 'n', description: 'Requests of synthetic:SPEC traces (default 100000; 1e6-style values accepted). Refused when every TRACE is a file (files are replayed whole).', min: 1}),
    ...progressFlags,
    ...reportFlags,
    ...simFlags,
    ...traceFlags,
  }

  async run(): Promise<Record<string, unknown>> {
    const {argv, flags} = await this.parse(Compare)
    const traces = argv as string[]
    const sim = buildSimConfig(flags as SimFlagValues)
    const loads = parseLoads(flags.loads, sim.allowOverload)
    const slo = parseSlo(flags.slo)
    const [lo, hi, extra] = flags['search-range'].split(':')
    if (extra !== undefined || hi === undefined) throw new ConfigError(`Expected LO:HI, got "${flags['search-range']}"`, {flag: 'search-range'})
    const search = {
      lo: numberFlag(lo, 'search-range', 'LO:HI with 0 < LO < HI', (v) => v > 0)!,
      hi: numberFlag(hi, 'search-range', 'LO:HI with 0 < LO < HI', (v) => v > 0)!,
      tol: numberFlag(flags['search-tol'], 'search-tol', 'a load tolerance > 0', (v) => v > 0)!,
    }
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard)
    const format = flags.format as TableFormat
    buildTables([], flags.percentile) // validates --percentile before any work
    if ((flags.resume || flags.force) && flags.out === undefined && !(flags.force && (flags.charts !== undefined || flags.html !== undefined))) {
      throw new ConfigError('Expected --out with --resume/--force, got no --out', {flag: flags.resume ? 'resume' : 'force'})
    }
    const chartOpts = reportOptions(flags, [this.id ?? 'compare', ...this.argv])
    refuseInputAsOutput(flags.html, [...traces, flags.machine], 'html')
    if (flags.html !== undefined && !flags.force && existsSync(flags.html)) {
      throw new OutputError(`${flags.html} already exists; pass --force to replace it`, {file: flags.html})
    }

    refuseInputAsOutput(flags.out, [...traces, flags.machine], 'out')
    if (flags.interval === 'replications' && flags.replications < 2) {
      throw new ConfigError(`Expected --replications >= 2 for --interval replications (a t-interval needs two runs), got --replications ${flags.replications}`, {flag: 'replications'})
    }
    const prepared = await prepareSweep({
      ...(flags.vary !== undefined ? {vary: flags.vary} : {}),
      traces,
      policies: flags.policies.split(','),
      loads,
      replications: flags.replications,
      slo,
      search,
      maxLoad: flags['max-load'],
      sim,
      traceOptions: traceOptions(flags, sim.ghz),
      synthetic: {...(flags.requests !== undefined ? {requests: flags.requests} : {}), connections: flags.connections ?? 2720},
    })

    // SIGINT/SIGTERM: `stop` starts no new cell and lets the running ones finish; after --grace
    // seconds, or on a second signal, `abort` stops them (their workers are terminated); a third
    // signal exits at once.
    const stop = new AbortController()
    const abort = new AbortController()
    let signal: NodeJS.Signals | undefined
    let signals = 0
    let grace: NodeJS.Timeout | undefined
    const running = new Set<number>()
    const again = (s: NodeJS.Signals) => (s === 'SIGINT' ? 'Ctrl-C' : s)
    const onSignal = (s: NodeJS.Signals) => {
      signals++
      if (signals === 1) {
        signal = s
        stop.abort()
        if (running.size === 0 || flags.grace === 0) {
          progress.log(`${s}: stopping${running.size > 0 ? ` the ${running.size} running cell(s)` : ''}, keeping finished cells...`)
          abort.abort()
          return
        }
        progress.log(`${s}: no new cells; waiting up to ${flags.grace} s for the ${running.size} running cell(s) to finish (${again(s)} again stops them now)...`)
        grace = setTimeout(() => {
          progress.log(`${s}: grace period of ${flags.grace} s over; stopping the ${running.size} cell(s) still running...`)
          abort.abort()
        }, flags.grace * 1000)
      } else if (signals === 2) {
        progress.log(`${s}: stopping the ${running.size} running cell(s) now (${again(s)} again exits at once)...`)
        abort.abort()
      } else process.exit(s === 'SIGINT' ? 130 : 143)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)

    // Progress goes to stderr (also with --json, whose document is on stdout).
    const progress = createProgress({unit: 'cells', mode: flags.progress as ProgressMode, intervalMs: flags['progress-interval'] * 1000, delayMs: 0})
    let outcome: SweepOutcome
    try {
      outcome = await runSweep(prepared, {
        shard,
        jobs: flags.jobs ?? usableCpus(),
        out: flags.out,
        resume: flags.resume,
        force: flags.force,
        signal: abort.signal,
        stop: stop.signal,
        workerMemoryMb: flags['worker-memory'],
        onStart: (cell) => running.add(cell.index),
        onProgress: (done, total) => progress.update(done, total),
        onFailure: (f) => {
          running.delete(f.cell.index)
          progress.log(`Failed: ${describeCell(f, traces)}: ${f.message}`)
        },
        onRow: (row) => running.delete(row.cell_index),
      })
    } finally {
      clearTimeout(grace)
      progress.stop()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }

    const kept = outcome.partsDir ?? outcome.outFile
    if (outcome.interrupted) {
      const finished = outcome.rows.length - outcome.resumed
      const stopped = outcome.abandoned.map((c) => describeCell({cell: c, message: '', code: ''}, traces))
      const notStarted = outcome.notRun.length - outcome.abandoned.length
      const what = kept !== undefined ? `kept ${outcome.rows.length} finished cell(s) in ${kept}; continue with --resume` : 'nothing kept (no --out)'
      throw new SweepInterruptedError(
        `Interrupted by ${signal ?? 'abort'}: ${outcome.rows.length} of ${outcome.cells.length} cells finished` +
          `${outcome.resumed > 0 ? ` (${outcome.resumed} resumed, ${finished} run now)` : ''}, ` +
          `${stopped.length} stopped while running${stopped.length > 0 ? ` (${stopped.slice(0, 5).join('; ')}${stopped.length > 5 ? '; …' : ''})` : ''}, ` +
          `${notStarted} not started${outcome.failures.length > 0 ? `, ${outcome.failures.length} failed` : ''}; ${what}`,
        signal === 'SIGTERM' ? 143 : 130,
      )
    }
    const names = prepared.spec.traces.map((t) => t.name)
    const tables = buildTables(outcome.rows, flags.percentile)
    if (!this.jsonEnabled() && outcome.rows.length > 0) {
      process.stdout.write(renderTables(outcome.rows, {format, percentile: flags.percentile}))
      {
        // Status goes to stderr: stdout holds only the tables (identical for resumed, sharded runs).
        const slos = [...new Set(prepared.spec.traces.map((t) => describeSlo(t.slo)))].join('; ')
        process.stderr.write(`SLO ${slos}. ${outcome.cells.length} cells${shard ? ` (shard ${shard.index}/${shard.count})` : ''}` +
          `${outcome.resumed > 0 ? `, ${outcome.resumed} resumed` : ''}${outcome.outFile ? `; results in ${outcome.outFile}` : kept ? `; parts in ${kept}` : ''}.\n`)
      }
    }
    if (!outcome.complete) {
      const lines = outcome.failures.map((f) => `  ${describeCell(f, names)}: ${f.message}`)
      throw new IncompleteSweepError(
        `The sweep is incomplete: ${outcome.failures.length} of ${outcome.cells.length} cells failed${kept ? ` (finished cells kept in ${kept}; rerun with --resume to retry the failed ones)` : ''}:\n${lines.join('\n')}`,
      )
    }
    // Charts and page (--charts, --html): the same as `tailsim report` on the results.
    if (flags.charts !== undefined || flags.html !== undefined) {
      // The chart stack (vega, vega-lite; pdfkit for --pdf) is loaded only for these flags: it
      // costs about 1 s of CPU, more than a small comparison.
      const {buildReport, writeReport} = await import('../src/report/report.js')
      const report = await buildReport(outcome.rows, {percentile: flags.percentile, ...chartOpts})
      const written = writeReport(report, {chartsDir: flags.charts, htmlPath: flags.html, force: flags.force})
      if (!this.jsonEnabled()) {
        for (const w of report.warnings) process.stderr.write(`Warning: ${w}\n`)
        for (const p of written) process.stderr.write(`Wrote ${p}\n`)
      }
    }
    return compareDoc({
      sweep_id: prepared.sweepId,
      shard: shard ? `${shard.index}/${shard.count}` : '1/1',
      cells: outcome.cells.length,
      resumed: outcome.resumed,
      complete: outcome.complete,
      out: outcome.outFile ?? outcome.partsDir,
      failures: outcome.failures.map((f) => ({cell_id: f.cell.id, message: f.message, code: f.code})),
      tables,
      rows: outcome.rows,
    })
  }
}
