/**
 * Orderings between the policies (fixed traces and seeds; every strict ordering, ≪ included, must
 * hold with a 5 % margin; the measured ratios are far larger for most, see docs/policies.md). Measurements on the same traces at other loads and presets, where
 * an ordering does not hold, are documented in docs/policies.md ("Orderings: what holds where").
 */
import {describe, expect, test} from 'vitest'

import {resolveCosts} from '../../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {darcBimodal, quantile, runRows, shinjukuBimodal} from './lib.js'

const CORES = 16
const N = 60_000
const MARGIN = 1.05

/** Per-type latency quantile (µs) over the measured part (trace index >= N/10). */
function typeQ(cols: TraceColumns, rows: {seq: number; latency: number}[], type: number, p: number): number {
  const from = cols.arrival.length / 10
  return quantile(rows.filter((r) => r.seq >= from && cols.type![r.seq] === type).map((r) => r.latency / 2400), p)
}

async function perType(cols: TraceColumns, policy: string, preset: string, p: number, type: number) {
  const {rows} = await runRows(cols, {policy, cores: CORES, costPreset: preset, costs: resolveCosts(preset)})
  return typeQ(cols, rows, type, p)
}

describe('99.5 % × 0.5 µs / 0.5 % × 500 µs: short-type p99, zero costs', () => {
  for (const load of [0.7, 0.8]) {
    test(`load ${load}: shinjuku ≪ zygos ≤ c-fcfs ≪ ix`, async () => {
      const cols = shinjukuBimodal(N, load, CORES, 1)
      const v: Record<string, number> = {}
      for (const p of ['shinjuku', 'zygos', 'c-fcfs', 'ix']) v[p] = await perType(cols, p, 'zero', 0.99, 0)
      const msg = JSON.stringify(v)
      expect(v.shinjuku * MARGIN, msg).toBeLessThan(v.zygos)
      expect(v.zygos * MARGIN, msg).toBeLessThan(v['c-fcfs'])
      expect(v['c-fcfs'] * MARGIN, msg).toBeLessThan(v.ix)
    }, 600_000)
  }
})

describe('DARC: short p99.9 darc < c-fcfs < d-fcfs, long p99.9 darc ≥ c-fcfs, load 0.7', () => {
  for (const [name, make] of [
    ['99.5/0.5', shinjukuBimodal],
    ['50/50', darcBimodal],
  ] as const) {
    for (const preset of ['zero', 'paper']) {
      test(`${name}, ${preset} costs`, async () => {
        const cols = make(N, 0.7, CORES, 1)
        const v: Record<string, number[]> = {}
        for (const p of ['darc:profile=5000', 'c-fcfs', 'd-fcfs']) {
          const {rows} = await runRows(cols, {policy: p, cores: CORES, costPreset: preset, costs: resolveCosts(preset)})
          v[p.split(':')[0]] = [typeQ(cols, rows, 0, 0.999), typeQ(cols, rows, 1, 0.999)]
        }
        const msg = JSON.stringify(v)
        expect(v.darc[0] * MARGIN, msg).toBeLessThan(v['c-fcfs'][0])
        expect(v['c-fcfs'][0] * MARGIN, msg).toBeLessThan(v['d-fcfs'][0])
        expect(v.darc[1], msg).toBeGreaterThan(v['c-fcfs'][1] * MARGIN)
      }, 600_000)
    }
  }
})

describe('max load at a slowdown SLO (p99.9 of latency / service ≤ 50), 99.5/0.5 bimodal, paper costs', () => {
  const n = 50_000
  const cols = shinjukuBimodal(n, 0.5, CORES, 1)
  async function slowdown(policy: string, load: number, costs: Record<string, number>): Promise<number> {
    const {rows} = await runRows(cols, {policy, cores: CORES, load, costPreset: 'paper', costs, allowOverload: true})
    return quantile(rows.filter((r) => r.seq >= n / 10).map((r) => r.latency / cols.service[r.seq]), 0.999)
  }
  const meets = async (policy: string, load: number, costs = resolveCosts('paper')) => (await slowdown(policy, load, costs)) <= 50
  /**
   * Bisection on [0.05, 0.99], 7 steps (resolution 0.0073): `met` is the largest load found
   * meeting the SLO, `failed` the smallest one above it that did not.
   */
  async function maxLoad(policy: string): Promise<{met: number; failed: number}> {
    let lo = 0.05
    let hi = 0.99
    expect(await meets(policy, lo), `${policy} meets the SLO at ${lo}`).toBe(true)
    for (let i = 0; i < 7; i++) {
      const mid = (lo + hi) / 2
      if (await meets(policy, mid)) lo = mid
      else hi = mid
    }
    expect(hi, `${policy} fails the SLO below 0.99`).toBeLessThan(0.99)
    return {met: lo, failed: hi}
  }

  // Each ordering against shinjuku's max load ρ (met ≤ ρ < failed) is checked with one run of the
  // other policy instead of a second bisection: meeting the SLO at failed × 1.05 puts its max load
  // above ρ × 1.05, failing at met / 1.05 puts it below ρ / 1.05 (the slowdown percentile rises
  // with the load on this fixed trace), which counts the bisection's resolution against the margin.
  test('concord > shinjuku > c-fcfs; a costlier preemption lowers shinjuku\'s; preempt=always never beats pending', async () => {
    const sh = await maxLoad('shinjuku')
    const msg = `shinjuku meets the SLO at ${sh.met.toFixed(4)}, fails at ${sh.failed.toFixed(4)}`
    expect(await meets('concord', sh.failed * MARGIN), `${msg}; concord must meet it at ${(sh.failed * MARGIN).toFixed(4)}`).toBe(true)
    expect(await meets('c-fcfs', sh.met / MARGIN), `${msg}; c-fcfs must fail it at ${(sh.met / MARGIN).toFixed(4)}`).toBe(false)
    // preempt_interrupt 0.1 µs (240 cycles) vs the paper's 1 µs. Its gain is close to the margin
    // (max loads 0.696 vs 0.660, docs/policies.md): like the two-search version of this test, the
    // check is against the lower end of shinjuku's bracket, ρ ≥ met.
    const cheap = resolveCosts('paper', {preempt_interrupt: 240})
    expect(await meets('shinjuku', sh.met * MARGIN, cheap), `${msg}; with preempt_interrupt 240 it must meet it at ${(sh.met * MARGIN).toFixed(4)}`).toBe(true)
    expect(await meets('shinjuku:preempt=pending', sh.met), `${msg}; preempt=pending must meet it there too`).toBe(true)
  }, 900_000)

  test('preempt=always never beats pending: short p99 and long p99 at loads 0.3 to 0.7', async () => {
    for (const load of [0.3, 0.5, 0.7]) {
      const a = await runRows(cols, {policy: 'shinjuku', cores: CORES, load, costPreset: 'paper', costs: resolveCosts('paper')})
      const p = await runRows(cols, {policy: 'shinjuku:preempt=pending', cores: CORES, load, costPreset: 'paper', costs: resolveCosts('paper')})
      for (const t of [0, 1]) {
        const qa = typeQ(cols, a.rows, t, 0.99)
        const qp = typeQ(cols, p.rows, t, 0.99)
        expect(qa, `load ${load} type ${t}: always ${qa} vs pending ${qp}`).toBeGreaterThanOrEqual(qp)
      }
    }
  }, 600_000)
})
