/**
 * Arrival processes of synthetic traces (`--arrivals`):
 *
 *  - `poisson` (default): exponential gaps of mean 1/λ (ziggurat, synthetic-variates.ts).
 *  - `fixed`: deterministic gaps; request i (from 0) arrives at round((i+1)/λ) cycles, so every
 *    gap is 1/λ rounded to whole cycles (⌊1/λ⌋ or ⌈1/λ⌉, never drifting).
 *  - `mmpp:high=H,low=L,dwell=D`: a two-state Markov-modulated Poisson process. In the high
 *    state requests arrive at H·λ, in the low state at L·λ (0 <= L < 1 < H). The high state lasts
 *    an exponential time of mean D (a burst), the low state one of mean D·(H−1)/(1−L): then the
 *    process spends a fraction π = (1−L)/(H−L) of its time in the high state and its long-run
 *    rate is π·H·λ + (1−π)·L·λ = λ exactly. It starts in the stationary state distribution
 *    (high with probability π), so E[arrivals in (0, t)] = λt for every t. Defaults: H = 4,
 *    L = 0.5, D = 1ms.
 *  - `replay:FILE`: the arrivals and connections of the trace FILE, kept exactly (service times
 *    are drawn from the service spec; FILE's own service and type columns are not used).
 *
 * Rates are in requests per cycle; times in cycles. A generator writes arrivals as integer
 * cycles (the running time is a float64 sum, rounded when written: rounding is monotone, so the
 * arrivals never decrease).
 */
import {ConfigError, show} from '../errors.js'
import {fillExpSum, nextExp} from './synthetic-variates.js'
import type {Streams} from './synthetic-service.js'
import {parseDuration} from './units.js'

export type ArrivalSpec =
  | {readonly kind: 'poisson' | 'fixed'; readonly text: string}
  | {readonly kind: 'mmpp'; readonly text: string; readonly high: number; readonly low: number; readonly dwellNs: number}
  | {readonly kind: 'replay'; readonly text: string; readonly file: string}

const FORMS = 'poisson | fixed | mmpp:high=H,low=L,dwell=D | replay:FILE'

function arrivalsError(text: string, detail: string): ConfigError {
  return new ConfigError(`Expected \`arrivals\` to be ${detail}, got ${show(text)}`, {flag: 'arrivals'})
}

/** Parse an arrival-process spec. Throws ConfigError (flag `arrivals`) naming the literal value. */
export function parseArrivalSpec(text: string): ArrivalSpec {
  const t = text.trim()
  const colon = t.indexOf(':')
  const kind = (colon < 0 ? t : t.slice(0, colon)).toLowerCase()
  const body = colon < 0 ? undefined : t.slice(colon + 1)
  if (kind === 'poisson' || kind === 'fixed') {
    if (body !== undefined) throw arrivalsError(text, `${kind} without parameters`)
    return {kind, text: kind}
  }
  if (kind === 'replay') {
    if (body === undefined || body.trim() === '') throw arrivalsError(text, 'replay:FILE naming a trace file')
    return {kind, text: `replay:${body.trim()}`, file: body.trim()}
  }
  if (kind !== 'mmpp') throw arrivalsError(text, `one of ${FORMS}`)
  let high = 4
  let low = 0.5
  let dwellNs = 1e6
  const seen = new Set<string>()
  for (const part of body === undefined || body.trim() === '' ? [] : body.split(',')) {
    const m = /^\s*([a-z-]+)\s*=\s*(.*?)\s*$/i.exec(part)
    const key = m?.[1].toLowerCase()
    if (!m || (key !== 'high' && key !== 'low' && key !== 'dwell')) {
      throw arrivalsError(text, `mmpp:high=H,low=L,dwell=D (each optional; bad part ${show(part)})`)
    }
    if (seen.has(key)) throw arrivalsError(text, `mmpp with ${key} given once`)
    seen.add(key)
    if (key === 'dwell') {
      try {
        dwellNs = parseDuration(m[2], 'dwell')
      } catch {
        throw arrivalsError(text, `mmpp with dwell a duration > 0 with a unit (ns, us, ms, s), e.g. dwell=1ms (got dwell ${show(m[2])})`)
      }
      continue
    }
    const v = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(m[2]) ? Number(m[2]) : Number.NaN
    if (!Number.isFinite(v)) throw arrivalsError(text, `mmpp with ${key} a number (got ${key} ${show(m[2])})`)
    if (key === 'high') high = v
    else low = v
  }
  if (!(high > 1 && high <= 1e6)) throw arrivalsError(text, `mmpp with high in (1, 1e6], a multiple of the mean rate (got high ${high})`)
  if (!(low >= 0 && low < 1)) throw arrivalsError(text, `mmpp with low in [0, 1), a multiple of the mean rate (got low ${low})`)
  return {kind: 'mmpp', text: `mmpp:high=${high},low=${low},dwell=${formatNs(dwellNs)}`, high, low, dwellNs}
}

