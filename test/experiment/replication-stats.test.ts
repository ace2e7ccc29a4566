/**
 * Slowdown and per-type statistics over replications (src/experiment/replication-stats.ts) on
 * hand-made run results: the oracle is the t-interval computed here from the numbers put in
 * (mean ± t₀.₉₇₅(k−1)·sd/√k, clamped to the quantity's observed [min, max]), and the rules for a
 * statistic some run lacks (n/a), a type some run lacks (absent) and one run (no interval).
 */
import {describe, expect, test} from 'vitest'

import {perTypeReplicas, replicaStat, slowdownReplicas} from '../../src/experiment/replication-stats.js'
import {replicationTypeLines} from '../../src/report/type-summary.js'
import type {SlowdownStats, TypeResult} from '../../src/sim/simulate.js'

/** Latency (µs) and slowdown of one type in one run; NaN: n/a. The sectioning intervals are not used here. */
interface Spec {
  count: number
  min?: number
  p50: number
  p99: number
  p999: number
  max: number
  sd99: number
  sd999: number
  sdMax: number
}

function slowdown(s: Partial<SlowdownStats>): SlowdownStats {
  const ci = {mean_ci_low: NaN, mean_ci_high: NaN, p50_ci_low: NaN, p50_ci_high: NaN, p90_ci_low: NaN, p90_ci_high: NaN}
  const ci2 = {p99_ci_low: NaN, p99_ci_high: NaN, p999_ci_low: NaN, p999_ci_high: NaN, p9999_ci_low: NaN, p9999_ci_high: NaN}
  return {count: 0, mean: NaN, min: 1, p50: NaN, p90: NaN, p99: NaN, p999: NaN, p9999: NaN, max: NaN, ...ci, ...ci2, ...s}
}

function typeResult(s: Spec): TypeResult {
  const ci = {mean_ci_low_us: NaN, mean_ci_high_us: NaN, p50_ci_low_us: NaN, p50_ci_high_us: NaN, p90_ci_low_us: NaN, p90_ci_high_us: NaN}
  const ci2 = {p99_ci_low_us: NaN, p99_ci_high_us: NaN, p999_ci_low_us: NaN, p999_ci_high_us: NaN, p9999_ci_low_us: NaN, p9999_ci_high_us: NaN}
  return {
    count: s.count,
    mean_us: s.p50,
    min_us: s.min ?? s.p50 / 2,
    p50_us: s.p50,
    p90_us: s.p99,
    p99_us: s.p99,
    p999_us: s.p999,
    p9999_us: NaN,
    max_us: s.max,
    ...ci,
    ...ci2,
    slowdown: slowdown({count: s.count, mean: 2, p50: 1.5, p99: s.sd99, p999: s.sd999, max: s.sdMax}),
  }
}

/** mean and 95% t half-width (k = 3: t = 4.303) of three values. */
function t3(xs: number[]): {mean: number; half: number} {
  const m = (xs[0] + xs[1] + xs[2]) / 3
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / 2)
  return {mean: m, half: (4.303 * sd) / Math.sqrt(3)}
}

