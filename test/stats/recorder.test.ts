/**
 * The recorder and the statistics helpers against exact computations: HDR percentiles within
 * 0.1% of the exact order statistics, warm-up exclusion, network RTT, batch means, per-type
 * histograms, the t quantiles.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {RequestTable} from '../../src/sim/machine/requests.js'
import {Counters} from '../../src/stats/counters.js'
import {meanCi, t975} from '../../src/stats/histogram.js'
import {MIN_TAIL_SAMPLES, samplesBeyond, sectioningInterval} from '../../src/stats/intervals.js'
import {Recorder, type RecorderOptions} from '../../src/stats/recorder.js'

/** Exact percentile with the HdrHistogram convention: the value at rank ceil(p/100 · n). */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]
}

/** Complete requests (arrival, latency) through a fresh recorder and return its summary. */
function record(reqs: {arrival: number; latency: number; type?: number}[], opts: Partial<RecorderOptions> = {}) {
  const table = new RequestTable(4)
  const lastArrival = Math.max(...reqs.map((r) => r.arrival))
  const rec = new Recorder(table, {warmupUntil: 0, lastArrival, networkRtt: 0, batches: 0, ...opts})
  try {
    const slots = reqs.map((r, i) => table.alloc(i, r.arrival, 1, 0, r.type ?? 0))
    reqs.forEach((r, i) => rec.complete(slots[i], r.arrival + r.latency))
    expect(table.live).toBe(0)
    return {summary: rec.summary(), types: rec.typeSummaries(), rec}
  } finally {
    rec.destroy()
  }
}

