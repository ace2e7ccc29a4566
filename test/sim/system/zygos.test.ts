/**
 * `zygos` and `zygos-nointr` (src/sim/policies/zygos.ts): hand-timed mechanics (stealing, IPI
 * handler delaying the interrupted request, remote syscalls, the throttle), properties over random
 * traces (per-connection order and non-overlap, nothing lost or served twice, counters consistent
 * with the per-request records), and the zero-cost equivalence with `mgn-fcfs`.
 */
import fc from 'fast-check'
import {describe, expect, it, test} from 'vitest'

import {resolveCosts, type CostTable} from '../../../src/sim/machine/costs.js'
import type {RunResult} from '../../../src/sim/simulate.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {CollectSink, expectSameRecords, expService, poissonColumns, run} from '../../helpers.js'

type Row = CollectSink['rows'][number]

function cols(reqs: [arrival: number, conn: number, service: number][]): TraceColumns {
  const n = reqs.length
  const c: TraceColumns = {arrival: new Float64Array(n), conn: new Uint32Array(n), service: new Float64Array(n)}
  reqs.forEach(([a, k, s], i) => {
    c.arrival[i] = a
    c.conn[i] = k
    c.service[i] = s
  })
  return c
}

async function simulateRows(
  c: TraceColumns,
  policy: string,
  cores: number,
  costs: CostTable,
  seed = 1,
): Promise<{r: RunResult; rows: Row[]}> {
  const sink = new CollectSink()
  const r = await run(c, {policy, cores, seed, costs, warmup: 0, allowOverload: true, batches: 0}, sink)
  return {r, rows: sink.rows.sort((x, y) => x.seq - y.seq)}
}

/** Home core of connections 0..k-1 on `cores` cores with `seed` (one request each, far apart). */
async function homes(k: number, cores: number, seed = 1): Promise<number[]> {
  const {rows} = await simulateRows(cols(Array.from({length: k}, (_, i) => [1000 + i * 1e6, i, 10] as [number, number, number])), 'zygos', cores, resolveCosts('zero'), seed)
  return rows.map((r) => r.queue)
}

/** Two connections with the same home core (on 2 cores), and that core. */
async function sameHomePair(extra = 0): Promise<{conns: number[]; home: number}> {
  const h = await homes(16, 2)
  const home = h[0]
  const conns = h.flatMap((x, i) => (x === home ? [i] : [])).slice(0, 2 + extra)
  expect(conns.length).toBe(2 + extra)
  return {conns, home}
}

