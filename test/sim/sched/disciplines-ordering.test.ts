/**
 * Ordering of the dispatch disciplines on the same trace (16 cores, exponential 1 µs service,
 * Poisson arrivals, 2720 connections), p99 latency, with 5 % slack:
 *
 *   jbsq:k=1 ≤ jsq ≤ {jsq:d=2, rr} < random
 *
 * and zero-cost stealing (`zygos` with the zero preset) ≈ jbsq:k=1 (within 5 %) at loads 0.5 and
 * 0.8. At 0.9 zygos is 10–20 % above (measured 6.55 vs 5.62 µs, 5.53 vs 5.16, 6.37 vs 5.48 µs on three
 * seeds): ZygOS steals whole connections and keeps each connection's requests in order, which
 * M/G/n does not, so it is not asserted there.
 */
import {describe, expect, test} from 'vitest'

import {expService, poissonColumns, run} from '../../helpers.js'
import {US} from './lib.js'

const SLACK = 1.05

async function p99(cols: Parameters<typeof run>[0], policy: string): Promise<number> {
  const r = await run(cols, {policy, cores: 16})
  return r.latency.p99_us
}

describe('p99: jbsq:k=1 ≤ jsq ≤ {jsq:d=2, rr} < random (exponential 1 µs, 16 cores)', () => {
  for (const load of [0.5, 0.8, 0.9]) {
    test(`load ${load}`, async () => {
      const cols = poissonColumns({n: 60_000, load, cores: 16, mean: US, service: expService(US), seed: 51})
      const p: Record<string, number> = {}
      for (const a of ['jbsq:k=1', 'jsq', 'jsq:d=2', 'rr', 'random']) p[a] = await p99(cols, `n-mg1-fcfs:assignment=${a}`)
      const msg = JSON.stringify(p)
      expect(p['jbsq:k=1'], msg).toBeLessThanOrEqual(p.jsq * SLACK)
      expect(p.jsq, msg).toBeLessThanOrEqual(p['jsq:d=2'] * SLACK)
      expect(p.jsq, msg).toBeLessThanOrEqual(p.rr * SLACK)
      expect(p['jsq:d=2'] * SLACK, msg).toBeLessThan(p.random)
      expect(p.rr * SLACK, msg).toBeLessThan(p.random)
    })
  }
})

describe('zero-cost stealing ≈ jbsq:k=1 (p99 within 5 %)', () => {
  for (const load of [0.5, 0.8]) {
    test(`load ${load}`, async () => {
      const cols = poissonColumns({n: 60_000, load, cores: 16, mean: US, service: expService(US), seed: 52})
      const z = await p99(cols, 'zygos')
      const j = await p99(cols, 'n-mg1-fcfs:assignment=jbsq:k=1')
      expect(Math.abs(z / j - 1), `zygos ${z} vs jbsq:k=1 ${j}`).toBeLessThan(SLACK - 1)
    })
  }
})
