/**
 * Closed forms for two dispatch disciplines with exponential service (mean 10 µs), against the
 * recursion of `n-mg1-fcfs`:
 *
 *  - Round robin (`assignment=rr`) on n queues: a Poisson stream dealt round robin gives each
 *    queue Erlang-n interarrival times, so each queue is an E_n/M/1 queue. With per-queue load ρ
 *    (μ = 1), σ ∈ (0, 1) solves σ = A*(1 − σ), A*(s) = (nρ / (nρ + s))^n the Laplace–Stieltjes
 *    transform of the Erlang-n interarrival time; the sojourn time is then exponential with rate
 *    1 − σ: mean 1/(1 − σ), p99 ln(100)/(1 − σ) service times.
 *  - Power of two choices (`assignment=jsq:d=2`), the supermarket model: as n → ∞ the mean
 *    sojourn is Σ_{i≥1} ρ^{2^i − 2} service times (Mitzenmacher). Tested at n = 256, where the
 *    finite-n excess measured below 1 %.
 *
 * Tolerances: the spread of each estimate was measured over 8 seeds at the request counts used
 * here (relative standard deviation of the mean / p99 for rr: 0.5 %/1.1 % at ρ = 0.5 with 200 000
 * requests, 1.2 %/2 % at 0.8 with 500 000, 1.9 %/3.7 % at 0.9 with 1 M, scaled by 1/√1.5 for the
 * 1.5 M used; for power of two: 0.2 %, 0.5 % and 0.8 % at 0.5, 0.8 and 0.9). Each tolerance is
 * about 4 standard deviations (plus 1 % of finite-n bias for the supermarket model). The queues of
 * a round-robin system are strongly correlated (they share the bursts of one Poisson stream),
 * which is why so many requests are needed at ρ = 0.9. The bounds reject the neighbouring
 * models: at ρ = 0.9, M/M/1 (random assignment) has a mean 82 % above E_16/M/1, and power of 3
 * choices a mean 22 % below power of 2. (D/M/1, deterministic arrivals, is only 5.5 % below
 * E_16/M/1 at 0.9: within the tolerance there.)
 */
import {describe, expect, test} from 'vitest'

import {expService, poissonColumns, run} from '../../helpers.js'

const MEAN = 24_000 // cycles: 10 µs at 2.4 GHz
const MEAN_US = 10

/** σ of the E_n/M/1 queue at load ρ (μ = 1): fixed point of σ = (nρ / (nρ + 1 − σ))^n. */
export function erlangArrivalSigma(n: number, rho: number): number {
  // The map is increasing and convex on [0, 1) with a fixed point below 1 when ρ < 1: iterating
  // from 0 climbs monotonically to the smallest one.
  let s = 0
  for (let i = 0; i < 100_000; i++) {
    const next = Math.pow((n * rho) / (n * rho + 1 - s), n)
    if (Math.abs(next - s) < 1e-15) return next
    s = next
  }
  throw new Error('no convergence')
}

/** Mean sojourn of the supermarket model (power of d, n → ∞), in service times. */
export function supermarketMean(rho: number, d: number): number {
  let t = 0
  for (let i = 1; i < 64; i++) {
    const term = Math.pow(rho, (d ** i - d) / (d - 1))
    t += term
    if (term < 1e-16) break
  }
  return t
}

describe('the closed forms themselves', () => {
  test('E_1/M/1 is M/M/1 (σ = ρ); E_n/M/1 tends to D/M/1 (σ = exp(−(1 − σ)/ρ))', () => {
    for (const rho of [0.3, 0.5, 0.9]) expect(erlangArrivalSigma(1, rho)).toBeCloseTo(rho, 10)
    const s = erlangArrivalSigma(100_000, 0.9)
    expect(s).toBeCloseTo(Math.exp(-(1 - s) / 0.9), 4)
  })
  test('supermarket, d = 2: the series written out term by term', () => {
    for (const rho of [0.5, 0.9]) {
      let t = 0
      for (const e of [0, 2, 6, 14, 30, 62, 126, 254, 510]) t += rho ** e
      expect(supermarketMean(rho, 2)).toBeCloseTo(t, 12)
    }
    expect(supermarketMean(0.9, 2)).toBeCloseTo(2.6141, 4)
  })
})

describe('rr on 16 queues ≡ E_16/M/1 per queue (mean and p99)', () => {
  const cases = [
    {rho: 0.5, n: 200_000, tolMean: 0.025, tolP99: 0.05},
    {rho: 0.8, n: 500_000, tolMean: 0.05, tolP99: 0.08},
    {rho: 0.9, n: 1_500_000, tolMean: 0.065, tolP99: 0.12},
  ]
  for (const c of cases) {
    test(`ρ = ${c.rho}, ${c.n} requests`, async () => {
      const cols = poissonColumns({n: c.n, load: c.rho, cores: 16, mean: MEAN, service: expService(MEAN), seed: 41})
      const r = await run(cols, {policy: 'n-mg1-fcfs:assignment=rr', cores: 16})
      const rate = 1 - erlangArrivalSigma(16, c.rho)
      const mean = MEAN_US / rate
      const p99 = (MEAN_US * Math.log(100)) / rate
      expect(Math.abs(r.latency.mean_us / mean - 1), `mean ${r.latency.mean_us} vs ${mean}`).toBeLessThan(c.tolMean)
      expect(Math.abs(r.latency.p99_us / p99 - 1), `p99 ${r.latency.p99_us} vs ${p99}`).toBeLessThan(c.tolP99)
    })
  }
})

describe('jsq:d=2 on 256 queues ≈ the supermarket fixed point (mean sojourn)', () => {
  const cases = [
    {rho: 0.5, n: 256_000, tol: 0.015},
    {rho: 0.8, n: 256_000, tol: 0.03},
    {rho: 0.9, n: 512_000, tol: 0.04},
  ]
  for (const c of cases) {
    test(`ρ = ${c.rho}, ${c.n} requests`, async () => {
      const cols = poissonColumns({n: c.n, load: c.rho, cores: 256, mean: MEAN, service: expService(MEAN), seed: 42})
      const r = await run(cols, {policy: 'n-mg1-fcfs:assignment=jsq:d=2', cores: 256})
      const mean = MEAN_US * supermarketMean(c.rho, 2)
      expect(Math.abs(r.latency.mean_us / mean - 1), `mean ${r.latency.mean_us} vs ${mean}`).toBeLessThan(c.tol)
    })
  }
})
