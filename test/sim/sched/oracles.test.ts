/**
 * Oracles for the dispatcher-based policies (closed forms and limits):
 *  - an isolated request's latency under preemption, exactly;
 *  - round robin with a quantum → 0 at zero cost approaches processor sharing (mgn-ps);
 *  - one worker with per-type queues: Cobham's non-preemptive priority (darc) and preemptive-resume
 *    priority (shinjuku:queues=multi with extreme SLO weights and preempt=pending);
 *  - work conservation (busy app cycles = service times) and no request lost or duplicated.
 */
import {describe, expect, test} from 'vitest'

import {resolveCosts} from '../../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {expService, poissonColumns, run} from '../../helpers.js'
import {runRows, shinjukuBimodal, typedColumns, US} from './lib.js'

function single(service: number): TraceColumns {
  return {arrival: Float64Array.of(1000), conn: Uint32Array.of(0), service: Float64Array.of(service)}
}

describe('isolated request', () => {
  const cases = [
    {S: 3 * US, q: 5},
    {S: 5 * US, q: 5},
    {S: 10 * US, q: 5},
    {S: 10 * US + 1, q: 5},
    {S: 23 * US, q: 2},
    {S: 500 * US, q: 5},
  ]
  for (const [name, costName] of [
    ['shinjuku', 'preempt_interrupt'],
    ['concord', 'preempt_yield'],
  ] as const) {
    for (const withDispatch of [false, true]) {
      test(`${name}: always = S + (c + d + h)(⌈S/q⌉ − 1) + n + d + h, pending = S + n + d + h (dispatch costs ${withDispatch ? 'on' : 'off'})`, async () => {
        const c = 700
        const [n, d, h] = withDispatch ? [300, 200, 100] : [0, 0, 0]
        const costs = resolveCosts('zero', {[costName]: c, net_packet: n, dispatch_cost: d, handoff_latency: h})
        for (const {S, q} of cases) {
          const k = Math.ceil(S / (q * US)) - 1
          const always = await runRows(single(S), {policy: `${name}:q=${q}`, cores: 4, costs})
          expect(always.rows[0].latency, `S=${S} q=${q}`).toBe(S + k * (c + d + h) + n + d + h)
          expect(always.result.counters.preemptions).toBe(k)
          const pending = await runRows(single(S), {policy: `${name}:q=${q}:preempt=pending`, cores: 4, costs})
          expect(pending.rows[0].latency, `S=${S} q=${q} pending`).toBe(S + n + d + h)
          expect(pending.result.counters.preemptions).toBe(0)
        }
      })
    }
  }
})

describe('quantum limit', () => {
  test('round robin with q → 0 at zero cost approaches mgn-ps on the worker count (mean latency)', async () => {
    const W = 4
    const mean = 2000 // cycles
    const cols = poissonColumns({n: 4000, load: 0.8, cores: W, mean, service: expService(mean), seed: 21})
    const ps = await run(cols, {policy: 'mgn-ps', cores: W})
    const err: number[] = []
    for (const qCycles of [200, 20]) {
      const r = await run(cols, {policy: `shinjuku:q=${qCycles / US}`, cores: W + 2})
      err.push(Math.abs(r.latency.mean_us - ps.latency.mean_us) / ps.latency.mean_us)
    }
    // The gap shrinks with the quantum, and at q = S̄/100 it is within 2 %.
    expect(err[1]).toBeLessThan(err[0])
    expect(err[1]).toBeLessThan(0.02)
  })
})

/** Per-type mean latency (cycles) of the measured rows (trace index >= from). */
function typeMeans(cols: TraceColumns, rows: {seq: number; latency: number}[], from: number): number[] {
  const sum = [0, 0]
  const cnt = [0, 0]
  for (const r of rows) {
    if (r.seq < from) continue
    const t = cols.type![r.seq]
    sum[t] += r.latency
    cnt[t]++
  }
  return sum.map((s, i) => s / cnt[i])
}

