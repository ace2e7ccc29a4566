import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base.js'
import {generateDoc} from '../src/cli/json-docs.js'
import {count} from '../src/cli/count-flag.js'
import {ConfigError, SignalError} from '../src/errors.js'
import {yielding} from '../src/trace/yielding.js'
import type {TraceSource} from '../src/trace/types.js'
import {seedFlag} from '../src/cli/sim-flags.js'
import {parseGhz} from '../src/cli/trace-flags.js'
import {parseArrivalSpec, parseServiceSpec, splitSyntheticSpec, syntheticTrace} from '../src/trace/synthetic.js'
import {refuseInputAsOutput, specInputFiles} from '../src/results/guard.js'
import {OUTPUT_FORMATS, type OutputFormat, writeTrace} from '../src/trace/writer.js'

export interface GenerateResult {
  path: string
  format: OutputFormat
  requests: number
  bytes: number
  service: string
  /** Arrival process (canonical text). */
  arrivals: string
  meanServiceUs: number
  /** Mean arrival rate: the one asked for, or with replay:FILE arrivals the file's ((rows − 1)/span). */
  ratePerSecond: number
  /** Offered load on `cores` (rate × mean service / cores). */
  load: number
  cores: number
  connections: number
  seed: number
  ghz: number
  /** SHA-256 of the canonical generator spec (the synthetic trace's fingerprint). */
  specSha256: string
}

export default class Generate extends BaseCommand {
  static override summary = 'Write a synthetic trace (an arrival process, a service distribution) to Arrow, Parquet or CSV.'

  static override description = `Generates a seeded synthetic trace: arrivals at the rate that offers --load to --cores (or at --rate), Poisson unless --arrivals says otherwise, service times from --service, requests spread uniformly over --connections. The same flags always give a bit-identical file. The trace is streamed in batches, so 100 million requests need no more memory than a thousand.

The format comes from OUT's extension (.arrow Arrow IPC file, .arrows Arrow IPC stream, .parquet, .csv) or --format; OUT = - writes an Arrow IPC stream to stdout. Columns: arrival_ns, conn, service_ns (+ type for mix: specs). Times are written in nanoseconds with one decimal (at 2.4 GHz), which reads back to exactly the generated cycle counts.

Service specs (times take ns, us, ms or s):
  exp:MEAN              exponential
  fixed:VALUE           deterministic
  bimodal1:MEAN         90% at 0.5·MEAN, 10% at 5.5·MEAN (paper)
  bimodal2:MEAN         99.9% at 0.5·MEAN, 0.1% at 500.5·MEAN (paper)
  bimodal:P,A,B         A with probability P, else B
  lognormal:MEAN,SIGMA  log-normal with mean MEAN, shape SIGMA (std-dev of ln S)
  pareto:ALPHA,MIN,MAX  bounded Pareto with shape ALPHA on [MIN, MAX]
  cdf:FILE              empirical step CDF, lines VALUE,P (P = P(S <= VALUE))
  mix:NAME=W*SPEC;...   request classes with weights W, written to a type column

Arrival processes (--arrivals; λ is the mean rate from --load or --rate):
  poisson                    exponential gaps of mean 1/λ (default)
  fixed                      request i arrives at (i+1)/λ, rounded to a cycle
  mmpp:high=H,low=L,dwell=D  bursty: H·λ in bursts of mean length D, L·λ between
  replay:FILE                the arrivals and connections of a trace, kept

mmpp is a two-state Markov-modulated Poisson process (0 <= L < 1 < H): the quiet periods last D·(H−1)/(1−L) on average, so the long-run rate is exactly λ; each part is optional (defaults high=4, low=0.5, dwell=1ms). With replay:FILE, service times come from --service, --requests caps the rows (default: all of them), and --load, --rate and --connections do not apply (the file sets them). --service SPEC@ARRIVALS is the same as --service SPEC --arrivals ARRIVALS (the form replay --synthetic and compare's synthetic:SPEC take).

An existing OUT is never replaced without --force; the file is written under a temporary name and renamed when complete. Ctrl-C (SIGINT) or SIGTERM removes the temporary file and exits 130 / 143: OUT is never half-written.`

