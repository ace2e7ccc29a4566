/**
 * The max-load search with a slowdown SLO where the answer is known: M/D/1 (one core, fixed
 * service D, Poisson arrivals, zero overhead). Slowdown = (W + D) / D, so "slowdown p99 <= s" holds
 * while P(W <= (s − 1)·D) >= 0.99, and the waiting time of M/D/1 has a closed form (Erlang):
 *   P(W <= t) = (1 − ρ) Σ_{k=0}^{⌊t/D⌋} (λ(kD − t))^k / k! · e^{−λ(kD − t)},  λD = ρ.
 * The load at which that equals 0.99 is the true max load; the search on a finite trace must land
 * within its resolution plus the sampling error of a p99 (checked with a margin).
 * A per-type target on a one-type split of the same trace gives the same answer.
 */
import {describe, expect, test} from 'vitest'

import {meetsSlo} from '../../src/experiment/cell.js'
import {maxLoadAtSlo} from '../../src/experiment/search.js'
import {parseSlo, resolveSlo} from '../../src/experiment/slo.js'
import {fixedService, poissonColumns, run} from '../helpers.js'

/** P(W <= x·D) for M/D/1 at load ρ. */
function mdoneWaitCdf(rho: number, x: number): number {
  let s = 0
  for (let k = 0; k <= Math.floor(x); k++) {
    const a = rho * (k - x)
    let term = Math.exp(-a)
    for (let j = 1; j <= k; j++) term *= a / j
    s += term
  }
  return (1 - rho) * s
}

/** The load at which P(W <= x·D) = q (the CDF falls as the load rises). */
function trueMaxLoad(x: number, q: number): number {
  let lo = 0.01
  let hi = 0.99
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2
    if (mdoneWaitCdf(mid, x) >= q) lo = mid
    else hi = mid
  }
  return lo
}

describe('max load at a slowdown SLO on M/D/1', () => {
  test('the closed form: P(W = 0) = 1 − ρ; light load waits little', () => {
    expect(mdoneWaitCdf(0.5, 0)).toBeCloseTo(0.5, 12)
    expect(mdoneWaitCdf(0.1, 4)).toBeGreaterThan(0.9999)
    // Mean wait from the CDF (numerical integral) = ρD / (2(1 − ρ)) (Pollaczek–Khinchine, fixed service).
    const rho = 0.6
    let mean = 0
    const h = 0.001
    for (let x = 0; x < 20; x += h) mean += (1 - mdoneWaitCdf(rho, x + h / 2)) * h
    expect(mean).toBeCloseTo(rho / (2 * (1 - rho)), 2)
  })

  test('slowdown:p99:5 — the search lands on the closed-form load', async () => {
    const D = 2400
    const cols = poissonColumns({n: 100_000, load: 0.5, cores: 1, mean: D, service: fixedService(D), seed: 11})
    const want = trueMaxLoad(4, 0.99)
    const slo = resolveSlo(parseSlo('slowdown:p99:5'), 1)
    const search = await maxLoadAtSlo(async (load) => ({meets: meetsSlo(await run(cols, {policy: 'mgn-fcfs', cores: 1, load}), slo)}), {tol: 0.005})
    expect(search.status).toBe('ok')
    // Resolution 0.005 plus the sampling error of a p99 over 90 000 correlated waits.
    console.log(`M/D/1 slowdown p99 <= 5: found ${search.maxLoad}, closed form ${want.toFixed(4)}`)
    expect(Math.abs(search.maxLoad - want), `found ${search.maxLoad}, closed form ${want}`).toBeLessThan(0.02)

    // The same bound on the only type of a typed copy of the trace gives the same answer.
    const typed = {...cols, type: new Uint16Array(cols.arrival.length), typeNames: ['only']}
    const perType = resolveSlo(parseSlo('type=only:slowdown:p99:5'), 1, ['only'])
    const typedMeets = async (load: number) => meetsSlo(await run(typed, {policy: 'mgn-fcfs', cores: 1, load}), perType)
    expect(await typedMeets(search.maxLoad)).toBe(true)
    const failed = search.trace.filter((e) => !e.meets && e.load > search.maxLoad).map((e) => e.load)
    expect(await typedMeets(Math.min(...failed))).toBe(false)
    // And a bound it cannot meet (slowdown p99 <= 1 needs no request to wait at all) is unmet.
    const never = resolveSlo(parseSlo('slowdown:p99:1'), 1)
    const none = await maxLoadAtSlo(async (load) => ({meets: meetsSlo(await run(cols, {policy: 'mgn-fcfs', cores: 1, load}), never)}), {tol: 0.05})
    expect(none.status).toBe('unmet')
  }, 120_000)
})
