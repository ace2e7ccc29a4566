/**
 * Synthetic traces (MODEL.md §2): Poisson arrivals, a service-time distribution, requests spread
 * uniformly over `connections`. Every random draw comes from one seeded xoroshiro128+ generator
 * (pure-rand), so the same options give a bit-identical trace. The trace is produced in batches
 * of reusable typed arrays: 100 million requests never sit in memory at once.
 *
 * Time inside the generator is in cycles. Arrivals are the running sum of exponential gaps
 * (float64, cycles), rounded to integer cycles when emitted (rounding is monotone, so arrivals
 * stay non-decreasing). Service times are drawn in nanoseconds, converted to cycles and rounded,
 * with a floor of 1 cycle.
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'

import type {RandomGenerator} from 'pure-rand/types/RandomGenerator'

import {ConfigError, show} from '../errors.js'
import {Rng} from '../rng.js'
import type {TraceBatch, TraceSource} from './types.js'
import {DEFAULT_GHZ, checkGhz, parseDuration} from './units.js'

/** Uniform float in [0, 1) with 53 random bits (two 32-bit draws). */
export type Uniform = () => number

/** Build a uniform [0,1) source from a pure-rand generator (mutated in place). */
export function uniformFrom(rng: RandomGenerator): Uniform {
  return () => {
    const hi = rng.next() & 0x3ffffff // 26 bits
    const lo = rng.next() & 0x7ffffff // 27 bits
    return hi * 1.4901161193847656e-8 + lo * 1.1102230246251565e-16
  }
}

/**
 * The one seeded generator of a synthetic trace: the project's `Rng` (xoroshiro128+ from
 * pure-rand, 53-bit uniform floats), seeded with a 32-bit integer.
 */
export function seededUniform(seed: number): Uniform {
  const rng = new Rng(seed)
  return () => rng.float()
}

/** A parsed service-time distribution. Times in nanoseconds. */
export interface ServiceSpec {
  /** Canonical text of the spec (used in names and the trace fingerprint). */
  readonly text: string
  readonly kind: 'fixed' | 'exp' | 'bimodal' | 'lognormal' | 'pareto' | 'cdf' | 'mix'
  /** Mean service time, ns (exact for the distribution, before rounding to cycles). */
  readonly meanNs: number
  /** Request classes of a `mix:` spec (index = TraceBatch.type), else undefined. */
  readonly classes?: readonly {name: string; weight: number; spec: ServiceSpec}[]
  /**
   * Make a sampler over `u`. Each call of the sampler returns one service time in ns and,
   * for `mix:` specs, sets `lastClass` to the class index it drew from.
   */
  sampler(u: Uniform): ServiceSampler
}

export interface ServiceSampler {
  (): number
  lastClass: number
}

const SPEC_FORMS =
  'exp:MEAN | fixed:VALUE | bimodal1:MEAN | bimodal2:MEAN | bimodal:P,A,B | lognormal:MEAN,SIGMA | ' +
  'pareto:ALPHA,MIN,MAX | cdf:FILE | mix:NAME=WEIGHT*SPEC;... | shinjuku-bimodal | darc-bimodal'

function specError(text: string, detail: string): ConfigError {
  return new ConfigError(`Expected \`service\` to be ${detail}, got ${show(text)}`, {flag: 'service'})
}

function num(text: string, s: string, what: string): number {
  const v = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(s) ? Number(s) : Number.NaN
  if (!Number.isFinite(v)) throw specError(text, `a spec whose ${what} is a number`)
  return v
}

function dur(text: string, s: string, what: string): number {
  try {
    return parseDuration(s, what)
  } catch {
    throw specError(text, `a spec whose ${what} is a duration > 0 with a unit (ns, us, ms, s), e.g. 10us`)
  }
}

function sampler(f: () => number): ServiceSampler {
  const s = f as ServiceSampler
  s.lastClass = 0
  return s
}

