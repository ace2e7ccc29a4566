/**
 * Orderings of the core-allocating designs on fixed traces and seeds (≥ 5 % slack), `paper` costs:
 *  - steal cost (rq_probe and rq_steal together, 0 → 120 ns → 500 ns; the last step of the
 *    efficiency strictly, the others by 5 %), exponential 1 µs service:
 *    with every worker granted, p99 rises; under the dynamic allocation, CPU efficiency (busy /
 *    granted worker time) falls, since searching and stealing is granted time that serves nothing;
 *  - on a bursty trace, a static full allocation has a p99 no worse than Shenango's 5 µs grants,
 *    which use fewer cores.
 * The measured values are in docs/policies.md.
 */
import {describe, expect, test} from 'vitest'

import {Rng} from '../../../src/rng.js'
import {resolveCosts} from '../../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {expService, poissonColumns, run} from '../../helpers.js'
import {US} from './lib.js'

const W = 8

describe('steal cost', () => {
  const cols = poissonColumns({n: 20000, load: 0.7, cores: W + 1, mean: 1 * US, service: expService(1 * US), seed: 5})
  const at = (policy: string, ns: number) => {
    const c = Math.round((ns * US) / 1000)
    return run(cols, {policy, cores: W + 1, costs: resolveCosts('paper', {rq_probe: c, rq_steal: c}), seed: 1})
  }

  test('all workers granted: p99 rises with the steal cost', async () => {
    const p99 = []
    for (const ns of [0, 120, 500]) p99.push((await at('shenango:alloc=static', ns)).latency.p99_us)
    expect(p99[1], `p99 ${p99}`).toBeGreaterThan(1.05 * p99[0])
    expect(p99[2], `p99 ${p99}`).toBeGreaterThan(1.05 * p99[1])
  })

  test('dynamic allocation: CPU efficiency falls with the steal cost', async () => {
    for (const policy of ['shenango', 'caladan']) {
      const eff = []
      for (const ns of [0, 120, 500]) eff.push((await at(policy, ns)).metrics.cpu_efficiency)
      expect(eff[1], `${policy}: efficiency ${eff}`).toBeLessThan(0.95 * eff[0])
      expect(eff[2], `${policy}: efficiency ${eff}`).toBeLessThan(eff[1])
      expect(eff[2], `${policy}: efficiency ${eff}`).toBeLessThan(0.9 * eff[0])
    }
  })
})

/** Poisson arrivals whose rate alternates: `on` µs at load 0.9, `off` µs at load 0.1 (of W workers). */
function bursty(n: number, mean: number, on: number, off: number, seed: number): TraceColumns {
  const rng = new Rng(seed)
  const arrival = new Float64Array(n)
  const conn = new Uint32Array(n)
  const service = new Float64Array(n)
  const draw = expService(mean * US)
  let t = 0
  for (let i = 0; i < n; i++) {
    const rate = ((t % ((on + off) * US) < on * US ? 0.9 : 0.1) * W) / (mean * US)
    t += -Math.log(1 - rng.float()) / rate
    arrival[i] = Math.round(t)
    conn[i] = rng.int(2720)
    service[i] = draw(rng)
  }
  return {arrival, conn, service}
}

describe('static full allocation against 5 µs grants on a bursty trace', () => {
  test('p99 static ≤ dynamic, cores_used dynamic < static', async () => {
    for (const [mean, on, off] of [[10, 200, 800], [2, 50, 200]]) {
      const cols = bursty(12000, mean, on, off, 3)
      const costs = resolveCosts('paper')
      const fixed = await run(cols, {policy: 'shenango:alloc=static', cores: W + 1, costs, seed: 1})
      const dyn = await run(cols, {policy: 'shenango', cores: W + 1, costs, seed: 1})
      const what = `${mean} µs, ${on}/${off}: p99 ${fixed.latency.p99_us} vs ${dyn.latency.p99_us}, cores ${fixed.metrics.cores_used} vs ${dyn.metrics.cores_used}`
      expect(fixed.latency.p99_us * 1.05, what).toBeLessThanOrEqual(dyn.latency.p99_us)
      expect(fixed.metrics.cores_used, what).toBe(W)
      expect(dyn.metrics.cores_used * 1.05, what).toBeLessThan(fixed.metrics.cores_used)
    }
  })
})
