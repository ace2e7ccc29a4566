/**
 * One distribution of a run, cut into the batch-means slices: a HistogramFront per slice (or one
 * when batch means are off). Each value is counted in exactly one front, its slice's; the fronts
 * are never flushed one by one. When the run is summarised, their counts are summed into one
 * front and handed to one HDR histogram (3 significant digits), which gives the point estimates:
 * percentiles, min and max, exactly as recording every value into it would. The slices' own
 * statistics, for the sectioning intervals (intervals.ts), are read from their fronts' counts:
 * a slice's percentile is the value at rank ⌈p·n_b⌉ reported as the histogram would (the top of
 * its bucket, same layout: within 0.1%), its mean from the bucket middles (within 0.05%).
 *
 * Why not an HDR histogram per slice (as before): handing 2 × k fronts to k WebAssembly histograms
 * at the end of a run cost ~20 ns per request at 2 M requests (every call into the WebAssembly
 * module goes through the loader's generic wrapper). Summing the counts in JavaScript first costs
 * one call per bucket of the whole run. The recorder switches its current front when the slice
 * changes, so a value costs what it costs without slices. Percentiles are clamped to
 * [min, max] of the recorded values (an HDR histogram reports the top of a percentile's bucket,
 * which may lie above the maximum).
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
  /** Batch-means slices (0 when off: then one front, slice 0, and no slice statistics). */
  readonly slices: number
  /** Per slice (one when batch means are off): its values, counted in a front, never flushed. */
  readonly fronts: HistogramFront[] = []
  private readonly whole: Histogram
  /** The whole run's counts, summed from the slices' when first summarised. */
  private wholeFront: HistogramFront | undefined
  private counts: number[] = []
  private means: number[] = []
  /** Per slice, per PERCENTILES entry: the slice's percentile (NaN when the slice is empty). */
  private pcts: number[][] = []

  /** `slices` >= 2: per-slice statistics for the intervals; otherwise none (record with slice 0). */
  constructor(slices: number) {
    this.slices = slices >= 2 ? slices : 0
    this.whole = newHistogram()
    for (let i = 0; i < Math.max(1, this.slices); i++) this.fronts.push(new HistogramFront(this.whole))
  }

  /** Record a value into slice `slice` (0 when batch means are off). The recorder's hot path records into `fronts[slice]` directly. */
  record(v: number, slice: number): void {
    this.fronts[slice].record(v)
  }

  /**
   * Sum the slices into the whole-run histogram, once (no value may be recorded afterwards); keep
   * each slice's count, mean (its values at the middle of their buckets: within 0.05%) and
   * percentiles.
   */
  private settle(): void {
    if (this.wholeFront !== undefined) return
    const w = new HistogramFront(this.whole)
    this.wholeFront = w
    for (const f of this.fronts) f.addTo(w)
    w.flush()
    if (this.slices > 0) {
      const ps = PERCENTILES.map(([, p]) => p)
      for (const f of this.fronts) {
        const st = f.stats(ps)
        this.counts.push(st.count)
        this.means.push(st.count > 0 ? st.sum / st.count : NaN)
        this.pcts.push(st.pct)
      }
    }
  }

  /** Per slice: mean of its values (NaN when empty); empty when batch means are off. */
  sliceMeans(): number[] {
    this.settle()
    return [...this.means]
  }

  /** Per slice: number of values (empty when batch means are off). */
  sliceCounts(): number[] {
    this.settle()
    return [...this.counts]
  }

  /** Summary of the `n` values recorded, whose exact sum is `sum`. */
  summary(n: number, sum: number): LatencySummary {
    this.settle()
    if (n === 0) return emptySummary()
    let lo = this.wholeFront!.lowest
    let hi = this.wholeFront!.highest
    for (const f of this.fronts) {
      if (f.lowest < lo) lo = f.lowest
      if (f.highest > hi) hi = f.highest
    }
    const clampV = (x: number) => (x < lo ? lo : x > hi ? hi : x)
    const used: number[] = []
    for (let b = 0; b < this.slices; b++) if (this.counts[b] > 0) used.push(b)
    const out = {count: n, mean: sum / n, min: lo, max: hi, ci: {} as Record<StatKey, Interval>} as LatencySummary
    PERCENTILES.forEach(([key, p], j) => {
      const est = percentileSupported(n, p) ? clampV(this.whole.getValueAtPercentile(p)) : NaN
      out[key] = est
      out.ci[key] =
        Number.isFinite(est) && intervalSupported(n, used.length, p)
          ? sectioningInterval(
              est,
              used.map((b) => clampV(this.pcts[b][j])),
              lo,
              hi,
            )
          : {...NO_INTERVAL}
    })
    out.ci.mean = this.slices > 0 ? sectioningInterval(out.mean, used.map((b) => this.means[b]), lo, hi) : {...NO_INTERVAL}
    return out
  }

  destroy(): void {
    this.wholeFront?.release()
    for (const f of this.fronts) f.release()
    this.whole.destroy()
  }
}

export function emptySummary(): LatencySummary {
  const ci = {} as Record<StatKey, Interval>
  for (const k of ['mean', 'p50', 'p90', 'p99', 'p999', 'p9999'] as const) ci[k] = {...NO_INTERVAL}
  return {count: 0, mean: NaN, min: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, p9999: NaN, max: NaN, ci}
}
