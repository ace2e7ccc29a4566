/**
 * Where a simulating command's requests come from: a TRACE argument (file or `-` for stdin), or
 * `--synthetic SPEC [--arrivals A] --requests N [--connections C]` (the generator of `tailsim generate`).
 * Turns either into a TraceSource and the statistics a run needs first (`preScan`: without a
 * full pass when the file allows it), and gives the input of each
 * replication. Also re-exports the shared trace-mapping flags (column names, units, --sort) so
 * every command that reads traces offers the same ones.
 *
 * Choices (documented here and in the command help):
 *  - A synthetic trace is generated directly at the target `--load` for `--cores` (or at
 *    `--rate`), with trace seed = `--seed` (+ r for replication r). Its statistics come from one
 *    pass over the generated stream; the simulator then rescales the arrivals by the sample rate,
 *    so the offered load is exactly the target on the sample (a factor within ~1/√N of 1). So
 *    `replay --synthetic exp:10us --seed s` simulates exactly what `generate --service exp:10us
 *    --seed s` followed by `replay FILE --seed s` simulates (same cycles; only the trace
 *    fingerprint differs: spec hash vs file hash).
 *  - stdin can be read once, but a replay needs two passes (statistics for the rescale, then the
 *    run), so `-` is buffered in memory, bounded by `--max-sort-rows` (22 bytes a row).
 *  - A file is replayed unchanged in every replication; only the simulator's seed varies.
 */
import {Flags} from '@oclif/core'

import {ConfigError, LimitError} from '../errors.js'
import {count} from './count-flag.js'
import type {ReplicaInput} from '../experiment/replications.js'
import {DEFAULT_MAX_SORT_ROWS} from '../trace/columns.js'
import {traceFlags, traceOptions, type TraceFlagValues} from './trace-flags.js'
import {memoryTrace, readColumns} from '../trace/memory.js'
import {openTrace} from '../trace/open.js'
import {isOnePass} from '../trace/streams.js'
import {preScan, scanTrace} from '../trace/scan.js'
import {DEFAULT_SYNTHETIC_REQUESTS, syntheticTrace} from '../trace/synthetic.js'
import type {TraceOptions} from '../trace/types.js'
import {yielding} from '../trace/yielding.js'

export {traceFlags, traceOptions, yielding, type TraceFlagValues}

/** Flags choosing the input of a simulating command: synthetic generation + the trace mapping. */
export const inputFlags = {
  synthetic: Flags.string({
    description:
      'Simulate a synthetic trace instead of reading TRACE: a service spec such as exp:10us, fixed:10us, bimodal1:10us, bimodal2:10us, lognormal:10us,1 (see `tailsim generate --help`), optionally followed by @ARRIVALS (e.g. exp:10us@fixed). Arrivals at --load (or --rate), trace seed = --seed.',
    helpGroup: 'INPUT',
  }),
  arrivals: Flags.string({
    char: 'a',
    description:
      'Arrival process of the --synthetic trace: poisson (default), fixed, mmpp:high=H,low=L,dwell=D (bursty), or replay:FILE (the arrivals and connections of a trace file; the trace flags below apply to it). See `tailsim generate --help`.',
    helpGroup: 'INPUT',
  }),
  requests: count({char: 'n', description: 'Requests of the --synthetic trace (default 100000; 1e6-style values accepted; with replay:FILE arrivals, at most this many of FILE\'s rows). Refused with a TRACE file, which is replayed whole.', min: 1, helpGroup: 'INPUT'}),
  // --connections (synthetic traces, and traces without a connection column) is a trace flag.
  ...traceFlags,
}

export interface InputRequest {
  /** TRACE argument: a path, or `-` for stdin. Exclusive with `synthetic`. */
  trace?: string
  /** Service spec of a synthetic trace (may end in `@ARRIVALS`). */
  synthetic?: string
  /** Arrival process of a synthetic trace (default poisson). */
  arrivals?: string
  /** Synthetic: requests (default DEFAULT_SYNTHETIC_REQUESTS; refused with a TRACE) and connections (default 2720; refused with replay:FILE arrivals). */
  requests?: number
  connections?: number
  /** Base seed (synthetic trace seed for replication 0). */
  seed: number
  /** Core clock, GHz (cycles per ns) — the same the simulation uses. */
  ghz: number
  /** Synthetic: generate at this load for `cores`, or at `rate` requests/s. */
  cores: number
  load?: number
  rate?: number
  /** Trace-reading options (columns, units, sort); `ghz` is overridden by the one above. */
  trace_options?: Omit<TraceOptions, 'ghz'>
}

