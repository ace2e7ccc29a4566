/**
 * Goodness of fit of the synthetic generator: every variate against its exact distribution.
 * Kolmogorov–Smirnov and chi-square tests with critical values at a significance of about 1e-6,
 * on fixed seeds (so the outcome is fixed: a failure is a real change, never a fluke), with sample
 * counts bounded so each test runs in well under a second on an idle machine.
 */
import {describe, expect, it} from 'vitest'

import {Xoshiro128} from '../../src/rng.js'
import {mmppShape, parseArrivalSpec} from '../../src/trace/synthetic-arrivals.js'
import {parseServiceSpec} from '../../src/trace/synthetic-service.js'
import {fillExp, zigguratClosure} from '../../src/trace/synthetic-variates.js'
import {syntheticTrace} from '../../src/trace/synthetic.js'

const streams = (seed: number) => (id: number) => new Xoshiro128(seed, id)

/** Kolmogorov–Smirnov statistic of `xs` against the CDF `F`. */
function ks(xs: Float64Array, F: (x: number) => number): number {
  const s = Float64Array.from(xs).sort()
  const n = s.length
  let d = 0
  for (let i = 0; i < n; i++) {
    const f = F(s[i])
    d = Math.max(d, f - i / n, (i + 1) / n - f)
  }
  return d
}

/** KS critical value at significance ~1e-6 (asymptotic: sqrt(ln(2/α)/2)/sqrt(n)). */
const ksCrit = (n: number) => Math.sqrt(Math.log(2e6) / 2) / Math.sqrt(n)

/** Chi-square statistic of observed counts against expected counts. */
function chi2(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let c = 0
  for (let i = 0; i < observed.length; i++) c += (observed[i] - expected[i]) ** 2 / expected[i]
  return c
}

/** Chi-square critical value for `df` degrees of freedom at z = 4.75 (~1e-6), Wilson–Hilferty. */
function chi2Crit(df: number): number {
  const a = 2 / (9 * df)
  return df * (1 - a + 4.75 * Math.sqrt(a)) ** 3
}

/** Within 5 standard deviations of a binomial count. */
function expectBinomial(count: number, n: number, p: number): void {
  expect(Math.abs(count - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)) + 1e-9)
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, absolute error < 1.5e-7). */
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x)
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2
}

function sample(spec: string, n: number, seed = 7): Float64Array {
  const out = new Float64Array(n)
  parseServiceSpec(spec).sampler(streams(seed), 16).fill(out, 0, n)
  return out
}

describe('xoshiro128**', () => {
  it('matches the reference outputs from state (1, 2, 3, 4), by next() and by fill()', () => {
    const ref = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]
    const g = Xoshiro128.fromState(1, 2, 3, 4)
    expect(ref.map(() => g.next())).toEqual(ref)
    const w = new Uint32Array(10)
    Xoshiro128.fromState(1, 2, 3, 4).fill(w, 10)
    expect([...w]).toEqual(ref)
  })

  it('streams of one seed, and seeds, differ; float() is in [0, 1)', () => {
    const first = (seed: number, stream: number) => new Xoshiro128(seed, stream).next()
    const firsts = new Set([first(1, 0), first(1, 1), first(1, 2), first(2, 0), first(2, 1)])
    expect(firsts.size).toBe(5)
    const g = new Xoshiro128(3, 4)
    for (let i = 0; i < 10_000; i++) {
      const u = g.float()
      expect(u >= 0 && u < 1).toBe(true)
    }
  })
})

describe('exponential (ziggurat)', () => {
  it('the layer table closes: the recurrence ends at 0', () => {
    expect(Math.abs(zigguratClosure())).toBeLessThan(1e-9)
  })

  it('fits the exact CDF: KS, 400 equiprobable bins, the tail beyond r and far beyond', () => {
    const n = 1_000_000
    const x = new Float64Array(n)
    fillExp(x, 0, n, 1, new Xoshiro128(11, 1), new Xoshiro128(11, 2), new Uint32Array(2 * n))
    expect(ks(x, (v) => 1 - Math.exp(-v))).toBeLessThan(ksCrit(n))
    const bins = 400
    const counts = new Float64Array(bins)
    let mean = 0
    let beyondR = 0
    let beyond12 = 0
    for (let i = 0; i < n; i++) {
      const v = x[i]
      mean += v / n
      counts[Math.min(bins - 1, Math.floor((1 - Math.exp(-v)) * bins))]++
      if (v > 7.69711747013104972) beyondR++
      if (v > 12) beyond12++
    }
    expect(chi2(counts, new Float64Array(bins).fill(n / bins))).toBeLessThan(chi2Crit(bins - 1))
    expect(Math.abs(mean - 1)).toBeLessThan(5 / Math.sqrt(n))
    expectBinomial(beyondR, n, Math.exp(-7.69711747013104972))
    expectBinomial(beyond12, n, Math.exp(-12))
  })

  it('exp:10us service times fit the exponential CDF of mean 10 µs', () => {
    const n = 200_000
    expect(ks(sample('exp:10us', n), (v) => 1 - Math.exp(-v / 10_000))).toBeLessThan(ksCrit(n))
  })
})

