/**
 * One distribution of a run, cut into the batch-means slices: a HistogramFront + HDR histogram per
 * slice (or one `whole` histogram when batch means are off). Each value goes into exactly one
 * histogram, its slice's; the overall distribution is the sum of the slices, merged once when it
 * is summarised. The recorder keeps two: latency (cycles) and slowdown (fixed point, see
 * recorder.ts). Percentiles are clamped to [min, max] of the recorded values (an HDR histogram
 * reports the top of a percentile's bucket, which may lie above the maximum); intervals are
 * sectioning intervals over the slices (intervals.ts).
 */
import {type Histogram, HistogramFront, newHistogram} from './histogram.js'
import {type Interval, intervalSupported, NO_INTERVAL, percentileSupported, sectioningInterval} from './intervals.js'

/** Percentiles every run reports, with their summary keys. */
export const PERCENTILES = [
  ['p50', 50],
  ['p90', 90],
  ['p99', 99],
  ['p999', 99.9],
  ['p9999', 99.99],
] as const

export type PercentileKey = (typeof PERCENTILES)[number][0]
export type StatKey = PercentileKey | 'mean'

export interface LatencySummary {
  count: number
  /** All in the recorded unit (cycles for latency); a percentile is NaN when too few samples lie above it (see intervals.ts). */
  mean: number
  min: number
  p50: number
  p90: number
  p99: number
  p999: number
  p9999: number
  max: number
  /** 95% intervals (sectioning over the batch-means slices); NaN bounds when not supported. */
  ci: Record<StatKey, Interval>
}

export class SlicedHistogram {
  /** Per slice (empty when batch means are off). */
  readonly hists: Histogram[] = []
  private readonly fronts: HistogramFront[] = []
  private readonly whole: Histogram | undefined
  private readonly wholeFront: HistogramFront | undefined

  /** `slices` >= 2: one histogram per slice; otherwise a single one (record with slice 0). */
  constructor(slices: number) {
    if (slices >= 2) {
      for (let i = 0; i < slices; i++) this.hists.push(newHistogram())
      this.fronts = this.hists.map((h) => new HistogramFront(h))
      this.whole = undefined
      this.wholeFront = undefined
    } else {
      this.whole = newHistogram()
      this.wholeFront = new HistogramFront(this.whole)
    }
  }

  /** Record a value into slice `slice` (ignored when batch means are off). */
  record(v: number, slice: number): void {
    if (this.wholeFront === undefined) this.fronts[slice].record(v)
    else this.wholeFront.record(v)
  }

  /** Hand every counted value to its histogram (before reading any statistic). */
  settle(): void {
    this.wholeFront?.flush()
    for (const f of this.fronts) f.flush()
  }

  /** Summary of the `n` values recorded, whose exact sum is `sum`. */
  summary(n: number, sum: number): LatencySummary {
    this.settle()
    if (n === 0) return emptySummary()
    const fronts = this.wholeFront !== undefined ? [this.wholeFront] : this.fronts
    const lo = Math.min(...fronts.map((f) => f.lowest))
    const hi = Math.max(...fronts.map((f) => f.highest))
    const clampV = (x: number) => (x < lo ? lo : x > hi ? hi : x)
    const used = this.hists.filter((h) => h.totalCount > 0)
    const all = this.whole ?? newHistogram()
    try {
      if (this.whole === undefined) for (const h of this.hists) all.add(h)
      const out = {count: n, mean: sum / n, min: lo, max: hi, ci: {} as Record<StatKey, Interval>} as LatencySummary
      for (const [key, p] of PERCENTILES) {
        const est = percentileSupported(n, p) ? clampV(all.getValueAtPercentile(p)) : NaN
        out[key] = est
        out.ci[key] =
          Number.isFinite(est) && intervalSupported(n, used.length, p)
            ? sectioningInterval(est, used.map((h) => clampV(h.getValueAtPercentile(p))), lo, hi)
            : {...NO_INTERVAL}
      }
      const means: number[] = []
      // Slice means from the slice histograms (within 0.1%: enough for their spread; the mean
      // itself is the exact sum over the count).
      for (const h of this.hists) if (h.totalCount > 0) means.push(h.mean)
      out.ci.mean = this.whole === undefined ? sectioningInterval(out.mean, means, lo, hi) : {...NO_INTERVAL}
      return out
    } finally {
      if (this.whole === undefined) all.destroy()
    }
  }

  destroy(): void {
    this.wholeFront?.release()
    for (const f of this.fronts) f.release()
    this.whole?.destroy()
    for (const h of this.hists) h.destroy()
  }
}

export function emptySummary(): LatencySummary {
  const ci = {} as Record<StatKey, Interval>
  for (const k of ['mean', 'p50', 'p90', 'p99', 'p999', 'p9999'] as const) ci[k] = {...NO_INTERVAL}
  return {count: 0, mean: NaN, min: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, p9999: NaN, max: NaN, ci}
}
