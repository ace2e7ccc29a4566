/**
 * Synthetic traces (docs/model.md §2): an arrival process (Poisson by default; see
 * synthetic-arrivals.ts), a service-time distribution (synthetic-service.ts), requests spread
 * uniformly over `connections`. The trace is produced in batches of reusable typed arrays:
 * 100 million requests never sit in memory at once.
 *
 * Randomness: every column draws from its own xoshiro128** streams of the one seed (`Xoshiro128`
 * in src/rng.ts): arrivals from streams 1–4, connections from 8–9, service times from 16 up.
 * Each stream is consumed in row order, so the same options give a bit-identical trace whatever
 * the batch size, and two traces of one seed that differ only in their service spec share their
 * arrivals and connections (common random numbers).
 *
 * Time inside the generator is in cycles. Arrivals are rounded to integer cycles when emitted;
 * service times are drawn in nanoseconds, converted to cycles and rounded, with a floor of 1 cycle.
 *
 * Speed: the columns are filled a batch at a time in tight loops (for Poisson arrivals and
 * exponential service, about half the CPU per request of the mgn-fcfs recursion), and for long
 * traces in a worker thread, with the reader's credit and buffer-recycling protocol
 * (isolated.ts), so that generation overlaps the simulation instead of adding to it.
 */
import {createHash} from 'node:crypto'

import {ConfigError, show} from '../errors.js'
import {Xoshiro128} from '../rng.js'
import {generateIsolated, isolationAvailable} from './isolated.js'
import {openTrace} from './open.js'
import {arrivalGenerator, parseArrivalSpec, type ArrivalSpec} from './synthetic-arrivals.js'
import {parseServiceSpec, type ServiceSpec, type Streams} from './synthetic-service.js'
import {fillUniformInt} from './synthetic-variates.js'
import type {TraceBatch, TraceOptions, TraceSource} from './types.js'
import {DEFAULT_GHZ, checkGhz} from './units.js'

export {NAMED_WORKLOADS, parseServiceSpec, type ServiceSpec, type ServiceSampler} from './synthetic-service.js'
export {parseArrivalSpec, mmppShape, type ArrivalSpec} from './synthetic-arrivals.js'

/** Traces of at least this many requests are generated in a worker thread (when available). */
/** Requests of a synthetic trace when the command line does not say (`--requests`). */
export const DEFAULT_SYNTHETIC_REQUESTS = 100_000

export const ISOLATE_MIN_REQUESTS = 1 << 19

/** Options of `syntheticTrace`. Give exactly one of `ratePerCycle` or `load` (+ `cores`). */
export interface SyntheticOptions {
  /** Number of requests (integer >= 1); with `replay:FILE` arrivals, at most this many of FILE's rows. */
  requests: number
  /**
   * Service distribution: a spec string (see `parseServiceSpec`) or a parsed spec. A string may
   * end in `@ARRIVALS`, an arrival-process spec (e.g. `exp:10us@mmpp:high=4`), instead of giving
   * `arrivals`.
   */
  service: string | ServiceSpec
  /** Arrival process (see `parseArrivalSpec`); default `poisson`. */
  arrivals?: string | ArrivalSpec
  /** Mean arrival rate, requests per cycle. Unused with `replay:FILE` arrivals. */
  ratePerCycle?: number
  /** Offered load ρ = λ·E[S]/cores; with `cores`, sets the arrival rate. Unused with `replay:FILE` arrivals. */
  load?: number
  /** Cores for `load` (default 16). */
  cores?: number
  /** Connections, requests spread uniformly (default 2720, the paper's). Unused with `replay:FILE` arrivals. */
  connections?: number
  /** Seed of the one generator (32-bit integer, default 1). */
  seed?: number
  /** Core clock, GHz (default 2.4). */
  ghz?: number
  /** Rows per batch (default 65536). */
  batchSize?: number
  /** Generate in a worker thread (default: when available and `requests` >= ISOLATE_MIN_REQUESTS). */
  isolate?: boolean
  /** How to read a `replay:FILE` arrival trace (columns, units); `ghz` is the one above. */
  traceOptions?: Omit<TraceOptions, 'ghz'>
}

/** What a pass over the source has produced (arrival span and connections, for summaries). */
export interface SyntheticObserved {
  rows: number
  firstArrival: number
  lastArrival: number
  /** Highest connection index + 1. */
  connections: number
}

