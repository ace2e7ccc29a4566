/**
 * The rows of the comparison's "latency and slowdown by request type" table (tables.ts), each
 * value with its 95 % interval (./cell-interval.ts).
 */
import type {PerTypeField, PerTypeRow, ResultRow} from '../results/schema.js'
import {samplesBeyond} from '../stats/intervals.js'
import {cellInterval, type Bounds, type RunValue} from './cell-interval.js'
import type {Cell} from './tables.js'

/** A bound that may be missing: null (n/a, or a file written before it was recorded) gives `fallback`. */
const or = (x: number | null | undefined, fallback: number): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback)

/**
 * Rows of the by-type table for one policy's rows (replications averaged, with the interval over
 * them, as the latency table): all requests, then each type. An interval over replications is
 * clamped to the observed range of the quantity: the runs' [min, max] latency (or slowdown) for
 * all requests, the type's own [min, max] for a type. A percentile that some replication could not
 * report stays n/a: `n/a (k samples)`, k the fewest samples above it, and with replications
 * `n/a in j of n runs (k samples)`. A type absent from some replication (no measured request of
 * it there) has no numbers: `absent from j of n runs`.
 */
export function typeTableRows(policy: string, rs: readonly ResultRow[]): {rows: Cell[][]; intervals: (Bounds | null)[][]} {
  if (rs.length === 0) return {rows: [], intervals: []}
  /** A statistic with its run's 95 % interval and range (nulls: n/a). */
  type V = RunValue
  type Stat = {count: number | null; p50: V; p99: V; p999: V; sd99: V; sd999: V}
  const none: V = {v: null, lo: null, hi: null, min: NaN, max: NaN}
  // A run row and a per-type row name these statistics alike (PER_TYPE_FIELDS).
  type StatFields = Pick<PerTypeRow, Exclude<PerTypeField, 'count'>>
  /** Range of latency (µs) and slowdown of the statistics: [min, max] of what they were measured on. */
  type Range = {lat: [number, number]; sd: [number, number]}
  const stat = (x: StatFields, count: number | null, g: Range): Stat => ({
    count,
    p50: {v: x.p50_us, lo: x.p50_ci_low_us, hi: x.p50_ci_high_us, min: g.lat[0], max: g.lat[1]},
    p99: {v: x.p99_us, lo: x.p99_ci_low_us, hi: x.p99_ci_high_us, min: g.lat[0], max: g.lat[1]},
    p999: {v: x.p999_us, lo: x.p999_ci_low_us, hi: x.p999_ci_high_us, min: g.lat[0], max: g.lat[1]},
    sd99: {v: x.slowdown_p99, lo: x.slowdown_p99_ci_low, hi: x.slowdown_p99_ci_high, min: g.sd[0], max: g.sd[1]},
    sd999: {v: x.slowdown_p999, lo: x.slowdown_p999_ci_low, hi: x.slowdown_p999_ci_high, min: g.sd[0], max: g.sd[1]},
  })
  // A run's range over all its requests. Files of schema 1 lack min_us, older ones slowdown_min and
  // some slowdown_max: an unknown lower bound is 0 (a latency or a slowdown is never negative), an
  // unknown upper bound does not clamp.
  const runRange = (r: ResultRow): Range => ({lat: [or(r.min_us, 0), or(r.max_us, Infinity)], sd: [or(r.slowdown_min, 0), or(r.slowdown_max, Infinity)]})
  // A type's own range. Files written before per-type min/max were recorded lack them: the type's
  // interval then falls back to the run's range over all requests (wider: it contains the type's).
  const typeRange = (t: PerTypeRow, all: Range): Range => ({
    lat: [or(t.min_us, all.lat[0]), or(t.max_us, all.lat[1])],
    sd: [or(t.slowdown_min, all.sd[0]), or(t.slowdown_max, all.sd[1])],
  })
  const groups: [string, Stat[]][] = [['all', rs.map((r) => stat(r, r.measured, runRange(r)))]]
  const types = [...new Set(rs.flatMap((r) => r.per_type.map((t) => t.type)))]
  for (const type of types) {
    groups.push([
      type,
      rs.map((r) => {
        const t = r.per_type.find((x) => x.type === type)
        return t === undefined ? {count: 0, p50: none, p99: none, p999: none, sd99: none, sd999: none} : stat(t, t.count, typeRange(t, runRange(r)))
      }),
    ])
  }
  const rows: Cell[][] = []
  const intervals: (Bounds | null)[][] = []
  const n = rs.length
  for (const [type, stats] of groups) {
    const absent = type === 'all' ? 0 : rs.filter((r) => !r.per_type.some((x) => x.type === type)).length
    if (absent > 0) {
      rows.push([policy, type, `absent from ${absent} of ${n} runs`, null, null, null, null, null])
      intervals.push([null, null, null, null, null, null, null, null])
      continue
    }
    const counts = stats.map((x) => x.count ?? 0)
    const cell = (key: Exclude<keyof Stat, 'count'>, p: number): [Cell, Bounds | null] => {
      const xs = stats.map((x) => x[key])
      if (xs.every((x) => x.v !== null)) {
        const c = cellInterval(xs)
        return [c.value, c.bounds]
      }
      const k = Math.min(...counts.map((c) => samplesBeyond(c, p)))
      const runs = n >= 2 ? ` in ${xs.filter((x) => x.v === null).length} of ${n} runs` : ''
      return [`n/a${runs} (${k} sample${k === 1 ? '' : 's'})`, null]
    }
    const cells = [cell('p50', 50), cell('p99', 99), cell('p999', 99.9), cell('sd99', 99), cell('sd999', 99.9)]
    rows.push([policy, type, counts.reduce((a, b) => a + b, 0) / counts.length, ...cells.map((c) => c[0])])
    intervals.push([null, null, null, ...cells.map((c) => c[1])])
  }
  return {rows, intervals}
}
