/**
 * The one place a sweep turns a trace name into a TraceSource (main thread and workers alike).
 *
 * Names: a file path (Arrow IPC, Parquet, CSV; read by `openTrace`), or `synthetic:SPEC` (e.g.
 * `synthetic:exp:10us`, `synthetic:bimodal2:10us`; the generator of `tailsim generate` with
 * `requests`, `connections` and `seed` from the sweep's options). stdin (`-`) is refused: a sweep
 * reads its trace many times.
 *
 * Workers receive the TraceInput (how to open the trace), never the data. A worker may keep a
 * trace of at most `cacheRows` requests in memory (per worker) after its first pass, since a sweep
 * replays the same trace dozens of times; larger traces stream from the file on every run.
 */
import {ConfigError} from '../errors.js'
import {memoryTrace, readColumns} from '../trace/memory.js'
import {openTrace} from '../trace/open.js'
import {isOnePass} from '../trace/streams.js'
import {preScan} from '../trace/scan.js'
import {syntheticTrace} from '../trace/synthetic.js'
import type {PreStats, TraceOptions, TraceSource} from '../trace/types.js'
import {yielding} from '../trace/yielding.js'
import type {TraceInput} from './plan.js'

export const SYNTHETIC_PREFIX = 'synthetic:'

export interface SyntheticDefaults {
  requests: number
  connections: number
  seed: number
}

/** Turn a command-line trace name into a TraceInput. */
export function traceInput(name: string, options: TraceOptions, synthetic: SyntheticDefaults): TraceInput {
  if (name === '-') throw new ConfigError('Expected trace files, got - (stdin): a sweep reads its trace many times; save it to a file first')
  if (name.startsWith(SYNTHETIC_PREFIX)) {
    const service = name.slice(SYNTHETIC_PREFIX.length)
    return {kind: 'synthetic', service, ...synthetic, ghz: options.ghz}
  }
  if (isOnePass(name)) {
    throw new ConfigError(`Expected a regular trace file, got a named pipe or device: a sweep reads its trace many times; save it to a file first`, {file: name})
  }
  return {kind: 'file', path: name, options}
}

/**
 * Open a trace for replication `replication`. Synthetic traces use seed + replication (independent
 * samples); files are the same for every replication.
 */
export function openInput(input: TraceInput, replication = 0): TraceSource {
  if (input.kind === 'file') return openTrace(input.path, input.options)
  return syntheticTrace({
    requests: input.requests,
    service: input.service,
    connections: input.connections,
    seed: input.seed + replication,
    ghz: input.ghz,
    // Any rate: simulate() rescales the gaps to the target load.
    load: 0.5,
    cores: 1,
  })
}

/** Whether replications of this input are different traces (needing their own stats). */
export function variesByReplication(input: TraceInput): boolean {
  return input.kind === 'synthetic'
}

/** Statistics a run needs, with the fingerprint computed (a sweep plans with it). */
export type KnownStats = PreStats & {sha256: string}

/** The statistics a run of this input needs first (`preScan`), with the fingerprint computed. */
export async function scanInput(input: TraceInput, replication = 0): Promise<KnownStats> {
  const stats = await preScan(openInput(input, replication), {ghz: input.kind === 'file' ? input.options.ghz : input.ghz})
  return {...stats, sha256: await stats.sha256}
}

/**
 * Per-worker trace access: the source and stats for (trace, replication), cached in memory when
 * the trace has at most `cacheRows` requests.
 */
export class TraceCache {
  private readonly cache = new Map<string, {source: TraceSource; stats: KnownStats}>()

  /** `yieldEveryMs`: the sources given out return to the event loop at least this often (see yielding). */
  constructor(
    private readonly cacheRows = 1_000_000,
    private readonly opts: {yieldEveryMs?: number} = {},
  ) {}

  async get(input: TraceInput, replication: number, stats0: KnownStats): Promise<{source: TraceSource; stats: KnownStats}> {
    const rep = variesByReplication(input) ? replication : 0
    const key = `${JSON.stringify(input)}|${rep}`
    const hit = this.cache.get(key)
    if (hit) return hit
    const stats = rep === 0 ? stats0 : await scanInput(input, rep)
    const source = openInput(input, rep)
    let entry: {source: TraceSource; stats: KnownStats}
    if (stats.requests <= this.cacheRows) {
      const cols = await readColumns(source, {
        maxRows: stats.requests,
        expectedRows: stats.requests,
        tooMany: () => new Error(`internal: trace ${source.name} has more than the ${stats.requests} rows its scan counted`),
      })
      // Keep the file's own fingerprint and name: the in-memory copy is the same trace.
      entry = {source: memoryTrace(source.name, cols), stats}
    } else entry = {source, stats}
    if (this.opts.yieldEveryMs !== undefined) entry = {...entry, source: yielding(entry.source, this.opts.yieldEveryMs)}
    this.cache.set(key, entry)
    return entry
  }
}
