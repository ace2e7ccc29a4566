import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {LimitError} from '../../src/errors.js'
import {ConnIndexer, drawnConn} from '../../src/trace/conn-map.js'
import {rescaleFactor} from '../../src/sim/simulate.js'
import type {TraceStats} from '../../src/trace/types.js'
import {ConfigError} from '../../src/errors.js'

type Id = {kind: 'int'; v: bigint} | {kind: 'str'; v: string}

/** The reference: a Map from a tagged key to the first-appearance index. */
function reference(ids: Id[]): number[] {
  const m = new Map<string, number>()
  return ids.map((id) => {
    const k = `${id.kind}:${id.v}`
    let d = m.get(k)
    if (d === undefined) m.set(k, (d = m.size))
    return d
  })
}

function viaIndexer(ids: Id[], conns = new ConnIndexer()): number[] {
  return ids.map((id) => {
    if (id.kind === 'str') return conns.str(id.v)
    const v = BigInt.asUintN(64, id.v)
    // Alternate the two integer entry points: they must agree.
    if (id.v >= -(2n ** 53n) && id.v < 2n ** 53n && (id.v & 1n) === 0n) return conns.num(Number(id.v))
    return conns.int64(Number(v & 0xffffffffn), Number(v >> 32n))
  })
}

describe('ConnIndexer (open addressing over typed arrays)', () => {
  it('numbers ids like a Map keyed by (kind, value) does, through table growth (property)', () => {
    const small = fc.bigInt({min: 0n, max: 5000n})
    const wide = fc.bigInt({min: -(2n ** 63n), max: 2n ** 63n - 1n})
    const near53 = fc.bigInt({min: 2n ** 53n - 50n, max: 2n ** 53n + 50n})
    const id: fc.Arbitrary<Id> = fc.oneof(
      small.map((v) => ({kind: 'int' as const, v})),
      wide.map((v) => ({kind: 'int' as const, v})),
      near53.map((v) => ({kind: 'int' as const, v})),
      fc.string({maxLength: 6}).map((v) => ({kind: 'str' as const, v})),
    )
    fc.assert(
      fc.property(fc.array(id, {maxLength: 3000}), (ids) => {
        const twice = [...ids, ...ids]
        expect(viaIndexer(twice)).toEqual(reference(twice))
      }),
      {numRuns: 60},
    )
  })

  it('keeps 100 000 hashed 64-bit ids apart and stops at --max-connections with a LimitError', () => {
    const c = new ConnIndexer(100_000, 'f.csv')
    let wrong = 0
    for (let i = 0; i < 100_000; i++) if (c.int64(i, 0x80000000) !== i) wrong++
    for (let i = 0; i < 100_000; i += 997) if (c.int64(i, 0x80000000) !== i) wrong++
    expect(wrong).toBe(0)
    let error: unknown
    try {
      c.str('one more')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(LimitError)
    expect((error as Error).message).toContain('f.csv: Expected at most 100000 distinct connection ids (--max-connections), got more')
  })

  it('a released indexer comes back empty from take(), numbering from 0 again', () => {
    const a = ConnIndexer.take(10, 'a')
    expect([a.num(5), a.str('x'), a.int64(1, 2), a.num(5)]).toEqual([0, 1, 2, 0])
    a.release()
    const b = ConnIndexer.take(10, 'b')
    expect(b).toBe(a)
    expect([b.int64(1, 2), b.str('x'), b.num(5), b.count]).toEqual([0, 1, 2, 3])
    expect(ConnIndexer.take()).not.toBe(b)
  })

  it('draws connections uniformly and deterministically from the row number', () => {
    const n = 7
    const counts = new Array(n).fill(0)
    for (let r = 0; r < 70_000; r++) counts[drawnConn(r, n, 12345)]++
    for (const k of counts) expect(Math.abs(k - 10_000)).toBeLessThan(5 * Math.sqrt(70_000 * (1 / 7) * (6 / 7)))
    expect(drawnConn(42, n, 12345)).toBe(drawnConn(42, n, 12345))
  })
})

describe('rescaling refuses what it cannot do', () => {
  const stats = (first: number, last: number, requests: number): TraceStats => ({
    requests,
    connections: 1,
    firstArrival: first,
    lastArrival: last,
    ratePerCycle: last > first ? (requests - 1) / (last - first) : 0,
    serviceMean: 2400,
    serviceMax: 2400,
    serviceMin: 2400,
    serviceCv: 0,
    busiestConnShare: 1,
    typeCounts: {},
    sha256: '',
  })
  it('a trace whose arrivals share one instant, given --load or --rate', () => {
    expect(() => rescaleFactor(stats(5, 5, 3), {load: 0.5, cores: 16, ghz: 2.4})).toThrow(ConfigError)
    expect(() => rescaleFactor(stats(5, 5, 3), {rate: 1000, cores: 16, ghz: 2.4})).toThrow(/all at one instant \(span 0\)/)
    expect(rescaleFactor(stats(5, 5, 3), {cores: 16, ghz: 2.4}).factor).toBe(1)
  })
  it('a --load so small that rescaled arrivals pass 2^53 cycles', () => {
    // 2 requests 1 s apart; load 1e-14 on 16 cores of 1 µs requests stretches 1 s to ~6e9 s.
    expect(() => rescaleFactor(stats(0, 2.4e9, 2), {load: 1e-14, cores: 16, ghz: 2.4})).toThrow(/below 2\^53 cycles/)
    expect(rescaleFactor(stats(0, 2.4e9, 2), {load: 1e-9, cores: 16, ghz: 2.4}).factor).toBeGreaterThan(1)
  })
})
