/**
 * Oracles of the core-allocating designs (shenango, caladan), zero costs unless said:
 *  - one granted worker ≡ M/G/1: request by request the schedule of mgn-fcfs on one core;
 *  - every worker granted (alloc=static), zero costs: non-preemptive, work-conserving and blind
 *    to sizes, so the mean latency is M/G/n FCFS's on the same trace (within sampling error);
 *    the same check rejects the dynamic allocation with a grant latency (it can fail);
 *  - the allocation detectors on hand-made traces: a request queued across two checks causes
 *    exactly one grant, one that comes and goes between checks none (Caladan: waited ≥ qdelay);
 *    McClure et al.'s delay-range, utilization-range and buffer-cores decisions, derived by hand;
 *  - invariants on random small traces with random costs and modes: every request once, never
 *    before its arrival, busy time = the service times, cores_used and efficiency in range, and
 *    work conservation whenever every worker is granted at zero cost.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {resolveCosts} from '../../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {expectSameRecords, expService, gapColumns, poissonColumns} from '../../helpers.js'
import {type Row, runRows, US} from './lib.js'

function expectSameSchedule(a: Row[], b: Row[], what: string): void {
  expect(a.length, what).toBe(b.length)
  for (let i = 0; i < a.length; i++) {
    if (a[i].seq !== b[i].seq || a[i].start !== b[i].start || a[i].end !== b[i].end) {
      expect({seq: a[i].seq, start: a[i].start, end: a[i].end}, `${what}: request ${i}`).toEqual({seq: b[i].seq, start: b[i].start, end: b[i].end})
    }
  }
}

/** Batch-means standard error of the mean of `xs` (20 batches in trace order). */
function meanAndSe(xs: number[]): {mean: number; se: number} {
  const k = 20
  const m = Math.floor(xs.length / k)
  const means: number[] = []
  for (let b = 0; b < k; b++) {
    let s = 0
    for (let i = b * m; i < (b + 1) * m; i++) s += xs[i]
    means.push(s / m)
  }
  const mean = means.reduce((a, x) => a + x, 0) / k
  const v = means.reduce((a, x) => a + (x - mean) ** 2, 0) / (k - 1)
  return {mean, se: Math.sqrt(v / k)}
}

describe('one granted worker ≡ M/G/1', () => {
  const exp = poissonColumns({n: 4000, load: 0.85, cores: 1, mean: 10 * US, service: expService(10 * US), seed: 21})
  const ties = poissonColumns({n: 3000, load: 0.8, cores: 1, mean: 10 * US, service: (rng) => [5, 10, 15][rng.int(3)] * US, seed: 4})
  for (let i = 0; i < ties.arrival.length; i++) ties.arrival[i] = Math.round(ties.arrival[i] / 4000) * 4000
  for (const [name, cols] of [['exp', exp], ['ties', ties]] as const) {
    test(`${name}: request by request the schedule of mgn-fcfs on one core`, async () => {
      const ref = await runRows(cols, {policy: 'mgn-fcfs:method=events', cores: 1})
      for (const [policy, cores] of [
        ['shenango', 2],
        ['shenango:alloc=static', 2],
        ['shenango:alloc=static:static_cores=1', 6],
        ['caladan', 2],
        ['caladan:slice=1000000', 2],
        ['caladan:alloc=delay-range', 2],
      ] as const) {
        const got = await runRows(cols, {policy, cores})
        expectSameSchedule(got.rows, ref.rows, `${policy} on ${cores} cores`)
        expect(got.rows.filter((r) => r.core !== 1).length, `${policy}: requests off worker 0`).toBe(0)
      }
    })
  }
})

describe('every worker granted, zero costs: the M/G/n FCFS mean (size-blind lemma)', () => {
  const W = 4
  const cols = poissonColumns({n: 30000, load: 0.85, cores: W, mean: 10 * US, service: expService(10 * US), seed: 8})
  const latencies = (rows: Row[]) => rows.map((r) => r.end - r.arrival)

  test('shenango and caladan with alloc=static match mgn-fcfs on the worker count; a dynamic allocation with a grant latency does not', async () => {
    const ref = meanAndSe(latencies((await runRows(cols, {policy: 'mgn-fcfs', cores: W})).rows))
    for (const policy of ['shenango:alloc=static', 'caladan:alloc=static']) {
      const got = await runRows(cols, {policy, cores: W + 1})
      expect(got.result.metrics.cores_used).toBeCloseTo(W, 9)
      const m = meanAndSe(latencies(got.rows))
      // Same trace, different orders of service: the means differ only by sampling noise.
      expect(Math.abs(m.mean - ref.mean), `${policy}: ${m.mean / US} vs ${ref.mean / US} µs`).toBeLessThan(3 * Math.hypot(m.se, ref.se))
    }
    // The check has power: cores that park and take 5 µs to come back raise the mean.
    const costs = resolveCosts('zero', {core_grant: 5 * US})
    const dyn = meanAndSe(latencies((await runRows(cols, {policy: 'shenango', cores: W + 1, costs})).rows))
    expect(dyn.mean - ref.mean).toBeGreaterThan(3 * Math.hypot(dyn.se, ref.se))
  })
})

