/**
 * Per-type percentiles and slowdown against a second implementation: the per-request records of
 * a simulated run (latency, and (end − arrival) / the trace's service time), sorted, with the
 * HDR rank convention. Both completion paths are covered: c-fcfs (slots, `complete`) and
 * mgn-fcfs (its recursion, `completeRequest`). Intervals: centred on their estimate, and equal
 * (within the histograms' resolution) to sectioning over the exact slice percentiles.
 */
import {describe, expect, test} from 'vitest'

import {resolveCosts} from '../../src/sim/machine/costs.js'
import {MIN_TAIL_SAMPLES, samplesBeyond, sectioningInterval} from '../../src/stats/intervals.js'
import {typeSampleWarning} from '../../src/stats/validity.js'
import type {TraceColumns} from '../../src/trace/memory.js'
import {CollectSink, run} from '../helpers.js'
import {typedColumns, US} from '../sim/sched/lib.js'

const exact = (sorted: number[], p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9)) - 1]

/** A 3-type trace: 70 % exp(1 µs) `a`, 29 % exp(20 µs) `b`, 1 % fixed 200 µs `c` (too few for tails). */
function trace(n: number): TraceColumns {
  const exp = (mean: number) => (rng: {float(): number}) => Math.max(1, Math.round(-Math.log(1 - rng.float()) * mean))
  const mean = 0.7 * US + 0.29 * 20 * US + 0.01 * 200 * US
  return typedColumns({
    n,
    rate: (0.7 * 8) / mean,
    seed: 5,
    names: ['a', 'b', 'c'],
    classes: [
      {p: 0.7, service: exp(US)},
      {p: 0.29, service: exp(20 * US)},
      {p: 0.01, service: () => 200 * US},
    ],
  })
}

const N = 20_000
const cols = trace(N)
const ghz = 2.4

for (const [policy, preset] of [
  ['c-fcfs', 'paper'],
  ['mgn-fcfs', 'zero'],
] as const) {
  describe(`${policy} (${preset} costs): per-type and slowdown statistics equal the records'`, () => {
    test('percentiles, n/a rule and intervals', async () => {
      const sink = new CollectSink()
      const r = await run(cols, {policy, cores: 8, costPreset: preset, costs: resolveCosts(preset)}, sink)
      const first = cols.arrival[0]
      const last = cols.arrival[N - 1]
      const warmupUntil = first + 0.1 * (last - first)
      const measured = sink.rows.filter((x) => x.arrival >= warmupUntil)
      expect(measured.length).toBe(r.measured)
      const sd = (x: (typeof measured)[number]) => (x.end - x.arrival) / cols.service[x.seq]
      const check = (got: number, values: number[], p: number, rel: number, abs: number, what: string) => {
        if (samplesBeyond(values.length, p) < MIN_TAIL_SAMPLES) return expect(got, `${what}: n/a`).toBeNaN()
        const want = exact(values, p)
        expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(want * rel + abs)
      }
      // Slowdown over all requests.
      const allSd = measured.map(sd).sort((a, b) => a - b)
      expect(r.slowdown.count).toBe(measured.length)
      expect(Math.abs(r.slowdown.mean - allSd.reduce((a, b) => a + b, 0) / allSd.length)).toBeLessThanOrEqual(0.0005)
      expect(allSd[0]).toBeGreaterThanOrEqual(1)
      for (const [key, p] of [['p50', 50], ['p99', 99], ['p999', 99.9]] as const) check(r.slowdown[key], allSd, p, 0.001, 0.0006, `slowdown ${key}`)
      // Per type.
      expect(Object.keys(r.per_type).sort()).toEqual(['a', 'b', 'c'])
      let naSeen = false
      for (const [t, name] of ['a', 'b', 'c'].entries()) {
        const mine = measured.filter((x) => cols.type![x.seq] === t)
        const lat = mine.map((x) => x.latency / (ghz * 1000)).sort((a, b) => a - b)
        const sds = mine.map(sd).sort((a, b) => a - b)
        const s = r.per_type[name]
        expect(s.count).toBe(mine.length)
        expect(s.slowdown.count).toBe(mine.length)
        for (const [key, p] of [['p50', 50], ['p99', 99], ['p999', 99.9]] as const) {
          check(s[`${key}_us`], lat, p, 0.001, 1 / (ghz * 1000), `${name} ${key}`)
          check(s.slowdown[key], sds, p, 0.001, 0.0006, `${name} slowdown ${key}`)
          if (!Number.isFinite(s[`${key}_us`])) naSeen = true
          // An interval contains its estimate.
          if (Number.isFinite(s[`${key}_ci_low_us`])) {
            expect(s[`${key}_ci_low_us`]).toBeLessThanOrEqual(s[`${key}_us`])
            expect(s[`${key}_ci_high_us`]).toBeGreaterThanOrEqual(s[`${key}_us`])
          }
        }
      }
      expect(naSeen, 'type c (1 %) has too few samples above its p99.9').toBe(true)
      // ... and the run says so: one type_too_few_samples warning naming each type with an n/a
      // percentile (every type here: p99.99 needs 100 000 samples), with its samples above it.
      const tw = r.warnings.filter((w) => w.code === 'type_too_few_samples')
      expect(tw).toHaveLength(1)
      const nC = r.per_type.c.count
      expect(tw[0].message).toContain(`"c" (${nC} measured): p99 has ${samplesBeyond(nC, 99)} above it`)
      expect(tw[0].message).toContain('3 of 3 types')
      // Type a's p99 interval against sectioning over the exact slice p99s (10 slices by arrival).
      const k = 10
      const span = last - warmupUntil
      const a = measured.filter((x) => cols.type![x.seq] === 0)
      const slices = Array.from({length: k}, (_, b) =>
        a
          .filter((x) => Math.min(k - 1, Math.floor(((x.arrival - warmupUntil) * k) / span)) === b)
          .map((x) => x.latency / (ghz * 1000))
          .sort((u, v) => u - v),
      )
      const aLat = a.map((x) => x.latency / (ghz * 1000)).sort((u, v) => u - v)
      const want = sectioningInterval(exact(aLat, 99), slices.map((sl) => exact(sl, 99)), aLat[0], aLat[aLat.length - 1])
      const s = r.per_type.a
      expect(Math.abs(s.p99_ci_low_us - want.low)).toBeLessThanOrEqual(0.003 * s.p99_us + 0.001)
      expect(Math.abs(s.p99_ci_high_us - want.high)).toBeLessThanOrEqual(0.003 * s.p99_us + 0.001)
    }, 60_000)
  })
}