function fixed(text: string, ns: number): ServiceSpec {
  return {text, kind: 'fixed', meanNs: ns, sampler: () => sampler(() => ns)}
}

function exp(text: string, mean: number): ServiceSpec {
  return {text, kind: 'exp', meanNs: mean, sampler: (u) => sampler(() => -Math.log(1 - u()) * mean)}
}

function bimodal(text: string, p: number, a: number, b: number): ServiceSpec {
  return {
    text,
    kind: 'bimodal',
    meanNs: p * a + (1 - p) * b,
    sampler: (u) => sampler(() => (u() < p ? a : b)),
  }
}

/** Log-normal with the given mean (ns) and shape sigma (std-dev of the underlying normal). */
function lognormal(text: string, mean: number, sigma: number): ServiceSpec {
  const mu = Math.log(mean) - (sigma * sigma) / 2
  return {
    text,
    kind: 'lognormal',
    meanNs: mean,
    sampler: (u) =>
      sampler(() => {
        // Box-Muller, one normal per pair of uniforms (no cached second value: simpler state).
        const r = Math.sqrt(-2 * Math.log(1 - u()))
        const z = r * Math.cos(2 * Math.PI * u())
        return Math.exp(mu + sigma * z)
      }),
  }
}

/** Bounded Pareto on [lo, hi] with shape alpha: P(X > x) ∝ x^-alpha, truncated to [lo, hi]. */
function pareto(text: string, alpha: number, lo: number, hi: number): ServiceSpec {
  const r = Math.pow(lo / hi, alpha)
  const mean =
    alpha === 1
      ? ((hi * lo) / (hi - lo)) * Math.log(hi / lo)
      : (Math.pow(lo, alpha) / (1 - r)) * (alpha / (alpha - 1)) * (Math.pow(lo, 1 - alpha) - Math.pow(hi, 1 - alpha))
  return {
    text,
    kind: 'pareto',
    meanNs: mean,
    sampler: (u) => sampler(() => Math.min(hi, lo / Math.pow(1 - u() * (1 - r), 1 / alpha))),
  }
}

/**
 * Empirical CDF file: one point per line, `VALUE,P` (comma, tab or spaces), where VALUE is a
 * duration with a unit (`12us`) or a bare number of nanoseconds, and P = P(S <= VALUE).
 * VALUEs increase, Ps are non-decreasing and the last is 1. Lines starting with `#` and a
 * non-numeric header line are skipped. Sampling is the inverse of this step CDF: it returns one of
 * the listed VALUEs, VALUE_i with probability P_i - P_(i-1).
 */
function cdf(text: string, file: string): ServiceSpec {
  let content: string
  try {
    content = readFileSync(file, 'utf8')
  } catch (error) {
    throw specError(text, `cdf:FILE naming a readable file (${(error as Error).message})`)
  }
  const values: number[] = []
  const probs: number[] = []
  const lines = content.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '' || line.startsWith('#')) continue
    const parts = line.split(/[\s,;]+/)
    if (values.length === 0 && probs.length === 0 && !/^[\d.+]/.test(parts[0])) continue // header
    const where = `cdf file ${file} line ${i + 1}`
    if (parts.length !== 2) throw specError(text, `a ${where} of the form VALUE,P`)
    let v: number
    try {
      v = parseDuration(parts[0], where, 'ns')
    } catch {
      throw specError(text, `a ${where} whose VALUE is a duration > 0`)
    }
    const p = Number(parts[1])
    if (!(p >= 0 && p <= 1)) throw specError(text, `a ${where} whose P is in [0, 1]`)
    if (values.length > 0 && !(v > values[values.length - 1])) throw specError(text, `a ${where} with increasing VALUEs`)
    if (probs.length > 0 && p < probs[probs.length - 1]) throw specError(text, `a ${where} with non-decreasing Ps`)
    values.push(v)
    probs.push(p)
  }
  if (values.length === 0) throw specError(text, `a cdf file ${file} with at least one VALUE,P line`)
  if (Math.abs(probs[probs.length - 1] - 1) > 1e-9) throw specError(text, `a cdf file ${file} whose last P is 1`)
  probs[probs.length - 1] = 1
  let mean = 0
  for (let i = 0; i < values.length; i++) mean += values[i] * (probs[i] - (i > 0 ? probs[i - 1] : 0))
  const vs = Float64Array.from(values)
  const ps = Float64Array.from(probs)
  return {
    text,
    kind: 'cdf',
    meanNs: mean,
    sampler: (u) =>
      sampler(() => {
        const x = u()
        let lo = 0
        let hi = ps.length - 1
        while (lo < hi) {
          const mid = (lo + hi) >>> 1
          if (ps[mid] > x) hi = mid
          else lo = mid + 1
        }
        return vs[lo]
      }),
  }
}