/** A hand-made trace: [arrival µs, service µs] pairs, all on one connection. */
function hand(reqs: [number, number][]): TraceColumns {
  return {
    arrival: Float64Array.from(reqs.map(([a]) => a * US)),
    conn: new Uint32Array(reqs.length),
    service: Float64Array.from(reqs.map(([, s]) => s * US)),
  }
}

describe('allocation detectors on hand-made traces (checks every interval, zero costs)', () => {
  const allocGrants = async (policy: string, reqs: [number, number][]) => {
    const r = await runRows(hand(reqs), {policy, cores: 5, allowOverload: true, warmup: 0})
    return r.result.counters.core_grants_allocator
  }

  test('shenango: queued across two checks → exactly one grant; queued between two checks → none', async () => {
    // The first request wakes a worker (not an allocator grant) and runs until 20.5 µs; the second
    // is queued at 1 µs, still queued at the checks at 5 and 10 µs: a grant at 10 µs, whose worker steals it.
    expect(await allocGrants('shenango', [[0.5, 20], [1, 1]])).toBe(1)
    // Queued at 6 µs, started at 8 µs: gone before the check at 10 µs.
    expect(await allocGrants('shenango', [[0.5, 7.5], [6, 1]])).toBe(0)
    // Queued at 1 µs, started at 9 µs: queued at the check at 5, gone by the check at 10.
    expect(await allocGrants('shenango', [[0.5, 8.5], [1, 1]])).toBe(0)
    // A longer interval: the same first trace sees one check before 20.5 µs at 12, none congested.
    expect(await allocGrants('shenango:interval=12', [[0.5, 20], [1, 1]])).toBe(0)
    // The stolen request really left the queue at the grant.
    const r = await runRows(hand([[0.5, 20], [1, 1]]), {policy: 'shenango', cores: 5, allowOverload: true, warmup: 0})
    expect(r.rows[1].start).toBe(10 * US)
    expect(r.rows[1].core).not.toBe(r.rows[0].core)
  })

  test('caladan: oldest queued request ≥ qdelay at a check → one grant; below → none', async () => {
    // Waits from 1 µs: 9 µs at the check at 10, 19 µs at 20 ≥ 10: one grant at 20 µs.
    expect(await allocGrants('caladan', [[0.5, 30], [1, 1]])).toBe(1)
    // Waits from 1 to 9 µs: never seen at a check with 10 µs of delay.
    expect(await allocGrants('caladan', [[0.5, 8.5], [1, 1]])).toBe(0)
    // qdelay 5: the check at 10 sees 9 µs.
    expect(await allocGrants('caladan:qdelay=5', [[0.5, 8.5], [1, 1]])).toBe(0)
    expect(await allocGrants('caladan:qdelay=5', [[0.5, 9.5], [1, 1]])).toBe(0)
    expect(await allocGrants('caladan:qdelay=5', [[0.5, 12], [1, 1]])).toBe(1)
  })
})

describe('McClure et al.\'s allocation modes on hand-made traces (zero costs, checks every 5 µs)', () => {
  const counts = async (policy: string, reqs: [number, number][]) => {
    const r = await runRows(hand(reqs), {policy, cores: 6, allowOverload: true, warmup: 0})
    return {grants: r.result.counters.core_grants_allocator, parks: r.result.counters.core_parks, rows: r.rows}
  }

  test('delay-range: a head delay above max_delay grants one worker, a mean below min_delay parks an idle one', async () => {
    // B waits behind A from 1 µs: mean head delay 4, 9 (in range), then 14 > 10 at 15 µs: a grant,
    // whose worker steals B; at 20 µs the mean is 0 < 2.5: that worker, idle, is parked; at 35 µs
    // (A done at 30.5) the last one.
    const r = await counts('shenango:alloc=delay-range', [[0.5, 30], [1, 1]])
    expect(r.grants).toBe(1)
    expect(r.rows[1].start).toBe(15 * US)
    expect(r.parks).toBe(2)
  })

  test('utilization-range: above util_max grants, below util_min parks', async () => {
    // One request from 0.5 to 30.5 µs. Utilization over each 5 µs interval: 100 % with one worker
    // granted (> 90: grant), 50 % with two (< 80: park the idle one), and so on: grants at 5, 15
    // and 25 µs, parks at 10, 20, 30, and the last worker at 35.
    const r = await counts('caladan:alloc=utilization-range:interval=5', [[0.5, 30]])
    expect(r.grants).toBe(3)
    expect(r.parks).toBe(4)
  })

  test('buffer-cores: keeps between buffer_min and buffer_max idle workers', async () => {
    // One busy worker and none idle at 5 µs: two grants; then two idle workers, in range. When
    // the request ends there are three, still in range: nothing is parked.
    const r = await counts('shenango:alloc=buffer-cores:buffer_min=2:buffer_max=3', [[0.5, 30]])
    expect(r.grants).toBe(2)
    expect(r.parks).toBe(0)
    // With buffer_max = 2 the third idle worker is parked at the first check after the end.
    expect((await counts('shenango:alloc=buffer-cores:buffer_min=2:buffer_max=2', [[0.5, 30]])).parks).toBe(1)
  })
})