describe('service distributions against their exact CDFs', () => {
  it('lognormal:10us,1 fits Φ((ln x − μ)/σ)', () => {
    const n = 200_000
    const mu = Math.log(10_000) - 0.5
    expect(ks(sample('lognormal:10us,1', n), (v) => phi((Math.log(v) - mu) / 1))).toBeLessThan(ksCrit(n))
  })

  it('pareto:1.5,2us,1ms fits the bounded Pareto CDF and stays in [MIN, MAX]', () => {
    const n = 200_000
    const [a, lo, hi] = [1.5, 2000, 1_000_000]
    const x = sample('pareto:1.5,2us,1ms', n)
    expect(ks(x, (v) => (1 - (lo / v) ** a) / (1 - (lo / hi) ** a))).toBeLessThan(ksCrit(n))
    expect(x.every((v) => v >= lo && v <= hi)).toBe(true)
  })

  it.each([
    ['bimodal1:10us', 0.9, 5000, 55_000],
    ['bimodal2:10us', 0.999, 5000, 5_005_000],
    ['bimodal:0.25,1us,3us', 0.25, 1000, 3000],
  ])('%s: only the two values, in binomial proportion', (spec, p, a, b) => {
    const n = 400_000
    const x = sample(spec, n)
    let countA = 0
    let other = 0
    for (const v of x) {
      if (v === a) countA++
      else if (v !== b) other++
    }
    expect(other).toBe(0)
    expectBinomial(countA, n, p)
  })

  it('fixed:10us draws exactly 10 µs every time', () => {
    expect(sample('fixed:10us', 10_000).every((v) => v === 10_000)).toBe(true)
  })

  it('mix: class frequencies fit the weights, and a class keeps its own distribution', () => {
    const n = 300_000
    const out = new Float64Array(n)
    const type = new Uint16Array(n)
    parseServiceSpec('mix:a=0.5*exp:10us;b=0.3*fixed:4us;c=0.2*bimodal:0.5,1us,2us').sampler(streams(3), 16).fill(out, 0, n, type)
    const counts = [0, 0, 0]
    const expA: number[] = []
    let wrong = 0
    for (let i = 0; i < n; i++) {
      counts[type[i]]++
      if (type[i] === 0) expA.push(out[i])
      if (type[i] === 1 && out[i] !== 4000) wrong++
      if (type[i] === 2 && out[i] !== 1000 && out[i] !== 2000) wrong++
    }
    expect(wrong).toBe(0)
    expect(chi2(counts, [0.5 * n, 0.3 * n, 0.2 * n])).toBeLessThan(chi2Crit(2))
    expect(ks(Float64Array.from(expA), (v) => 1 - Math.exp(-v / 10_000))).toBeLessThan(ksCrit(expA.length))
  })
})

/** Arrival times (cycles) of a synthetic trace. */
async function arrivalsOf(opts: Parameters<typeof syntheticTrace>[0]): Promise<Float64Array> {
  const out = new Float64Array(opts.requests)
  let k = 0
  for await (const b of syntheticTrace(opts).batches()) {
    out.set(b.arrival.subarray(0, b.length), k)
    k += b.length
  }
  return out.subarray(0, k)
}

/** Counts of arrivals in consecutive windows of `width` cycles over [0, last arrival). */
function windowCounts(a: Float64Array, width: number): Float64Array {
  const windows = Math.floor(a[a.length - 1] / width)
  const c = new Float64Array(windows)
  for (const t of a) {
    const w = Math.floor(t / width)
    if (w < windows) c[w]++
  }
  return c
}

/** Index of dispersion of counts: variance / mean. */
function idc(c: Float64Array): number {
  let m = 0
  for (const v of c) m += v / c.length
  let s = 0
  for (const v of c) s += (v - m) ** 2 / (c.length - 1)
  return s / m
}

