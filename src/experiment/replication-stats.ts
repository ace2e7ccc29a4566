/**
 * Statistics over replications beyond the overall latency: slowdown (all measured requests) and
 * each request type's latency and slowdown (src/experiment/replications.ts runs the replications).
 *
 * Every statistic follows the rule of the overall latency: the mean of the k runs' values with a
 * 95% t-interval over them, clamped to the observed [min, max] of all runs for that quantity
 * (slowdown: the runs' slowdown min and max; a type: that type's min and max in the runs), by the
 * one helper `replicationInterval` (src/stats/intervals.ts). Then:
 * - a statistic that some run reports as n/a (NaN: too few samples above a percentile) stays n/a
 *   over the replications: NaN mean and bounds, never a mean of the runs that have it; `na_runs`
 *   says how many runs lacked it;
 * - a type absent from some run (no measured request of it there) has no statistic at all;
 *   `absent_runs` says in how many runs it was absent;
 * - one run (k = 1) gives its value as the mean and no interval (NaN bounds).
 */
import type {RunResult, TypeResult} from '../sim/simulate.js'
import {replicationInterval} from '../stats/intervals.js'

/** A 95% t-interval over replications. Units as in the field name. */
export interface ReplicaInterval {
  mean: number
  low: number
  high: number
  /** Half-width (of the clamped interval); NaN for k = 1. */
  half: number
}

/** A statistic over the replications, with how many runs could not report it. */
export interface ReplicaStat extends ReplicaInterval {
  /** Runs that lacked the statistic (n/a in that run, or its type absent); > 0: everything NaN. */
  na_runs: number
}

/** Slowdown (dimensionless) over the replications. */
export type SlowdownReplicas = Record<'mean' | 'p50' | 'p99' | 'p999', ReplicaStat>

/** One request type over the replications: measured requests, latency (µs) and slowdown. */
export interface TypeReplicas {
  /** Runs in which the type had no measured request; > 0: every statistic is n/a. */
  absent_runs: number
  count: ReplicaStat
  p50_us: ReplicaStat
  p99_us: ReplicaStat
  p999_us: ReplicaStat
  slowdown_p99: ReplicaStat
  slowdown_p999: ReplicaStat
}

/**
 * The mean of `xs` (one value per run; NaN: n/a in that run) with its 95% t-interval clamped to
 * [lo, hi]; everything NaN when some run lacks the value.
 */
export function replicaStat(xs: readonly number[], lo: number, hi: number): ReplicaStat {
  const na = xs.filter((x) => !Number.isFinite(x)).length
  if (na > 0) return {mean: NaN, low: NaN, high: NaN, half: NaN, na_runs: na}
  const r = replicationInterval(xs, lo, hi)
  return {mean: r.mean, low: r.low, high: r.high, half: (r.high - r.low) / 2, na_runs: 0}
}

const minOf = (xs: readonly number[]) => xs.reduce((a, b) => Math.min(a, b), Infinity)
const maxOf = (xs: readonly number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity)

/** Slowdown over the runs (clamped to the runs' smallest and largest slowdown). */
export function slowdownReplicas(runs: readonly Pick<RunResult, 'slowdown'>[]): SlowdownReplicas {
  const lo = minOf(runs.map((r) => r.slowdown.min))
  const hi = maxOf(runs.map((r) => r.slowdown.max))
  const st = (f: (s: RunResult['slowdown']) => number) => replicaStat(runs.map((r) => f(r.slowdown)), lo, hi)
  return {mean: st((s) => s.mean), p50: st((s) => s.p50), p99: st((s) => s.p99), p999: st((s) => s.p999)}
}

/** Each request type over the runs, in order of first appearance. */
export function perTypeReplicas(runs: readonly Pick<RunResult, 'per_type'>[]): Record<string, TypeReplicas> {
  const names: string[] = []
  for (const r of runs) for (const name of Object.keys(r.per_type)) if (!names.includes(name)) names.push(name)
  const out: Record<string, TypeReplicas> = {}
  for (const name of names) {
    // Own property only: a type named like an Object.prototype member is still a type.
    const ts = runs.map((r) => (Object.hasOwn(r.per_type, name) ? r.per_type[name] : undefined))
    const present = ts.filter((t): t is TypeResult => t !== undefined)
    const of = (f: (t: TypeResult) => number) => ts.map((t) => (t === undefined ? NaN : f(t)))
    const lat = (f: (t: TypeResult) => number) => replicaStat(of(f), minOf(present.map((t) => t.min_us)), maxOf(present.map((t) => t.max_us)))
    const sd = (f: (t: TypeResult) => number) =>
      replicaStat(of(f), minOf(present.map((t) => t.slowdown.min)), maxOf(present.map((t) => t.slowdown.max)))
    const counts = of((t) => t.count)
    out[name] = {
      absent_runs: ts.length - present.length,
      count: replicaStat(counts, minOf(counts), maxOf(counts)),
      p50_us: lat((t) => t.p50_us),
      p99_us: lat((t) => t.p99_us),
      p999_us: lat((t) => t.p999_us),
      slowdown_p99: sd((t) => t.slowdown.p99),
      slowdown_p999: sd((t) => t.slowdown.p999),
    }
  }
  return out
}
