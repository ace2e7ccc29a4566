/**
 * The recorder's binnings of the time line (src/stats/bins.ts) and what it derives from them,
 * against the formulas they replace: a bin's integer range is exactly the integers the formula
 * puts in it, and the recorder's MSER series, arrivals and completions per batch-means slice
 * equal a direct computation (one multiplication and floor per completion) on random runs with
 * completions out of arrival order, fractional times and a fractional warm-up cut-off.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {Bins} from '../../src/stats/bins.js'
import {Recorder} from '../../src/stats/recorder.js'

describe('Bins', () => {
  test('low(i) and high(i) are the smallest and largest integers the formula puts in bin i', () => {
    fc.assert(
      fc.property(
        fc.double({min: -1e12, max: 1e12, noNaN: true}),
        fc.double({min: 1e-9, max: 10, noNaN: true}),
        fc.integer({min: 1, max: 70_000}),
        fc.boolean(),
        fc.array(fc.integer({min: 0, max: 69_999}), {minLength: 1, maxLength: 20}),
        (origin, scale, count, clamp, is) => {
          const b = new Bins(origin, scale, count, clamp)
          for (const i0 of is) {
            const i = i0 % count
            const lo = b.low(i)
            const hi = b.high(i)
            if (Number.isFinite(lo)) {
              expect(b.of(lo)).toBeGreaterThanOrEqual(i)
              expect(b.of(lo - 1)).toBeLessThan(i)
            } else expect(lo === -Infinity && clamp && i === 0).toBe(true)
            if (Number.isFinite(hi)) {
              expect(b.of(hi)).toBeLessThanOrEqual(i)
              expect(b.of(hi + 1)).toBeGreaterThan(i)
            } else expect(hi === Infinity && clamp && i === count - 1).toBe(true)
          }
        },
      ),
      {numRuns: 300},
    )
  })
})

describe('the recorder against the direct formulas', () => {
  test('MSER series, arrivals and completions per slice, slice means', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 3000}),
        fc.integer({min: 0, max: 2 ** 31 - 1}),
        fc.constantFrom(0, 2, 3, 10),
        fc.boolean(),
        (n, seed, batches, fractional) => {
          let s = seed
          const u = () => {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0
            return s / 4294967296
          }
          let t = 1000
          const reqs: {arrival: number; end: number}[] = []
          for (let i = 0; i < n; i++) {
            t += Math.floor(u() * 500) + (fractional ? 0.25 : 0)
            reqs.push({arrival: t, end: t + 1 + Math.floor(u() * 3000)})
          }
          const first = reqs[0].arrival
          const last = reqs[n - 1].arrival
          // Completions out of arrival order: swap neighbours within 10.
          for (let i = 0; i < n - 1; i++) {
            if (u() < 0.3) {
              const j = Math.min(n - 1, i + Math.floor(u() * 10))
              ;[reqs[i], reqs[j]] = [reqs[j], reqs[i]]
            }
          }
          const warmupUntil = first + 0.2 * (last - first) + 0.5
          const rec = new Recorder(null as never, {warmupUntil, lastArrival: last, networkRtt: 7, batches, firstArrival: first, expectedRequests: n})
          try {
            for (const r of reqs) rec.completeRequest(0, r.arrival, 0, 0, 0, 0, r.arrival, r.end, 1)
            const series = rec.series()
            // MSER: mean latency per arrival bin, by the formula (empty bins left out).
            const bins = Math.max(1, Math.min(1 << 16, Math.floor(n / 5)))
            const scale = last > first ? bins / (last - first) : 0
            const sum = new Float64Array(bins)
            const cnt = new Float64Array(bins)
            for (const r of reqs) {
              const b = Math.min(bins - 1, Math.max(0, Math.floor((r.arrival - first) * scale)))
              sum[b] += r.end - r.arrival + 7
              cnt[b]++
            }
            const z: number[] = []
            for (let b = 0; b < bins; b++) if (cnt[b] > 0) z.push(sum[b] / cnt[b])
            expect(Array.from(series.mser)).toEqual(z)
            const span = last - warmupUntil
            const k = batches >= 2 && span > 0 ? batches : 0
            if (k === 0) {
              expect(series.arrivals).toEqual([])
              expect(series.completions).toEqual([])
              return
            }
            const arrivals = new Array<number>(k).fill(0)
            const done = new Array<number>(k).fill(0)
            const latSum = new Array<number>(k).fill(0)
            for (const r of reqs) {
              if (r.arrival >= warmupUntil) {
                const b = Math.min(k - 1, Math.floor(((r.arrival - warmupUntil) * k) / span))
                arrivals[b]++
                latSum[b] += r.end - r.arrival + 7
              }
              if (r.end >= warmupUntil) {
                const e = Math.floor((r.end - warmupUntil) * (k / span))
                if (e < k) done[e]++
              }
            }
            expect(series.arrivals).toEqual(arrivals)
            expect(series.completions).toEqual(done)
            series.means.forEach((m, b) => {
              if (arrivals[b] === 0) expect(m).toBeNaN()
              else expect(Math.abs(m - latSum[b] / arrivals[b])).toBeLessThanOrEqual(0.0005 * (latSum[b] / arrivals[b]))
            })
            expect(rec.completed).toBe(n)
            expect(rec.measured).toBe(arrivals.reduce((a, b) => a + b, 0))
          } finally {
            rec.destroy()
          }
        },
      ),
      {numRuns: 60},
    )
  })
})