// Three runs of a trace with types `short` and `long` (very different numbers, so a statistic
// taken from the wrong type is far off), and `rare`, absent from run 1.
const short = [
  typeResult({count: 9000, p50: 10, p99: 100, p999: 200, max: 1000, sd99: 30, sd999: 60, sdMax: 500}),
  typeResult({count: 9010, p50: 11, p99: 104, p999: 210, max: 1000, sd99: 32, sd999: 61, sdMax: 500}),
  typeResult({count: 8990, p50: 12, p99: 108, p999: NaN, max: 1000, sd99: 34, sd999: NaN, sdMax: 500}),
]
const long = [
  // The max of `long` bounds its intervals: p99 values spread far, close to that max.
  typeResult({count: 1000, p50: 500, p99: 900, p999: 990, max: 1000, sd99: 3, sd999: 4, sdMax: 4.1}),
  typeResult({count: 990, p50: 520, p99: 990, p999: 995, max: 1001, sd99: 3.1, sd999: 4, sdMax: 4.2}),
  typeResult({count: 1010, p50: 510, p99: 995, p999: 996, max: 999, sd99: 3.2, sd999: 4.3, sdMax: 4.35}),
]
const rare = typeResult({count: 50, p50: 40, p99: NaN, p999: NaN, max: 90, sd99: NaN, sd999: NaN, sdMax: 9})
const runs = [
  {per_type: {short: short[0], long: long[0], rare}, slowdown: slowdown({count: 10000, min: 1, mean: 1.5, p50: 1.5, p99: 29, p999: 58, max: 500})},
  {per_type: {short: short[1], long: long[1]}, slowdown: slowdown({count: 10000, min: 1, mean: 3, p50: 1.6, p99: 31, p999: 60, max: 500})},
  {per_type: {short: short[2], long: long[2], rare}, slowdown: slowdown({count: 10000, min: 1, mean: 4.5, p50: 1.7, p99: 33, p999: NaN, max: 500})},
]