/**
 * A mixture of named classes, each with its own service distribution, for traces with a `type`
 * column: `mix:new_order=0.45*exp:20us;payment=0.43*fixed:6us`. Weights are normalised.
 */
function mix(text: string, body: string): ServiceSpec {
  const classes: {name: string; weight: number; spec: ServiceSpec}[] = []
  for (const part of body.split(';')) {
    const m = /^\s*([^=*;]+?)\s*=\s*([^*]+)\*(.+)$/.exec(part)
    if (!m) throw specError(text, `mix:NAME=WEIGHT*SPEC;... with each class of that form (bad class ${show(part)})`)
    const weight = num(text, m[2], `weight of class ${m[1]}`)
    if (!(weight > 0)) throw specError(text, `a mix whose class weights are > 0`)
    const inner = parseServiceSpec(m[3].trim())
    if (inner.kind === 'mix') throw specError(text, 'a mix whose classes are not mixes')
    if (classes.some((c) => c.name === m[1])) throw specError(text, `a mix with distinct class names (${m[1]} twice)`)
    classes.push({name: m[1], weight, spec: inner})
  }
  if (classes.length > 65535) throw specError(text, 'a mix of at most 65535 classes')
  const total = classes.reduce((s, c) => s + c.weight, 0)
  for (const c of classes) c.weight /= total
  const meanNs = classes.reduce((s, c) => s + c.weight * c.spec.meanNs, 0)
  return {
    text,
    kind: 'mix',
    meanNs,
    classes,
    sampler: (u) => {
      const cum = new Float64Array(classes.length)
      let acc = 0
      for (let i = 0; i < classes.length; i++) cum[i] = acc += classes[i].weight
      cum[classes.length - 1] = 1
      const inner = classes.map((c) => c.spec.sampler(u))
      const s = sampler(() => {
        const x = u()
        let k = 0
        while (cum[k] <= x && k < cum.length - 1) k++
        s.lastClass = k
        return inner[k]()
      })
      return s
    },
  }
}

// ---- Named workloads: a name stands for a typed `mix:` spec (used by the sample traces). ----
/**
 * `shinjuku-bimodal`: 99.5 % × 0.5 µs + 0.5 % × 500 µs (Shinjuku's and Perséphone's bimodal);
 * `darc-bimodal`: 50 % × 1 µs + 50 % × 100 µs (Perséphone's). Both with types `short` and `long`.
 */
export const NAMED_WORKLOADS: Readonly<Record<string, string>> = {
  'shinjuku-bimodal': 'mix:short=0.995*fixed:0.5us;long=0.005*fixed:500us',
  'darc-bimodal': 'mix:short=0.5*fixed:1us;long=0.5*fixed:100us',
}
// ---- end of named workloads ----

