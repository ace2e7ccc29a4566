// HistogramFront (src/stats/histogram.ts) counts values in its own buckets and hands them to the
// HDR histogram in bulk: the histogram must end up exactly as if every value had been recorded.
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {HistogramFront, type Histogram, newHistogram} from '../../src/stats/histogram.js'

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100]

/**
 * What the histogram holds: its totals, extremes and percentiles, and the count of the bucket of
 * every value recorded. With equal totals, equal counts on those buckets mean equal counts
 * everywhere (no other bucket can hold any), so every statistic the histogram computes (its mean
 * too) is the same; reading the counts is cheaper than the library's iterating `mean`.
 */
function stats(h: Histogram, values: readonly number[]) {
  const count = h as unknown as {getCountAtValue(v: number): number}
  return {
    total: h.totalCount,
    max: h.maxValue,
    min: h.minNonZeroValue,
    pct: PERCENTILES.map((p) => h.getValueAtPercentile(p)),
    counts: values.map((v) => count.getCountAtValue(v)),
  }
}

function compare(values: number[], flushEvery = Infinity) {
  const direct = newHistogram()
  const viaFront = newHistogram()
  const front = new HistogramFront(viaFront)
  try {
    values.forEach((v, i) => {
      direct.recordValue(v)
      front.record(v)
      if ((i + 1) % flushEvery === 0) front.flush()
    })
    front.flush()
    const distinct = [...new Set(values)]
    expect(stats(viaFront, distinct)).toEqual(stats(direct, distinct))
    // Merged into another histogram (how the recorder combines its batch slices), too.
    const a = newHistogram()
    const b = newHistogram()
    a.add(direct)
    b.add(viaFront)
    expect(stats(b, distinct)).toEqual(stats(a, distinct))
    a.destroy()
    b.destroy()
  } finally {
    direct.destroy()
    viaFront.destroy()
  }
}

describe('HistogramFront', () => {
  test('bucket edges and values outside its domain', () => {
    const edges: number[] = [1, 2, 3, 1023, 1024, 1025, 2046, 2047, 2048, 2049, 2050, 4095, 4096, 4097, 4098, 8191, 8192]
    for (let e = 12; e <= 40; e++) for (const d of [-3, -2, -1, 0, 1, 2, 3]) edges.push(2 ** e + d)
    edges.push(2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 1.5, 0.5, 12345.75, 2 ** 45 + 7)
    compare(edges)
    compare([...edges].reverse(), 7)
  })

  test('a single value, and repeated equal values', () => {
    compare([123_456])
    compare([777, 777, 777])
    compare([3_000_000_001, 3_000_000_001])
  })

  test('random latencies (property): same bucket counts, percentiles, min and max as direct recording', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({min: 1, max: 5000}),
            fc.integer({min: 1, max: 2 ** 31}),
            fc.integer({min: 2 ** 31, max: 2 ** 33}),
            fc.double({min: 1, max: 1e7, noNaN: true}),
          ),
          {minLength: 1, maxLength: 400},
        ),
        fc.integer({min: 1, max: 500}),
        (values, flushEvery) => {
          compare(values, flushEvery)
        },
      ),
      {numRuns: 300, seed: 11},
    )
  })

  test('recycled count arrays start clean (a front released with values still counted)', () => {
    for (let round = 0; round < 3; round++) {
      const dropped: HistogramFront[] = []
      const hs: Histogram[] = []
      for (let k = 0; k < 8; k++) {
        const h = newHistogram()
        hs.push(h)
        const f = new HistogramFront(h)
        for (let i = 1; i <= 500; i++) f.record(i * 37 + k)
        dropped.push(f)
      }
      for (const f of dropped) f.release() // never flushed
      for (const h of hs) h.destroy()
      // New fronts take the released arrays: they must hold nothing of the old values.
      compare([5, 6, 7, 100_000])
    }
  })

  test('many exponential latencies', () => {
    let x = 12345
    const values: number[] = []
    for (let i = 0; i < 200_000; i++) {
      x = (x * 1103515245 + 12345) >>> 0
      values.push(Math.max(1, Math.round(-Math.log((x + 0.5) / 2 ** 32) * 24_000)))
    }
    compare(values)
  })
})