/** A duration in the largest unit that writes it without a fraction (1e6 → `1ms`), else in ns. */
function formatNs(ns: number): string {
  for (const [unit, per] of [['s', 1e9], ['ms', 1e6], ['us', 1e3]] as const) {
    if (ns >= per && Number.isInteger(ns / per)) return `${ns / per}${unit}`
  }
  return `${ns}ns`
}

/** The fraction of time an MMPP spends in its high state, and the mean low-state duration, ns. */
export function mmppShape(spec: {high: number; low: number; dwellNs: number}): {highShare: number; lowDwellNs: number} {
  return {highShare: (1 - spec.low) / (spec.high - spec.low), lowDwellNs: (spec.dwellNs * (spec.high - 1)) / (1 - spec.low)}
}

/** Writes the arrival times (integer cycles) of consecutive requests. */
export interface ArrivalGenerator {
  fill(arrival: Float64Array, n: number): void
}

/** Scratch words for `fillExp`, grown on demand. */
function scratch(): (n: number) => Uint32Array {
  let w = new Uint32Array(0)
  return (n) => (w.length >= n ? w : (w = new Uint32Array(Math.max(n, 2 * w.length))))
}

/**
 * A generator of `spec` (not `replay`, which the trace source reads itself) at `ratePerCycle`,
 * drawing from streams `stream` and up of `streams`.
 */
export function arrivalGenerator(spec: ArrivalSpec, ratePerCycle: number, ghz: number, streams: Streams, stream: number): ArrivalGenerator {
  const gap = 1 / ratePerCycle
  if (spec.kind === 'fixed') {
    let i = 0
    return {
      fill(arrival, n) {
        for (let k = 0; k < n; k++) arrival[k] = Math.round(++i * gap)
      },
    }
  }
  if (spec.kind === 'poisson') {
    const main = streams(stream)
    const spare = streams(stream + 1)
    const words = scratch()
    let t = 0
    return {
      fill(arrival, n) {
        t = fillExpSum(arrival, n, gap, t, main, spare, words(2 * n))
      },
    }
  }
  if (spec.kind === 'mmpp') return mmpp(spec, ratePerCycle, ghz, streams, stream)
  throw new Error(`internal: no generator for ${spec.kind} arrivals`)
}

function mmpp(spec: {high: number; low: number; dwellNs: number}, rate: number, ghz: number, streams: Streams, stream: number): ArrivalGenerator {
  const {highShare, lowDwellNs} = mmppShape(spec)
  const gapMain = streams(stream)
  const gapSpare = streams(stream + 1)
  const stateMain = streams(stream + 2)
  const stateSpare = streams(stream + 3)
  const highGap = 1 / (spec.high * rate)
  const lowGap = spec.low > 0 ? 1 / (spec.low * rate) : Infinity
  const highDwell = spec.dwellNs * ghz
  const lowDwell = lowDwellNs * ghz
  // Stationary start: high with probability π; the residual of an exponential state duration is
  // the same exponential, so the first switch comes after a full draw.
  let high = stateMain.float() < highShare
  let t = 0
  let switchAt = nextExp(stateMain, stateSpare) * (high ? highDwell : lowDwell)
  return {
    fill(arrival, n) {
      for (let k = 0; k < n; k++) {
        for (;;) {
          // Memoryless: a gap drawn in one state and cut by a switch is redrawn in the next.
          const g = high ? nextExp(gapMain, gapSpare) * highGap : lowGap === Infinity ? Infinity : nextExp(gapMain, gapSpare) * lowGap
          if (t + g < switchAt) {
            t += g
            break
          }
          t = switchAt
          high = !high
          switchAt = t + nextExp(stateMain, stateSpare) * (high ? highDwell : lowDwell)
        }
        arrival[k] = Math.round(t)
      }
    },
  }
}
