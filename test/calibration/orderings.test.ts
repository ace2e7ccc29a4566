/**
 * Orderings the ZygOS paper reports, on the `paper` cost preset: 16 cores, 2720 connections,
 * Poisson arrivals, max load at SLO by bisection (±0.005) over one fixed trace per workload
 * (every policy replays the same requests: common random numbers). Figures the model gives with
 * the committed costs are in docs/ix-linux-model.md.
 */
import {describe, expect, it} from 'vitest'

import {type ServiceDraw, expService, poissonColumns, run} from '../helpers.js'
import {maxLoadAtSlo} from '../../src/experiment/search.js'
import {resolveCosts} from '../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../src/trace/memory.js'

const CORES = 16
const GHZ = 2.4
const N = 60_000

const bimodal1 =
  (mean: number): ServiceDraw =>
  (rng) =>
    rng.float() < 0.9 ? Math.round(0.5 * mean) : Math.round(5.5 * mean)

function trace(meanUs: number, service: (mean: number) => ServiceDraw, seed: number): TraceColumns {
  const mean = meanUs * 1000 * GHZ
  // Generated at load 0.5; every run rescales the gaps to its own load.
  return poissonColumns({n: N, load: 0.5, cores: CORES, mean, service: service(mean), connections: 2720, seed})
}

/** Largest load (fraction of cores / S̄) at which p99 ≤ sloUs, ±0.005. */
async function maxLoad(cols: TraceColumns, policy: string, sloUs: number): Promise<number> {
  const costs = resolveCosts('paper')
  const r = await maxLoadAtSlo(
    async (load) => {
      const res = await run(cols, {policy, cores: CORES, load, costPreset: 'paper', costs})
      return {meets: res.latency.p99_us <= sloUs}
    },
    {lo: 0.02, hi: 0.98, tol: 0.005},
  )
  expect(r.status).toBe('ok')
  return r.maxLoad
}

const meanUs = (cols: TraceColumns) => cols.service.reduce((a, b) => a + b, 0) / cols.service.length / (1000 * GHZ)

describe('orderings on the paper preset (p99 SLO, 16 cores, 2720 connections)', () => {
  it('Linux-floating overtakes IX(B=1) at a larger task size: IX wins at 5 µs, Linux-floating at 25 µs', async () => {
    const small = trace(5, expService, 31)
    const large = trace(25, expService, 32)
    const ixSmall = await maxLoad(small, 'ix:batch=1', 10 * meanUs(small))
    const flSmall = await maxLoad(small, 'linux-floating', 10 * meanUs(small))
    const ixLarge = await maxLoad(large, 'ix:batch=1', 10 * meanUs(large))
    const flLarge = await maxLoad(large, 'linux-floating', 10 * meanUs(large))
    expect(ixSmall).toBeGreaterThan(flSmall + 0.05)
    expect(flLarge).toBeGreaterThan(ixLarge + 0.05)
  })

  it('Linux-partitioned is the worst of the three at 10 µs', async () => {
    const cols = trace(10, expService, 33)
    const slo = 10 * meanUs(cols)
    const pa = await maxLoad(cols, 'linux-partitioned', slo)
    expect(pa + 0.05).toBeLessThan(await maxLoad(cols, 'linux-floating', slo))
    expect(pa + 0.05).toBeLessThan(await maxLoad(cols, 'ix:batch=1', slo))
  })

  it('a larger batch helps IX only under a loose SLO (2 µs tasks: hurts at 10·S̄, helps at 250·S̄)', async () => {
    const cols = trace(2, expService, 34)
    const s = meanUs(cols)
    const tight1 = await maxLoad(cols, 'ix:batch=1', 10 * s)
    const tight64 = await maxLoad(cols, 'ix', 10 * s)
    const loose1 = await maxLoad(cols, 'ix:batch=1', 250 * s)
    const loose64 = await maxLoad(cols, 'ix', 250 * s)
    expect(tight64).toBeLessThan(tight1 - 0.02)
    expect(loose64).toBeGreaterThan(loose1 + 0.01)
  })

  it('at 10 µs ZygOS beats IX(B=1) and Linux-floating, for exponential and bimodal-1 service', async () => {
    for (const [dist, seed] of [[expService, 35], [bimodal1, 36]] as const) {
      const cols = trace(10, dist, seed)
      const slo = 10 * meanUs(cols)
      const z = await maxLoad(cols, 'zygos', slo)
      expect(z).toBeGreaterThan((await maxLoad(cols, 'ix:batch=1', slo)) + 0.02)
      expect(z).toBeGreaterThan((await maxLoad(cols, 'linux-floating', slo)) + 0.02)
    }
  })
})