describe('zygos mechanics (hand-timed, cycles)', () => {
  // Only IPI costs: latency 500, handler 300; no throttle. Core `home` runs A (10000 cycles);
  // B arrives for another connection of the same home at 1000.
  const ipiOnly = resolveCosts('zero', {ipi_latency: 500, ipi_handler: 300})

  it('an idle core IPIs the busy home, steals the connection after the handler, and the home sends the reply', async () => {
    const {conns, home} = await sameHomePair()
    const [a, b] = conns
    const {r, rows} = await simulateRows(cols([[0, a, 10000], [1000, b, 100]]), 'zygos', 2, ipiOnly)
    const [A, B] = rows
    // IPI sent at 1000, handled 1500..1800: B's connection is stealable at 1800.
    expect(B.start).toBe(1800)
    expect(B.core).toBe(1 - home)
    expect(B.queue).toBe(home)
    // B ends at 1900 on the thief; the thief IPIs the home (arrives 2400), whose handler
    // (2400..2700) sends B's reply.
    expect(B.end).toBe(2700)
    // A was interrupted by both handlers: 300 cycles each.
    expect(A.core).toBe(home)
    expect(A.end).toBe(10000 + 2 * 300)
    expect(r.counters).toMatchObject({steals: 1, stolen_events: 1, ipis_sent: 2, ipis_handled: 2, remote_syscalls: 1})
  })

  it('remote_ipi=off: the stolen reply waits for the home core\'s next kernel entry', async () => {
    const {conns} = await sameHomePair()
    const [a, b] = conns
    const {r, rows} = await simulateRows(cols([[0, a, 10000], [1000, b, 100]]), 'zygos:remote_ipi=off', 2, ipiOnly)
    const [A, B] = rows
    expect(B.start).toBe(1800)
    expect(A.end).toBe(10300)
    expect(B.end).toBe(10300)
    expect(r.counters).toMatchObject({steals: 1, ipis_sent: 1, ipis_handled: 1})
  })

  it('zygos-nointr: B waits behind A on its home core; no IPI, no steal', async () => {
    const {conns, home} = await sameHomePair()
    const [a, b] = conns
    const {r, rows} = await simulateRows(cols([[0, a, 10000], [1000, b, 100]]), 'zygos-nointr', 2, ipiOnly)
    const [A, B] = rows
    expect(A.end).toBe(10000)
    expect(B.start).toBe(10000)
    expect(B.core).toBe(home)
    expect(B.end).toBe(10100)
    expect(r.counters).toMatchObject({steals: 0, ipis_sent: 0})
  })

  it('dataplane costs: poll + TCP per packet, TX per reply, user/kernel crossing, steal and remote-syscall costs', async () => {
    const {conns, home} = await sameHomePair()
    const [a, b] = conns
    const costs = resolveCosts('zero', {
      rx_packet: 100,
      tx_reply: 50,
      user_kernel: 20,
      steal_attempt: 7,
      steal_transfer: 13,
      remote_syscall: 30,
      ipi_send: 11,
      ipi_latency: 500,
      ipi_handler: 300,
    })
    const {rows} = await simulateRows(cols([[0, a, 10000], [1000, b, 100]]), 'zygos', 2, costs)
    const [A, B] = rows
    // A: poll 0..100, runs 100..10100 (+ handlers), crossing + TX.
    expect(A.start).toBe(100)
    // B: IPI sent 1000, leaves 1011, arrives 1511; handler 1511..1911 (300 + 1 packet);
    // steal 1911..1931; runs 1931..2031.
    expect(B.start).toBe(1931)
    expect(B.core).toBe(1 - home)
    // Thief: crossing 20 + remote syscall 30, then its IPI leaves after 11: arrives
    // 2031 + 61 + 500 = 2592; home handler 300 + TX 50 → B's reply leaves at 2942.
    expect(B.end).toBe(2942)
    // A's run is interrupted by both handlers (400 + 350); then crossing + TX.
    expect(A.end).toBe(10100 + 400 + 350 + 20 + 50)
  })

  it('the IPI throttle: a long handler can be interrupted again once the throttle expires', async () => {
    const {conns} = await sameHomePair(1)
    const [a, b, c] = conns
    const trace = cols([[0, a, 100000], [1000, b, 10], [3000, c, 10]])
    const base = {ipi_latency: 100, ipi_handler: 5000}
    const loose = await simulateRows(trace, 'zygos', 2, resolveCosts('zero', {...base, ipi_throttle: 1000}))
    const strict = await simulateRows(trace, 'zygos', 2, resolveCosts('zero', {...base, ipi_throttle: 100000}))
    // Throttle 1000 cycles: at 3000 (handler of the first IPI still running until 6100) C can
    // be signalled again; the second IPI waits for the handler to return, then runs at once.
    // Throttle 100000: C waits in the RX queue until the handler has returned.
    expect(loose.r.counters.ipis_sent).toBeGreaterThan(strict.r.counters.ipis_sent)
    for (const {r, rows} of [loose, strict]) {
      // Every handler ran on the home core on top of A: A ends later by exactly their cost.
      expect(rows[0].end).toBe(100000 + 5000 * r.counters.ipis_handled)
      expect(r.completed).toBe(3)
    }
    // The second handler took C: it started right after the first one (1100 + 5000 + 5000).
    expect(loose.rows[2].start).toBe(11100)
  })

  it('rx_batch bounds the packets processed per poll', async () => {
    const c = poissonColumns({n: 4000, load: 0.9, cores: 4, mean: 2000, service: expService(2000), connections: 50, seed: 5})
    const costs = resolveCosts('paper')
    const r64 = await run(c, {policy: 'zygos', cores: 4, costs, warmup: 0})
    const r1 = await run(c, {policy: 'zygos:rx_batch=1', cores: 4, costs, warmup: 0})
    expect(r1.metrics.packets_per_poll).toBe(1)
    expect(r64.metrics.packets_per_poll).toBeGreaterThan(1)
  })
})

