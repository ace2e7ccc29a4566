/**
 * Service-time distributions of synthetic traces: the `--service` spec language and a batch
 * sampler for each distribution. Times are in nanoseconds.
 *
 * Every sampler draws from its own streams of the trace's seed (see `Streams`) and consumes them
 * in row order, so a trace does not depend on its batch size. How each one draws (exact unless
 * said otherwise):
 *  - `exp`: the ziggurat method (synthetic-variates.ts), two words a variate;
 *  - `fixed`: no draw;
 *  - `bimodal`: one word w a request, A when w < round(P·2^32): P(A) is P to within 2^-33;
 *  - `lognormal`: exp(μ + σZ), Z normal by Box–Muller from two 53-bit uniforms;
 *  - `pareto`: the inverse of the bounded Pareto CDF at a 53-bit uniform;
 *  - `cdf`: the inverse of the step CDF at a 53-bit uniform (binary search);
 *  - `mix`: the class by the inverse of the class CDF at a 53-bit uniform; each class draws its
 *    service from streams of its own (class k: the k-th pair after the chooser's).
 */
import {readFileSync} from 'node:fs'

import {ConfigError, show} from '../errors.js'
import type {Xoshiro128} from '../rng.js'
import {fillExp, fillUniform} from './synthetic-variates.js'
import {parseDuration} from './units.js'

/** The generator of stream `id` of a trace's seed (a fresh one per call). */
export type Streams = (id: number) => Xoshiro128

/** Writes service times of consecutive requests, in ns. */
export interface ServiceSampler {
  /** Write n service times to out[from .. from+n); for `mix:` specs, class indices to type[from ..]. */
  fill(out: Float64Array, from: number, n: number, type?: Uint16Array): void
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
  /** A sampler drawing from streams `stream` (main) and `stream + 1` (spare) of `streams`, and beyond for `mix:`. */
  sampler(streams: Streams, stream: number): ServiceSampler
}

/** A reusable scratch array, grown on demand. */
class Grow<T extends Uint32Array | Uint16Array | Float64Array> {
  private a: T
  constructor(private readonly make: (n: number) => T) {
    this.a = make(0)
  }
  get(n: number): T {
    if (this.a.length < n) this.a = this.make(Math.max(n, 2 * this.a.length))
    return this.a
  }
}

const words = () => new Grow((n) => new Uint32Array(n))
const floats = () => new Grow((n) => new Float64Array(n))

const SPEC_FORMS =
  'exp:MEAN | fixed:VALUE | bimodal1:MEAN | bimodal2:MEAN | bimodal:P,A,B | lognormal:MEAN,SIGMA | ' +
  'pareto:ALPHA,MIN,MAX | cdf:FILE | mix:NAME=WEIGHT*SPEC;... | shinjuku-bimodal | darc-bimodal'

/**
 * Named workloads: a name stands for a typed `mix:` spec (the sample traces of the dispatcher
 * designs). `shinjuku-bimodal`: 99.5 % × 0.5 µs + 0.5 % × 500 µs (Shinjuku's and Perséphone's
 * bimodal); `darc-bimodal`: 50 % × 1 µs + 50 % × 100 µs (Perséphone's). Types `short` and `long`.
 */
export const NAMED_WORKLOADS: Readonly<Record<string, string>> = {
  'shinjuku-bimodal': 'mix:short=0.995*fixed:0.5us;long=0.005*fixed:500us',
  'darc-bimodal': 'mix:short=0.5*fixed:1us;long=0.5*fixed:100us',
}

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

function fixed(text: string, ns: number): ServiceSpec {
  return {text, kind: 'fixed', meanNs: ns, sampler: () => ({fill: (out, from, n) => out.fill(ns, from, from + n)})}
}

function exp(text: string, mean: number): ServiceSpec {
  return {
    text,
    kind: 'exp',
    meanNs: mean,
    sampler: (streams, id) => {
      const main = streams(id)
      const spare = streams(id + 1)
      const w = words()
      return {fill: (out, from, n) => fillExp(out, from, n, mean, main, spare, w.get(2 * n))}
    },
  }
}

function bimodal(text: string, p: number, a: number, b: number): ServiceSpec {
  const threshold = Math.round(p * 4294967296)
  return {
    text,
    kind: 'bimodal',
    meanNs: p * a + (1 - p) * b,
    sampler: (streams, id) => {
      const main = streams(id)
      const w = words()
      return {
        fill: (out, from, n) => {
          const ws = w.get(n)
          main.fill(ws, n)
          for (let k = 0; k < n; k++) out[from + k] = ws[k] < threshold ? a : b
        },
      }
    },
  }
}

