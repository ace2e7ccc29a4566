import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {CollectSink, expService, fixedService, poissonColumns, run} from '../../helpers.js'
import {COST_NAMES, resolveCosts, type CostTable} from '../../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../../src/trace/memory.js'

const byseq = <T extends {seq: number}>(rows: T[]) => [...rows].sort((a, b) => a.seq - b.seq)
const zeroWith = (c: Partial<CostTable>): CostTable => ({...resolveCosts('zero'), ...c} as CostTable)

describe('linux-partitioned and linux-floating: mechanics', () => {
  it('one request: IRQ + softirq, wake-up sent from the softirq, wake + epoll_wait, read, service, write', async () => {
    const cols: TraceColumns = {arrival: Float64Array.from([100]), conn: Uint32Array.from([3]), service: Float64Array.from([1000])}
    const costs = zeroWith({linux_irq: 10, linux_softirq_packet: 20, linux_wakeup: 100, linux_wakeup_send: 5, linux_epoll_wait: 7, linux_read: 3, linux_write: 11})
    for (const policy of ['linux-partitioned', 'linux-floating']) {
      const sink = new CollectSink()
      const res = await run(cols, {policy, cores: 1, warmup: 0, costs}, sink)
      // Softirq delivers at 130; its wake-up send runs to 135 and delays the woken thread, which
      // is on the same core; wake + epoll_wait 135..242; read to 245; service to 1245; write to 1256.
      expect(sink.rows[0].start).toBe(245)
      expect(sink.rows[0].end).toBe(1256)
      expect(res.counters.linux_wakeups).toBe(1)
      expect(res.counters.herd_wakeups).toBe(0)
      // net = 10 + 20 + 5 + 100 + 7 + 3 + 11 = 156 cycles, app = 1000.
      const elapsedCycles = res.sim_time_us * 2400
      expect(res.util_net * elapsedCycles).toBeCloseTo(156, 3)
      expect(res.util_app * elapsedCycles).toBeCloseTo(1000, 3)
    }
  })

  it('an interrupt on the RSS core preempts the request running there and delays it', async () => {
    // Two connections, one core. A arrives at 0 (service 1000); B at 500 interrupts A's service.
    const cols: TraceColumns = {arrival: Float64Array.from([0, 500]), conn: Uint32Array.from([1, 2]), service: Float64Array.from([1000, 1000])}
    const costs = zeroWith({linux_irq: 10, linux_softirq_packet: 20})
    const sink = new CollectSink()
    await run(cols, {policy: 'linux-partitioned', cores: 1, warmup: 0, allowOverload: true, costs}, sink)
    const [a, b] = byseq(sink.rows)
    expect(a.start).toBe(30)
    expect(a.end).toBe(1060) // 30 + 1000 + the 30-cycle interrupt at 500
    expect(b.start).toBe(1060)
    expect(b.end).toBe(2060)
  })

  it('floating: a readiness event wakes every blocked thread; one wins, the others go back to sleep', async () => {
    const cols: TraceColumns = {arrival: Float64Array.from([0]), conn: Uint32Array.from([9]), service: Float64Array.from([500])}
    const costs = zeroWith({linux_wakeup: 50, linux_epoll_wait: 10})
    const f = await run(cols, {policy: 'linux-floating', cores: 4, warmup: 0, costs})
    expect(f.counters.linux_wakeups).toBe(4)
    expect(f.counters.herd_wakeups).toBe(3)
    expect(f.latency.max_us * 2400).toBeCloseTo(560, 0)
    const p = await run(cols, {policy: 'linux-partitioned', cores: 4, warmup: 0, costs})
    expect(p.counters.linux_wakeups).toBe(1)
    expect(p.counters.herd_wakeups).toBe(0)
    // The herd burns CPU on 4 cores; partitioned wakes only the owner.
    expect(f.util_net).toBeCloseTo(4 * p.util_net, 6)
  })

  it('a thread drains every buffered request of the connection it holds, in order, with one read', async () => {
    // Three requests of one connection reach a 2-core floating server at once.
    const cols: TraceColumns = {
      arrival: Float64Array.from([0, 0, 0]),
      conn: Uint32Array.from([4, 4, 4]),
      service: Float64Array.from([100, 200, 300]),
    }
    const costs = zeroWith({linux_softirq_packet: 1, linux_read: 5, linux_write: 2})
    const sink = new CollectSink()
    const res = await run(cols, {policy: 'linux-floating', cores: 2, warmup: 0, costs}, sink)
    const rows = byseq(sink.rows)
    expect(new Set(rows.map((r) => r.core)).size).toBe(1)
    for (let i = 1; i < rows.length; i++) expect(rows[i].start).toBeGreaterThanOrEqual(rows[i - 1].end)
    expect(res.counters.linux_reads).toBeLessThan(3)
  })

  it('partitioned with zero costs and one connection per request on 1 core is exactly M/G/1 FCFS', async () => {
    const n = 5000
    const cols = poissonColumns({n, load: 0.8, cores: 1, mean: 24_000, service: expService(24_000), seed: 21})
    for (let i = 0; i < n; i++) cols.conn[i] = i
    const a = new CollectSink()
    const b = new CollectSink()
    await run(cols, {policy: 'linux-partitioned', cores: 1, warmup: 0}, a)
    await run(cols, {policy: 'n-mg1-fcfs', cores: 1, warmup: 0}, b)
    const x = byseq(a.rows)
    const y = byseq(b.rows)
    for (let i = 0; i < n; i++) expect([x[i].start, x[i].end]).toEqual([y[i].start, y[i].end])
  })

  it('with zero costs, floating is a single queue (≈ mgn-fcfs) and partitioned is n×M/G/1 (≈ n-mg1-fcfs)', async () => {
    const cols = poissonColumns({n: 60_000, load: 0.8, cores: 16, mean: 24_000, service: expService(24_000), seed: 22})
    const fl = await run(cols, {policy: 'linux-floating', cores: 16})
    const mgn = await run(cols, {policy: 'mgn-fcfs', cores: 16})
    const pa = await run(cols, {policy: 'linux-partitioned', cores: 16})
    const nm = await run(cols, {policy: 'n-mg1-fcfs', cores: 16})
    // Same trace; floating differs from M/G/n only by serving a held connection's backlog first.
    expect(Math.abs(fl.latency.p99_us / mgn.latency.p99_us - 1)).toBeLessThan(0.05)
    // Partitioned assigns by its own SO_REUSEPORT hash, not RSS: same model, other sample.
    expect(Math.abs(pa.latency.p99_us / nm.latency.p99_us - 1)).toBeLessThan(0.15)
    expect(pa.latency.p99_us).toBeGreaterThan(1.5 * fl.latency.p99_us)
    // Every request was woken for or picked up: 16 cores sharing a queue wake many threads.
    expect(fl.counters.herd_wakeups).toBeGreaterThan(0)
  })

  it('partitioned: the owner thread is independent of the RSS core (cross-core wake-ups ≈ (n−1)/n)', async () => {
    const cols = poissonColumns({n: 20_000, load: 0.2, cores: 16, mean: 24_000, service: expService(24_000), seed: 23})
    const res = await run(cols, {policy: 'linux-partitioned', cores: 16, costPreset: 'paper', costs: resolveCosts('paper')})
    const share = res.counters.linux_wakeups_remote / res.counters.linux_wakeups
    expect(share).toBeGreaterThan(0.85)
    expect(share).toBeLessThan(0.99)
  })

  const costArb = fc.oneof(
    fc.constant(resolveCosts('zero')),
    fc.constant(resolveCosts('paper')),
    fc.array(fc.integer({min: 0, max: 3000}), {minLength: COST_NAMES.length, maxLength: COST_NAMES.length}).map(
      (v) => Object.fromEntries(COST_NAMES.map((k, i) => [k, v[i]])) as CostTable,
    ),
  )

  for (const policy of ['linux-partitioned', 'linux-floating']) {
    it(`${policy} property: no request lost or served twice; per-connection order holds; latency ≥ service`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            n: fc.integer({min: 1, max: 250}),
            cores: fc.integer({min: 1, max: 6}),
            load: fc.double({min: 0.1, max: 1.2, noNaN: true}),
            conns: fc.integer({min: 1, max: 12}),
            seed: fc.integer({min: 1, max: 1_000_000}),
            costs: costArb,
          }),
          async ({n, cores, load, conns, seed, costs}) => {
            const cols = poissonColumns({n, load, cores, mean: 4000, service: seed % 2 ? expService(4000) : fixedService(4000), connections: conns, seed})
            const sink = new CollectSink()
            const res = await run(cols, {policy, cores, warmup: 0, allowOverload: true, costs}, sink)
            expect(res.completed).toBe(n)
            expect(sink.rows.length).toBe(n)
            expect(new Set(sink.rows.map((r) => r.seq)).size).toBe(n)
            // Per connection, in arrival order: a request's service starts after the previous
            // one's service began + its service time, and replies leave in order.
            const prevStart = new Map<number, number>()
            const prevEnd = new Map<number, number>()
            for (const r of byseq(sink.rows)) {
              expect(r.end - r.arrival).toBeGreaterThanOrEqual(cols.service[r.seq])
              expect(r.start).toBeGreaterThanOrEqual(r.arrival)
              expect(r.start).toBeGreaterThanOrEqual(prevStart.get(r.conn) ?? 0)
              expect(r.end).toBeGreaterThan(prevEnd.get(r.conn) ?? -1)
              prevStart.set(r.conn, r.start + cols.service[r.seq])
              prevEnd.set(r.conn, r.end)
            }
          },
        ),
        {numRuns: 60},
      )
    })
  }
})
