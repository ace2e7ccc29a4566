/**
 * Calibration that predicts: fit the ZygOS overhead on one of the paper's two points and check
 * the other, held-out, point (the paper: ZygOS reaches 75% of the M/M/16 max load at S̄ = 10 µs and
 * 88% at 25 µs; 16 cores, exponential service, 2720 connections, SLO p99 ≤ 10·S̄).
 *
 * The fitted knob is one cost: `shuffle_packet`, the per-packet home-core cost of ZygOS's shuffle
 * layer (the ZygOS-only part of the `paper` preset; every other cost stays at the preset). The fit
 * finds the value at which zygos / mgn-fcfs max load equals the target at the fitting point, by
 * regula falsi (Illinois variant) on [1000, 3000] cycles (efficiency falls monotonically with the
 * cost; the test checks that the target lies inside the bracket), to ±0.005 of efficiency. The prediction is zygos / mgn-fcfs at the other point with the fitted value, which
 * must be within ±3 points of the paper. Both directions are run (fit 10 µs → predict 25 µs, and
 * the reverse). Numbers measured by this test are in the README ("Calibration").
 *
 * Each max load is found to ±0.005 on the whole 120k-request trace; the final bisection starts
 * from a narrow bracket (./search.ts) around a coarse search on the first 30k requests, or around
 * the expected value when there is one: a regula falsi step aims at target × reference, the
 * prediction at the paper's figure (a wrong guess only costs a search over the full range).
 */
import {describe, expect, it} from 'vitest'

import {resolveCosts} from '../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../src/trace/memory.js'
import {expService, poissonColumns, run} from '../helpers.js'
import {narrowedMaxLoad} from './search.js'

const CORES = 16
const GHZ = 2.4
const N = 120_000
const TARGET = {10: 0.75, 25: 0.88} as const

function trace(meanUs: number): TraceColumns {
  const mean = meanUs * 1000 * GHZ
  return poissonColumns({n: N, load: 0.5, cores: CORES, mean, service: expService(mean), connections: 2720, seed: 41})
}

const meanUs = (c: TraceColumns) => c.service.reduce((a, b) => a + b, 0) / c.service.length / (1000 * GHZ)

/** Max load at p99 ≤ 10·S̄ (S̄ of the whole trace), ±0.005 (./search.ts); `guess`: where to look first. */
async function maxLoad(c: TraceColumns, policy: string, shuffle?: number, guess?: number): Promise<number> {
  const slo = 10 * meanUs(c)
  const costs = resolveCosts('paper', shuffle === undefined ? {} : {shuffle_packet: Math.round(shuffle)})
  const meets = async (cols: TraceColumns, load: number) => {
    const x = await run(cols, {policy, cores: CORES, load, costPreset: 'paper', costs})
    return x.latency.p99_us <= slo && !x.warnings.some((w) => w.code === 'saturated')
  }
  const r = await narrowedMaxLoad(meets, c, {lo: 0.3, hi: 0.99, coarseRows: N / 4, guess})
  expect(r.status).toBe('ok')
  return r.maxLoad
}

/** Regula falsi for the shuffle_packet value giving `target` efficiency on trace `c`. */
export async function fitShuffle(c: TraceColumns, ref: number, target: number): Promise<{cycles: number; efficiency: number; evals: number}> {
  const eff = async (x: number, guess?: number) => (await maxLoad(c, 'zygos', x, guess)) / ref
  let a = 1000
  let b = 3000
  let fa = (await eff(a)) - target
  let fb = (await eff(b)) - target
  expect(fa).toBeGreaterThan(0) // the target lies inside the bracket
  expect(fb).toBeLessThan(0)
  let evals = 2
  let x = a
  let fx = fa
  let side = 0
  for (let i = 0; i < 6 && Math.abs(fx) > 0.005; i++) {
    x = a - (fa * (b - a)) / (fb - fa)
    fx = (await eff(x, target * ref)) - target
    evals++
    // Illinois: when the same end is kept twice, halve its value, so that the other end moves too.
    if (fx > 0) {
      if (side === 1) fb /= 2
      a = x
      fa = fx
      side = 1
    } else {
      if (side === -1) fa /= 2
      b = x
      fb = fx
      side = -1
    }
  }
  return {cycles: Math.round(x), efficiency: fx + target, evals}
}

/** mgn-fcfs max load per trace, computed once for both directions. */
const references = new Map<number, Promise<number>>()
function reference(meanUs: number, c: TraceColumns): Promise<number> {
  let r = references.get(meanUs)
  if (r === undefined) references.set(meanUs, (r = maxLoad(c, 'mgn-fcfs')))
  return r
}

describe('held-out calibration: fit on one point, predict the other', () => {
  for (const [fit, held] of [
    [10, 25],
    [25, 10],
  ] as const) {
    it(`fit at ${fit} µs, predict ${held} µs within ±3 points of the paper`, async () => {
      const cf = trace(fit)
      const ch = trace(held)
      const refF = await reference(fit, cf)
      const refH = await reference(held, ch)
      const f = await fitShuffle(cf, refF, TARGET[fit])
      const predicted = (await maxLoad(ch, 'zygos', f.cycles, TARGET[held] * refH)) / refH
      console.log(
        `fit at ${fit} µs: shuffle_packet = ${f.cycles} cycles (efficiency ${(f.efficiency * 100).toFixed(1)}%, ${f.evals} searches); ` +
          `predicted at ${held} µs: ${(predicted * 100).toFixed(1)}% (paper ${TARGET[held] * 100}%)`,
      )
      expect(Math.abs(predicted - TARGET[held])).toBeLessThanOrEqual(0.03)
    }, 1_800_000)
  }
})