describe('one worker, per-type priority (two exponential classes)', () => {
  // Class 0: p 0.8, mean 1 µs; class 1: p 0.2, mean 8 µs; total load 0.6 on the one worker.
  const m = [1 * US, 8 * US]
  const p = [0.8, 0.2]
  const es = p[0] * m[0] + p[1] * m[1]
  const lam = 0.6 / es
  const l = [lam * p[0], lam * p[1]]
  const s1 = l[0] * m[0]
  const s2 = s1 + l[1] * m[1]
  const r2 = l[0] * 2 * m[0] ** 2 + l[1] * 2 * m[1] ** 2 // Σ λ E[S²], exponential E[S²] = 2m²
  const n = 200_000
  const from = 20_000
  const cols = typedColumns({
    n,
    rate: lam,
    seed: 77,
    classes: [
      {p: p[0], service: expService(m[0])},
      {p: p[1], service: expService(m[1])},
    ],
  })

  // Tolerance 5 %: over four other seeds (400 k requests) darc's per-class means were within
  // 1.7 % of Cobham's, so 5 % at 200 k requests is about 2.5 standard errors for the long class.
  test('non-preemptive priority (darc, 1 worker) matches Cobham', async () => {
    const {rows, result} = await runRows(cols, {policy: 'darc:profile=1000', cores: 3})
    expect(result.metrics.workers).toBe(1)
    const got = typeMeans(cols, rows, from)
    const want = [m[0] + r2 / 2 / (1 - s1), m[1] + r2 / 2 / ((1 - s1) * (1 - s2))]
    for (let i = 0; i < 2; i++) expect(Math.abs(got[i] - want[i]) / want[i], `class ${i}: ${got[i]} vs ${want[i]}`).toBeLessThan(0.05)
  })

  test('preemptive-resume priority (shinjuku multi, SLO weights 1 µs and 1e9 µs, pending, small q) matches the closed form', async () => {
    const {rows} = await runRows(cols, {policy: 'shinjuku:queues=multi:slo=1,1000000000:preempt=pending:q=0.1', cores: 3})
    const got = typeMeans(cols, rows, from)
    // First-order correction for the quantum: a short request that arrives while a long one runs
    // waits for the end of its slice, q/2 on average (measured bias without it: +1.4 to +2.6 % on
    // class 0 over four seeds, 400 k requests each).
    const q = 0.1 * US
    const want = [m[0] + (l[0] * 2 * m[0] ** 2) / 2 / (1 - s1) + ((s2 - s1) * q) / 2 / (1 - s1), m[1] / (1 - s1) + r2 / 2 / ((1 - s1) * (1 - s2))]
    for (let i = 0; i < 2; i++) expect(Math.abs(got[i] - want[i]) / want[i], `class ${i}: ${got[i]} vs ${want[i]}`).toBeLessThan(0.05)
  })
})

describe('work conservation and no loss', () => {
  const cols = shinjukuBimodal(20_000, 0.6, 8, 5)
  const total = cols.service.reduce((s, x) => s + x, 0)
  for (const policy of [
    'shinjuku',
    'shinjuku:queues=multi:preempt=pending:jitter=1',
    'concord',
    'concord:jitter=2:q=2',
    'darc:profile=500',
    'c-fcfs',
    'd-fcfs',
    'jbsq:k=3',
  ]) {
    for (const preset of ['zero', 'paper']) {
      test(`${policy}, ${preset} costs: app cycles = Σ service, every request once, end ≥ arrival + S`, async () => {
        const {result, rows} = await runRows(cols, {policy, cores: 8, costPreset: preset, costs: resolveCosts(preset), load: 0.6})
        expect(rows.length).toBe(cols.arrival.length)
        for (let i = 0; i < rows.length; i++) {
          if (rows[i].seq !== i) expect(rows[i].seq).toBe(i) // (expect only on a mismatch: 20k rows × 16 tests)
          if (!(rows[i].latency >= cols.service[i] && rows[i].start >= rows[i].arrival)) {
            expect({seq: i, latency: rows[i].latency, start: rows[i].start, arrival: rows[i].arrival}).toEqual({seq: i, latency: `>= ${cols.service[i]}`})
          }
        }
        const app = result.util_app * result.sim_time_us * 2400 * result.cores
        expect(Math.abs(app - total) / total).toBeLessThan(1e-9)
      })
    }
  }

  test('concord probe overhead inflates every service time by the fraction', async () => {
    const probe = 0.02
    const {result} = await runRows(cols, {policy: `concord:probe=${probe}`, cores: 8, load: 0.5})
    const want = cols.service.reduce((s, x) => s + Math.max(1, Math.round(x * (1 + probe))), 0)
    const app = result.util_app * result.sim_time_us * 2400 * result.cores
    expect(Math.abs(app - want) / want).toBeLessThan(1e-9)
  })
})
