/**
 * Random variates for the synthetic generator, produced in bulk from `Xoshiro128` words.
 *
 * Exponential: the ziggurat method of Marsaglia and Tsang (2000) with 256 layers of equal area,
 * in the variant that keeps the layer index and the uniform on disjoint bits. Each variate takes
 * two 32-bit words from its main stream: the low 8 bits of the first choose the layer, its top 21
 * bits and the second word make a 53-bit uniform u. In 97.8% of draws the point falls inside the
 * layer's rectangle under the curve and the variate is u·X[i] (one multiply, one compare). Else
 * (the wedge above a rectangle, or the tail beyond r in the base layer) it is settled exactly:
 * the wedge by comparing a uniform height with e^-x, the tail as r + E (the exponential is
 * memoryless) with E = −ln U; these draws come from a separate spare stream, so the main stream
 * always advances by exactly two words per variate and a trace does not depend on its batch size.
 *
 * Accuracy: the method is exact (it samples the exponential density itself, not an
 * approximation of it) up to floating point: u has 53 bits, so within a layer of width X[i]
 * values are spaced X[i]·2^-53 apart (at most 8.5e-16 of the mean), far below the 1-cycle
 * rounding of the generated times; the layer boundaries are computed once from the defining
 * recurrence in float64 (relative error ~1e-15). The goodness-of-fit tests in
 * test/trace/synthetic-fit.test.ts check it against the exact CDF.
 */
import type {Xoshiro128} from '../rng.js'

const LAYERS = 256
/** Start of the tail (the base layer's rectangle ends here) for 256 layers. */
const R = 7.69711747013104972
/** Area of each layer: r·e^-r + the tail area e^-r. */
const V = Math.exp(-R) * (R + 1)
/** 2^-53: a 53-bit integer times this is a uniform in [0, 1). */
const TWO_M53 = 1.1102230246251565e-16

/** X[i]: right edge of layer i (X[0] = V/f(R), the base layer's virtual width; X[1] = R; X[256] = 0). */
const X = new Float64Array(LAYERS + 1)
/** F[i] = e^-X[i]. */
const F = new Float64Array(LAYERS + 1)
/** K[i] = X[i+1]/X[i]: u below this lies under the curve for sure. */
const K = new Float64Array(LAYERS)

X[0] = V / Math.exp(-R)
X[1] = R
for (let i = 1; i < LAYERS - 1; i++) X[i + 1] = -Math.log(Math.exp(-X[i]) + V / X[i])
X[LAYERS] = 0
for (let i = 0; i <= LAYERS; i++) F[i] = Math.exp(-X[i])
for (let i = 0; i < LAYERS; i++) K[i] = X[i + 1] / X[i]

/** The last layer boundary the recurrence gives before it is closed at 0 (for the table test). */
export const zigguratClosure = (): number => -Math.log(Math.exp(-X[LAYERS - 1]) + V / X[LAYERS - 1])

/** A uniform in [0, 1) with 53 bits from the spare stream. */
function spareUniform(spare: Xoshiro128): number {
  const hi = spare.next() >>> 11
  return (hi * 4294967296 + spare.next()) * TWO_M53
}

/** The slow path of one exponential variate whose first try (layer i, uniform u) missed. */
function expSlow(i: number, u: number, spare: Xoshiro128): number {
  for (;;) {
    if (i === 0) return R - Math.log(1 - spareUniform(spare))
    const x = u * X[i]
    // The wedge: a uniform height between the layer's bottom (F[i]) and top (F[i+1]).
    if (F[i] + spareUniform(spare) * (F[i + 1] - F[i]) < Math.exp(-x)) return x
    const w1 = spare.next()
    i = w1 & 0xff
    u = ((w1 >>> 11) * 4294967296 + spare.next()) * TWO_M53
    if (u < K[i]) return u * X[i]
  }
}

/**
 * Write n exponential variates of mean `mean` to out[from .. from+n). Takes 2n words of `main`
 * (through `words`, a scratch of at least 2n) and, rarely, words of `spare`.
 */
export function fillExp(out: Float64Array, from: number, n: number, mean: number, main: Xoshiro128, spare: Xoshiro128, words: Uint32Array): void {
  main.fill(words, 2 * n)
  for (let k = 0; k < n; k++) {
    const w1 = words[2 * k]
    const i = w1 & 0xff
    const u = ((w1 >>> 11) * 4294967296 + words[2 * k + 1]) * TWO_M53
    out[from + k] = (u < K[i] ? u * X[i] : expSlow(i, u, spare)) * mean
  }
}

/**
 * Poisson arrivals: add n exponential gaps of mean `mean` to the running time `t`, writing each
 * arrival rounded to a whole cycle to out[0 .. n); returns the new running time. The same draws
 * as `fillExp` (fused with the running sum, one pass over the batch).
 */
export function fillExpSum(out: Float64Array, n: number, mean: number, t: number, main: Xoshiro128, spare: Xoshiro128, words: Uint32Array): number {
  main.fill(words, 2 * n)
  for (let k = 0; k < n; k++) {
    const w1 = words[2 * k]
    const i = w1 & 0xff
    const u = ((w1 >>> 11) * 4294967296 + words[2 * k + 1]) * TWO_M53
    t += (u < K[i] ? u * X[i] : expSlow(i, u, spare)) * mean
    out[k] = Math.round(t)
  }
  return t
}

/** One exponential variate of mean 1 (two words of `main`; the scalar form of `fillExp`). */
export function nextExp(main: Xoshiro128, spare: Xoshiro128): number {
  const w1 = main.next()
  const i = w1 & 0xff
  const u = ((w1 >>> 11) * 4294967296 + main.next()) * TWO_M53
  return u < K[i] ? u * X[i] : expSlow(i, u, spare)
}

/** Write n uniforms in [0, 1) with 53 bits each to out[from .. from+n) (2n words, via `words`). */
export function fillUniform(out: Float64Array, from: number, n: number, main: Xoshiro128, words: Uint32Array): void {
  main.fill(words, 2 * n)
  for (let k = 0; k < n; k++) out[from + k] = ((words[2 * k] >>> 11) * 4294967296 + words[2 * k + 1]) * TWO_M53
}

/**
 * Write n integers uniform on 0 .. m-1 (1 <= m <= 2^32) to out[0 .. n), one word of `main` each.
 * Exact: a word w is used only below m·⌊2^32/m⌋ (else it is redrawn from `spare`: probability
 * < m/2^32) and maps to ⌊w / ⌊2^32/m⌋⌋.
 */
export function fillUniformInt(out: Uint32Array, n: number, m: number, main: Xoshiro128, spare: Xoshiro128): void {
  if (m === 1) {
    out.fill(0, 0, n)
    return
  }
  main.fill(out, n)
  const q = Math.floor(4294967296 / m)
  const limit = q * m
  for (let k = 0; k < n; k++) {
    let w = out[k]
    while (w >= limit) w = spare.next()
    out[k] = (w / q) >>> 0
  }
}
