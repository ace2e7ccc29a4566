/**
 * Intervals and validity: properties of the sectioning and replication intervals (contain their
 * estimate, stay within [min, max]); the recorder's intervals on random runs; the compact per-type
 * histograms against exact order statistics; the validity checks on constructed series and on
 * simulated runs; per-type memory for 65 535 types.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {RequestTable} from '../../src/sim/machine/requests.js'
import {MIN_TAIL_SAMPLES, replicationInterval, samplesBeyond, sectioningInterval} from '../../src/stats/intervals.js'
import {PERCENTILES, Recorder} from '../../src/stats/recorder.js'
import {bucketHigh, bucketOf, SparseHistogram} from '../../src/stats/sparse.js'
import {mser, saturationCheck, trendCheck} from '../../src/stats/validity.js'
import {expService, poissonColumns, run} from '../helpers.js'

const exactPercentile = (sorted: number[], p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9)) - 1]

describe('interval properties', () => {
  test('a sectioning interval contains its estimate and stays within [min, max]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({min: -1e9, max: 1e9, noNaN: true}), {minLength: 2, maxLength: 40}),
        fc.double({min: -1e9, max: 1e9, noNaN: true}),
        fc.double({min: 0, max: 1e9, noNaN: true}),
        (sections, a, width) => {
          const lo = Math.min(a, ...sections)
          const hi = Math.max(a, ...sections) + width
          const est = Math.min(hi, Math.max(lo, a))
          const iv = sectioningInterval(est, sections, lo, hi)
          expect(iv.low).toBeLessThanOrEqual(est)
          expect(iv.high).toBeGreaterThanOrEqual(est)
          expect(iv.low).toBeGreaterThanOrEqual(lo)
          expect(iv.high).toBeLessThanOrEqual(hi)
        },
      ),
      {numRuns: 300},
    )
  })

  test('a replication interval contains the mean and stays within [min, max]', () => {
    fc.assert(
      fc.property(fc.array(fc.double({min: 0, max: 1e7, noNaN: true}), {minLength: 2, maxLength: 30}), (xs) => {
        const lo = Math.min(...xs)
        const hi = Math.max(...xs)
        const iv = replicationInterval(xs, lo, hi)
        expect(iv.low).toBeLessThanOrEqual(iv.mean + 1e-9 * Math.abs(iv.mean))
        expect(iv.high).toBeGreaterThanOrEqual(iv.mean - 1e-9 * Math.abs(iv.mean))
        expect(iv.low).toBeGreaterThanOrEqual(lo)
        expect(iv.high).toBeLessThanOrEqual(hi)
      }),
      {numRuns: 200},
    )
    expect(replicationInterval([5], 5, 5).low).toBeNaN()
  })

  test('the recorder: every interval contains its estimate, never leaves [min, max]; percentiles never exceed max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({min: 0, max: 1e6}), fc.integer({min: 1, max: 2 ** 34})), {minLength: 1, maxLength: 4000}),
        fc.integer({min: 0, max: 20}),
        (reqs, k) => {
          const arr = reqs.map(([a]) => a).sort((x, y) => x - y)
          const table = new RequestTable(8)
          const rec = new Recorder(table, {warmupUntil: 0, lastArrival: arr[arr.length - 1], networkRtt: 0, batches: k})
          try {
            reqs.forEach(([, lat], i) => rec.complete(table.alloc(i, arr[i], 1, 0, 1 + (i % 3)), arr[i] + lat))
            for (const s of [rec.summary(), ...rec.typeSummaries().values()]) {
              for (const [key] of PERCENTILES) {
                const v = s[key]
                if (Number.isFinite(v)) {
                  expect(v).toBeLessThanOrEqual(s.max)
                  expect(v).toBeGreaterThanOrEqual(s.min)
                }
              }
              for (const key of ['mean', ...PERCENTILES.map(([x]) => x)] as const) {
                const iv = s.ci[key]
                if (!Number.isFinite(iv.low)) {
                  expect(iv.high).toBeNaN()
                  continue
                }
                expect(iv.low).toBeLessThanOrEqual(s[key])
                expect(iv.high).toBeGreaterThanOrEqual(s[key])
                expect(iv.low).toBeGreaterThanOrEqual(s.min)
                expect(iv.high).toBeLessThanOrEqual(s.max)
              }
            }
          } finally {
            rec.destroy()
          }
        },
      ),
      {numRuns: 40},
    )
  })
})

describe('per-type compact histograms', () => {
  test('buckets: exact below 2048, then within 0.1%, the bucket high is in the bucket', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: Number.MAX_SAFE_INTEGER}), (v) => {
        const b = bucketOf(v)
        const hi = bucketHigh(b)
        expect(hi).toBeGreaterThanOrEqual(v)
        if (v < 2048) expect(hi).toBe(v)
        else expect((hi - v) / v).toBeLessThan(0.001)
        expect(bucketOf(hi)).toBe(b)
      }),
      {numRuns: 2000},
    )
  })

  test('percentiles within 0.1% of the exact order statistics, exact count, sum, min and max, across folds', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({min: 1, max: 2 ** 40}), {minLength: 1, maxLength: 12000}), fc.integer({min: 1, max: 9}), (vals, k) => {
        const h = new SparseHistogram()
        vals.forEach((v, i) => h.record(v, i % k))
        const ps = PERCENTILES.map(([, p]) => p)
        const s = h.summarize(ps, k)
        const sorted = [...vals].sort((a, b) => a - b)
        expect(s.count).toBe(vals.length)
        expect(s.min).toBe(sorted[0])
        expect(s.max).toBe(sorted[sorted.length - 1])
        expect(s.mean).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / vals.length, 3)
        ps.forEach((p, i) => {
          if (samplesBeyond(vals.length, p) < MIN_TAIL_SAMPLES) return expect(s.pct[i]).toBeNaN()
          const want = exactPercentile(sorted, p)
          expect(Math.abs(s.pct[i] - want)).toBeLessThanOrEqual(want * 0.001 + 1)
        })
      }),
      {numRuns: 60},
    )
  })

  test('65 535 types: per-type memory stays small and bounded', () => {
    const table = new RequestTable(8)
    const n = 65535 * 8
    const rec = new Recorder(table, {warmupUntil: 0, lastArrival: n, networkRtt: 0, batches: 10})
    try {
      for (let i = 0; i < n; i++) rec.complete(table.alloc(i, i, 1, 0, 1 + (i % 65535)), i + 1000 + (i % 977))
      expect(rec.typeSummaries().size).toBe(65535)
      // 8 requests per type: the key buffer, the folded (key, count) run and a few fields each,
      // for two distributions per type (latency and slowdown).
      expect(rec.typeBytes() / 65535).toBeLessThan(500)
    } finally {
      rec.destroy()
    }
    // One busy type: bounded by its distinct (bucket, section) pairs, not by its request count.
    const h = new SparseHistogram()
    for (let i = 0; i < 2_000_000; i++) h.record(10_000 + (i % 5000), i % 10)
    expect(h.bytes()).toBeLessThan(1_000_000)
  })
})

describe('validity checks', () => {
  test('saturation: growing backlog is flagged, a telescoping stable one is not', () => {
    const arrivals = Array.from({length: 10}, () => 10_000)
    expect(saturationCheck(arrivals, arrivals.map((a) => a - 700))!.saturated).toBe(true)
    // Stable: the backlog moves up and down, ending near where it started.
    const stable = [10_020, 9_990, 10_010, 9_980, 10_000, 10_015, 9_985, 10_000, 10_005, 9_995]
    expect(saturationCheck(arrivals, stable)!.saturated).toBe(false)
    // The last slice's in-flight requests only (completions after the last arrival): not saturated.
    expect(saturationCheck(arrivals, [...arrivals.slice(0, 9), 9_980])!.saturated).toBe(false)
  })

  test('trend: a rising mean latency is flagged, noise is not', () => {
    expect(trendCheck([10, 12, 14, 16, 18, 20, 22, 24, 26, 28])!.trending).toBe(true)
    expect(trendCheck([10, 11, 9, 10.5, 9.5, 10, 10.2, 9.8, 10.1, 9.9])!.trending).toBe(false)
  })

  test('MSER-5 cuts an initial transient and not a stationary series', () => {
    const rngNoise = (i: number) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453)
    const z = Array.from({length: 1000}, (_, i) => (i < 100 ? 50 - i * 0.4 : 10) + rngNoise(i))
    const arr = z.map((_, i) => i * 5)
    const m = mser(z, arr, 0)!
    expect(m.d).toBeGreaterThanOrEqual(90)
    expect(m.d).toBeLessThanOrEqual(110)
    expect(m.atLimit).toBe(false)
    const flat = Array.from({length: 1000}, (_, i) => 10 + rngNoise(i))
    expect(mser(flat, arr, 0)!.d).toBeLessThan(100)
  })

  test('simulated runs: overload is saturated and not stationary, a stable run raises neither', async () => {
    const mean = 24_000
    const c = poissonColumns({n: 60_000, load: 0.5, cores: 4, mean, service: expService(mean), connections: 64, seed: 3})
    const over = await run(c, {policy: 'mgn-fcfs', cores: 4, load: 1.1, allowOverload: true})
    const codes = over.warnings.map((w) => w.code)
    expect(codes).toContain('saturated')
    expect(codes).toContain('not_stationary')
    expect(over.achieved_ratio!).toBeLessThan(0.95)
    const ok = await run(c, {policy: 'mgn-fcfs', cores: 4, load: 0.6})
    const okCodes = ok.warnings.map((w) => w.code)
    expect(okCodes).not.toContain('saturated')
    expect(okCodes).not.toContain('not_stationary')
    // p99.99 of 54 000 samples has 5 above it: n/a and said so.
    expect(ok.latency.p9999_us).toBeNaN()
    expect(okCodes).toContain('too_few_samples')
  })

  test('--warmup auto records the MSER-5 cut and measures from it', async () => {
    const mean = 24_000
    const c = poissonColumns({n: 40_000, load: 0.5, cores: 4, mean, service: expService(mean), connections: 64, seed: 4})
    const r = await run(c, {policy: 'mgn-fcfs', cores: 4, load: 0.7, warmupAuto: true})
    expect(r.config.warmupAuto).toBe(true)
    expect(r.mser_cut_us).not.toBeNull()
    expect(Math.abs(r.warmup_cut_us - r.mser_cut_us!)).toBeLessThan(0.01 * r.sim_time_us)
    expect(r.warnings.map((w) => w.code)).not.toContain('warmup_too_short')
  })
})
