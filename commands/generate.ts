import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base.js'
import {count} from '../src/cli/count-flag.js'
import {ConfigError} from '../src/errors.js'
import {parseGhz} from '../src/cli/trace-flags.js'
import {parseServiceSpec, syntheticTrace} from '../src/trace/synthetic.js'
import {refuseInputAsOutput, specInputFiles} from '../src/results/guard.js'
import {OUTPUT_FORMATS, type OutputFormat, writeTrace} from '../src/trace/writer.js'

export interface GenerateResult {
  path: string
  format: OutputFormat
  requests: number
  bytes: number
  service: string
  meanServiceUs: number
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
  static override summary = 'Write a synthetic trace (Poisson arrivals, a service distribution) to Arrow, Parquet or CSV.'

  static override description = `Generates a seeded synthetic trace: Poisson arrivals at the rate that offers --load to --cores (or at --rate), service times from --service, requests spread uniformly over --connections. The same flags always give a bit-identical file. The trace is streamed in batches, so 100 million requests need no more memory than a thousand.

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

An existing OUT is never replaced without --force; the file is written under a temporary name and renamed when complete.`

  static override examples = [
    {description: 'The paper workload: 10 µs exponential service, load 0.7 on 16 cores.', command: '<%= config.bin %> generate trace.arrow --service exp:10us --load 0.7 --cores 16 --requests 1000000'},
    {description: 'Bimodal-1 at 10 µs mean, as Parquet.', command: '<%= config.bin %> generate bimodal.parquet --service bimodal1:10us --load 0.7'},
    {description: 'A fixed arrival rate (requests per second) and a seed, as CSV.', command: '<%= config.bin %> generate t.csv --service fixed:25us --rate 400000 --seed 7'},
    {description: 'Request classes (a type column).', command: "<%= config.bin %> generate tpcc.parquet --service 'mix:new_order=0.45*exp:20us;payment=0.43*exp:6us;other=0.12*exp:40us' --load 0.6"},
    {description: 'Stream to stdout (Arrow IPC stream) and inspect it.', command: '<%= config.bin %> generate - --requests 10000 --load 0.5 | <%= config.bin %> inspect -'},
  ]

  static override args = {
    out: Args.string({description: 'Output file (.arrow, .arrows, .parquet, .csv), or - for an Arrow IPC stream on stdout.', required: true}),
  }

  static override flags = {
    requests: count({char: 'n', description: 'Number of requests (1e6-style values accepted).', default: 100_000, min: 1}),
    service: Flags.string({char: 's', description: 'Service-time distribution (see the description).', default: 'exp:10us'}),
    load: Flags.string({char: 'l', description: 'Offered load ρ = λ·E[S]/cores (sets the arrival rate with --cores).', exclusive: ['rate']}),
    cores: Flags.integer({char: 'c', description: 'Cores the --load refers to.', default: 16, min: 1}),
    rate: Flags.string({char: 'r', description: 'Arrival rate, requests per second (instead of --load).', exclusive: ['load']}),
    connections: Flags.integer({description: 'Connections; requests are spread uniformly over them.', default: 2720, min: 1}),
    seed: Flags.integer({description: 'Seed of the generator (32-bit integer).', default: 1}),
    ghz: Flags.string({description: 'Core clock in GHz (cycles ↔ ns). [default: 2.4]'}),
    format: Flags.string({description: 'Output format instead of the extension.', options: [...OUTPUT_FORMATS]}),
    force: Flags.boolean({char: 'f', description: 'Overwrite OUT if it exists.'}),
  }

  async run(): Promise<GenerateResult> {
    const {args, flags} = await this.parse(Generate)
    if (args.out === '-' && this.jsonEnabled()) {
      throw new ConfigError('Expected OUT to be a file when --json is given (stdout carries the trace), got -', {flag: 'json'})
    }
    const ghz = parseGhz(flags.ghz)
    const service = parseServiceSpec(flags.service)
    const num = (raw: string, flag: string, what: string) => {
      const v = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(v) || v <= 0) throw new ConfigError(`Expected ${what}, got ${JSON.stringify(raw)}`, {flag})
      return v
    }
    let load: number | undefined
    let ratePerCycle: number | undefined
    if (flags.rate !== undefined) ratePerCycle = num(flags.rate, 'rate', 'a rate in requests per second > 0') / (ghz * 1e9)
    else if (flags.load !== undefined) load = num(flags.load, 'load', 'a load > 0')
    else throw new ConfigError('Expected --load (with --cores) or --rate, got neither', {flag: 'load'})

    const source = syntheticTrace({
      requests: flags.requests,
      service,
      ...(load !== undefined ? {load, cores: flags.cores} : {ratePerCycle}),
      connections: flags.connections,
      seed: flags.seed,
      ghz,
    })
    refuseInputAsOutput(args.out, specInputFiles(flags.service))
    const written = await writeTrace(source, args.out, {
      format: flags.format as OutputFormat | undefined,
      force: flags.force,
      ghz,
      stdout: process.stdout,
      metadata: {'tailsim.generator': source.canonical},
    })
    const result: GenerateResult = {
      path: written.path,
      format: written.format,
      requests: written.rows,
      bytes: written.bytes,
      service: source.spec.text,
      meanServiceUs: source.spec.meanNs / 1000,
      ratePerSecond: source.ratePerCycle * ghz * 1e9,
      load: (source.ratePerCycle * source.meanServiceCycles) / flags.cores,
      cores: flags.cores,
      connections: source.connections,
      seed: source.seed,
      ghz,
      specSha256: await source.digest(),
    }
    const line =
      `Wrote ${result.requests} requests to ${result.path === '-' ? 'stdout' : result.path} (${result.format}, ${formatBytes(result.bytes)}): ` +
      `${result.service} (mean ${round(result.meanServiceUs)} µs), ${round(result.ratePerSecond / 1e6)} M requests/s = load ${round(result.load)} on ${result.cores} cores, ` +
      `${result.connections} connections, seed ${result.seed}`
    if (args.out === '-') this.logToStderr(line)
    else this.log(line)
    return result
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
