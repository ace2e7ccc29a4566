import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../src/errors.js'
import {parseLoads} from '../../src/experiment/loads.js'
import {parseShard, planCells, shardCells, sweepId, type SweepSpec} from '../../src/experiment/plan.js'
import {maxLoadAtSlo} from '../../src/experiment/search.js'
import {parseSlo, resolveSlo} from '../../src/experiment/slo.js'
import {resolveCosts} from '../../src/sim/machine/costs.js'
import {DEFAULT_CONFIG} from '../../src/sim/simulate.js'
import type {TraceStats} from '../../src/trace/types.js'

describe('SLO parsing', () => {
  it('defaults to p99 <= 10 x mean service', () => {
    expect(resolveSlo(parseSlo(undefined), 12.5)).toMatchObject({percentile: 99, us: 125})
  })
  it('takes an absolute bound, a multiple, and a percentile', () => {
    expect(resolveSlo(parseSlo('100us'), 10)).toMatchObject({percentile: 99, us: 100})
    expect(resolveSlo(parseSlo('0.2ms'), 10)).toMatchObject({percentile: 99, us: 200})
    expect(resolveSlo(parseSlo('p99.9:200us'), 10)).toMatchObject({percentile: 99.9, us: 200})
    expect(resolveSlo(parseSlo('p50:5x'), 10)).toMatchObject({percentile: 50, us: 50})
  })
  it('rejects nonsense naming the flag', () => {
    for (const bad of ['', 'fast', '100', 'p42:100us', 'p99:', '-5us', '0x']) {
      expect(() => parseSlo(bad), bad).toThrow(ConfigError)
      expect(() => parseSlo(bad), bad).toThrow(/--slo/)
    }
  })
})

describe('load parsing', () => {
  it('expands ranges without float drift and sorts lists', () => {
    expect(parseLoads('0.1:0.95:0.05')).toHaveLength(18)
    expect(parseLoads('0.1:0.95:0.05')[2]).toBe(0.2)
    expect(parseLoads('0.1:0.9:0.1').at(-1)).toBe(0.9)
    expect(parseLoads('0.9,0.1,0.5,0.5')).toEqual([0.1, 0.5, 0.9])
  })
  it('refuses load >= 1 unless overload is allowed, and bad forms', () => {
    expect(() => parseLoads('0.5,1')).toThrow(/allow-overload/)
    expect(parseLoads('0.5,1.2', true)).toEqual([0.5, 1.2])
    for (const bad of ['', 'a', '0.1:0.5', '0.5:0.1:0.1', '0.1:0.5:0', '0,0.5']) expect(() => parseLoads(bad), bad).toThrow(ConfigError)
  })
})

describe('max load bisection', () => {
  it('finds a threshold within the tolerance, below it, with few evaluations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({min: 0.02, max: 0.98, noNaN: true}), async (threshold) => {
        const r = await maxLoadAtSlo(async (load) => ({meets: load <= threshold, result: load}))
        expect(r.status).toBe('ok')
        expect(r.maxLoad).toBeLessThanOrEqual(threshold)
        expect(threshold - r.maxLoad).toBeLessThanOrEqual(0.005)
        expect(r.result).toBe(r.maxLoad)
        expect(r.evals).toBeLessThanOrEqual(10)
        expect(new Set(r.trace.map((t) => t.load)).size).toBe(r.trace.length) // no load twice
      }),
      {numRuns: 200},
    )
  })
  it('reports an SLO unmet at the lowest load, and one met at the highest', async () => {
    const unmet = await maxLoadAtSlo(async () => ({meets: false}))
    expect(unmet).toMatchObject({status: 'unmet', maxLoad: 0})
    expect(unmet.trace.at(-1)!.load).toBe(0.01)
    const top = await maxLoadAtSlo(async (l) => ({meets: true, result: l}), {lo: 0.1, hi: 0.9})
    expect(top).toMatchObject({status: 'at_upper_bound', maxLoad: 0.9, result: 0.9})
  })
  it('validates its range', async () => {
    await expect(maxLoadAtSlo(async () => ({meets: true}), {lo: 0.5, hi: 0.4})).rejects.toThrow(ConfigError)
  })
})

const stats = (sha: string): TraceStats => ({
  requests: 10,
  connections: 1,
  firstArrival: 0,
  lastArrival: 10,
  ratePerCycle: 1,
  serviceMean: 1,
  serviceMax: 1,
  serviceMin: 1,
  serviceCv: 0,
  busiestConnShare: 1,
  typeCounts: {},
  sha256: sha,
})

function spec(over: Partial<SweepSpec> = {}): SweepSpec {
  return {
    traces: [
      {name: 'a.csv', input: {kind: 'file', path: 'a.csv', options: {ghz: 2.4}}, stats: stats('aa'), slo: resolveSlo(parseSlo('100us'), 10)},
      {name: 'b.csv', input: {kind: 'file', path: 'b.csv', options: {ghz: 2.4}}, stats: stats('bb'), slo: resolveSlo(parseSlo('100us'), 10)},
    ],
    policies: ['zygos', 'ix', 'mgn-fcfs'],
    loads: [0.1, 0.5, 0.9],
    replications: 2,
    slo: parseSlo('10x'),
    search: {lo: 0.01, hi: 0.99, tol: 0.005},
    maxLoad: true,
    sim: {...DEFAULT_CONFIG, cores: 16, costs: resolveCosts('zero')},
    ...over,
  }
}

describe('cell plan, shards and sweep id', () => {
  it('plans search cells first, then trace × policy × load × replication, with unique ids', () => {
    const cells = planCells(spec())
    // One search per trace × policy × replication (the max load's interval is over replications).
    expect(cells).toHaveLength(2 * 3 * 2 + 2 * 3 * 3 * 2)
    expect(cells.slice(0, 12).every((c) => c.kind === 'max_load')).toBe(true)
    expect(cells.map((c) => c.index)).toEqual(cells.map((_, i) => i))
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length)
  })
  it('n shards cover every cell exactly once', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 50}), (n) => {
        const cells = planCells(spec())
        const seen = new Map<number, number>()
        for (let i = 1; i <= n; i++) for (const c of shardCells(cells, {index: i, count: n})) seen.set(c.index, (seen.get(c.index) ?? 0) + 1)
        expect(seen.size).toBe(cells.length)
        expect([...seen.values()].every((v) => v === 1)).toBe(true)
      }),
    )
    expect(parseShard('3/16')).toEqual({index: 3, count: 16})
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '3']) expect(() => parseShard(bad), bad).toThrow(/--shard/)
  })
  it('the sweep id depends on what determines results, not on paths', () => {
    const base = sweepId(spec())
    expect(sweepId(spec())).toBe(base)
    const moved = spec()
    moved.traces[0] = {...moved.traces[0], name: 'elsewhere/a.csv', input: {kind: 'file', path: 'elsewhere/a.csv', options: {ghz: 2.4}}}
    expect(sweepId(moved)).toBe(base)
    expect(sweepId(spec({loads: [0.1, 0.5]}))).not.toBe(base)
    expect(sweepId(spec({policies: ['zygos', 'mgn-fcfs']}))).not.toBe(base)
    expect(sweepId(spec({replications: 3}))).not.toBe(base)
    expect(sweepId(spec({sim: {...spec().sim, seed: 2}}))).not.toBe(base)
    const other = spec()
    other.traces[1] = {...other.traces[1], stats: stats('cc')}
    expect(sweepId(other)).not.toBe(base)
  })
})
