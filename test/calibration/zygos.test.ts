/**
 * Calibration of the `paper` preset against the ZygOS paper's headline (abstract; docs/model.md §7):
 * 16 cores, exponential service, 2720 connections, SLO p99 ≤ 10·S̄. ZygOS's max load is 75% of
 * the M/M/16-FCFS (`mgn-fcfs`) max load at S̄ = 10 µs and 88% at 25 µs, each ±3 points; IPIs
 * help (`zygos` > `zygos-nointr`); the share of stolen events rises with load.
 *
 * Max load: bisection on the offered load (src/experiment/search.ts) over one fixed trace per task
 * size, every load replaying the same requests (common random numbers), coarse to fine: a first
 * search on the first 60k requests (±0.02), then ±0.005 on 250k requests from a 0.078-wide
 * bracket around it (./search.ts; the full range if the crossing is outside).
 * The fitted constants and the resulting table are in docs/zygos-model.md.
 */
import {describe, expect, it} from 'vitest'

import {resolveCosts} from '../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../src/trace/memory.js'
import {expService, poissonColumns, run} from '../helpers.js'
import {head, narrowedMaxLoad} from './search.js'

const CORES = 16
const GHZ = 2.4
const N = 250_000
const COARSE_N = 60_000
const costs = resolveCosts('paper')

function trace(meanUs: number): TraceColumns {
  const mean = meanUs * 1000 * GHZ
  // Generated at load 0.5; each run rescales every gap to its own load. Same seed for both task
  // sizes: the 25 µs trace is the 10 µs one stretched.
  return poissonColumns({n: N, load: 0.5, cores: CORES, mean, service: expService(mean), connections: 2720, seed: 41})
}

const meanUs = (c: TraceColumns) => c.service.reduce((a, b) => a + b, 0) / c.service.length / (1000 * GHZ)

async function meets(c: TraceColumns, policy: string, load: number): Promise<boolean> {
  const r = await run(c, {policy, cores: CORES, load, costPreset: 'paper', costs})
  return r.latency.p99_us <= 10 * meanUs(c)
}

/** Max load at p99 ≤ 10·S̄, ±0.005 on the whole trace (./search.ts: coarse search on its first 60k requests, then 4 runs). */
async function maxLoad(c: TraceColumns, policy: string): Promise<number> {
  const r = await narrowedMaxLoad((cols, load) => meets(cols, policy, load), c, {lo: 0.3, hi: 0.995, coarseRows: COARSE_N})
  expect(r.status).toBe('ok')
  return r.maxLoad
}

describe('paper preset: ZygOS efficiency vs M/M/16 FCFS (p99 ≤ 10·S̄, exponential, 2720 connections)', () => {
  it('10 µs: 75% ± 3 points, and IPIs raise the max load (zygos > zygos-nointr)', async () => {
    const c = trace(10)
    const ideal = await maxLoad(c, 'mgn-fcfs')
    const zygos = await maxLoad(c, 'zygos')
    const eff = zygos / ideal
    const seen = `10 us: mgn-fcfs ${ideal.toFixed(3)}, zygos ${zygos.toFixed(3)} (${(100 * eff).toFixed(1)}%)`
    console.log(seen)
    expect(eff, seen).toBeGreaterThanOrEqual(0.72)
    expect(eff, seen).toBeLessThanOrEqual(0.78)
    // zygos meets the SLO at `zygos`; zygos-nointr failing there puts its max load below (the SLO
    // is monotone in the load on this fixed trace): one run instead of a second search.
    expect(await meets(c, 'zygos-nointr', zygos), `${seen}; zygos-nointr must fail the SLO at ${zygos}`).toBe(false)
  })

  it('25 µs: 88% ± 3 points', async () => {
    const c = trace(25)
    const ideal = await maxLoad(c, 'mgn-fcfs')
    const zygos = await maxLoad(c, 'zygos')
    const eff = zygos / ideal
    const seen = `25 us: mgn-fcfs ${ideal.toFixed(3)}, zygos ${zygos.toFixed(3)} (${(100 * eff).toFixed(1)}%)`
    console.log(seen)
    expect(eff, seen).toBeGreaterThanOrEqual(0.85)
    expect(eff, seen).toBeLessThanOrEqual(0.91)
  })

  it('the share of stolen events rises with load (10 µs)', async () => {
    const c = head(trace(10), 100_000)
    const shares: number[] = []
    for (const load of [0.1, 0.3, 0.5]) {
      const r = await run(c, {policy: 'zygos', cores: CORES, load, costPreset: 'paper', costs})
      shares.push(r.metrics.stolen_pct)
    }
    const seen = `stolen % at loads 0.1/0.3/0.5: ${shares.map((s) => s.toFixed(1)).join(' / ')}`
    expect(shares[1], seen).toBeGreaterThan(shares[0] + 5)
    expect(shares[2], seen).toBeGreaterThan(shares[1] + 5)
  })
})
