/**
 * Confidence intervals of the reported statistics, and the rules that decide whether a statistic
 * can be reported at all.
 *
 * One run: **sectioning** (batch means centred on the whole-run estimate). The measured window is
 * cut into k sections (the batch-means slices, by arrival time); θ̂ is the statistic of the whole
 * run (its percentile or mean), θ_b that of section b. The 95% interval is
 *   θ̂ ± t₀.₉₇₅(k−1) · sqrt( Σ_b (θ_b − θ̂)² / (k(k−1)) ),
 * clamped to [min, max] of the measured latencies. Centring on θ̂ (rather than on the mean of the
 * θ_b, as plain batch means do) makes the interval contain its estimate by construction, and the
 * spread around θ̂ also counts the small-sample bias of the section quantiles, which plain batch
 * means ignore (Asmussen & Glynn, Stochastic Simulation, §IV.5; Nakayama, "Confidence intervals
 * for quantiles using sectioning"). The old method (mean ± t·sd of the section p99s) could miss
 * its own estimate by far and go negative.
 *
 * Replications: a t-interval over the k independent runs, centred on their mean and clamped to
 * the observed [min, max] of all runs.
 *
 * What can be reported: percentile p needs at least MIN_TAIL_SAMPLES measured samples above it
 * (n − ⌈p·n⌉ ≥ 10), otherwise it is "n/a" (NaN in the library, null in JSON and result rows), never
 * a number; its interval needs as many in an average section (n/k · (1 − p) ≥ 10) and at least two
 * sections. The mean's interval needs n/k >= 10 as well.
 */

/** Samples above a percentile needed to report it (and, per section on average, its interval). */
export const MIN_TAIL_SAMPLES = 10

export interface Interval {
  low: number
  high: number
}

export const NO_INTERVAL: Readonly<Interval> = Object.freeze({low: NaN, high: NaN})

/** Two-sided 95% (one-sided 97.5%) Student t quantile for `df` degrees of freedom. */
export function t975(df: number): number {
  const table = [
    NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
    2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
  ]
  if (!(df >= 1)) return NaN
  return df < table.length ? table[df] : 1.96 + 2.4 / df // close to the exact value for df > 30
}

/** One-sided 99% Student t quantile for `df` degrees of freedom (the validity tests' threshold). */
export function t99(df: number): number {
  const table = [
    NaN, 31.821, 6.965, 4.541, 3.747, 3.365, 3.143, 2.998, 2.896, 2.821, 2.764, 2.718, 2.681, 2.65, 2.624, 2.602,
    2.583, 2.567, 2.552, 2.539, 2.528, 2.518, 2.508, 2.5, 2.492, 2.485, 2.479, 2.473, 2.467, 2.462, 2.457,
  ]
  if (!(df >= 1)) return NaN
  return df < table.length ? table[df] : 2.326 + 3.9 / df
}

/** Mean and 95% t-interval half-width of a small sample. */
export function meanCi(xs: readonly number[]): {mean: number; half: number} {
  const k = xs.length
  if (k === 0) return {mean: NaN, half: NaN}
  const mean = xs.reduce((a, b) => a + b, 0) / k
  if (k < 2) return {mean, half: NaN}
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1)
  return {mean, half: t975(k - 1) * Math.sqrt(v / k)}
}

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x)

/**
 * The sectioning interval: centred on `estimate`, half-width from the section estimates' spread
 * around it, clamped to [lo, hi] (the measured min and max). NaNs when fewer than two sections or
 * the estimate is not finite.
 */
export function sectioningInterval(estimate: number, sections: readonly number[], lo: number, hi: number): Interval {
  const k = sections.length
  if (k < 2 || !Number.isFinite(estimate) || sections.some((x) => !Number.isFinite(x))) return {...NO_INTERVAL}
  let ss = 0
  for (const x of sections) ss += (x - estimate) ** 2
  const half = t975(k - 1) * Math.sqrt(ss / (k * (k - 1)))
  return {low: clamp(estimate - half, lo, estimate), high: clamp(estimate + half, estimate, hi)}
}

/** A 95% t-interval over replications: mean ± t·sd/√k, clamped to [lo, hi]. NaN bounds for k < 2. */
export function replicationInterval(xs: readonly number[], lo: number, hi: number): {mean: number} & Interval {
  const finite = xs.filter((x) => Number.isFinite(x))
  if (finite.length !== xs.length || xs.length === 0) return {mean: NaN, ...NO_INTERVAL}
  const {mean, half} = meanCi(xs)
  if (!Number.isFinite(half)) return {mean, ...NO_INTERVAL}
  const l = Math.min(lo, mean)
  const h = Math.max(hi, mean)
  return {mean, low: clamp(mean - half, l, mean), high: clamp(mean + half, mean, h)}
}

/** Samples strictly above the p-th percentile of n samples (rank ⌈p/100 · n⌉, the HDR convention). */
export function samplesBeyond(n: number, p: number): number {
  if (!(n > 0)) return 0
  return n - Math.max(1, Math.ceil((p / 100) * n - 1e-9))
}

/** Whether percentile p of n samples may be reported. */
export function percentileSupported(n: number, p: number): boolean {
  return samplesBeyond(n, p) >= MIN_TAIL_SAMPLES
}

/** Whether percentile p of n samples in k sections has an interval. */
export function intervalSupported(n: number, k: number, p: number): boolean {
  return k >= 2 && percentileSupported(n, p) && (n / k) * (1 - p / 100) >= MIN_TAIL_SAMPLES
}
