/** Independent replications and their t-interval (src/experiment/replications.ts). */
import {describe, expect, test} from 'vitest'

import {ConfigError} from '../../src/errors.js'
import {runReplications} from '../../src/experiment/replications.js'
import {resolveCosts} from '../../src/sim/machine/costs.js'
import {DEFAULT_CONFIG, type SimConfig} from '../../src/sim/simulate.js'
import {memoryStats, memoryTrace} from '../../src/trace/memory.js'
import {syntheticTrace} from '../../src/trace/synthetic.js'
import {scanTrace} from '../../src/trace/scan.js'
import {expService, poissonColumns} from '../helpers.js'
import {mm1SojournQuantile} from './theory.js'

const config = (policy: string, cores: number, seed = 100): SimConfig => ({...DEFAULT_CONFIG, policy, cores, seed, costs: resolveCosts('zero')})

describe('runReplications', () => {
  test('k synthetic replications: seeds s..s+k−1, a different trace each, the t-interval of their p99s', async () => {
    const traces: string[] = []
    const out = await runReplications(config('mgn-fcfs', 4, 100), {
      replications: 4,
      traceVaries: true,
      input: async (r) => {
        const source = syntheticTrace({requests: 5000, service: 'exp:10us', load: 0.7, cores: 4, seed: 100 + r})
        traces.push(source.name)
        return {source, stats: await scanTrace(source)}
      },
    })
    expect(out.runs.map((x) => x.seed)).toEqual([100, 101, 102, 103])
    expect(out.summary.seeds).toEqual([100, 101, 102, 103])
    expect(new Set(traces).size).toBe(4)
    const p = out.runs.map((x) => x.latency.p99_us)
    expect(out.summary.p99_us).toEqual(p)
    expect(new Set(p).size).toBe(4)
    const mean = p.reduce((a, b) => a + b, 0) / 4
    const sd = Math.sqrt(p.reduce((a, b) => a + (b - mean) ** 2, 0) / 3)
    expect(out.summary.p99.mean).toBeCloseTo(mean, 10)
    expect(out.summary.p99.half).toBeCloseTo((3.182 * sd) / 2, 10)
    expect(out.summary.p99.low).toBeCloseTo(mean - out.summary.p99.half, 10)
    expect(out.summary.mean.mean).toBeCloseTo(out.runs.reduce((a, x) => a + x.latency.mean_us, 0) / 4, 10)
  })

  test('one fixed trace: a deterministic policy gives k identical runs (zero width); random assignment does not', async () => {
    const cols = poissonColumns({n: 5000, load: 0.7, cores: 4, mean: 1000, service: expService(1000), seed: 0x1234567})
    const input = () => ({source: memoryTrace('t', cols), stats: memoryStats(cols)})
    const fixed = await runReplications(config('mgn-fcfs', 4), {replications: 3, traceVaries: false, input})
    expect(new Set(fixed.summary.p99_us).size).toBe(1)
    expect(fixed.summary.p99.half).toBe(0)
    const random = await runReplications(config('n-mg1-fcfs:assignment=random', 4), {replications: 3, traceVaries: false, input})
    expect(new Set(random.summary.p99_us).size).toBe(3)
    expect(random.summary.traceVaries).toBe(false)
  })

  test('progress counts requests over all replications; records only from replication 0', async () => {
    const cols = poissonColumns({n: 3000, load: 0.5, cores: 2, mean: 1000, service: expService(1000), seed: 0x2345671})
    const seen: [number, number][] = []
    let rows = 0
    await runReplications(config('mgn-fcfs', 2), {
      replications: 3,
      traceVaries: false,
      input: () => ({source: memoryTrace('t', cols, 1000), stats: memoryStats(cols)}),
      onProgress: (done, total) => seen.push([done, total]),
      records: {write: (b) => (rows += b.length)},
    })
    expect(rows).toBe(3000)
    expect(seen.at(-1)).toEqual([9000, 9000])
    expect(seen.every(([d, t], i) => t === 9000 && (i === 0 || d > seen[i - 1][0]))).toBe(true)
  })

  test('rejects k < 1', async () => {
    const cols = poissonColumns({n: 10, load: 0.5, cores: 1, mean: 10, service: expService(10)})
    await expect(
      runReplications(config('mgn-fcfs', 1), {replications: 0, traceVaries: false, input: () => ({source: memoryTrace('t', cols), stats: memoryStats(cols)})}),
    ).rejects.toThrow(ConfigError)
  })

  test('the t-interval over 10 independent M/M/1 replications covers ln(100)·S̄/(1−ρ)', async () => {
    // 10 × 100 k requests at ρ = 0.5: each p99 has ~2% sampling error, the interval ~±1.5%;
    // the seeds are fixed, so this is deterministic; it fails if the p99s are biased by > ~2%.
    const S = 2400
    const out = await runReplications(config('mgn-fcfs', 1, 0x5151), {
      replications: 10,
      traceVaries: true,
      input: (r) => {
        const cols = poissonColumns({n: 100_000, load: 0.5, cores: 1, mean: S, service: expService(S), seed: 0x7a7a7a + 7919 * r})
        return {source: memoryTrace('t', cols), stats: memoryStats(cols)}
      },
    })
    const want = mm1SojournQuantile(0.99, S, 0.5) / 2400
    const {low, high, half} = out.summary.p99
    expect(half / want).toBeLessThan(0.04)
    expect(low - 0.005 * want).toBeLessThanOrEqual(want)
    expect(high + 0.005 * want).toBeGreaterThanOrEqual(want)
  })
})