/** A synthetic TraceSource, with the resolved parameters it was made from. */
export interface SyntheticSource extends TraceSource {
  readonly spec: ServiceSpec
  readonly arrivals: ArrivalSpec
  readonly requests: number
  /** Mean arrival rate asked for, requests per cycle (NaN with `replay:FILE` arrivals). */
  readonly ratePerCycle: number
  /** Connections asked for (NaN with `replay:FILE` arrivals: see `observed`). */
  readonly connections: number
  readonly seed: number
  readonly ghz: number
  /** Mean service time, cycles (of the distribution, before rounding). */
  readonly meanServiceCycles: number
  /** Canonical description; its SHA-256 (with the arrival file's, for `replay:FILE`) is the trace fingerprint. */
  readonly canonical: string
  /** Filled by the last complete pass of `batches()`. */
  readonly observed: SyntheticObserved
  digest(): Promise<string>
}

/** The serialisable options a generator worker is started with (see reader-worker.ts). */
export interface SyntheticJob {
  requests: number
  service: string
  arrivals: string
  ratePerCycle: number
  connections: number
  seed: number
  ghz: number
  batchSize: number
  traceOptions?: Omit<TraceOptions, 'ghz'>
}

function checkInt(v: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`Expected \`${what}\` to be an integer in [${min}, ${max}], got ${show(v)}`, {flag: what})
  }
  return v
}

/** Arrival rate (requests per cycle) that offers `load` to `cores` with mean service `meanCycles`. */
export function rateForLoad(load: number, cores: number, meanCycles: number): number {
  return (load * cores) / meanCycles
}

/**
 * Split `SERVICE@ARRIVALS` (the form `--synthetic` and `synthetic:SPEC` names accept) into its
 * two specs; without `@`, the arrivals are undefined. The first `@` splits.
 */
export function splitSyntheticSpec(text: string): {service: string; arrivals?: string} {
  const at = text.indexOf('@')
  return at < 0 ? {service: text} : {service: text.slice(0, at), arrivals: text.slice(at + 1)}
}

/** The streams of one seed. */
function streamsOf(seed: number): Streams {
  return (id) => new Xoshiro128(seed, id)
}

/**
 * A seeded synthetic trace: arrivals of the given process at `ratePerCycle` (or the rate giving
 * `load` on `cores`), service times from `service`, connections uniform over 0..connections-1.
 * Each call of `batches()` regenerates the same trace from the seed.
 */