/**
 * Parse a service-time spec (times take a unit suffix ns, us, ms or s):
 * - `exp:MEAN` exponential; `fixed:VALUE` deterministic;
 * - `bimodal1:MEAN` = 90% at 0.5·MEAN, 10% at 5.5·MEAN; `bimodal2:MEAN` = 99.9% at 0.5·MEAN,
 *   0.1% at 500.5·MEAN (the paper's presets); `bimodal:P,A,B` = A with probability P, else B;
 * - `lognormal:MEAN,SIGMA` log-normal with mean MEAN and shape SIGMA (std-dev of ln S);
 * - `pareto:ALPHA,MIN,MAX` bounded Pareto with shape ALPHA on [MIN, MAX];
 * - `cdf:FILE` empirical step CDF (lines `VALUE,P`);
 * - `mix:NAME=WEIGHT*SPEC;...` classes for a `type` column.
 * Throws ConfigError (flag `service`) on anything else.
 */
export function parseServiceSpec(text: string): ServiceSpec {
  const t = NAMED_WORKLOADS[text.trim()] ?? text.trim()
  const colon = t.indexOf(':')
  if (colon < 0) throw specError(text, `one of ${SPEC_FORMS}`)
  const kind = t.slice(0, colon).toLowerCase()
  const body = t.slice(colon + 1)
  const args = body.split(',').map((s) => s.trim())
  const arity = (n: number, form: string) => {
    if (args.length !== n || args.some((a) => a === '')) throw specError(text, `of the form ${form}`)
  }
  switch (kind) {
    case 'exp':
      arity(1, 'exp:MEAN (e.g. exp:10us)')
      return exp(t, dur(text, args[0], 'MEAN'))
    case 'fixed':
      arity(1, 'fixed:VALUE (e.g. fixed:10us)')
      return fixed(t, dur(text, args[0], 'VALUE'))
    case 'bimodal1': {
      arity(1, 'bimodal1:MEAN (e.g. bimodal1:10us)')
      const m = dur(text, args[0], 'MEAN')
      return bimodal(t, 0.9, 0.5 * m, 5.5 * m)
    }
    case 'bimodal2': {
      arity(1, 'bimodal2:MEAN (e.g. bimodal2:10us)')
      const m = dur(text, args[0], 'MEAN')
      return bimodal(t, 0.999, 0.5 * m, 500.5 * m)
    }
    case 'bimodal': {
      arity(3, 'bimodal:P,A,B (A with probability P, else B; e.g. bimodal:0.9,5us,55us)')
      const p = num(text, args[0], 'P')
      if (!(p >= 0 && p <= 1)) throw specError(text, 'bimodal:P,A,B with P in [0, 1]')
      return bimodal(t, p, dur(text, args[1], 'A'), dur(text, args[2], 'B'))
    }
    case 'lognormal': {
      arity(2, 'lognormal:MEAN,SIGMA (e.g. lognormal:10us,1)')
      const sigma = num(text, args[1], 'SIGMA')
      if (!(sigma >= 0 && sigma <= 10)) throw specError(text, 'lognormal:MEAN,SIGMA with SIGMA in [0, 10]')
      return lognormal(t, dur(text, args[0], 'MEAN'), sigma)
    }
    case 'pareto': {
      arity(3, 'pareto:ALPHA,MIN,MAX (bounded Pareto; e.g. pareto:1.5,2us,1ms)')
      const alpha = num(text, args[0], 'ALPHA')
      if (!(alpha > 0)) throw specError(text, 'pareto:ALPHA,MIN,MAX with ALPHA > 0')
      const lo = dur(text, args[1], 'MIN')
      const hi = dur(text, args[2], 'MAX')
      if (!(hi > lo)) throw specError(text, 'pareto:ALPHA,MIN,MAX with MAX > MIN')
      return pareto(t, alpha, lo, hi)
    }
    case 'cdf':
      if (body.trim() === '') throw specError(text, 'of the form cdf:FILE')
      return cdf(t, body.trim())
    case 'mix':
      return mix(t, body)
    default:
      throw specError(text, `one of ${SPEC_FORMS}`)
  }
}

