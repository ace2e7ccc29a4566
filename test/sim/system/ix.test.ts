import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {CollectSink, expectSameRecords, expService, fixedService, gapColumns, poissonColumns, run} from '../../helpers.js'
import {resolveCosts} from '../../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../../src/trace/memory.js'

const byseq = <T extends {seq: number}>(rows: T[]) => [...rows].sort((a, b) => a.seq - b.seq)

describe('ix', () => {
  it('ix:batch=1 on 1 core with zero costs equals n-mg1-fcfs (per-request records identical)', async () => {
    const cols = poissonColumns({n: 20_000, load: 0.85, cores: 1, mean: 24_000, service: expService(24_000), connections: 50, seed: 11})
    const a = new CollectSink()
    const b = new CollectSink()
    const ra = await run(cols, {policy: 'ix:batch=1', cores: 1, warmup: 0}, a)
    const rb = await run(cols, {policy: 'n-mg1-fcfs', cores: 1, warmup: 0}, b)
    expect(ra.completed).toBe(20_000)
    const x = byseq(a.rows)
    const y = byseq(b.rows)
    const pick = (r: (typeof x)[number]) => ({start: r.start, end: r.end, core: r.core})
    expectSameRecords(x.map(pick), y.map(pick))
    expect(ra.latency.p99_us).toBe(rb.latency.p99_us)
    expect(ra.metrics.batch_1).toBe(1)
  })

  it('with zero costs and B=1 on 16 cores equals n-mg1-fcfs:assignment=rss', async () => {
    const cols = poissonColumns({n: 20_000, load: 0.7, cores: 16, mean: 24_000, service: expService(24_000), seed: 12})
    const a = new CollectSink()
    const b = new CollectSink()
    await run(cols, {policy: 'ix:batch=1', cores: 16, warmup: 0}, a)
    await run(cols, {policy: 'n-mg1-fcfs', cores: 16, warmup: 0}, b)
    const x = byseq(a.rows)
    const y = byseq(b.rows)
    expectSameRecords(
      x.map((r) => ({core: r.core, end: r.end})),
      y.map((r) => ({core: r.core, end: r.end})),
    )
  })

  it('holds replies until the whole batch is done and charges the dataplane costs', async () => {
    // Three requests reach an idle core in the same cycle: one batch of three.
    const cols: TraceColumns = {
      arrival: Float64Array.from([100, 100, 100]),
      conn: Uint32Array.from([5, 5, 5]),
      service: Float64Array.from([1000, 2000, 3000]),
    }
    const costs = {...resolveCosts('zero'), rx_packet: 10, tx_reply: 7, user_kernel: 3}
    const sink = new CollectSink()
    const res = await run(cols, {policy: 'ix', cores: 1, warmup: 0, costs}, sink)
    const rows = byseq(sink.rows)
    // Service starts after 3 rx_packet and one crossing: 100 + 30 + 3.
    expect(rows.map((r) => r.start)).toEqual([133, 1133, 3133])
    // Batch ends at 6133, crossing back +3, then replies leave one tx_reply apart.
    expect(rows.map((r) => r.end)).toEqual([6143, 6150, 6157])
    expect(res.metrics.batch_mean).toBe(3)
    expect(res.metrics.batch_2_4).toBe(1)
    expect(res.counters.ix_batches).toBe(1)
    // Busy time: app = 6000; net = 3·10 + 2·3 + 3·7 = 57 cycles.
    expect(res.util_app * res.sim_time_us * 2.4 * 1000).toBeCloseTo(6000, 3)
    expect(res.util_net * res.sim_time_us * 2.4 * 1000).toBeCloseTo(57, 3)
  })

  it('with B=1 the same burst is served one at a time, replies leaving as each finishes', async () => {
    const cols: TraceColumns = {
      arrival: Float64Array.from([100, 100, 100]),
      conn: Uint32Array.from([5, 5, 5]),
      service: Float64Array.from([1000, 2000, 3000]),
    }
    const costs = {...resolveCosts('zero'), rx_packet: 10, tx_reply: 7, user_kernel: 3}
    const sink = new CollectSink()
    await run(cols, {policy: 'ix:batch=1', cores: 1, warmup: 0, costs}, sink)
    const rows = byseq(sink.rows)
    // 100+10+3 = 113 start; end 113+1000+3 = 1116, reply at 1123; next poll at 1123 ...
    expect(rows.map((r) => r.start)).toEqual([113, 1136, 3159])
    expect(rows.map((r) => r.end)).toEqual([1123, 3146, 6169])
  })

  it('a bounded NIC ring drops and counts the overflow; nothing is lost silently', async () => {
    const cols: TraceColumns = {
      arrival: Float64Array.from([0, 0, 0, 0, 0, 0]),
      conn: Uint32Array.from([1, 1, 1, 1, 1, 1]),
      service: Float64Array.from([10, 10, 10, 10, 10, 10]),
    }
    const res = await run(cols, {policy: 'ix:batch=1', cores: 1, warmup: 0, nicRing: 4})
    expect(res.dropped).toBe(2)
    expect(res.completed).toBe(4)
    expect(res.counters.nic_drops).toBe(2)
  })

  it('property: no request lost or served twice, per-connection FIFO, latency ≥ service (random traces, random costs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({min: 1, max: 300}),
          cores: fc.integer({min: 1, max: 6}),
          batch: fc.integer({min: 1, max: 8}),
          load: fc.double({min: 0.1, max: 0.95, noNaN: true}),
          conns: fc.integer({min: 1, max: 20}),
          seed: fc.integer({min: 1, max: 1_000_000}),
          paper: fc.boolean(),
        }),
        async ({n, cores, batch, load, conns, seed, paper}) => {
          const cols = poissonColumns({n, load, cores, mean: 5000, service: seed % 2 ? expService(5000) : fixedService(5000), connections: conns, seed})
          const sink = new CollectSink()
          const res = await run(cols, {policy: `ix:batch=${batch}`, cores, warmup: 0, allowOverload: true, costPreset: paper ? 'paper' : 'zero', costs: resolveCosts(paper ? 'paper' : 'zero')}, sink)
          expect(res.completed).toBe(n)
          const seen = new Set(sink.rows.map((r) => r.seq))
          expect(seen.size).toBe(n)
          // Per connection: service starts in arrival order, after the previous one's service
          // ended; replies leave in order (equal times within one batch when tx_reply = 0).
          const lastStart = new Map<number, number>()
          const lastEnd = new Map<number, number>()
          for (const r of byseq(sink.rows)) {
            expect(r.end - r.arrival).toBeGreaterThanOrEqual(cols.service[r.seq])
            expect(r.start).toBeGreaterThanOrEqual(r.arrival)
            expect(r.start).toBeGreaterThanOrEqual(lastStart.get(r.conn) ?? -1)
            expect(r.end).toBeGreaterThanOrEqual(lastEnd.get(r.conn) ?? -1)
            lastStart.set(r.conn, r.start + cols.service[r.seq])
            lastEnd.set(r.conn, r.end)
          }
        },
      ),
      {numRuns: 60},
    )
  })

  it('property: the lazy loop (default) gives exactly the records and result of the event-driven one (events=eager)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cores: fc.integer({min: 1, max: 5}),
          batch: fc.constantFrom(1, 2, 64),
          assignment: fc.constantFrom('rss', 'random', 'rr', 'jsq', 'jsq:d=2'),
          ring: fc.constantFrom(Infinity, 2, 5),
          costs: fc.tuple(fc.integer({min: 0, max: 40}), fc.integer({min: 0, max: 40}), fc.integer({min: 0, max: 40})),
          seed: fc.integer({min: 0, max: 2 ** 31 - 1}),
          // Small gaps and services: ties between arrivals, batch ends and polls at one cycle.
          // A third of the gaps are 0 (simultaneous arrivals, which must share the poll that runs after them).
          reqs: fc.array(fc.tuple(fc.integer({min: 0, max: 90}).map((g) => Math.max(0, g - 30)), fc.integer({min: 0, max: 7}), fc.integer({min: 1, max: 120})), {minLength: 1, maxLength: 150}),
        }),
        async ({cores, batch, assignment, ring, costs, seed, reqs}) => {
          const cols = gapColumns(reqs, 1000)
          const c = {...resolveCosts('zero'), rx_packet: costs[0], tx_reply: costs[1], user_kernel: costs[2]}
          const spec = `ix:batch=${batch}:assignment=${assignment === 'jsq:d=2' && cores < 2 ? 'jsq' : assignment}`
          const go = async (events: string) => {
            const sink = new CollectSink()
            const r = await run(cols, {policy: `${spec}:events=${events}`, cores, seed, warmup: 0, allowOverload: true, batches: 0, nicRing: ring, costs: c}, sink)
            return {r, rows: byseq(sink.rows)}
          }
          const lazy = await go('lazy')
          const eager = await go('eager')
          expectSameRecords(lazy.rows, eager.rows)
          expect(lazy.r.latency).toEqual(eager.r.latency)
          expect(lazy.r.util_per_core).toEqual(eager.r.util_per_core)
          expect(lazy.r.counters).toEqual(eager.r.counters)
          expect(lazy.r.metrics).toEqual(eager.r.metrics)
          expect(lazy.r.sim_time_us).toBe(eager.r.sim_time_us)
          expect(lazy.r.dropped + lazy.r.completed).toBe(reqs.length)
          expect(lazy.r.events).toBe(0)
        },
      ),
      {numRuns: 80},
    )
  })

  it('the lazy loop still stops at --max-sim-time (work settled after the last arrival included)', async () => {
    // One request whose reply leaves long after the limit: only the lazy drain in finish() sees it.
    const cols: TraceColumns = {arrival: Float64Array.from([0]), conn: Uint32Array.from([0]), service: Float64Array.from([100_000])}
    for (const events of ['lazy', 'eager']) {
      await expect(run(cols, {policy: `ix:events=${events}`, cores: 1, allowOverload: true, maxSimTimeS: 50_000 / 2.4e9})).rejects.toThrow(/max-sim-time/)
    }
  })
})
