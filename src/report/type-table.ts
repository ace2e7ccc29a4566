/**
 * The rows of the comparison's "latency and slowdown by request type" table (tables.ts), and the
 * half-width of a table cell's 95 % interval that it shares with the latency table.
 */
import type {PerTypeField, PerTypeRow, ResultRow} from '../results/schema.js'
import {meanCi, samplesBeyond} from '../stats/intervals.js'
import type {Cell} from './tables.js'

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
}

/**
 * Rows of the by-type table for one policy's rows (replications averaged, with the half-width of
 * the t-interval over them, as the latency table): all requests, then each type. A percentile
 * that some replication could not report stays n/a: `n/a (k samples)`, k the fewest samples above
 * it, and with replications `n/a in j of n runs (k samples)`. A type absent from some replication
 * (no measured request of it there) has no numbers: `absent from j of n runs`.
 */
export function typeTableRows(policy: string, rs: readonly ResultRow[]): {rows: Cell[][]; halves: (number | null)[][]} {
  if (rs.length === 0) return {rows: [], halves: []}
  /** A statistic with its run's 95 % interval (nulls: n/a). */
  type V = {v: number | null; lo: number | null; hi: number | null}
  type Stat = {count: number | null; p50: V; p99: V; p999: V; sd99: V; sd999: V}
  const none: V = {v: null, lo: null, hi: null}
  // A run row and a per-type row name these statistics alike (PER_TYPE_FIELDS).
  type StatFields = Pick<PerTypeRow, Exclude<PerTypeField, 'count'>>
  const stat = (x: StatFields, count: number | null): Stat => ({
    count,
    p50: {v: x.p50_us, lo: x.p50_ci_low_us, hi: x.p50_ci_high_us},
    p99: {v: x.p99_us, lo: x.p99_ci_low_us, hi: x.p99_ci_high_us},
    p999: {v: x.p999_us, lo: x.p999_ci_low_us, hi: x.p999_ci_high_us},
    sd99: {v: x.slowdown_p99, lo: x.slowdown_p99_ci_low, hi: x.slowdown_p99_ci_high},
    sd999: {v: x.slowdown_p999, lo: x.slowdown_p999_ci_low, hi: x.slowdown_p999_ci_high},
  })
  const groups: [string, Stat[]][] = [['all', rs.map((r) => stat(r, r.measured))]]
  const types = [...new Set(rs.flatMap((r) => r.per_type.map((t) => t.type)))]
  for (const type of types) {
    groups.push([
      type,
      rs.map((r) => {
        const t = r.per_type.find((x) => x.type === type)
        return t === undefined ? {count: 0, p50: none, p99: none, p999: none, sd99: none, sd999: none} : stat(t, t.count)
      }),
    ])
  }
  const rows: Cell[][] = []
  const halves: (number | null)[][] = []
  const n = rs.length
  for (const [type, stats] of groups) {
    const absent = type === 'all' ? 0 : rs.filter((r) => !r.per_type.some((x) => x.type === type)).length
    if (absent > 0) {
      rows.push([policy, type, `absent from ${absent} of ${n} runs`, null, null, null, null, null])
      halves.push([null, null, null, null, null, null, null, null])
      continue
    }
    const counts = stats.map((x) => x.count ?? 0)
    const cell = (key: Exclude<keyof Stat, 'count'>, p: number): [Cell, number | null] => {
      const xs = stats.map((x) => x[key])
      if (xs.every((x) => x.v !== null)) return [mean(xs.map((x) => x.v as number)), intervalHalf(xs)]
      const k = Math.min(...counts.map((c) => samplesBeyond(c, p)))
      const runs = n >= 2 ? ` in ${xs.filter((x) => x.v === null).length} of ${n} runs` : ''
      return [`n/a${runs} (${k} sample${k === 1 ? '' : 's'})`, null]
    }
    const cells = [cell('p50', 50), cell('p99', 99), cell('p999', 99.9), cell('sd99', 99), cell('sd999', 99.9)]
    rows.push([policy, type, mean(counts), ...cells.map((c) => c[0])])
    halves.push([null, null, null, ...cells.map((c) => c[1])])
  }
  return {rows, halves}
}

/**
 * Half-width of a cell's 95 % interval: the t-interval of the replications' values, or, for one
 * run, the larger side of its own interval; null when there is none.
 */
export function intervalHalf(xs: readonly {v: number | null; lo: number | null; hi: number | null}[]): number | null {
  if (xs.length === 0 || xs.some((x) => x.v === null)) return null
  if (xs.length >= 2) {
    const h = meanCi(xs.map((x) => x.v as number)).half
    return Number.isFinite(h) ? h : null
  }
  const {v, lo, hi} = xs[0]
  if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isFinite(lo) || !Number.isFinite(hi)) return null
  return Math.max((v as number) - lo, hi - (v as number))
}