describe('arrival processes', () => {
  it('poisson: exponential gaps, Poisson counts per window, index of dispersion ~1', async () => {
    const n = 400_000
    const rate = 1e-5 // mean gap 100 000 cycles: rounding to whole cycles is negligible
    const a = await arrivalsOf({requests: n, service: 'fixed:1us', ratePerCycle: rate, seed: 5})
    const gaps = new Float64Array(n - 1)
    for (let i = 1; i < n; i++) gaps[i - 1] = a[i] - a[i - 1]
    expect(ks(gaps, (g) => 1 - Math.exp(-g * rate))).toBeLessThan(ksCrit(n - 1))
    const m = 10
    const c = windowCounts(a, m / rate)
    // Counts 0..24 and 25+ against the Poisson(10) probabilities.
    const obs = new Float64Array(26)
    for (const v of c) obs[Math.min(25, v)]++
    const exp = new Float64Array(26)
    let p = Math.exp(-m)
    let tail = 1
    for (let k = 0; k < 25; k++) {
      exp[k] = p * c.length
      tail -= p
      p *= m / (k + 1)
    }
    exp[25] = tail * c.length
    expect(chi2(obs.subarray(3, 24), exp.subarray(3, 24)) + chi2([obs.subarray(0, 3).reduce((s, v) => s + v), obs.subarray(24).reduce((s, v) => s + v)], [exp.subarray(0, 3).reduce((s, v) => s + v), exp.subarray(24).reduce((s, v) => s + v)])).toBeLessThan(chi2Crit(22))
    // The IDC of c.length Poisson counts has standard deviation about sqrt(2/c.length).
    expect(Math.abs(idc(c) - 1)).toBeLessThan(5 * Math.sqrt(2 / c.length))
  })

  it('fixed: request i arrives at round((i+1)/λ) exactly', async () => {
    const rate = 1 / 1234.56
    const a = await arrivalsOf({requests: 100_000, service: 'exp:1us', ratePerCycle: rate, arrivals: 'fixed', batchSize: 777})
    let off = 0
    for (let i = 0; i < a.length; i++) if (a[i] !== Math.round((i + 1) * 1234.56)) off++
    expect(off).toBe(0)
    const gaps = new Set<number>()
    for (let i = 1; i < a.length; i++) gaps.add(a[i] - a[i - 1])
    expect([...gaps].sort()).toEqual([1234, 1235])
  })

  it('mmpp: the long-run rate is λ within sampling error; counts are overdispersed as the MMPP formula says', async () => {
    const n = 1_000_000
    const rate = 1e-3
    // ghz 1: ns = cycles. Bursts of 100 mean gaps at 4λ, quiet periods of 600 at λ/2.
    const spec = parseArrivalSpec('mmpp:high=4,low=0.5,dwell=100us')
    expect(spec).toMatchObject({kind: 'mmpp', high: 4, low: 0.5, dwellNs: 100_000, text: 'mmpp:high=4,low=0.5,dwell=100us'})
    const {highShare, lowDwellNs} = mmppShape(spec as {high: number; low: number; dwellNs: number})
    expect(highShare).toBeCloseTo(1 / 7, 12)
    expect(lowDwellNs).toBeCloseTo(600_000, 6)
    const a = await arrivalsOf({requests: n, service: 'fixed:1us', ratePerCycle: rate, arrivals: spec, ghz: 1, seed: 9})
    // Asymptotic index of dispersion of a two-state MMPP (rates l1, l2; leaving rates r1, r2).
    const [l1, l2, r1, r2] = [4 * rate, 0.5 * rate, 1 / 100_000, 1 / 600_000]
    const idcInf = 1 + (2 * r1 * r2 * (l1 - l2) ** 2) / ((r1 + r2) ** 2 * (l1 * r2 + l2 * r1))
    expect(idcInf).toBeGreaterThan(100)
    const measuredRate = (n - 1) / (a[n - 1] - a[0])
    expect(Math.abs(measuredRate / rate - 1)).toBeLessThan(5 * Math.sqrt(idcInf / n))
    // Windows much longer than a cycle of the states (700 000 cycles): close to the asymptote.
    const width = 10_000_000
    const dc = idc(windowCounts(a, width))
    const d = r1 + r2
    const expected = 1 + (idcInf - 1) * (1 - (1 - Math.exp(-d * width)) / (d * width))
    expect(dc).toBeGreaterThan(expected / 2)
    expect(dc).toBeLessThan(expected * 2)
    // The same windows of a Poisson trace at the same rate are not overdispersed.
    const p = await arrivalsOf({requests: n, service: 'fixed:1us', ratePerCycle: rate, ghz: 1, seed: 9})
    expect(idc(windowCounts(p, width))).toBeLessThan(2)
  })

  it('mmpp with low=0 (on/off): the rate still matches, and arrivals never decrease', async () => {
    const n = 300_000
    const rate = 1e-3
    const a = await arrivalsOf({requests: n, service: 'fixed:1us', ratePerCycle: rate, arrivals: 'mmpp:high=2,low=0,dwell=50us', ghz: 1, seed: 2})
    let decreasing = 0
    for (let i = 1; i < n; i++) if (a[i] < a[i - 1]) decreasing++
    expect(decreasing).toBe(0)
    // IDC(∞) = 1 + 2·r1·r2·l1²/((r1+r2)²·l1·r2) with r1 = r2 = 1/50 000, l1 = 2λ: 1 + l1/(2 r1) = 51.
    expect(Math.abs((n - 1) / (a[n - 1] - a[0]) / rate - 1)).toBeLessThan(5 * Math.sqrt(51 / n))
  })
})
