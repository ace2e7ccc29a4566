/**
 * Time units and conversions. Traces carry nanoseconds or microseconds; the simulator counts
 * integer cycles of one core clock (docs/model.md §1). Conversion happens once, at ingest:
 * `cycles = Math.round(ns * ghz)`.
 */
import {ConfigError, show} from '../errors.js'
import type {TimeUnit} from './types.js'

/** Default core clock, GHz (the paper's Xeon E5-2665 class; an assumption, see docs/model.md §1). */
export const DEFAULT_GHZ = 2.4

/** Nanoseconds per unit. */
export const NS_PER: Readonly<Record<'ns' | 'us' | 'ms' | 's', number>> = {ns: 1, us: 1e3, ms: 1e6, s: 1e9}

/** Multiplier from a trace time unit to cycles at `ghz` (before rounding). */
export function cyclesPerUnit(unit: TimeUnit, ghz: number): number {
  return NS_PER[unit] * ghz
}

/** Validate a clock frequency, GHz. */
export function checkGhz(ghz: number, flag = 'ghz'): number {
  if (!Number.isFinite(ghz) || ghz <= 0) {
    throw new ConfigError(`Expected \`${flag}\` to be a finite number of GHz > 0, got ${show(ghz)}`, {flag})
  }
  return ghz
}

const DURATION = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(ns|us|µs|ms|s)?\s*$/

/**
 * Parse a duration such as `10us`, `2.5ms`, `800ns` or `1e4ns` to nanoseconds.
 * A bare number is taken in `defaultUnit` when given, and rejected otherwise.
 * Throws ConfigError naming `what` (e.g. the flag or spec) when the text is not a duration > 0.
 */
export function parseDuration(text: string, what: string, defaultUnit?: keyof typeof NS_PER): number {
  const m = DURATION.exec(text)
  const unit = m?.[2] === 'µs' ? 'us' : (m?.[2] as keyof typeof NS_PER | undefined) ?? defaultUnit
  if (!m || unit === undefined) {
    throw new ConfigError(
      `Expected \`${what}\` to be a duration with a unit (ns, us, ms or s), e.g. 10us, got ${show(text)}`,
    )
  }
  const ns = Number(m[1]) * NS_PER[unit]
  if (!Number.isFinite(ns) || ns <= 0) {
    throw new ConfigError(`Expected \`${what}\` to be a duration > 0, got ${show(text)}`)
  }
  return ns
}

/**
 * Decimal places needed so that nanoseconds written with that many decimals convert back to the
 * exact same integer cycle count at `ghz`: rounding to `d` decimals moves a value by at most
 * 0.5·10^-d ns = 0.5·10^-d·ghz cycles, which we keep ≤ 0.25 cycles (d = 1 at 2.4 GHz).
 */
export function nsDecimals(ghz: number): number {
  let d = 0
  while (Math.pow(10, -d) * ghz > 0.5 && d < 12) d++
  return d
}

/**
 * Cycles → nanoseconds for writing, rounded to `nsDecimals(ghz)` places so that
 * `Math.round(cyclesToNs(c, ghz) * ghz) === c` for every integer c < 2^50.
 */
export function cyclesToNs(cycles: number, ghz: number, decimals = nsDecimals(ghz)): number {
  const scale = Math.pow(10, decimals)
  return Math.round((cycles / ghz) * scale) / scale
}