describe('per-type statistics over replications', () => {
  const pt = perTypeReplicas(runs)

  test('each type from its own runs: mean ± t-interval of that type', () => {
    expect(Object.keys(pt)).toEqual(['short', 'long', 'rare'])
    for (const [name, rs] of [['short', short], ['long', long]] as const) {
      const t = pt[name]
      expect(t.absent_runs).toBe(0)
      for (const [key, f] of [
        ['p50_us', (x: TypeResult) => x.p50_us],
        ['p99_us', (x: TypeResult) => x.p99_us],
        ['count', (x: TypeResult) => x.count],
        ['slowdown_p99', (x: TypeResult) => x.slowdown.p99],
      ] as const) {
        const {mean, half} = t3(rs.map(f))
        const lo = key === 'count' ? Math.min(...rs.map(f)) : key === 'slowdown_p99' ? 1 : Math.min(...rs.map((x) => x.min_us))
        const hi = key === 'count' ? Math.max(...rs.map(f)) : key === 'slowdown_p99' ? Math.max(...rs.map((x) => x.slowdown.max)) : Math.max(...rs.map((x) => x.max_us))
        expect(t[key].mean, `${name} ${key}`).toBeCloseTo(mean, 9)
        expect(t[key].low, `${name} ${key}`).toBeCloseTo(Math.max(lo, mean - half), 9)
        expect(t[key].high, `${name} ${key}`).toBeCloseTo(Math.min(hi, mean + half), 9)
        expect(t[key].na_runs).toBe(0)
      }
    }
  })

  test("clamped to the type's own [min, max] over the runs, never past its estimate", () => {
    // long p99: 900, 990, 995 → mean 961.7, half ≈ 132: the t-interval passes long's max (1001).
    const {mean, half} = t3([900, 990, 995])
    expect(mean + half).toBeGreaterThan(1001)
    expect(pt.long.p99_us.high).toBe(1001)
    expect(pt.long.p99_us.low).toBeCloseTo(mean - half, 9)
    // long slowdown p99.9: 4, 4, 4.3 → clamped to long's largest slowdown, 4.35 (short's is 500).
    expect(t3([4, 4, 4.3]).mean + t3([4, 4, 4.3]).half).toBeGreaterThan(4.35)
    expect(pt.long.slowdown_p999.high).toBe(4.35)
    for (const t of Object.values(pt)) {
      for (const x of [t.count, t.p50_us, t.p99_us, t.p999_us, t.slowdown_p99, t.slowdown_p999]) {
        if (Number.isNaN(x.mean)) continue
        expect(x.low).toBeLessThanOrEqual(x.mean)
        expect(x.high).toBeGreaterThanOrEqual(x.mean)
      }
    }
  })

  test('a statistic n/a in some run stays n/a (not the mean of the others) and says in how many', () => {
    expect(pt.short.p999_us).toEqual({mean: NaN, low: NaN, high: NaN, half: NaN, na_runs: 1})
    expect(pt.short.slowdown_p999.na_runs).toBe(1)
    expect(pt.short.slowdown_p999.mean).toBeNaN()
    expect(pt.short.p99_us.na_runs).toBe(0)
  })

  test('a type absent from some run: no statistic, and how many runs lacked it', () => {
    expect(pt.rare.absent_runs).toBe(1)
    for (const x of [pt.rare.count, pt.rare.p50_us, pt.rare.p99_us, pt.rare.slowdown_p99]) {
      expect(x.mean).toBeNaN()
      expect(x.low).toBeNaN()
      expect(x.na_runs).toBeGreaterThanOrEqual(1)
    }
    expect(pt.rare.p50_us.na_runs).toBe(1) // absent from run 1, reported in runs 0 and 2
    expect(pt.rare.p99_us.na_runs).toBe(3) // n/a in runs 0 and 2, absent from run 1
  })

  test('slowdown of all requests: the same rules', () => {
    const s = slowdownReplicas(runs)
    const {mean, half} = t3([29, 31, 33])
    expect(s.p99.mean).toBeCloseTo(mean, 9)
    expect(s.p99.high).toBeCloseTo(mean + half, 9)
    expect(s.p999).toMatchObject({na_runs: 1})
    expect(s.p999.mean).toBeNaN()
    // mean 1.5, 3, 4.5: the t-interval's low end is below the smallest slowdown, 1, and clamped there.
    expect(t3([1.5, 3, 4.5]).mean - t3([1.5, 3, 4.5]).half).toBeLessThan(1)
    expect(s.mean.low).toBe(1)
    expect(s.mean.high).toBeCloseTo(t3([1.5, 3, 4.5]).mean + t3([1.5, 3, 4.5]).half, 9)
  })

  test('one run: its value, no interval, and the summary says so', () => {
    const one = perTypeReplicas([runs[0]])
    expect(one.short.p99_us.mean).toBe(100)
    expect(one.short.p99_us.low).toBeNaN()
    expect(one.short.p99_us.high).toBeNaN()
    expect(one.short.p99_us.na_runs).toBe(0)
    expect(replicaStat([7], 0, 10)).toMatchObject({mean: 7, na_runs: 0})
    const lines = replicationTypeLines({seeds: [1], slowdown: slowdownReplicas([runs[0]]), per_type: one}).join('\n')
    expect(lines).toMatch(/one replication: no interval over replications/)
    expect(lines).toMatch(/short\s+9000\s+10\.0\s+100\.0\s+200\.0/)
    expect(lines).not.toMatch(/\[/)
  })

  test('the rendered block: intervals by type, n/a with its count of runs, the absent type on its own line', () => {
    const lines = replicationTypeLines({seeds: [1, 2, 3], slowdown: slowdownReplicas(runs), per_type: pt})
    const text = lines.join('\n')
    expect(text).toMatch(/^by type over 3 replications/m)
    const f = (x: {mean: number; low: number; high: number}, d: number) => `${x.mean.toFixed(d)} [${x.low.toFixed(d)}, ${x.high.toFixed(d)}]`
    const shortRow = lines.find((l) => /^ {2}short\s+9000/.test(l))!
    expect(shortRow).toContain(f(pt.short.p99_us, 1))
    expect(shortRow).toContain('n/a in 1 of 3 runs')
    expect(lines.find((l) => /^ {2}long\s+1000/.test(l))).toContain(f(pt.long.p99_us, 1))
    expect(lines.find((l) => /^ {2}long\s+\d+\.\d+ \[/.test(l))).toContain(f(pt.long.slowdown_p99, 2))
    expect(text).toMatch(/type rare: absent from 1 of 3 runs/)
    expect(text).not.toMatch(/^ {2}rare\s/m)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(120)
  })
})