describe('Recorder', () => {
  test('percentiles are within 0.1% of the exact order statistics; mean and max are exact', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({min: 1, max: 2 ** 40}), {minLength: 1, maxLength: 3000}), (lat) => {
        const {summary} = record(lat.map((latency, i) => ({arrival: i, latency})))
        const sorted = [...lat].sort((a, b) => a - b)
        const pairs: [number, number][] = [
          [summary.p50, 50],
          [summary.p90, 90],
          [summary.p99, 99],
          [summary.p999, 99.9],
          [summary.p9999, 99.99],
        ]
        for (const [got, p] of pairs) {
          if (samplesBeyond(lat.length, p) < MIN_TAIL_SAMPLES) {
            // Too few samples above it: n/a, never a number.
            expect(got, `p${p} of ${lat.length}`).toBeNaN()
            continue
          }
          const want = exactPercentile(sorted, p)
          expect(Math.abs(got - want), `p${p}: ${got} vs ${want}`).toBeLessThanOrEqual(want * 0.001 + 1)
          expect(got).toBeLessThanOrEqual(summary.max)
        }
        expect(summary.count).toBe(lat.length)
        expect(summary.mean).toBeCloseTo(lat.reduce((a, b) => a + b, 0) / lat.length, 6)
        expect(summary.max).toBe(sorted[sorted.length - 1])
        expect(summary.min).toBe(sorted[0])
      }),
      {numRuns: 50},
    )
  })

  test('requests arriving before the warm-up cut-off are completed but not measured; RTT is added', () => {
    const reqs = Array.from({length: 1000}, (_, i) => ({arrival: i * 10, latency: i < 300 ? 1_000_000 : 100 + (i % 7)}))
    const {summary, rec} = record(reqs, {warmupUntil: 3000, networkRtt: 50})
    expect(rec.completed).toBe(1000)
    expect(rec.measured).toBe(700)
    expect(summary.max).toBeLessThanOrEqual(156)
    expect(summary.p50).toBeGreaterThanOrEqual(150)
    const mean = reqs.slice(300).reduce((a, r) => a + r.latency + 50, 0) / 700
    expect(summary.mean).toBeCloseTo(mean, 9)
    expect(rec.lastEnd).toBe(Math.max(...reqs.map((r) => r.arrival + r.latency)))
  })

  test('sectioning: the interval is centred on the whole-run p99, its half-width from the slice p99s around it', () => {
    // 5 slices of the arrival span; slice j has latencies around 1000·(j+1), so its p99 is known.
    const k = 5
    const per = 4000
    const reqs: {arrival: number; latency: number}[] = []
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < per; i++) reqs.push({arrival: j * 1000 + (i * 1000) / per, latency: 1000 * (j + 1) + (i % 100)})
    }
    const {summary} = record(reqs, {batches: k, lastArrival: k * 1000})
    // Each slice's p99: rank ceil(0.99·4000) = 3960 of values 1000(j+1) + (0..99) each 40 times → +98.
    const p99s = Array.from({length: k}, (_, j) => 1000 * (j + 1) + 98)
    const sorted = reqs.map((r) => r.latency).sort((a, b) => a - b)
    const whole = exactPercentile(sorted, 99)
    expect(Math.abs(summary.p99 - whole)).toBeLessThanOrEqual(0.001 * whole + 1)
    const want = sectioningInterval(whole, p99s, sorted[0], sorted[sorted.length - 1])
    // Within the histogram's 0.1% resolution of the exact slice p99s.
    expect(Math.abs(summary.ci.p99.low - want.low)).toBeLessThanOrEqual(0.003 * whole)
    expect(Math.abs(summary.ci.p99.high - want.high)).toBeLessThanOrEqual(0.003 * whole)
    expect(summary.ci.p99.low).toBeLessThanOrEqual(summary.p99)
    expect(summary.ci.p99.high).toBeGreaterThanOrEqual(summary.p99)
    expect(summary.ci.p99.high).toBeLessThanOrEqual(summary.max)
    expect(summary.ci.p99.high - summary.ci.p99.low).toBeGreaterThan(0)
    // The overall histogram is the merge of the slices.
    expect(summary.count).toBe(k * per)
    expect(summary.max).toBeGreaterThanOrEqual(5099 * 0.999)
  })

  test('per-type histograms (type index >= 1) hold only their own latencies', () => {
    const reqs = Array.from({length: 900}, (_, i) => ({arrival: i, latency: (i % 3) * 1000 + 10, type: i % 3}))
    const {types, summary} = record(reqs)
    expect(summary.count).toBe(900)
    expect([...types.keys()].sort()).toEqual([1, 2])
    expect(types.get(1)!.count).toBe(300)
    expect(types.get(1)!.mean).toBe(1010)
    expect(types.get(2)!.max).toBeLessThanOrEqual(2010 * 1.001)
    expect(types.get(2)!.p50).toBeGreaterThanOrEqual(2010 * 0.999)
  })

  test('many request types keep their own statistics (percentiles n/a below 10 samples above them)', () => {
    const reqs = Array.from({length: 60 * 50}, (_, i) => {
      const t = (i % 60) + 1
      return {arrival: i, latency: t * 1000 + (i % 7), type: t}
    })
    const {types, summary} = record(reqs)
    expect(summary.count).toBe(3000)
    expect(types.size).toBe(60)
    for (let t = 1; t <= 60; t++) {
      const mine = reqs.filter((r) => r.type === t).map((r) => r.latency).sort((a, b) => a - b)
      const exact = (v: number[], p: number) => exactPercentile(v, p)
      const s = types.get(t)!
      expect(s.count).toBe(50)
      expect(s.p99).toBeNaN() // 0 samples above it
      expect(s.p90).toBeNaN() // 5 samples above it
      expect(s.max).toBe(mine[mine.length - 1])
      expect(s.p50).toBeGreaterThanOrEqual(exact(mine, 50) * 0.999)
      expect(s.p50).toBeLessThanOrEqual(exact(mine, 50) * 1.001)
    }
  })

  test('records: one row per completion, in completion order, with the slot fields', () => {
    const table = new RequestTable(2)
    const rows: number[][] = []
    const rec = new Recorder(table, {
      warmupUntil: 0,
      lastArrival: 10,
      networkRtt: 7,
      batches: 0,
      records: {
        write(b) {
          for (let i = 0; i < b.length; i++) rows.push([b.seq[i], b.arrival[i], b.conn[i], b.queue[i], b.core[i], b.start[i], b.end[i], b.latency[i]])
        },
      },
    })
    const a = table.alloc(0, 5, 3, 11, 0)
    const b = table.alloc(1, 10, 2, 12, 0)
    table.queue[a] = 1
    table.core[a] = 2
    table.start[a] = 6
    table.queue[b] = 0
    table.core[b] = -1
    table.start[b] = 10
    rec.complete(b, 12)
    rec.complete(a, 20)
    rec.flush()
    rec.destroy()
    expect(rows).toEqual([
      [1, 10, 12, 0, -1, 10, 12, 9],
      [0, 5, 11, 1, 2, 6, 20, 22],
    ])
  })
})

describe('statistics helpers', () => {
  test('t quantiles: exact table values and a close large-df approximation', () => {
    expect(t975(1)).toBe(12.706)
    expect(t975(9)).toBe(2.262)
    expect(t975(30)).toBe(2.042)
    // df = 60: 2.000; df = 120: 1.980 (tables).
    expect(t975(60)).toBeCloseTo(2.0, 2)
    expect(t975(120)).toBeCloseTo(1.98, 2)
    expect(Number.isNaN(t975(0))).toBe(true)
  })

  test('meanCi is mean ± t·s/√k', () => {
    const {mean, half} = meanCi([1, 2, 3, 4])
    expect(mean).toBe(2.5)
    expect(half).toBeCloseTo((3.182 * Math.sqrt(5 / 3)) / 2, 12)
    expect(Number.isNaN(meanCi([5]).half)).toBe(true)
  })

  test('counters: define is idempotent and grows past its initial capacity', () => {
    const c = new Counters()
    const ids = Array.from({length: 40}, (_, i) => c.define(`c${i}`))
    expect(c.define('c3')).toBe(ids[3])
    for (const id of ids) c.add(id, id)
    c.add(ids[5])
    const r = c.toRecord()
    expect(Object.keys(r)).toHaveLength(40)
    expect(r.c39).toBe(39)
    expect(r.c5).toBe(6)
  })
})
