/**
 * The 95 % interval of a table cell (and of the chart point drawn from it) made of one or more
 * runs, by the rule `replay --replications` follows:
 * - two or more runs: the mean of their values ± the t half-width, clamped to the observed range
 *   of the quantity over those runs, [smallest run minimum, largest run maximum]
 *   (`replicationInterval`, src/stats/intervals.ts). The interval contains its estimate and never
 *   leaves that range, so it is uneven when a side is clamped: it is shown as `52.3 [49.1, 55.0]`,
 *   never as a symmetric ±;
 * - one run: the run's own 95 % batch-means interval when the results carry it (already clamped to
 *   the run's [min, max] when it was measured), none otherwise.
 * A cell whose value some run lacks (n/a) has no interval.
 */
import {replicationInterval} from '../stats/intervals.js'

/** The bounds of a 95 % interval, in the unit of the value. */
export interface Bounds {
  low: number
  high: number
}

/**
 * One run's contribution to a cell: its value and its own interval (`lo`, `hi`; null when not
 * recorded), and the range the quantity can take in that run (`min`, `max`: the run's smallest and
 * largest observation, or the documented bounds of the quantity).
 */
export interface RunValue {
  v: number | null
  lo: number | null
  hi: number | null
  min: number
  max: number
}

const finite = (x: number | null): x is number => typeof x === 'number' && Number.isFinite(x)

/** The cell's value (the mean of the runs; null when some run lacks it) and its interval (null: none). */
export function cellInterval(runs: readonly RunValue[]): {value: number | null; bounds: Bounds | null} {
  if (runs.length === 0 || runs.some((r) => !finite(r.v))) return {value: null, bounds: null}
  const xs = runs.map((r) => r.v as number)
  if (runs.length === 1) {
    const {v, lo, hi} = runs[0]
    return {value: v, bounds: finite(lo) && finite(hi) ? {low: lo, high: hi} : null}
  }
  // An unknown bound (NaN) does not clamp that side.
  const lo = Math.min(...runs.map((r) => (Number.isNaN(r.min) ? -Infinity : r.min)))
  const hi = Math.max(...runs.map((r) => (Number.isNaN(r.max) ? Infinity : r.max)))
  const r = replicationInterval(xs, lo, hi)
  return {value: r.mean, bounds: Number.isFinite(r.low) && Number.isFinite(r.high) ? {low: r.low, high: r.high} : null}
}

/** Decimals that show an interval of width `high − low` to two significant digits of its half-width (1 to 4). */
export function decimalsFor(half: number): number {
  if (!(half > 0)) return 1
  return Math.min(4, Math.max(1, 1 - Math.floor(Math.log10(half))))
}

/**
 * A value with its interval, `52.3 [49.1, 55.0]`, to the digits the interval supports; `scale` and
 * `unit` for percentages (`97.3% [95.1%, 99.0%]`).
 */
export function fmtBounds(v: number, b: Bounds, scale = 1, unit = ''): string {
  const half = ((b.high - b.low) / 2) * scale
  // A zero-width interval (replications that agree; up to rounding): 4 significant digits.
  const zero = !(half > 1e-9 * Math.max(Math.abs(v * scale), 1e-300))
  const d = decimalsFor(half)
  const f = (x: number) => `${zero ? Number((x * scale).toPrecision(4)).toString() : (x * scale).toFixed(d)}${unit}`
  return `${f(v)} [${f(b.low)}, ${f(b.high)}]`
}