const MODES = ['shenango', 'caladan', 'shenango:alloc=static', 'caladan:alloc=static:static_cores=1', 'shenango:alloc=delay-range:min_delay=0.05:max_delay=0.2:interval=0.3', 'caladan:alloc=utilization-range:interval=0.2:slice=0.4', 'shenango:alloc=buffer-cores:buffer_min=1:buffer_max=2:interval=0.25', 'caladan:slice=0.3:qdelay=0.1:interval=0.2']

describe('invariants on random traces, costs and modes', () => {
  const arb = fc.record({
    cores: fc.integer({min: 2, max: 7}),
    seed: fc.integer({min: 0, max: 2 ** 31 - 1}),
    policy: fc.constantFrom(...MODES),
    costs: fc.tuple(fc.integer({min: 0, max: 300}), fc.integer({min: 0, max: 300}), fc.integer({min: 0, max: 300}), fc.integer({min: 0, max: 3000}), fc.integer({min: 0, max: 500})),
    reqs: fc.array(fc.tuple(fc.integer({min: 0, max: 600}), fc.integer({min: 1, max: 3000}), fc.integer({min: 0, max: 9})), {minLength: 1, maxLength: 80}),
  })
  test('every request once, after its arrival; busy time = service; cores_used and efficiency in range; same seed, same rows', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({cores, seed, policy, costs, reqs}) => {
        const n = reqs.length
        const cols = gapColumns(reqs.map(([gap, svc, conn]) => [gap, conn, svc] as const), 100)
        const [iok, probe, steal, grant, preempt] = costs
        const table = resolveCosts('zero', {iokernel_packet: iok, rq_probe: probe, rq_steal: steal, core_grant: grant, preempt_interrupt: preempt})
        const config = {policy, cores, seed, costs: table, warmup: 0, allowOverload: true, batches: 0}
        const a = await runRows(cols, config)
        expect(a.rows.map((r) => r.seq)).toEqual([...Array(n).keys()])
        for (const r of a.rows) {
          expect(r.start).toBeGreaterThanOrEqual(r.arrival)
          expect(r.end - r.start).toBeGreaterThanOrEqual(cols.service[r.seq])
          expect(r.core).toBeGreaterThanOrEqual(1)
        }
        const total = cols.service.reduce((s, x) => s + x, 0)
        const app = a.result.util_app * a.result.sim_time_us * 2400 * cores
        expect(Math.abs(app - total)).toBeLessThan(1e-6 * total)
        const m = a.result.metrics
        expect(m.workers).toBe(cores - 1)
        expect(m.cores_used).toBeGreaterThan(0)
        expect(m.cores_used).toBeLessThanOrEqual(cores - 1 + 1e-9)
        expect(m.cpu_efficiency).toBeGreaterThan(0)
        expect(m.cpu_efficiency).toBeLessThanOrEqual(1 + 1e-9)
        const b = await runRows(cols, config)
        expectSameRecords(b.rows, a.rows)
      }),
      {numRuns: 60},
    )
  }, 60_000)

  test('work conservation: all workers granted, zero costs → no request waits while a worker is idle', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({cores, seed, reqs}) => {
        const n = reqs.length
        const cols = gapColumns(reqs.map(([gap, svc, conn]) => [gap, conn, svc] as const), 100)
        for (const policy of ['shenango:alloc=static', 'caladan:alloc=static']) {
          const {rows} = await runRows(cols, {policy, cores, seed, warmup: 0, allowOverload: true, batches: 0})
          const busyAt = (x: number) => rows.reduce((k, r) => k + (r.start <= x && x < r.end ? 1 : 0), 0)
          for (const r of rows) {
            if (r.start === r.arrival) continue
            // Every instant the request waits at which the set of running requests changes.
            const points = [r.arrival, ...rows.filter((o) => o.end > r.arrival && o.end < r.start).map((o) => o.end)]
            for (const x of points) expect(busyAt(x), `${policy}: request ${r.seq} waits at ${x}`).toBe(cores - 1)
          }
        }
      }),
      {numRuns: 40},
    )
  }, 60_000)
})