// ------------------------------------------------------------------------------------------------

const costArb = fc.oneof(
  fc.constant(resolveCosts('zero')),
  fc.constant(resolveCosts('paper')),
  fc
    .record({
      rx_packet: fc.integer({min: 0, max: 400}),
      tx_reply: fc.integer({min: 0, max: 200}),
      user_kernel: fc.integer({min: 0, max: 100}),
      steal_attempt: fc.integer({min: 0, max: 100}),
      steal_transfer: fc.integer({min: 0, max: 300}),
      remote_syscall: fc.integer({min: 0, max: 100}),
      ipi_send: fc.integer({min: 0, max: 100}),
      ipi_latency: fc.integer({min: 0, max: 500}),
      ipi_handler: fc.integer({min: 0, max: 500}),
      ipi_throttle: fc.integer({min: 0, max: 2000}),
    })
    .map((o) => resolveCosts('zero', o)),
)

const traceArb = fc
  .record({
    cores: fc.integer({min: 1, max: 5}),
    conns: fc.integer({min: 1, max: 4}),
    seed: fc.integer({min: 0, max: 2 ** 31 - 1}),
    reqs: fc.array(fc.tuple(fc.integer({min: 0, max: 400}), fc.nat(), fc.integer({min: 1, max: 2000})), {minLength: 1, maxLength: 150}),
  })
  .map(({cores, conns, seed, reqs}) => {
    let t = 1000
    return {cores, seed, c: cols(reqs.map(([gap, k, s]) => [(t += gap), k % conns, s]))}
  })

describe('zygos properties (random small traces, few connections)', () => {
  test.each(['zygos', 'zygos-nointr', 'zygos:remote_ipi=off', 'zygos:rx_batch=2'])(
    '%s: every request served once; per connection in order and never two at a time; counters match the records',
    async (policy) => {
      await fc.assert(
        fc.asyncProperty(traceArb, costArb, async ({cores, seed, c}, costs) => {
          const {r, rows} = await simulateRows(c, policy, cores, costs, seed)
          const n = c.arrival.length
          // Nothing lost, nothing served twice.
          expect(r.completed).toBe(n)
          expect(r.dropped).toBe(0)
          expect(rows.length).toBe(n)
          rows.forEach((row, i) => expect(row.seq).toBe(i))
          let stolen = 0
          for (const row of rows) {
            expect(row.start).toBeGreaterThanOrEqual(row.arrival)
            expect(row.end).toBeGreaterThanOrEqual(row.start + c.service[row.seq])
            if (row.core !== row.queue) stolen++
          }
          // Per connection: service intervals in arrival order and disjoint; replies in order.
          const last = new Map<number, Row>()
          for (const row of rows) {
            const prev = last.get(row.conn)
            if (prev !== undefined) {
              expect(row.start).toBeGreaterThanOrEqual(prev.start + c.service[prev.seq])
              expect(row.end).toBeGreaterThanOrEqual(prev.end)
            }
            last.set(row.conn, row)
          }
          expect(r.counters.stolen_events).toBe(stolen)
          expect(r.counters.remote_syscalls).toBe(stolen)
          if (!policy.startsWith('zygos:') && policy !== 'zygos') expect(r.counters.ipis_sent).toBe(0)
        }),
        {numRuns: 60},
      )
    },
  )
  it('a bounded NIC ring drops (and counts) what overflows; the rest drains normally', async () => {
    // A burst of 400 requests on 20 connections in 4000 cycles onto 2 cores with a 4-descriptor ring.
    const c = cols(Array.from({length: 400}, (_, i) => [1000 + i * 10, i % 20, 500] as [number, number, number]))
    for (const policy of ['zygos', 'zygos-nointr']) {
      const sink = new CollectSink()
      const r = await run(c, {policy, cores: 2, costs: resolveCosts('paper'), warmup: 0, allowOverload: true, nicRing: 4, batches: 0}, sink)
      expect(r.dropped).toBeGreaterThan(0)
      expect(r.completed + r.dropped).toBe(400)
      expect(sink.rows.length).toBe(r.completed)
      expect(new Set(sink.rows.map((x) => x.seq)).size).toBe(r.completed)
    }
  })

  it('deterministic: the same trace and seed give identical per-request records', async () => {
    const c = poissonColumns({n: 20_000, load: 0.7, cores: 8, mean: 24000, service: expService(24000), connections: 300, seed: 9})
    const a = await simulateRows(c, 'zygos', 8, resolveCosts('paper'), 3)
    const b = await simulateRows(c, 'zygos', 8, resolveCosts('paper'), 3)
    expectSameRecords(b.rows, a.rows)
    expect(b.r.counters).toEqual(a.r.counters)
    const other = await simulateRows(c, 'zygos', 8, resolveCosts('paper'), 4)
    expect(other.rows).not.toEqual(a.rows)
  })
})

