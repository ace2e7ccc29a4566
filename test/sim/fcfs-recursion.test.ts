// The FCFS models have two implementations: `method=events` (one engine event per request, the
// reference) and `method=recursion` (the default: Kiefer–Wolfowitz for mgn-fcfs, Lindley per queue
// for n-mg1-fcfs, no engine events). They must agree exactly: the same core, start and end for
// every request, hence the same latencies, utilisations and result row.
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import type {TraceColumns} from '../../src/trace/memory.js'
import type {Policy} from '../../src/sim/policy.js'
import {POLICIES, registerPolicy} from '../../src/sim/policies/registry.js'
import type {RunResult} from '../../src/sim/simulate.js'
import {CollectSink, expectSameRecords, expService, fixedService, poissonColumns, run} from '../helpers.js'

type Row = CollectSink['rows'][number]

/** The result row without the fields that may differ: wall clock, event count, the spec itself. */
function comparable(r: RunResult) {
  const {wall_ms: _w, sim_rate_rps: _s, events: _e, policy: _p, config, ...rest} = r
  const {policy: _cp, ...cfg} = config
  return {...rest, config: cfg}
}

const bySeq = (rows: Row[]) => [...rows].sort((a, b) => a.seq - b.seq)

async function both(cols: TraceColumns, policy: string, config: Record<string, unknown> & {cores: number}) {
  const ra = new CollectSink()
  const rb = new CollectSink()
  const a = await run(cols, {...config, policy: `${policy}:method=recursion`}, ra)
  const b = await run(cols, {...config, policy: `${policy}:method=events`}, rb)
  return {a, b, rowsA: bySeq(ra.rows), rowsB: bySeq(rb.rows)}
}

/** A heavy-tailed service draw (bounded Pareto, shape 1.2), cycles. */
const paretoService = (min: number, max: number) => (rng: {float(): number}) => {
  const a = 1.2
  const u = rng.float()
  const la = min ** a
  const ha = max ** a
  return Math.round((-(u * ha - u * la - ha) / (ha * la)) ** (-1 / a))
}

/** Round arrivals down to a grid so that many requests arrive at the same cycle. */
function coarse(cols: TraceColumns, grid: number): TraceColumns {
  const arrival = cols.arrival.map((t) => Math.floor(t / grid) * grid)
  return {...cols, arrival}
}

const cases: {name: string; cols: () => TraceColumns; cores: number; load?: number; extra?: Record<string, unknown>}[] = [
  {name: '16 cores, exponential, load 0.8', cores: 16, cols: () => poissonColumns({n: 30_000, load: 0.8, cores: 16, mean: 24_000, service: expService(24_000), seed: 3})},
  {name: '1 core, exponential, load 0.9', cores: 1, cols: () => poissonColumns({n: 10_000, load: 0.9, cores: 1, mean: 1000, service: expService(1000), seed: 4})},
  {
    name: '4 cores, fixed service and arrivals on a coarse grid (ties everywhere)',
    cores: 4,
    cols: () => coarse(poissonColumns({n: 20_000, load: 0.9, cores: 4, mean: 100, service: fixedService(100), seed: 5}), 50),
  },
  {
    name: '64 cores, bounded Pareto service, load 0.85',
    cores: 64,
    cols: () => poissonColumns({n: 30_000, load: 0.85, cores: 64, mean: 2_600, service: paretoService(1000, 1_000_000), seed: 6}),
    extra: {load: 0.85},
  },
  {
    name: '8 cores, overloaded (load 1.2, queues grow)',
    cores: 8,
    cols: () => poissonColumns({n: 10_000, load: 1.2, cores: 8, mean: 500, service: expService(500), seed: 8}),
    extra: {allowOverload: true},
  },
  {
    name: '16 cores, rescaled to load 0.95, warm-up 0.3, network RTT',
    cores: 16,
    cols: () => poissonColumns({n: 20_000, load: 0.5, cores: 16, mean: 24_000, service: expService(24_000), seed: 9}),
    extra: {load: 0.95, warmup: 0.3, networkRttUs: 5},
  },
]