export interface ResolvedInput extends ReplicaInput {
  kind: 'file' | 'stdin' | 'synthetic'
  /** Whether each replication gets a different trace (synthetic input). */
  traceVaries: boolean
  /** Input of replication r (r = 0 is `source`/`stats`). */
  replica(r: number): Promise<ReplicaInput>
}

/** Resolve the input of a simulating command (validates the TRACE / --synthetic combination). */
export async function resolveInput(req: InputRequest): Promise<ResolvedInput> {
  const opts: TraceOptions = {...req.trace_options, ghz: req.ghz}
  if (req.trace !== undefined && req.synthetic !== undefined) {
    throw new ConfigError(`Expected either a TRACE argument or --synthetic, got both (${req.trace} and ${req.synthetic})`, {flag: 'synthetic'})
  }
  if (req.arrivals !== undefined && req.synthetic === undefined) {
    throw new ConfigError(`Expected --arrivals only with --synthetic (a trace keeps its own arrivals), got ${JSON.stringify(req.arrivals)}`, {flag: 'arrivals'})
  }
  if (req.synthetic !== undefined) {
    if (req.load === undefined && req.rate === undefined) {
      throw new ConfigError('Expected --load or --rate with --synthetic (the arrival rate to generate at), got neither', {flag: 'load'})
    }
    const make = (r: number) =>
      syntheticTrace({
        requests: req.requests ?? DEFAULT_SYNTHETIC_REQUESTS,
        service: req.synthetic!,
        arrivals: req.arrivals,
        connections: req.connections,
        seed: req.seed + r,
        ghz: req.ghz,
        ...(req.rate !== undefined ? {ratePerCycle: req.rate / (req.ghz * 1e9)} : {load: req.load, cores: req.cores}),
        traceOptions: req.trace_options,
      })
    const probe = make(0)
    if (probe.arrivals.kind === 'replay' && req.connections !== undefined) {
      throw new ConfigError(`Expected no --connections with ${probe.arrivals.text} arrivals (the file's connections are kept), got ${req.connections}`, {flag: 'connections'})
    }
    const replica = async (r: number): Promise<ReplicaInput> => {
      const source = yielding(r === 0 ? probe : make(r))
      return {source, stats: await scanTrace(source, {ghz: req.ghz})}
    }
    const first = await replica(0)
    return {kind: 'synthetic', traceVaries: true, ...first, replica: (r) => (r === 0 ? Promise.resolve(first) : replica(r))}
  }
  if (req.trace === undefined) {
    throw new ConfigError('Expected a TRACE argument (a file, or - for stdin) or --synthetic SPEC, got neither', {flag: 'synthetic'})
  }
  if (req.requests !== undefined) {
    throw new ConfigError(`Expected --requests only with --synthetic (the TRACE is replayed whole), got --requests ${req.requests} with ${req.trace}`, {flag: 'requests'})
  }
  if (isOnePass(req.trace)) {
    // stdin or a named pipe: read once, into memory.
    const name = req.trace
    const stdin = openTrace(name, opts)
    const maxRows = opts.maxSortRows ?? DEFAULT_MAX_SORT_ROWS
    const cols = await readColumns(stdin, {
      maxRows,
      tooMany: () =>
        new LimitError(
          `${name === '-' ? 'stdin' : name} holds more than ${maxRows} requests, the most replay buffers in memory from a one-pass input (--max-sort-rows); save the trace to a file and pass its path`,
          {flag: 'max-sort-rows'},
        ),
    })
    const source = yielding(memoryTrace(name, cols))
    const scanned = await scanTrace(source, {ghz: req.ghz})
    // The fingerprint is that of the bytes read from stdin (available after the full pass).
    const sha256 = stdin.digest ? await stdin.digest() : scanned.sha256
    const first = {source, stats: {...scanned, sha256, name}}
    return {kind: 'stdin', traceVaries: false, ...first, replica: async () => first}
  }
  const source = yielding(openTrace(req.trace, opts))
  const first = {source, stats: await preScan(source, {ghz: req.ghz})}
  return {kind: 'file', traceVaries: false, ...first, replica: async () => first}
}