// ------------------------------------------------------------------------------------------------

describe('zygos with zero costs approaches M/G/n (16 cores, many connections)', () => {
  const cores = 16
  const mean = 24000
  const zero = resolveCosts('zero')

  it('load 0.8, 2720 connections: mean and p99 match mgn-fcfs within sampling error', async () => {
    const c = poissonColumns({n: 200_000, load: 0.8, cores, mean, service: expService(mean), connections: 2720, seed: 21})
    const m = await run(c, {policy: 'mgn-fcfs', cores, costs: zero})
    const z = await run(c, {policy: 'zygos', cores, costs: zero})
    // Work conservation: the mean differs only by the rare per-connection waits (< 1%).
    expect(Math.abs(z.latency.mean_us / m.latency.mean_us - 1)).toBeLessThan(0.01)
    // p99 within 2.5% (the batch-means 95% half-width of mgn-fcfs here is ≈1%; the measured gap,
    // +1.2..1.6% at this load, is the service order: see the next test and docs/zygos-model.md).
    const half = (m.latency.p99_ci_high_us - m.latency.p99_ci_low_us) / 2
    expect(Math.abs(z.latency.p99_us - m.latency.p99_us)).toBeLessThan(Math.max(half, 0.025 * m.latency.p99_us))
    expect(z.util_net).toBe(0)
  })

  it('the residual gap near saturation comes from the service order, not from per-connection serialisation', async () => {
    // Load 0.93: zygos serves each core's own shuffle queue first and thieves take the head of a
    // random victim, so it is not global FCFS: same mean (work conserving), larger p99.
    const args = {n: 200_000, load: 0.93, cores, mean, service: expService(mean), seed: 22}
    const few = poissonColumns({...args, connections: 2720})
    const many = poissonColumns({...args, connections: 60_000})
    const m = await run(few, {policy: 'mgn-fcfs', cores, costs: zero})
    const zFew = await run(few, {policy: 'zygos', cores, costs: zero})
    const zMany = await run(many, {policy: 'zygos', cores, costs: zero})
    const mMany = await run(many, {policy: 'mgn-fcfs', cores, costs: zero})
    expect(Math.abs(zFew.latency.mean_us / m.latency.mean_us - 1)).toBeLessThan(0.015)
    const gapFew = zFew.latency.p99_us / m.latency.p99_us - 1
    const gapMany = zMany.latency.p99_us / mMany.latency.p99_us - 1
    expect(gapFew).toBeGreaterThan(0.05)
    // 22× more connections (serialisation ~22× rarer) leaves most of the gap.
    expect(gapMany).toBeGreaterThan(0.6 * gapFew)
  })
})
