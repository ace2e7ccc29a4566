// The statistics thread (src/stats/stats-thread.ts) computes a run's statistics from the same
// completions as the in-thread recorder: every reported number must be the same, for a policy
// that settles requests at arrival (mgn-fcfs), event-driven ones (zygos, ix) and a typed
// bimodal trace through a dispatcher (per-type statistics). The thread exists only in the
// compiled library, so these runs import dist/ (npm test builds it first).
import {describe, expect, test} from 'vitest'

import {CollectSink, expService, poissonColumns} from '../helpers.js'
import type {TraceColumns} from '../../src/trace/memory.js'

const sim = (await import(new URL('../../dist/src/sim/simulate.js', import.meta.url).href)) as typeof import('../../src/sim/simulate.js')
const mem = (await import(new URL('../../dist/src/trace/memory.js', import.meta.url).href)) as typeof import('../../src/trace/memory.js')
const costs = (await import(new URL('../../dist/src/sim/machine/costs.js', import.meta.url).href)) as typeof import('../../src/sim/machine/costs.js')
const thread = (await import(new URL('../../dist/src/stats/stats-thread.js', import.meta.url).href)) as typeof import('../../src/stats/stats-thread.js')

const core = (await import(new URL('../../dist/src/stats/stats-core.js', import.meta.url).href)) as typeof import('../../src/stats/stats-core.js')

// More completions than the thread's shared buffers hold together, and not a multiple of one
// buffer: the buffers are reused and the last one is partly full.
const {chunk, chunks} = thread.DEFAULT_LAYOUT
const N = chunk * (chunks + 1) + 1234

async function both(cols: TraceColumns, policy: string, preset = 'zero', records = false) {
  const out = []
  for (const statsThread of ['off', 'on'] as const) {
    const sink = records ? new CollectSink() : undefined
    const config = {...sim.DEFAULT_CONFIG, policy, cores: 16, load: 0.7, costPreset: preset, costs: costs.resolveCosts(preset)}
    const r = await sim.simulate(mem.memoryTrace('t', cols), mem.memoryStats(cols), config, {statsThread, records: sink})
    const {wall_ms: _w, sim_rate_rps: _r, ...rest} = r
    out.push({result: rest, rows: sink?.rows})
  }
  return out
}

describe('statistics thread', () => {
  test('the buffers cover several hand-overs', () => {
    expect(N).toBeGreaterThan(chunk * chunks)
    expect(N % chunk).not.toBe(0)
    expect(thread.statsThreadAvailable()).toBe(true)
  })

  test.each([
    ['mgn-fcfs', 'zero'],
    ['zygos', 'paper'],
    ['ix', 'paper'],
  ])('%s (%s costs): the same results, records included, in the thread as in this one', async (policy, preset) => {
    const cols = poissonColumns({n: N, load: 0.7, cores: 16, mean: 24_000, service: expService(24_000), seed: 3})
    const [off, on] = await both(cols, policy, preset, policy === 'zygos')
    expect(on.result.measured).toBeGreaterThan(0.8 * N)
    expect(on.result).toEqual(off.result)
    expect(on.rows).toEqual(off.rows)
  })

  test('per-type statistics of a typed bimodal trace through a dispatcher', async () => {
    const cols = poissonColumns({n: N, load: 0.7, cores: 16, mean: 6_000, service: (rng) => (rng.float() < 0.9 ? 1_200 : 49_200), seed: 5})
    const type = new Uint32Array(N)
    for (let i = 0; i < N; i++) type[i] = cols.service[i] > 10_000 ? 1 : 0
    const typed: TraceColumns = {...cols, type, typeNames: ['short', 'long']}
    const [off, on] = await both(typed, 'd-fcfs', 'paper')
    expect(Object.keys(on.result.per_type).sort()).toEqual(['long', 'short'])
    expect(on.result).toEqual(off.result)
  })

  test.each([
    // Two shared buffers of 64 and no private one: the simulation waits for the thread at every
    // other buffer. One private buffer: it waits once the thread is a buffer behind. Many: the
    // private buffers are copied in as the thread frees shared ones.
    {chunk: 64, chunks: 2, maxPending: 0},
    {chunk: 64, chunks: 2, maxPending: 1},
    {chunk: 100, chunks: 3, maxPending: 50},
  ])('the hand-over with small buffers (%j): the same statistics as measuring in this thread', async (layout) => {
    const n = 20_011
    const opts = {warmupUntil: 1000, lastArrival: 4 * n, networkRtt: 3, batches: 10, firstArrival: 0, expectedRequests: n}
    const link = new thread.StatsLink(opts, layout)
    const here = new core.StatsCore(opts)
    let x = 7
    const rand = () => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32
    for (let i = 0; i < n; i++) {
      const arrival = 4 * i
      const service = 1 + Math.floor(rand() * 5000)
      const end = arrival + service + Math.floor(rand() * 20_000)
      const type = Math.floor(rand() * 3)
      link.push(arrival, end, type, service)
      here.measure(arrival, end, type, service)
    }
    expect(link.pushed).toBe(n)
    const got = await link.finish()
    expect(got.completed).toBe(n)
    expect(got).toEqual(here.results())
    link.close()
  })
})