test('type_too_few_samples: raised exactly when some type has an n/a percentile; the first five types named, the others counted', () => {
  // The fewest samples with every percentile reportable (p99.99 needs 10 above it).
  let enough = 1
  while (samplesBeyond(enough, 99.99) < MIN_TAIL_SAMPLES) enough++
  expect(typeSampleWarning([])).toBeUndefined()
  expect(typeSampleWarning([['a', enough], ['b', 10 * enough]])).toBeUndefined()
  // A type with no measured request has no percentile to report (printed '-', not n/a).
  expect(typeSampleWarning([['a', enough], ['idle', 0]])).toBeUndefined()
  const one = typeSampleWarning([['a', enough], ['b', enough - 1]])!
  expect(one.code).toBe('type_too_few_samples')
  expect(one.message).toContain(`1 of 2 types has percentiles reported as n/a: "b" (${enough - 1} measured): p99.99 has ${samplesBeyond(enough - 1, 99.99)} above it`)
  expect(one.message).not.toContain('"a"')
  const many = typeSampleWarning(Array.from({length: 8}, (_, i) => [`t${i}`, 50 + i] as const))!
  for (let i = 0; i < 5; i++) expect(many.message).toContain(`"t${i}"`)
  expect(many.message).not.toContain('"t5"')
  expect(many.message).toContain('8 of 8 types')
  expect(many.message).toContain('and 3 more types')
})

test('slowdown leaves --network-rtt out; latency includes it', async () => {
  const small = trace(3000)
  const a = await run(small, {policy: 'mgn-fcfs', cores: 8})
  const b = await run(small, {policy: 'mgn-fcfs', cores: 8, networkRttUs: 10})
  expect(b.latency.p50_us).toBeCloseTo(a.latency.p50_us + 10, 2)
  expect(b.slowdown).toEqual(a.slowdown)
  expect(b.per_type.a.slowdown).toEqual(a.per_type.a.slowdown)
})
