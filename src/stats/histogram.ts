/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) with 3 significant digits, i.e. at most
 * 0.1% relative error on every percentile. Values are whole cycles (the library truncates
 * fractions).
 *
 * The library's JavaScript build (its Float64Histogram, the build `hdr.build({bitBucketSize: 64})`
 * returns without WebAssembly), loaded by its own module. Why not the WebAssembly build or the
 * package's index: no value is recorded into a histogram one by one on the hot path any more
 * (HistogramFront below counts them; a run hands each histogram one call per non-empty bucket when
 * it is summarised), so the WebAssembly build's faster `recordValue` buys nothing, while loading
 * it cost every process that simulates 130–180 ms of CPU on this machine (measured under load:
 * requiring the package's index 53–90 ms, which loads pako, base64-js, the AssemblyScript loader
 * and the embedded module, against 7–10 ms for the one histogram class; `initWebAssembly` 76–103
 * ms, of which ~40 ms is the loader's `typeof Response` check making Node load its fetch stack).
 * Both builds implement the same HdrHistogram layout, so counts, percentiles, min and max are the
 * same (test/stats/histogram-front.test.ts checks them against recording every value).
 */
import {createRequire} from 'node:module'
import type * as hdr from 'hdr-histogram-js'

export type Histogram = hdr.Histogram

type HistogramClass = new (lowest: number, highest: number, digits: number) => Histogram & {autoResize: boolean}
const Float64Histogram = (createRequire(import.meta.url)('hdr-histogram-js/dist/Float64Histogram.js') as {default: HistogramClass}).default

/** A new histogram for values from 1 up (it grows to the largest value recorded). `destroy()` when done. */
export function newHistogram(): Histogram {
  const h = new Float64Histogram(1, 2, 3)
  h.autoResize = true
  return h
}

/**
 * A counting front for a Histogram, for the per-request hot path.
 *
 * Why: a call into hdr-histogram-js's WebAssembly histogram goes through the AssemblyScript
 * loader's generic wrapper (rest arguments, spread, an argument-count call) and cost ~20 ns per
 * value here, a fifth of a request's whole budget in the FCFS models. This front counts values in
 * a plain array with the histogram's own bucket layout at 3 significant digits (exact below 2048;
 * 1024 buckets per power of two above, aligned as the histogram's are), and `flush()` hands the
 * counts to the histogram with `recordValueWithCount` on each bucket's lowest value. The
 * histogram's counts are therefore exactly those of recording every value; its minimum and
 * maximum too, because the exact extreme values are recorded as themselves. The library stays the
 * histogram: percentiles, merging and its bucket structure are its own. The front counts the
 * integers from 1 to 2^53 (the values from 2^32 on a slower path); other values (non-integers,
 * below 1) go to the histogram directly, and are remembered for `valueAtRank` and `stats`, which
 * read the counted values without the histogram (the batch-means slices' statistics, sliced.ts).
 * test/stats/histogram-front.test.ts compares every statistic with direct recording (a coarser
 * front fails it).
 *
 * The count arrays (352 kB, of which a run touches the pages its values fall in) are recycled
 * through `release()`, zeroed over the range that was counted: a run makes two fronts per
 * batch-means slice, and allocating and zeroing fresh ones dominated short runs (sweeps run many).
 */
const EXACT = 2048
const EXACT_BITS = 11
const PER_POWER_BITS = 10
const PER_POWER = 1 << PER_POWER_BITS
/** Buckets: values 0..2047 exactly, then 1024 per power of two from 2^11 to 2^52. */
const FRONT_SIZE = EXACT + (53 - EXACT_BITS) * PER_POWER
const TWO_32 = 4294967296
const TWO_53 = 2 ** 53
/** Zeroed count arrays of released fronts, for the next ones. */
const spareCounts: Float64Array[] = []
const MAX_SPARE = 64

/**
 * Front bucket of an integer value in [1, 2^32). Literals rather than the constants above: this is
 * inlined into the hot path, where each module constant costs bytecode (V8's inlining budget).
 */
function frontIndex(x: number): number {
  const e = 31 - Math.clz32(x)
  return e < 11 ? x : 2048 + ((e - 11) << 10) + ((x >>> (e - 10)) & 1023)
}

/** Front bucket of any integer value in [1, 2^53). */
function indexOf(v: number): number {
  if (v < TWO_32) return frontIndex(v >>> 0)
  const e = 63 - Math.clz32(Math.floor(v / TWO_32))
  return EXACT + (e - EXACT_BITS) * PER_POWER + (Math.floor(v / 2 ** (e - PER_POWER_BITS)) - PER_POWER)
}

/** Rank of the p-th percentile of n values (the histogram's rule: ⌈p/100 · n⌉, at least 1). */
function rankOf(n: number, p: number): number {
  return Math.max(1, Math.ceil((p / 100) * n - 1e-9))
}

/** Highest value of front bucket i (what the histogram reports for a percentile in it). */
function highestOf(i: number): number {
  if (i < EXACT) return i
  const j = i - EXACT
  const e = EXACT_BITS + Math.floor(j / PER_POWER)
  return (PER_POWER + (j % PER_POWER) + 1) * 2 ** (e - PER_POWER_BITS) - 1
}

/** Lowest value of front bucket i. */
function lowestOf(i: number): number {
  if (i < EXACT) return i
  const j = i - EXACT
  const e = EXACT_BITS + Math.floor(j / PER_POWER)
  return (PER_POWER + (j % PER_POWER)) * 2 ** (e - PER_POWER_BITS)
}

export class HistogramFront {
  private counts: Float64Array = spareCounts.pop() ?? new Float64Array(FRONT_SIZE)
  private n = 0
  private min = Infinity
  private max = -Infinity
  /** Values sent to the histogram directly (outside the front's domain: rare), for valueAtRank. */
  private extra: number[] = []
  /** Min and max of every value recorded (kept across flushes; complete after `flush()`). */
  lowest = Infinity
  highest = -Infinity

  constructor(readonly target: Histogram) {}

  record(v: number): void {
    // An integer in [1, 2^32) is its own unsigned 32-bit conversion.
    const x = v >>> 0
    if (x === v && x !== 0) {
      this.counts[frontIndex(x)]++
      this.n++
      if (v < this.min) this.min = v
      if (v > this.max) this.max = v
    } else this.recordOther(v)
  }

  /** Values from 2^32 (counted too), and values outside the front's domain (to the histogram). */
  private recordOther(v: number): void {
    if (v >= TWO_32 && v < TWO_53 && v === Math.floor(v)) {
      this.counts[indexOf(v)]++
      this.n++
      if (v < this.min) this.min = v
      if (v > this.max) this.max = v
      return
    }
    if (v < this.lowest) this.lowest = v
    if (v > this.highest) this.highest = v
    this.target.recordValue(v)
    this.extra.push(v)
  }

  /** Values counted and not yet flushed, those sent to the histogram directly included. */
  get pending(): number {
    return this.n + this.extra.length
  }

  /**
   * Add the counted values to `other`'s counts (not flushed: this front keeps them). Values that
   * went to the histogram directly are not added (they are in the histogram already).
   */
  addTo(other: HistogramFront): void {
    if (this.n === 0) return
    const c = this.counts
    const o = other.counts
    const hi = indexOf(this.max)
    for (let i = indexOf(this.min); i <= hi; i++) o[i] += c[i]
    other.n += this.n
    if (this.min < other.min) other.min = this.min
    if (this.max > other.max) other.max = this.max
  }

  /**
   * The value of rank `rank` (1-based) among the values counted and not yet flushed, as the
   * histogram reports a percentile: the highest value of its bucket (values sent to the histogram
   * directly: their own bucket's, or themselves outside the front's domain). NaN beyond the count.
   */
  valueAtRank(rank: number): number {
    // Values below 1 come first, then the buckets (with the fractional values that fall in them:
    // the histogram truncates them), then values from 2^53.
    const below: number[] = []
    const above: number[] = []
    const inDomain = new Map<number, number>()
    for (const v of this.extra) {
      if (!(v >= 1)) below.push(v)
      else if (v >= TWO_53) above.push(v)
      else {
        const i = indexOf(Math.floor(v))
        inDomain.set(i, (inDomain.get(i) ?? 0) + 1)
      }
    }
    below.sort((a, b) => a - b)
    above.sort((a, b) => a - b)
    let acc = 0
    for (const v of below) if (++acc >= rank) return v
    let lo = this.n > 0 ? indexOf(this.min) : FRONT_SIZE
    let hi = this.n > 0 ? indexOf(this.max) : -1
    for (const i of inDomain.keys()) {
      if (i < lo) lo = i
      if (i > hi) hi = i
    }
    const c = this.counts
    for (let i = lo; i <= hi; i++) {
      // (Outside the counted range the array is zero.)
      const k = c[i] + (inDomain.size === 0 ? 0 : (inDomain.get(i) ?? 0))
      acc += k
      if (k > 0 && acc >= rank) return highestOf(i)
    }
    for (const v of above) if (++acc >= rank) return v
    return NaN
  }

  /**
   * Count, sum and percentiles `ps` (ascending, the histogram's rule: the value of rank ⌈p·n⌉)
   * of the values counted and not yet flushed, in one pass over the buckets: each value counted at
   * its bucket's middle in the sum (within 0.05%), each percentile reported as `valueAtRank`.
   */
  stats(ps: readonly number[]): {count: number; sum: number; pct: number[]} {
    const pct: number[] = ps.map(() => NaN)
    if (this.extra.length === 0) return {count: this.n, sum: this.scan(ps.map((p) => rankOf(this.n, p)), pct), pct}
    // Values sent to the histogram directly (rare): the general, slower walk.
    const count = this.pending
    let sum = this.scan([], pct)
    for (const v of this.extra) sum += v
    return {count, sum, pct: ps.map((p) => this.valueAtRank(rankOf(count, p)))}
  }

  /** Sum of the counted values (each at its bucket's middle); sets pct[r] to the value of rank ranks[r] (ascending). */
  private scan(ranks: readonly number[], pct: number[]): number {
    if (this.n === 0) return 0
    const c = this.counts
    const hi = indexOf(this.max)
    let r = 0
    let acc = 0
    let sum = 0
    // Bucket i holds [low, low + w): exact below 2048 (w = 1), then blocks of 1024 buckets per power of two.
    let i = indexOf(this.min)
    for (; i <= hi && i < EXACT; i++) {
      const k = c[i]
      if (k === 0) continue
      sum += k * i
      acc += k
      while (r < ranks.length && acc >= ranks[r]) pct[r++] = i
    }
    for (let base = EXACT, e = EXACT_BITS; base <= hi; base += PER_POWER, e++) {
      const end = Math.min(hi, base + PER_POWER - 1)
      if (i > end) continue
      const w = 2 ** (e - PER_POWER_BITS)
      for (; i <= end; i++) {
        const k = c[i]
        if (k === 0) continue
        const low = (PER_POWER + i - base) * w
        sum += k * (low + (w - 1) / 2)
        acc += k
        while (r < ranks.length && acc >= ranks[r]) pct[r++] = low + w - 1
      }
    }
    return sum
  }

  /** Move the counted values into the histogram (the front is empty afterwards). */
  flush(): void {
    this.extra.length = 0
    if (this.n === 0) return
    if (this.min < this.lowest) this.lowest = this.min
    if (this.max > this.highest) this.highest = this.max
    const c = this.counts
    // The exact extremes, as themselves: the histogram tracks its min and max from recorded values.
    const lo = indexOf(this.min)
    const hi = indexOf(this.max)
    this.target.recordValue(this.min)
    c[lo]--
    if (this.max !== this.min || c[hi] > 0) {
      this.target.recordValue(this.max)
      c[hi]--
    }
    // Only the buckets between the extremes can hold counts.
    for (let i = lo; i <= hi; i++) {
      const k = c[i]
      if (k > 0) {
        this.target.recordValueWithCount(lowestOf(i), k)
        c[i] = 0
      }
    }
    this.n = 0
    this.min = Infinity
    this.max = -Infinity
  }

  /** Give the count array back for reuse (call once, when the front is no longer used). */
  release(): void {
    const c = this.counts
    if (this.n > 0) c.fill(0, indexOf(this.min), indexOf(this.max) + 1)
    this.n = 0
    this.min = Infinity
    this.max = -Infinity
    this.extra.length = 0
    if (spareCounts.length < MAX_SPARE && c.length === FRONT_SIZE) spareCounts.push(c)
    this.counts = new Float64Array(0)
  }
}

export {meanCi, t975} from './intervals.js'