export function syntheticTrace(opts: SyntheticOptions): SyntheticSource {
  let serviceText = opts.service
  let arrivalsText = opts.arrivals
  if (typeof serviceText === 'string') {
    const split = splitSyntheticSpec(serviceText)
    if (split.arrivals !== undefined) {
      if (arrivalsText !== undefined) {
        throw new ConfigError(`Expected the arrival process once, got both --arrivals and ${show(serviceText)}`, {flag: 'arrivals'})
      }
      serviceText = split.service
      arrivalsText = split.arrivals
    }
  }
  const spec = typeof serviceText === 'string' ? parseServiceSpec(serviceText) : serviceText
  const arrivals = arrivalsText === undefined ? parseArrivalSpec('poisson') : typeof arrivalsText === 'string' ? parseArrivalSpec(arrivalsText) : arrivalsText
  const replay = arrivals.kind === 'replay'
  const requests = checkInt(opts.requests, 'requests', 1)
  const connections = replay ? Number.NaN : checkInt(opts.connections ?? 2720, 'connections', 1, 2 ** 32 - 1)
  const seed = checkInt(opts.seed ?? 1, 'seed', -(2 ** 31), 2 ** 32 - 1)
  const ghz = checkGhz(opts.ghz ?? DEFAULT_GHZ)
  const batchSize = checkInt(opts.batchSize ?? 65536, 'batchSize', 1, 2 ** 24)
  const meanServiceCycles = spec.meanNs * ghz
  let rate = Number.NaN
  if (replay) {
    // The arrivals are the file's.
  } else if (opts.ratePerCycle !== undefined) {
    if (opts.load !== undefined) {
      throw new ConfigError('Expected one of `rate` or `load`, got both', {flag: 'load'})
    }
    rate = opts.ratePerCycle
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new ConfigError(`Expected \`rate\` to be > 0, got ${show(rate)}`, {flag: 'rate'})
    }
  } else if (opts.load !== undefined) {
    const cores = checkInt(opts.cores ?? 16, 'cores', 1, 1 << 20)
    if (!Number.isFinite(opts.load) || opts.load <= 0) {
      throw new ConfigError(`Expected \`load\` to be a number > 0, got ${show(opts.load)}`, {flag: 'load'})
    }
    rate = rateForLoad(opts.load, cores, meanServiceCycles)
  } else {
    throw new ConfigError('Expected one of `rate` or `load` (with `cores`), got neither', {flag: 'load'})
  }
  const arrivalTrace = replay ? openTrace(arrivals.file, {...opts.traceOptions, ghz, ...(opts.isolate === false ? {isolate: false} : {})}) : undefined
  const typeNames = spec.classes ? spec.classes.map((c) => c.name) : []
  const canonical =
    `synthetic:v2 service=${spec.text} arrivals=${arrivals.text} requests=${requests} ` +
    (replay ? '' : `rate_per_cycle=${rate} connections=${connections} `) +
    `seed=${seed} ghz=${ghz}`
  const typed = spec.classes !== undefined
  const job: SyntheticJob = {
    requests,
    service: spec.text,
    arrivals: arrivals.text,
    ratePerCycle: rate,
    connections,
    seed,
    ghz,
    batchSize,
    ...(opts.traceOptions ? {traceOptions: opts.traceOptions} : {}),
  }
  const rows = Math.min(requests, arrivalTrace?.rowsHint ?? requests)
  const isolate = opts.isolate ?? (rows >= ISOLATE_MIN_REQUESTS && isolationAvailable())
  const name = `synthetic(${spec.text}${arrivals.kind === 'poisson' ? '' : `, ${arrivals.text} arrivals`}, ${requests} requests, seed ${seed})`
  const observed: SyntheticObserved = {rows: 0, firstArrival: 0, lastArrival: 0, connections: 0}

  /** Generate in this thread. */
  async function* generate(): AsyncGenerator<TraceBatch> {
    const streams = streamsOf(seed)
    const draw = spec.sampler(streams, 16)
    const batch: TraceBatch = {
      length: 0,
      arrival: new Float64Array(batchSize),
      conn: new Uint32Array(batchSize),
      service: new Float64Array(batchSize),
      ...(typed ? {type: new Uint16Array(batchSize)} : {}),
    }
    const services = (n: number) => {
      const s = batch.service
      draw.fill(s, 0, n, batch.type)
      for (let k = 0; k < n; k++) {
        const c = Math.round(s[k] * ghz)
        s[k] = c >= 1 ? c : 1
      }
      batch.length = n
    }
    let left = requests
    if (arrivalTrace !== undefined) {
      for await (const b of arrivalTrace.batches()) {
        // The file's batches may be longer than ours: take them in pieces.
        for (let from = 0; from < b.length && left > 0; ) {
          const n = Math.min(batchSize, b.length - from, left)
          batch.arrival.set(b.arrival.subarray(from, from + n))
          batch.conn.set(b.conn.subarray(from, from + n))
          services(n)
          from += n
          left -= n
          yield batch
        }
        if (left === 0) return
      }
      return
    }
    const gen = arrivalGenerator(arrivals, rate, ghz, streams, 1)
    const connMain = streams(8)
    const connSpare = streams(9)
    while (left > 0) {
      const n = Math.min(batchSize, left)
      gen.fill(batch.arrival, n)
      fillUniformInt(batch.conn, n, connections, connMain, connSpare)
      services(n)
      left -= n
      yield batch
    }
  }

  return {
    name,
    typeNames,
    spec,
    arrivals,
    requests,
    ratePerCycle: rate,
    connections,
    seed,
    ghz,
    meanServiceCycles,
    canonical,
    observed,
    rowsHint: replay && arrivalTrace!.rowsHint === undefined ? undefined : rows,
    digest: async () => {
      const h = createHash('sha256').update(canonical)
      if (arrivalTrace?.digest) h.update(` arrivals_sha256=${await arrivalTrace.digest()}`)
      return h.digest('hex')
    },
    async *batches(): AsyncGenerator<TraceBatch> {
      let rows = 0
      let first = 0
      let last = 0
      let maxConn = -1
      for await (const b of isolate ? generateIsolated(job, name, typeNames) : generate()) {
        const n = b.length
        if (n === 0) continue
        if (rows === 0) first = b.arrival[0]
        last = b.arrival[n - 1]
        if (replay) {
          const c = b.conn
          for (let k = 0; k < n; k++) if (c[k] > maxConn) maxConn = c[k]
        }
        rows += n
        yield b
      }
      observed.rows = rows
      observed.firstArrival = first
      observed.lastArrival = last
      observed.connections = replay ? maxConn + 1 : connections
    },
  }
}