/** Log-normal with the given mean (ns) and shape sigma (std-dev of the underlying normal). */
function lognormal(text: string, mean: number, sigma: number): ServiceSpec {
  const mu = Math.log(mean) - (sigma * sigma) / 2
  return {
    text,
    kind: 'lognormal',
    meanNs: mean,
    sampler: (streams, id) => {
      const main = streams(id)
      const w = words()
      const f = floats()
      return {
        fill: (out, from, n) => {
          // Box–Muller, one normal per pair of uniforms (no second value carried between batches).
          const u = f.get(2 * n)
          fillUniform(u, 0, 2 * n, main, w.get(4 * n))
          for (let k = 0; k < n; k++) {
            const z = Math.sqrt(-2 * Math.log(1 - u[2 * k])) * Math.cos(2 * Math.PI * u[2 * k + 1])
            out[from + k] = Math.exp(mu + sigma * z)
          }
        },
      }
    },
  }
}

/** A sampler applying `inverse` to one 53-bit uniform a request. */
function byInverse(inverse: (u: number) => number): ServiceSpec['sampler'] {
  return (streams, id) => {
    const main = streams(id)
    const w = words()
    return {
      fill: (out, from, n) => {
        fillUniform(out, from, n, main, w.get(2 * n))
        for (let k = from; k < from + n; k++) out[k] = inverse(out[k])
      },
    }
  }
}

/** Bounded Pareto on [lo, hi] with shape alpha: P(X > x) ∝ x^-alpha, truncated to [lo, hi]. */
function pareto(text: string, alpha: number, lo: number, hi: number): ServiceSpec {
  const r = Math.pow(lo / hi, alpha)
  const mean =
    alpha === 1
      ? ((hi * lo) / (hi - lo)) * Math.log(hi / lo)
      : (Math.pow(lo, alpha) / (1 - r)) * (alpha / (alpha - 1)) * (Math.pow(lo, 1 - alpha) - Math.pow(hi, 1 - alpha))
  const inv = 1 / alpha
  return {text, kind: 'pareto', meanNs: mean, sampler: byInverse((u) => Math.min(hi, lo / Math.pow(1 - u * (1 - r), inv)))}
}

/** Index of the first cum[i] > x (cum increasing, last = 1, x in [0, 1)). */
function search(cum: Float64Array, x: number): number {
  let lo = 0
  let hi = cum.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cum[mid] > x) hi = mid
    else lo = mid + 1
  }
  return lo
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
  return {text, kind: 'cdf', meanNs: mean, sampler: byInverse((u) => vs[search(ps, u)])}
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
  return {text, kind: 'mix', meanNs, classes, sampler: (streams, id) => mixSampler(classes, streams, id)}
}

/**
 * Draws the classes of a batch, then each class's service times in one call of its sampler
 * (a counting sort by class), then scatters them back to row order.
 */
function mixSampler(classes: readonly {weight: number; spec: ServiceSpec}[], streams: Streams, id: number): ServiceSampler {
  const m = classes.length
  const cum = new Float64Array(m)
  let acc = 0
  for (let i = 0; i < m; i++) cum[i] = acc += classes[i].weight
  cum[m - 1] = 1
  const main = streams(id)
  const inner = classes.map((c, k) => c.spec.sampler(streams, id + 2 + 2 * k))
  const counts = new Uint32Array(m)
  const w = words()
  const u = floats()
  const tmp = floats()
  const own = new Grow((n) => new Uint16Array(n))
  return {
    fill: (out, from, n, type) => {
      const cls = type ?? own.get(from + n)
      const x = u.get(n)
      fillUniform(x, 0, n, main, w.get(2 * n))
      counts.fill(0)
      for (let k = 0; k < n; k++) {
        const c = search(cum, x[k])
        cls[from + k] = c
        counts[c]++
      }
      const vals = tmp.get(n)
      // counts[c] becomes the start of class c's block in vals, after its sampler has filled it.
      let off = 0
      for (let c = 0; c < m; c++) {
        const cnt = counts[c]
        if (cnt > 0) inner[c].fill(vals, off, cnt)
        counts[c] = off
        off += cnt
      }
      for (let k = 0; k < n; k++) out[from + k] = vals[counts[cls[from + k]]++]
    },
  }
}

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