/** Options of `syntheticTrace`. Give exactly one of `ratePerCycle` or `load` (+ `cores`). */
export interface SyntheticOptions {
  /** Number of requests (integer >= 1). */
  requests: number
  /** Service distribution: a spec string (see `parseServiceSpec`) or a parsed spec. */
  service: string | ServiceSpec
  /** Poisson arrival rate, requests per cycle. */
  ratePerCycle?: number
  /** Offered load ρ = λ·E[S]/cores; with `cores`, sets the arrival rate. */
  load?: number
  /** Cores for `load` (default 16). */
  cores?: number
  /** Connections, requests spread uniformly (default 2720, the paper's). */
  connections?: number
  /** Seed of the one generator (32-bit integer, default 1). */
  seed?: number
  /** Core clock, GHz (default 2.4). */
  ghz?: number
  /** Rows per batch (default 65536). */
  batchSize?: number
}

/** A synthetic TraceSource, with the resolved parameters it was made from. */
export interface SyntheticSource extends TraceSource {
  readonly spec: ServiceSpec
  readonly requests: number
  readonly ratePerCycle: number
  readonly connections: number
  readonly seed: number
  readonly ghz: number
  /** Mean service time, cycles (of the distribution, before rounding). */
  readonly meanServiceCycles: number
  /** Canonical description; its SHA-256 is the trace fingerprint. */
  readonly canonical: string
  digest(): Promise<string>
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
 * A seeded synthetic trace: Poisson arrivals at `ratePerCycle` (or the rate giving `load` on
 * `cores`), service times from `service`, connections uniform over 0..connections-1.
 * Each call of `batches()` regenerates the same trace from the seed.
 */
export function syntheticTrace(opts: SyntheticOptions): SyntheticSource {
  const spec = typeof opts.service === 'string' ? parseServiceSpec(opts.service) : opts.service
  const requests = checkInt(opts.requests, 'requests', 1)
  const connections = checkInt(opts.connections ?? 2720, 'connections', 1, 2 ** 32 - 1)
  const seed = checkInt(opts.seed ?? 1, 'seed', -(2 ** 31), 2 ** 32 - 1)
  const ghz = checkGhz(opts.ghz ?? DEFAULT_GHZ)
  const batchSize = checkInt(opts.batchSize ?? 65536, 'batchSize', 1, 2 ** 24)
  const meanServiceCycles = spec.meanNs * ghz
  let rate: number
  if (opts.ratePerCycle !== undefined) {
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
  const typeNames = spec.classes ? spec.classes.map((c) => c.name) : []
  const canonical =
    `synthetic:v1 service=${spec.text} requests=${requests} rate_per_cycle=${rate} ` +
    `connections=${connections} seed=${seed} ghz=${ghz}`
  const typed = spec.classes !== undefined
  return {
    name: `synthetic(${spec.text}, ${requests} requests, seed ${seed})`,
    typeNames,
    spec,
    requests,
    ratePerCycle: rate,
    connections,
    seed,
    ghz,
    meanServiceCycles,
    canonical,
    rowsHint: requests,
    digest: async () => createHash('sha256').update(canonical).digest('hex'),
    async *batches(): AsyncGenerator<TraceBatch> {
      const u = seededUniform(seed)
      const draw = spec.sampler(u)
      const batch: TraceBatch = {
        length: 0,
        arrival: new Float64Array(batchSize),
        conn: new Uint32Array(batchSize),
        service: new Float64Array(batchSize),
        ...(typed ? {type: new Uint16Array(batchSize)} : {}),
      }
      const invRate = 1 / rate
      let t = 0
      let left = requests
      while (left > 0) {
        const n = Math.min(batchSize, left)
        const {arrival, conn, service, type} = batch
        for (let i = 0; i < n; i++) {
          // Draw order per request is fixed: gap, connection, service (part of the trace format).
          t += -Math.log(1 - u()) * invRate
          arrival[i] = Math.round(t)
          conn[i] = Math.floor(u() * connections)
          const s = Math.round(draw() * ghz)
          service[i] = s >= 1 ? s : 1
          if (type) type[i] = draw.lastClass
        }
        batch.length = n
        left -= n
        yield batch
      }
    },
  }
}
