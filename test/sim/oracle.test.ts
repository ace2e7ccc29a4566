/**
 * Oracle tests: the zero-overhead models against closed-form queueing theory (docs/model.md §7).
 *
 * Tolerance reasoning. A simulated p99 or mean is a random estimate whose spread depends on the
 * load (autocorrelation grows like 1/(1−ρ)²), so one fixed percentage would be either loose at
 * ρ = 0.5 or flaky at ρ = 0.9. Every check therefore uses a 95% batch-means interval computed from
 * the same run (for p99: RunResult.latency.p99_ci_*; for means: `BatchMeans` below, 20 batches):
 *   |estimate − theory| ≤ 2·(CI half-width) + 0.5%·theory
 * 2 half-widths ≈ 4.5 standard errors (the half-width is t₀.₉₇₅(9)·σ̂ ≈ 2.26σ̂ for 10 batches;
 * measured over 20 independent seeds, the spread of the full-run p99 matched σ̂ within 10%), so a
 * correct simulator fails with probability ~1e-5; the 0.5% covers the HDR histogram's ≤ 0.1%
 * quantisation and whole-cycle rounding. So that a wide interval cannot hide an error, each test
 * also asserts the half-width is small (a per-case cap, ≤ 8% of theory). Request counts were
 * chosen so these half-widths are 0.5–5%: 0.5 M at ρ = 0.5, 1 M at 0.8, 2–4 M at 0.9.
 *
 * Seeds are well-mixed 32-bit values (small consecutive seeds give correlated first draws in
 * xoroshiro128+).
 */
import {describe, expect, test} from 'vitest'

import type {RecordSink, RequestRecordBatch} from '../../src/stats/recorder.js'
import {meanCi} from '../../src/stats/histogram.js'
import type {TraceColumns} from '../../src/trace/memory.js'
import {expService, fixedService, poissonColumns, run} from '../helpers.js'
import {erlangC, mm1SojournQuantile, mmcMeanSojourn, mmcSojournQuantile, pkMeanWait, ps1MeanSojourn} from './theory.js'

const S = 24_000 // mean service, cycles (10 us at 2.4 GHz)
const CYCLES_PER_US = 2400
const WARMUP = 0.1

/** |got − want| within 2 CI half-widths + 0.5%, and the half-width itself below `cap`·want. */
function expectWithin(got: number, want: number, half: number, cap: number, what: string): void {
  expect(Number.isFinite(half), `${what}: CI half-width ${half}`).toBe(true)
  expect(half / want, `${what}: CI half-width ${((half / want) * 100).toFixed(2)}% of theory, cap ${cap * 100}%`).toBeLessThan(cap)
  const tol = 2 * half + 0.005 * want
  expect(Math.abs(got - want), `${what}: got ${got.toFixed(1)}, theory ${want.toFixed(1)}, tolerance ${tol.toFixed(1)}`).toBeLessThanOrEqual(tol)
}

/**
 * Batch means of per-request quantities from the record stream: the measured requests (seq ≥
 * warm-up fraction of n) are cut into `k` equal batches by trace index. Keeps O(k) memory.
 * Tracks latency and latency/service (service looked up in the trace columns by seq).
 */
class BatchMeans implements RecordSink {
  private readonly sumT: Float64Array
  private readonly sumR: Float64Array
  private readonly cnt: Float64Array
  private readonly from: number
  private readonly per: number

  constructor(
    private readonly cols: TraceColumns,
    readonly k = 20,
  ) {
    const n = cols.arrival.length
    this.from = Math.ceil(n * WARMUP)
    this.per = (n - this.from) / k
    this.sumT = new Float64Array(k)
    this.sumR = new Float64Array(k)
    this.cnt = new Float64Array(k)
  }

  write(b: RequestRecordBatch): void {
    for (let i = 0; i < b.length; i++) {
      const seq = b.seq[i]
      if (seq < this.from) continue
      const j = Math.min(this.k - 1, Math.floor((seq - this.from) / this.per))
      this.sumT[j] += b.latency[i]
      this.sumR[j] += b.latency[i] / this.cols.service[seq]
      this.cnt[j]++
    }
  }

