/**
 * Where a simulating command's requests come from: a TRACE argument (file or `-` for stdin), or
 * `--synthetic SPEC --requests N [--connections C]` (the generator of `tailsim generate`).
 * Turns either into a TraceSource and its one-pass statistics, and gives the input of each
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
import {scanTrace} from '../trace/scan.js'
import {syntheticTrace} from '../trace/synthetic.js'
import type {TraceOptions, TraceSource} from '../trace/types.js'

export {traceFlags, traceOptions, type TraceFlagValues}

/** Flags choosing the input of a simulating command: synthetic generation + the trace mapping. */
export const inputFlags = {
  synthetic: Flags.string({
    description:
      'Simulate a synthetic trace instead of reading TRACE: a service spec such as exp:10us, fixed:10us, bimodal1:10us, bimodal2:10us, lognormal:10us,1 (see `tailsim generate --help`). Poisson arrivals at --load (or --rate), trace seed = --seed.',
    helpGroup: 'INPUT',
  }),
  requests: count({char: 'n', description: 'Requests of the --synthetic trace (1e6-style values accepted).', default: 1_000_000, min: 1, helpGroup: 'INPUT'}),
  connections: Flags.integer({description: 'Connections of the --synthetic trace; requests are spread uniformly over them (at most 1e7: the simulator keeps state per connection).', default: 2720, min: 1, max: 10_000_000, helpGroup: 'INPUT'}),
  ...traceFlags,
}

export interface InputRequest {
  /** TRACE argument: a path, or `-` for stdin. Exclusive with `synthetic`. */
  trace?: string
  /** Service spec of a synthetic trace. */
  synthetic?: string
  /** Synthetic: requests and connections. */
  requests: number
  connections: number
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

/**
 * The same source, but its stream returns to the event loop (a macrotask turn) at least every
 * `everyMs` of wall time. An async generator whose values are ready at once (synthetic traces,
 * in-memory traces) runs entirely on microtasks, so without this a signal handler (Ctrl-C), a
 * progress redraw or a timer would not run until the whole pass is over.
 */
export function yielding(source: TraceSource, everyMs = 50): TraceSource {
  const inner = source
  return {
    get name() {
      return inner.name
    },
    get typeNames() {
      return inner.typeNames
    },
    get rowsHint() {
      return inner.rowsHint
    },
    ...(inner.digest ? {digest: () => inner.digest!()} : {}),
    async *batches() {
      let last = performance.now()
      for await (const b of inner.batches()) {
        yield b
        const now = performance.now()
        if (now - last >= everyMs) {
          await new Promise<void>((resolve) => setImmediate(resolve))
          last = performance.now()
        }
      }
    },
  }
}

/** Resolve the input of a simulating command (validates the TRACE / --synthetic combination). */
export async function resolveInput(req: InputRequest): Promise<ResolvedInput> {
  const opts: TraceOptions = {...req.trace_options, ghz: req.ghz}
  if (req.trace !== undefined && req.synthetic !== undefined) {
    throw new ConfigError(`Expected either a TRACE argument or --synthetic, got both (${req.trace} and ${req.synthetic})`, {flag: 'synthetic'})
  }
  if (req.synthetic !== undefined) {
    if (req.load === undefined && req.rate === undefined) {
      throw new ConfigError('Expected --load or --rate with --synthetic (the arrival rate to generate at), got neither', {flag: 'load'})
    }
    const make = async (r: number): Promise<ReplicaInput> => {
      const source = yielding(syntheticTrace({
        requests: req.requests,
        service: req.synthetic!,
        connections: req.connections,
        seed: req.seed + r,
        ghz: req.ghz,
        ...(req.rate !== undefined ? {ratePerCycle: req.rate / (req.ghz * 1e9)} : {load: req.load, cores: req.cores}),
      }))
      return {source, stats: await scanTrace(source, {ghz: req.ghz})}
    }
    const first = await make(0)
    return {kind: 'synthetic', traceVaries: true, ...first, replica: (r) => (r === 0 ? Promise.resolve(first) : make(r))}
  }
  if (req.trace === undefined) {
    throw new ConfigError('Expected a TRACE argument (a file, or - for stdin) or --synthetic SPEC, got neither', {flag: 'synthetic'})
  }
  if (req.trace === '-') {
    const stdin = openTrace('-', opts)
    const maxRows = opts.maxSortRows ?? DEFAULT_MAX_SORT_ROWS
    const cols = await readColumns(stdin, {
      maxRows,
      tooMany: () =>
        new LimitError(
          `stdin holds more than ${maxRows} requests, the most replay buffers in memory (--max-sort-rows); save the trace to a file and pass its path`,
          {flag: 'max-sort-rows'},
        ),
    })
    const source = yielding(memoryTrace('-', cols))
    const scanned = await scanTrace(source, {ghz: req.ghz})
    // The fingerprint is that of the bytes read from stdin (available after the full pass).
    const sha256 = stdin.digest ? await stdin.digest() : scanned.sha256
    const first = {source, stats: {...scanned, sha256, name: '-'}}
    return {kind: 'stdin', traceVaries: false, ...first, replica: async () => first}
  }
  const source = yielding(openTrace(req.trace, opts))
  const first = {source, stats: await scanTrace(source, {ghz: req.ghz})}
  return {kind: 'file', traceVaries: false, ...first, replica: async () => first}
}