  static override examples = [
    {description: 'The paper workload: 10 µs exponential service, load 0.7 on 16 cores.', command: '<%= config.bin %> generate trace.arrow --service exp:10us --load 0.7 --cores 16 --requests 1000000'},
    {description: 'Bimodal-1 at 10 µs mean, as Parquet.', command: '<%= config.bin %> generate bimodal.parquet --service bimodal1:10us --load 0.7'},
    {description: 'A fixed arrival rate (requests per second) and a seed, as CSV.', command: '<%= config.bin %> generate t.csv --service fixed:25us --rate 400000 --seed 7'},
    {description: 'Bursts at 4× the mean rate lasting 200 µs on average, quiet at half the rate.', command: '<%= config.bin %> generate bursty.arrow --service exp:10us --load 0.7 --arrivals mmpp:high=4,low=0.5,dwell=200us'},
    {description: 'Deterministic arrivals (a D/M/16 workload).', command: '<%= config.bin %> generate paced.arrow --service exp:10us --load 0.7 --arrivals fixed'},
    {description: "Keep a trace's arrivals and connections, draw new service times.", command: '<%= config.bin %> generate redrawn.parquet --service bimodal1:10us --arrivals replay:traces/sample.csv'},
    {description: 'Request classes (a type column).', command: "<%= config.bin %> generate tpcc.parquet --service 'mix:new_order=0.45*exp:20us;payment=0.43*exp:6us;other=0.12*exp:40us' --load 0.6"},
    {description: 'Stream to stdout (Arrow IPC stream) and inspect it.', command: '<%= config.bin %> generate - --requests 10000 --load 0.5 | <%= config.bin %> inspect -'},
  ]

  static override args = {
    out: Args.string({description: 'Output file (.arrow, .arrows, .parquet, .csv), or - for an Arrow IPC stream on stdout.', required: true}),
  }