  /** Mean latency (cycles) and its 95% half-width. */
  latency(): {mean: number; half: number} {
    return meanCi(Array.from(this.sumT, (s, j) => s / this.cnt[j]))
  }

  /** Mean slowdown latency/service and its 95% half-width. */
  slowdown(): {mean: number; half: number} {
    return meanCi(Array.from(this.sumR, (s, j) => s / this.cnt[j]))
  }
}

describe('theory oracles used by the tests', () => {
  test('Erlang C and the M/M/c tail reduce to M/M/1 at c = 1', () => {
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 12)
    expect(mmcSojournQuantile(0.99, 1, 1, 0.9)).toBeCloseTo(Math.log(100) / 0.1, 6)
    // Textbook value: M/M/2 with a = 1 (ρ = 0.5) waits with probability 1/3.
    expect(erlangC(2, 0.5)).toBeCloseTo(1 / 3, 12)
    expect(mmcMeanSojourn(1, 1, 0.5)).toBeCloseTo(2, 12)
  })
})

describe('M/M/1 FCFS: p99 = ln(100)·S̄/(1−ρ)', () => {
  const cases = [
    {rho: 0.5, n: 500_000, cap: 0.04, seed: 0x2f6b1d3},
    {rho: 0.8, n: 1_000_000, cap: 0.06, seed: 0x51c3a77},
    {rho: 0.9, n: 4_000_000, cap: 0.08, seed: 0x7e0915b},
  ]
  for (const {rho, n, cap, seed} of cases) {
    test(`rho = ${rho} (${n / 1e6} M requests)`, async () => {
      const cols = poissonColumns({n, load: rho, cores: 1, mean: S, service: expService(S), seed})
      const r = await run(cols, {policy: 'mgn-fcfs', cores: 1, seed, warmup: WARMUP})
      const want = mm1SojournQuantile(0.99, S, rho) / CYCLES_PER_US
      const half = (r.latency.p99_ci_high_us - r.latency.p99_ci_low_us) / 2
      expectWithin(r.latency.p99_us, want, half, cap, `M/M/1 p99 at ${rho}`)
    })
  }
})

describe('M/M/16 single queue (mgn-fcfs): p99 from the Erlang-C waiting-time distribution', () => {
  const cases = [
    {rho: 0.5, n: 500_000, cap: 0.02, seed: 0x1a2b3c4},
    {rho: 0.8, n: 1_000_000, cap: 0.02, seed: 0x6d5e4f3},
    {rho: 0.9, n: 2_000_000, cap: 0.04, seed: 0x3c1f00d},
  ]
  for (const {rho, n, cap, seed} of cases) {
    test(`rho = ${rho} (${n / 1e6} M requests)`, async () => {
      const cols = poissonColumns({n, load: rho, cores: 16, mean: S, service: expService(S), seed})
      const r = await run(cols, {policy: 'mgn-fcfs', cores: 16, seed, warmup: WARMUP})
      const want = mmcSojournQuantile(0.99, 16, S, rho) / CYCLES_PER_US
      const half = (r.latency.p99_ci_high_us - r.latency.p99_ci_low_us) / 2
      expectWithin(r.latency.p99_us, want, half, cap, `M/M/16 p99 at ${rho}`)
      // The partitioned alternative is far worse: the check above does discriminate.
      expect(mm1SojournQuantile(0.99, S, rho) / CYCLES_PER_US).toBeGreaterThan(want * 1.5)
    })
  }
})

describe('M/D/1 (mgn-fcfs, 1 core, fixed service): mean wait from Pollaczek–Khinchine', () => {
  for (const {rho, seed} of [
    {rho: 0.5, seed: 0x44aa11e},
    {rho: 0.8, seed: 0x0badcafe},
  ]) {
    test(`rho = ${rho}`, async () => {
      const n = 1_000_000
      const cols = poissonColumns({n, load: rho, cores: 1, mean: S, service: fixedService(S), seed})
      const bm = new BatchMeans(cols)
      await run(cols, {policy: 'mgn-fcfs', cores: 1, seed, warmup: WARMUP}, bm)
      const {mean, half} = bm.latency()
      // Latency = wait + S exactly (fixed service), so the wait's interval is the latency's.
      expectWithin(mean - S, pkMeanWait(S, 0, rho), half, 0.03, `M/D/1 mean wait at ${rho}`)
    })
  }
})

