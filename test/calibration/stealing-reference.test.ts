/**
 * `zygos` with zero costs against a second, independent implementation of ideal
 * connection-level work stealing (not only against M/G/n, which ignores connections).
 *
 * The reference (below, ~50 lines, sharing no code with the simulator): n cores; each connection
 * keeps its requests in arrival order and has at most one in service (ZygOS's per-connection
 * ordering); a connection is *ready* when it has a waiting request and none in service. Whenever
 * a core is idle and some connection is ready, the core serves the head request of the ready
 * connection whose head arrived first. No costs, no home cores, no IPIs: the ideal that ZygOS's
 * shuffle layer and stealing approximate.
 *
 * With many connections (2720) the two agree within sampling error. With few (24 on 16 cores)
 * the connection constraint binds, M/G/n (which would serve two requests of one connection at
 * once) is far off, and zygos lies measurably above the ideal: a stolen connection is released
 * only by its home core (see src/sim/policies/zygos.ts), which the ideal does not model.
 */
import {describe, expect, it} from 'vitest'

import {resolveCosts} from '../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../src/trace/memory.js'
import {expService, poissonColumns, run} from '../helpers.js'

/** Latencies (cycles) of the ideal connection-level stealing model, in arrival order. */
function idealStealing(c: TraceColumns, cores: number): Float64Array {
  const n = c.arrival.length
  const lat = new Float64Array(n)
  const pending = new Map<number, number[]>() // connection → waiting request indices (FIFO)
  const busyConn = new Set<number>()
  // Ready connections (waiting request, none in service), ordered by their head's arrival.
  const ready: number[] = []
  const makeReady = (conn: number) => {
    const head = c.arrival[pending.get(conn)![0]]
    let lo = 0
    let hi = ready.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (c.arrival[pending.get(ready[mid])![0]] <= head) lo = mid + 1
      else hi = mid
    }
    ready.splice(lo, 0, conn)
  }
  let idle = cores
  const running: {end: number; req: number}[] = [] // at most `cores` entries
  let next = 0
  let now = 0
  const dispatch = () => {
    while (idle > 0 && ready.length > 0) {
      const conn = ready.shift()!
      const req = pending.get(conn)!.shift()!
      const end = now + c.service[req]
      lat[req] = end - c.arrival[req]
      busyConn.add(conn)
      running.push({end, req})
      idle--
    }
  }
  while (next < n || running.length > 0) {
    // Next event: the earliest completion, or the next arrival (completions first at a tie).
    let ri = -1
    for (let i = 0; i < running.length; i++) if (ri < 0 || running[i].end < running[ri].end) ri = i
    const tEnd = ri >= 0 ? running[ri].end : Infinity
    const tArr = next < n ? c.arrival[next] : Infinity
    if (tEnd <= tArr) {
      now = tEnd
      const conn = c.conn[running[ri].req]
      running.splice(ri, 1)
      idle++
      busyConn.delete(conn)
      if (pending.get(conn)!.length > 0) makeReady(conn)
    } else {
      now = tArr
      const conn = c.conn[next]
      let q = pending.get(conn)
      if (q === undefined) pending.set(conn, (q = []))
      q.push(next++)
      if (q.length === 1 && !busyConn.has(conn)) makeReady(conn)
    }
    dispatch()
  }
  return lat
}

function stats(lat: Float64Array, from: number, ghz: number) {
  const xs = Array.from(lat.subarray(from)).sort((a, b) => a - b)
  const us = (x: number) => x / (ghz * 1000)
  return {mean: us(xs.reduce((a, b) => a + b, 0) / xs.length), p99: us(xs[Math.ceil(0.99 * xs.length) - 1])}
}

describe('zygos (zero costs) against an independent ideal connection-level stealing model', () => {
  const cores = 16
  const mean = 24_000
  const zero = resolveCosts('zero')

  async function compare(connections: number, load: number) {
    const c = poissonColumns({n: 60_000, load, cores, mean, service: expService(mean), connections, seed: 31})
    // Measured after the same warm-up as the simulator (arrivals in the first 10% of the span).
    const first = c.arrival[0]
    const cut = first + 0.1 * (c.arrival[c.arrival.length - 1] - first)
    let from = 0
    while (c.arrival[from] < cut) from++
    const ref = stats(idealStealing(c, cores), from, 2.4)
    const z = await run(c, {policy: 'zygos', cores, costs: zero})
    const m = await run(c, {policy: 'mgn-fcfs', cores, costs: zero})
    return {ref, z: z.latency, m: m.latency}
  }

  it('2720 connections, load 0.7: zygos matches the ideal within sampling error (mean 2%, p99 5%)', async () => {
    const {ref, z} = await compare(2720, 0.7)
    expect(Math.abs(z.mean_us / ref.mean - 1)).toBeLessThan(0.02)
    expect(Math.abs(z.p99_us / ref.p99 - 1)).toBeLessThan(0.05)
  }, 120_000)

  for (const load of [0.5, 0.7]) {
    it(`24 connections, load ${load}: the ideal bounds zygos from below; the gap is the release by the home core`, async () => {
      // Here the connection constraint binds (M/G/n is far faster than both). zygos returns a
      // stolen connection only when its home core runs the release (next kernel entry or IPI),
      // so a connection with a second request waits for its home core: measured +8% (0.5) and
      // +15% (0.7) mean, +22% / +29% p99 over the ideal (seed 31). The test pins the order and a
      // bound on the gap, not an equality.
      const {ref, z, m} = await compare(24, load)
      expect(m.mean_us).toBeLessThan(ref.mean * 0.8)
      expect(z.mean_us).toBeGreaterThanOrEqual(ref.mean * 0.99)
      expect(z.mean_us).toBeLessThan(ref.mean * 1.25)
      expect(z.p99_us).toBeGreaterThanOrEqual(ref.p99 * 0.98)
      expect(z.p99_us).toBeLessThan(ref.p99 * 1.45)
    }, 120_000)
  }
})
