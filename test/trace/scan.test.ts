import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {LogHistogram, offeredLoad, scanTrace} from '../../src/trace/scan.js'
import type {TraceSource} from '../../src/trace/types.js'

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]
}

describe('LogHistogram', () => {
  it('quantiles are within 0.4% of the exact order statistic (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({min: 1, max: 2 ** 40}), fc.double({min: 0.5, max: 1e12, noNaN: true})), {minLength: 1, maxLength: 400}),
        fc.constantFrom(0.01, 0.5, 0.9, 0.99, 1),
        (values, q) => {
          const h = new LogHistogram()
          for (const v of values) h.record(v)
          const exact = exactQuantile([...values].sort((a, b) => a - b), q)
          const got = h.quantile(q)
          expect(Math.abs(got - exact)).toBeLessThanOrEqual(Math.max(exact, 1) / 256 + 1e-9)
        },
      ),
      {numRuns: 500, seed: 7},
    )
  })

  it('is exact when a bucket holds one distinct value', () => {
    const h = new LogHistogram()
    for (let i = 0; i < 900; i++) h.record(12_000)
    for (let i = 0; i < 100; i++) h.record(132_000)
    expect(h.quantile(0.5)).toBe(12_000)
    expect(h.quantile(0.95)).toBe(132_000)
  })
})

describe('scanTrace', () => {
  const source = (rows: [number, number, number, number?][], typeNames: string[] = []): TraceSource => ({
    name: 'mem',
    typeNames,
    digest: async () => 'abc',
    async *batches() {
      yield {
        length: rows.length,
        arrival: Float64Array.from(rows.map((r) => r[0])),
        conn: Uint32Array.from(rows.map((r) => r[1])),
        service: Float64Array.from(rows.map((r) => r[2])),
        ...(rows[0][3] !== undefined ? {type: Uint16Array.from(rows.map((r) => r[3]!))} : {}),
      }
    },
  })

  it('computes counts, rate, moments, busiest share and types', async () => {
    const st = await scanTrace(
      source(
        [
          [100, 0, 10, 0],
          [200, 1, 20, 1],
          [300, 0, 30, 0],
          [500, 0, 40, 1],
        ],
        ['a', 'b'],
      ),
    )
    expect(st).toMatchObject({
      requests: 4,
      connections: 2,
      firstArrival: 100,
      lastArrival: 500,
      ratePerCycle: 3 / 400,
      serviceMean: 25,
      serviceMin: 10,
      serviceMax: 40,
      busiestConnShare: 0.75,
      typeCounts: {a: 2, b: 2},
      sha256: 'abc',
    })
    expect(st.serviceCv).toBeCloseTo(Math.sqrt(125) / 25, 12)
    expect(offeredLoad(st, 2)).toBeCloseTo(((3 / 400) * 25) / 2, 12)
  })

  it('a single request has rate 0 and CV 0', async () => {
    const st = await scanTrace(source([[5, 0, 7]]))
    expect(st.ratePerCycle).toBe(0)
    expect(st.serviceCv).toBe(0)
    expect(st.serviceP99).toBe(7)
  })
})