describe('M/G/1-PS: mean sojourn = S̄/(1−ρ), insensitive to the service distribution', () => {
  const rho = 0.8
  for (const {policy, dist, seed} of [
    {policy: 'n-mg1-ps', dist: 'exp', seed: 0x13579bd},
    {policy: 'n-mg1-ps', dist: 'fixed', seed: 0x2468ace},
    {policy: 'mgn-ps', dist: 'fixed', seed: 0x0f1e2d3},
  ] as const) {
    test(`${policy} on 1 core, ${dist} service, rho = ${rho}`, async () => {
      const n = 1_000_000
      const cols = poissonColumns({n, load: rho, cores: 1, mean: S, service: dist === 'exp' ? expService(S) : fixedService(S), seed})
      const bm = new BatchMeans(cols)
      await run(cols, {policy, cores: 1, seed, warmup: WARMUP}, bm)
      const {mean, half} = bm.latency()
      expectWithin(mean, ps1MeanSojourn(S, rho), half, 0.05, `M/${dist}/1-PS mean sojourn`)
      // PS also gives E[T | S = s] = s/(1−ρ), so E[T/S] = 1/(1−ρ) for any service law; FCFS does not
      // (for M/D/1 FCFS it is 1 + ρ/(2(1−ρ)) = 3 at ρ = 0.8, not 5).
      const sd = bm.slowdown()
      expectWithin(sd.mean, 1 / (1 - rho), sd.half, 0.05, `M/${dist}/1-PS mean slowdown`)
    })
  }

  test('mgn-ps on 16 cores, fixed service: mean sojourn equals M/M/16 (M/G/n-PS insensitivity)', async () => {
    const n = 1_000_000
    const seed = 0x5eed1e5
    const cols = poissonColumns({n, load: rho, cores: 16, mean: S, service: fixedService(S), seed})
    const bm = new BatchMeans(cols)
    await run(cols, {policy: 'mgn-ps', cores: 16, seed, warmup: WARMUP}, bm)
    const {mean, half} = bm.latency()
    expectWithin(mean, mmcMeanSojourn(16, S, rho), half, 0.01, 'M/D/16-PS mean sojourn')
  })
})

describe('16×M/M/1 with random assignment equals M/M/1 per queue', () => {
  const rho = 0.8
  for (const policy of ['n-mg1-fcfs:assignment=random', 'n-mg1-ps:assignment=random']) {
    test(policy, async () => {
      const n = 1_000_000
      const seed = 0x9e3779b
      const cols = poissonColumns({n, load: rho, cores: 16, mean: S, service: expService(S), seed})
      const bm = new BatchMeans(cols)
      const perQueue = new Float64Array(16)
      const sink: RecordSink = {
        write(b) {
          bm.write(b)
          for (let i = 0; i < b.length; i++) perQueue[b.queue[i]]++
        },
      }
      const r = await run(cols, {policy, cores: 16, seed, warmup: WARMUP}, sink)
      // Mean sojourn of M/M/1 is S̄/(1−ρ) under FCFS and PS alike.
      const lat = bm.latency()
      expectWithin(lat.mean, S / (1 - rho), lat.half, 0.03, `${policy} mean sojourn`)
      if (policy.startsWith('n-mg1-fcfs')) {
        const half = (r.latency.p99_ci_high_us - r.latency.p99_ci_low_us) / 2
        expectWithin(r.latency.p99_us, mm1SojournQuantile(0.99, S, rho) / CYCLES_PER_US, half, 0.06, 'random 16×M/M/1 p99')
      }
      // Each queue gets a Binomial(n, 1/16) share: sd = sqrt(n·(1/16)·(15/16)) ≈ 242; allow 5 sd.
      for (let q = 0; q < 16; q++) expect(Math.abs(perQueue[q] - n / 16)).toBeLessThan(5 * 242)
    })
  }
})
