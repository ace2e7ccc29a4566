/**
 * Exact equivalences of the dispatcher-based policies under zero costs, request by request on the
 * same trace: shinjuku with a quantum above every service time ≡ c-fcfs ≡ darc with one type ≡
 * jbsq:k=1 ≡ mgn-fcfs on the worker count; d-fcfs ≡ round-robin assignment to per-worker FIFOs
 * (a Lindley recursion written here, independently of the policies).
 */
import {describe, expect, test} from 'vitest'

import {Rng} from '../../../src/rng.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {expService, poissonColumns} from '../../helpers.js'
import {type Row, runRows, typedColumns, US} from './lib.js'

const W = 6 // workers

/** Traces: exponential service, and one with coarse arrivals and few service values (many ties). */
function traces(): [string, TraceColumns][] {
  const out: [string, TraceColumns][] = []
  for (const load of [0.5, 0.9]) out.push([`exp load ${load}`, poissonColumns({n: 6000, load, cores: W, mean: 10 * US, service: expService(10 * US), seed: 11 + load * 100})])
  const ties = poissonColumns({n: 6000, load: 0.85, cores: W, mean: 10 * US, service: (rng: Rng) => [5, 10, 15][rng.int(3)] * US, seed: 5})
  for (let i = 0; i < ties.arrival.length; i++) ties.arrival[i] = Math.round(ties.arrival[i] / 2000) * 2000
  out.push(['ties', ties])
  return out
}

function expectSameTimes(a: Row[], b: Row[], what: string): void {
  expect(a.length).toBe(b.length)
  for (let i = 0; i < a.length; i++) {
    if (a[i].seq !== b[i].seq || a[i].end !== b[i].end || a[i].start !== b[i].start) {
      expect({seq: a[i].seq, start: a[i].start, end: a[i].end}, `${what}: request ${i}`).toEqual({seq: b[i].seq, start: b[i].start, end: b[i].end})
    }
  }
}

describe('zero-cost equivalences with M/G/n on the worker count', () => {
  for (const [name, cols] of traces()) {
    test(`${name}: shinjuku (q ≥ max S), c-fcfs, darc (one type), jbsq:k=1 ≡ mgn-fcfs`, async () => {
      const ref = await runRows(cols, {policy: 'mgn-fcfs:method=events', cores: W})
      // Every request appears once.
      expect(new Set(ref.rows.map((r) => r.seq)).size).toBe(cols.arrival.length)
      let maxS = 0
      for (const s of cols.service) maxS = Math.max(maxS, s)
      const q = Math.ceil(maxS / US) + 1
      for (const policy of [`shinjuku:q=${q}`, `shinjuku:q=${q}:preempt=pending`, 'c-fcfs', 'darc', 'darc:profile=100']) {
        const got = await runRows(cols, {policy, cores: W + 2})
        expect(got.result.metrics.workers).toBe(W)
        expectSameTimes(got.rows, ref.rows, policy)
      }
      const j = await runRows(cols, {policy: 'jbsq:k=1', cores: W})
      expectSameTimes(j.rows, ref.rows, 'jbsq:k=1')
    })
  }

  test('darc and shinjuku:queues=multi on a typed trace with a single type ≡ c-fcfs', async () => {
    const cols = typedColumns({n: 5000, rate: (0.8 * W) / (10 * US), seed: 3, classes: [{p: 1, service: expService(10 * US)}], names: ['only']})
    const ref = await runRows(cols, {policy: 'c-fcfs', cores: W + 2})
    for (const policy of ['darc:profile=50', 'shinjuku:queues=multi:q=100000']) {
      const got = await runRows(cols, {policy, cores: W + 2})
      expect(got.result.metrics.types).toBe(1)
      expect(got.result.metrics.untyped_fallback).toBeUndefined()
      expectSameTimes(got.rows, ref.rows, policy)
    }
  })

  test('an untyped trace runs darc and queues=multi as one type, and says so', async () => {
    const cols = poissonColumns({n: 2000, load: 0.7, cores: W, mean: 10 * US, service: expService(10 * US), seed: 9})
    for (const policy of ['darc', 'shinjuku:queues=multi']) {
      const got = await runRows(cols, {policy, cores: W + 2})
      expect(got.result.metrics.untyped_fallback).toBe(1)
      expect(got.result.metrics.types).toBe(1)
    }
  })
})

describe('d-fcfs ≡ round-robin assignment to per-worker FIFOs', () => {
  for (const [name, cols] of traces()) {
    test(name, async () => {
      const got = await runRows(cols, {policy: 'd-fcfs', cores: W + 2})
      // Reference: request i goes to queue i mod W (the dispatcher's order is arrival order);
      // Lindley per queue.
      const free = new Float64Array(W)
      for (let i = 0; i < cols.arrival.length; i++) {
        const w = i % W
        const start = Math.max(cols.arrival[i], free[w])
        free[w] = start + cols.service[i]
        const row = got.rows[i]
        if (row.seq !== i || row.start !== start || row.end !== free[w] || row.core !== w + 2) {
          expect({seq: row.seq, start: row.start, end: row.end, core: row.core}).toEqual({seq: i, start, end: free[w], core: w + 2})
        }
      }
    })
  }
})

describe('jbsq:k=K', () => {
  test('k = 2: every request once, and a core runs its requests one after another', async () => {
    const [, cols] = traces()[1]
    const got = await runRows(cols, {policy: 'jbsq:k=2', cores: W})
    expect(got.rows.length).toBe(cols.arrival.length)
    // Per core, requests run back to back in FIFO order: at any start, at most one other request
    // assigned to that core is waiting, i.e. a core's requests never overlap.
    const byCore = new Map<number, Row[]>()
    for (const r of got.rows) byCore.set(r.core, [...(byCore.get(r.core) ?? []), r])
    for (const rows of byCore.values()) {
      rows.sort((a, b) => a.start - b.start)
      for (let i = 1; i < rows.length; i++) expect(rows[i].start).toBeGreaterThanOrEqual(rows[i - 1].end)
    }
  })
})