  static override flags = {
    requests: count({char: 'n', description: 'Number of requests (1e6-style values accepted). [default: 100000; with replay:FILE arrivals, all of its rows]', min: 1}),
    service: Flags.string({char: 's', description: 'Service-time distribution (see the description).', default: 'exp:10us'}),
    arrivals: Flags.string({char: 'a', description: 'Arrival process: poisson, fixed, mmpp:high=H,low=L,dwell=D or replay:FILE (see the description). [default: poisson]'}),
    load: Flags.string({char: 'l', description: 'Offered load ρ = λ·E[S]/cores (sets the arrival rate with --cores).', exclusive: ['rate']}),
    cores: Flags.integer({char: 'c', description: 'Cores the --load refers to.', default: 16, min: 1}),
    rate: Flags.string({char: 'r', description: 'Arrival rate, requests per second (instead of --load).', exclusive: ['load']}),
    connections: Flags.integer({description: 'Connections; requests are spread uniformly over them (at most 1e7, what the simulator accepts). [default: 2720]', min: 1, max: 10_000_000}),
    seed: seedFlag('Seed of the generator.'),
    ghz: Flags.string({description: 'Core clock in GHz (cycles ↔ ns). [default: 2.4]'}),
    format: Flags.string({description: 'Output format instead of the extension.', options: [...OUTPUT_FORMATS]}),
    force: Flags.boolean({char: 'f', description: 'Overwrite OUT if it exists.'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Generate)
    if (args.out === '-' && this.jsonEnabled()) {
      throw new ConfigError('Expected OUT to be a file when --json is given (stdout carries the trace), got -', {flag: 'json'})
    }
    const ghz = parseGhz(flags.ghz)
    const split = splitSyntheticSpec(flags.service)
    if (split.arrivals !== undefined && flags.arrivals !== undefined) {
      throw new ConfigError(`Expected the arrival process once, got both --arrivals ${JSON.stringify(flags.arrivals)} and --service ${JSON.stringify(flags.service)}`, {flag: 'arrivals'})
    }
    const service = parseServiceSpec(split.service)
    const arrivals = parseArrivalSpec(split.arrivals ?? flags.arrivals ?? 'poisson')
    const replay = arrivals.kind === 'replay'
    const num = (raw: string, flag: string, what: string) => {
      const v = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(v) || v <= 0) throw new ConfigError(`Expected ${what}, got ${JSON.stringify(raw)}`, {flag})
      return v
    }
    let load: number | undefined
    let ratePerCycle: number | undefined
    if (replay) {
      for (const flag of ['load', 'rate', 'connections'] as const) {
        if (flags[flag] !== undefined) {
          throw new ConfigError(`Expected no --${flag} with ${arrivals.text} arrivals (the file's arrivals and connections are kept), got ${JSON.stringify(String(flags[flag]))}`, {flag})
        }
      }
    } else if (flags.rate !== undefined) ratePerCycle = num(flags.rate, 'rate', 'a rate in requests per second > 0') / (ghz * 1e9)
    else if (flags.load !== undefined) load = num(flags.load, 'load', 'a load > 0')
    else throw new ConfigError('Expected --load (with --cores) or --rate, got neither', {flag: 'load'})

    const source = syntheticTrace({
      requests: flags.requests ?? (replay ? Number.MAX_SAFE_INTEGER : 100_000),
      service,
      arrivals,
      ...(replay ? {} : load !== undefined ? {load, cores: flags.cores} : {ratePerCycle}),
      connections: flags.connections,
      seed: flags.seed,
      ghz,
    })
    refuseInputAsOutput(args.out, [...specInputFiles(flags.service), ...(arrivals.kind === 'replay' ? [arrivals.file] : [])])
    // SIGINT/SIGTERM: the writer stops at the next batch and removes its temporary file; a second
    // signal exits at once.
    const abort = new AbortController()
    let stoppedBy: NodeJS.Signals | undefined
    const onSignal = (s: NodeJS.Signals) => {
      if (stoppedBy !== undefined) process.exit(s === 'SIGTERM' ? 143 : 130)
      stoppedBy = s
      abort.abort()
    }
    const stream = yielding(source)
    const interruptible: TraceSource = {
      ...stream,
      async *batches() {
        for await (const b of stream.batches()) {
          if (abort.signal.aborted) throw new SignalError(`Interrupted by ${stoppedBy}; ${args.out === '-' ? 'the stream on stdout is incomplete' : `nothing written to ${args.out}`}`, stoppedBy!)
          yield b
        }
      },
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const written = await writeTrace(interruptible, args.out, {
      format: flags.format as OutputFormat | undefined,
      force: flags.force,
      ghz,
      stdout: process.stdout,
      metadata: {'tailsim.generator': source.canonical},
      stats: true,
    }).finally(() => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    })
    const seen = source.observed
    const span = seen.lastArrival - seen.firstArrival
    const ratePerCycleOut = replay ? (seen.rows > 1 && span > 0 ? (seen.rows - 1) / span : 0) : source.ratePerCycle
    const result: GenerateResult = {
      path: written.path,
      format: written.format,
      requests: written.rows,
      bytes: written.bytes,
      service: source.spec.text,
      arrivals: source.arrivals.text,
      meanServiceUs: source.spec.meanNs / 1000,
      ratePerSecond: ratePerCycleOut * ghz * 1e9,
      load: (ratePerCycleOut * source.meanServiceCycles) / flags.cores,
      cores: flags.cores,
      connections: replay ? seen.connections : source.connections,
      seed: source.seed,
      ghz,
      specSha256: await source.digest(),
    }
    const line =
      `Wrote ${result.requests} requests to ${result.path === '-' ? 'stdout' : result.path} (${result.format}, ${formatBytes(result.bytes)}): ` +
      `${result.service} (mean ${round(result.meanServiceUs)} µs), ${result.arrivals} arrivals at ${round(result.ratePerSecond / 1e6)} M requests/s = load ${round(result.load)} on ${result.cores} cores, ` +
      `${result.connections} connections, seed ${result.seed}`
    if (args.out === '-') this.logToStderr(line)
    else this.log(line)
    return generateDoc({...result})
  }
}
function round(v: number): string {
  return Number(v.toPrecision(4)).toString()
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / (1 << 20)).toFixed(1)} MiB`
}
