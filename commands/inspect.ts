import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base.js'
import {inspectDoc} from '../src/cli/json-docs.js'
import {parseGhz, traceFlags, traceOptions} from '../src/cli/trace-flags.js'
import {openTrace} from '../src/trace/open.js'
import {offeredLoad, scanTrace} from '../src/trace/scan.js'
import {showInstant} from '../src/trace/clock.js'
import type {ConnSource, TraceClock, TraceStats} from '../src/trace/types.js'
import {grouped} from '../src/grouped.js'

export interface InspectResult extends TraceStats {
  /** Cores the offered load refers to. */
  cores: number
  /** Offered load ρ = rate × mean service / cores. */
  offeredLoad: number
  /** Convenience values in microseconds and requests per second. */
  spanUs: number
  ratePerSecond: number
  serviceMeanUs: number
  serviceP50Us: number
  serviceP99Us: number
  serviceMaxUs: number
  serviceMinUs: number
  /** The arrival clock: first and last arrival on the trace's own clock (ISO-8601 for epoch clocks). */
  clock?: TraceClock & {start: string; end: string}
  /** Where connection ids came from (a column, drawn with --connections, or --conn-per-request). */
  connectionSource?: ConnSource
}

export default class Inspect extends BaseCommand {
  static override summary = 'Summarise a trace: rows, span, rate, service distribution, connections, offered load, types.'

  static override description = `Reads the trace once (streaming; Arrow IPC file or stream, Parquet, CSV, or - for stdin) and prints its row count, time span, arrival rate, service time mean / p50 / p99 / max and coefficient of variation, the number of connections and the busiest one's share of requests, the offered load on --cores (rate × mean service / cores) and per-type counts. Every malformed row is reported with its file, row and column.

Percentiles come from a log histogram (within 0.4%; exact when a bucket holds one distinct value). Times are converted to cycles at --ghz exactly as a simulation would.`

  static override examples = [
    {description: 'The sample trace.', command: '<%= config.bin %> inspect traces/sample.csv'},
    {description: 'Offered load on 8 cores, as JSON.', command: '<%= config.bin %> inspect traces/bimodal1-10us.parquet --cores 8 --json'},
    {description: 'A CSV with other column names, times in microseconds.', command: '<%= config.bin %> inspect my.csv --arrival-column ts --arrival-unit us --conn-column flow --service-column svc --service-unit us'},
    {description: 'From stdin.', command: '<%= config.bin %> generate - --load 0.5 | <%= config.bin %> inspect -'},
    {description: 'A gzip-compressed access log with epoch-second timestamps and no connection ids.', command: '<%= config.bin %> inspect access.tsv.gz --arrival-column msec --arrival-unit s --service-column upstream_s --connections 500'},
  ]

  static override args = {
    trace: Args.string({description: 'Trace file (.arrow, .arrows, .parquet, .csv) or - for stdin.', required: true}),
  }

  static override flags = {
    cores: Flags.integer({char: 'c', description: 'Cores for the offered load.', default: 16, min: 1}),
    ghz: Flags.string({description: 'Core clock in GHz used to convert times to cycles. [default: 2.4]'}),
    ...traceFlags,
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Inspect)
    const ghz = parseGhz(flags.ghz)
    const source = openTrace(args.trace, traceOptions(flags, ghz))
    // inspect describes the whole trace: a full pass (whose statistics a later run can reuse).
    const stats = await scanTrace(source, {ghz})
    await source.rememberStats?.(stats)
    const us = (cycles: number) => cycles / ghz / 1000
    const result: InspectResult = {
      ...stats,
      cores: flags.cores,
      offeredLoad: offeredLoad(stats, flags.cores),
      spanUs: us(stats.lastArrival - stats.firstArrival),
      ratePerSecond: stats.ratePerCycle * ghz * 1e9,
      serviceMeanUs: us(stats.serviceMean),
      serviceP50Us: us(stats.serviceP50 ?? Number.NaN),
      serviceP99Us: us(stats.serviceP99 ?? Number.NaN),
      serviceMaxUs: us(stats.serviceMax),
      serviceMinUs: us(stats.serviceMin),
    }
    const clock = source.ingest?.clock
    if (clock !== undefined) {
      result.clock = {...clock, start: showInstant(clock, stats.firstArrival, ghz), end: showInstant(clock, stats.lastArrival, ghz)}
    }
    if (source.ingest?.connections !== undefined) result.connectionSource = source.ingest.connections
    this.log(render(result))
    return inspectDoc({stats, cores: flags.cores, ghz, offeredLoad: result.offeredLoad, clock: result.clock, connectionSource: result.connectionSource})
  }
}

function num(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v)
  return grouped(Number(v.toPrecision(digits)), 6)
}

function time(us: number): string {
  if (us >= 1e6) return `${num(us / 1e6)} s`
  if (us >= 1e3) return `${num(us / 1e3)} ms`
  if (us >= 1) return `${num(us)} µs`
  return `${num(us * 1e3)} ns`
}

function connNote(c: ConnSource | undefined): string {
  if (c === undefined || c.mode === 'column') return ''
  if (c.mode === 'per-request') return '; one per request (--conn-per-request)'
  return `; drawn uniformly from ${grouped(c.connections)} ids per request (--connections, --conn-seed ${c.seed})`
}

function render(r: InspectResult): string {
  const rows: [string, string][] = [
    ['trace', r.name ?? ''],
    ['sha256', r.sha256],
    ['rows', grouped(r.requests)],
    ['span', `${time(r.spanUs)} (first arrival ${time(r.firstArrival / (r.ghz ?? 2.4) / 1000)}${r.clock?.rebased ? ' after the base second' : ''})`],
    ['rate', `${num(r.ratePerSecond / 1e6)} M requests/s`],
    [
      'service',
      `mean ${time(r.serviceMeanUs)}, p50 ${time(r.serviceP50Us)}, p99 ${time(r.serviceP99Us)}, max ${time(r.serviceMaxUs)}, min ${time(r.serviceMinUs)}`,
    ],
    ['service CV', num(r.serviceCv, 3)],
    ['connections', `${grouped(r.connections)} (busiest has ${num(r.busiestConnShare * 100, 3)}% of requests)${connNote(r.connectionSource)}`],
    ['offered load', `${num(r.offeredLoad, 3)} on ${r.cores} cores (rate × mean service / cores)`],
  ]
  if (r.clock !== undefined && (r.clock.rebased || r.clock.kind !== 'number')) {
    const how = r.clock.kind === 'iso' ? 'ISO-8601 text' : r.clock.kind === 'timestamp' ? `timestamp[${r.clock.unit}]` : `${r.clock.unit} since ${r.clock.epoch ? 'the epoch' : 'its origin'}`
    rows.splice(4, 0, ['start', `${r.clock.start} (column \`${r.clock.column}\`: ${how}; simulated times count from here)`], ['end', r.clock.end])
  }
  const types = Object.entries(r.typeCounts).sort((a, b) => b[1] - a[1])
  if (types.length > 0) {
    rows.push(['types', types.map(([k, v]) => `${k} ${grouped(v)} (${num((v / r.requests) * 100, 3)}%)`).join(', ')])
  }
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')
}