describe('FCFS models: the recursion reproduces the event simulation exactly', () => {
  for (const policy of ['mgn-fcfs', 'n-mg1-fcfs', 'n-mg1-fcfs:assignment=random']) {
    for (const c of cases) {
      test(`${policy}, ${c.name}`, async () => {
        const cols = c.cols()
        const {a, b, rowsA, rowsB} = await both(cols, policy, {cores: c.cores, ...c.extra})
        expect(rowsA.length).toBe(cols.arrival.length)
        expectSameRecords(rowsA, rowsB)
        expect(comparable(a)).toEqual(comparable(b))
        // The recursion schedules no engine events; the event version one per request.
        expect(a.events).toBe(0)
        expect(b.events).toBe(cols.arrival.length)
      })
    }
  }

  test('the recursions give the same results through arrive(slot) as through arriveDirect', async () => {
    // The run loop uses arriveDirect when a policy has it; wrap each recursion so that it only
    // exposes arrive(slot), and compare.
    for (const name of ['mgn-fcfs', 'n-mg1-fcfs']) {
      const def = POLICIES.get(name)!
      const slotName = `${name}-via-slot`
      if (!POLICIES.has(slotName)) {
        registerPolicy({
          ...def,
          name: slotName,
          create: (ctx, o) => {
            const p = def.create(ctx, o)
            expect(p.arriveDirect).toBeDefined()
            const wrapped: Policy = {arrive: (slot) => p.arrive(slot), handle: (k, a, b) => p.handle(k, a, b)}
            return wrapped
          },
        })
      }
      const cols = poissonColumns({n: 20_000, load: 0.9, cores: 8, mean: 5_000, service: expService(5_000), seed: 12})
      const ra = new CollectSink()
      const rb = new CollectSink()
      const a = await run(cols, {policy: name, cores: 8}, ra)
      const b = await run(cols, {policy: slotName, cores: 8}, rb)
      expectSameRecords(rb.rows, ra.rows)
      expect(comparable(b)).toEqual(comparable(a))
    }
  })

  test('--max-sim-time also bounds the completions the recursion computes without events', async () => {
    // Arrivals end at cycle 900, but the work ends near cycle 10 × 100 000: past a 50 000-cycle limit.
    const n = 10
    const cols = {
      arrival: Float64Array.from({length: n}, (_, i) => i * 100),
      conn: new Uint32Array(n),
      service: new Float64Array(n).fill(100_000),
    }
    for (const policy of ['mgn-fcfs', 'n-mg1-fcfs']) {
      for (const method of ['recursion', 'events']) {
        await expect(run(cols, {policy: `${policy}:method=${method}`, cores: 1, allowOverload: true, maxSimTimeS: 50_000 / 2.4e9})).rejects.toThrow(
          /max-sim-time/,
        )
      }
    }
  })

  test('property: random small traces with ties, any core count (mgn-fcfs and n-mg1-fcfs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({min: 1, max: 9}),
        fc.array(fc.record({gap: fc.integer({min: 0, max: 30}), service: fc.integer({min: 1, max: 60}), conn: fc.integer({min: 0, max: 5})}), {
          minLength: 1,
          maxLength: 200,
        }),
        fc.constantFrom('mgn-fcfs', 'n-mg1-fcfs', 'n-mg1-fcfs:assignment=random'),
        async (cores, reqs, policy) => {
          let t = 0
          const arrival = new Float64Array(reqs.length)
          const conn = new Uint32Array(reqs.length)
          const service = new Float64Array(reqs.length)
          reqs.forEach((r, i) => {
            t += r.gap
            arrival[i] = t
            conn[i] = r.conn
            service[i] = r.service
          })
          const cols = {arrival, conn, service}
          const {a, b, rowsA, rowsB} = await both(cols, policy, {cores, allowOverload: true, warmup: 0, batches: 0})
          expectSameRecords(rowsA, rowsB)
          expect(comparable(a)).toEqual(comparable(b))
        },
      ),
      {numRuns: 150, seed: 20261127},
    )
  })
})
