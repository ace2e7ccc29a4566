/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) with 3 significant digits, i.e. at most
 * 0.1% relative error on every percentile. Values are whole cycles (the library truncates
 * fractions). The WebAssembly build is used: it records ~5x faster than the JS build (measured
 * 53 M vs 10 M values/s on this machine), which matters at millions of requests per second.
 * `initHistograms()` must be awaited once per process before `newHistogram()`.
 */
import * as hdr from 'hdr-histogram-js'

export type Histogram = hdr.Histogram

let wasmReady: Promise<void> | undefined
let wasmOk = false

export async function initHistograms(): Promise<void> {
  wasmReady ??= hdr.initWebAssembly().then(
    () => {
      wasmOk = true
    },
    () => {
      wasmOk = false // fall back to the JS build
    },
  )
  await wasmReady
}

/** A new histogram for values from 1 to 2^50 cycles. Call `destroy()` when done (WASM memory). */
export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2 ** 50,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 64,
    autoResize: true,
    useWebAssembly: wasmOk,
  })
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
 * histogram: percentiles, merging and its bucket structure are its own. Values outside the front's
 * domain (non-integers, below 1, at or above 2^32) go to the histogram directly.
 * test/stats/histogram-front.test.ts compares every statistic with direct recording (a coarser
 * front fails it).
 *
 * The count arrays (184 kB) are recycled through `release()`: a run makes about a dozen fronts,
 * and allocating and zeroing fresh ones dominated short runs (sweeps run many).
 */
const EXACT = 2048
const EXACT_BITS = 11
const PER_POWER_BITS = 10
const PER_POWER = 1 << PER_POWER_BITS
/** Buckets: values 0..2047 exactly, then 1024 per power of two from 2^11 to 2^31. */
const FRONT_SIZE = EXACT + (32 - EXACT_BITS) * PER_POWER
/** Zeroed count arrays of released fronts, for the next ones. */
const spareCounts: Float64Array[] = []
const MAX_SPARE = 64

/** Front bucket of an integer value in [1, 2^32). */
function frontIndex(x: number): number {
  const e = 31 - Math.clz32(x)
  return e < EXACT_BITS ? x : EXACT + (e - EXACT_BITS) * PER_POWER + ((x >>> (e - PER_POWER_BITS)) & (PER_POWER - 1))
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
  /** Min and max of every value recorded (kept across flushes; complete after `flush()`). */
  lowest = Infinity
  highest = -Infinity

  constructor(readonly target: Histogram) {}

  record(v: number): void {
    if (v >= 1 && v < 4294967296 && v === Math.floor(v)) {
      this.counts[frontIndex(v >>> 0)]++
      this.n++
      if (v < this.min) this.min = v
      if (v > this.max) this.max = v
    } else {
      if (v < this.lowest) this.lowest = v
      if (v > this.highest) this.highest = v
      this.target.recordValue(v)
    }
  }

  /** Move the counted values into the histogram (the front is empty afterwards). */
  flush(): void {
    if (this.n === 0) return
    if (this.min < this.lowest) this.lowest = this.min
    if (this.max > this.highest) this.highest = this.max
    const c = this.counts
    // The exact extremes, as themselves: the histogram tracks its min and max from recorded values.
    const lo = frontIndex(this.min >>> 0)
    const hi = frontIndex(this.max >>> 0)
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
    if (this.n > 0) c.fill(0)
    this.n = 0
    this.min = Infinity
    this.max = -Infinity
    if (spareCounts.length < MAX_SPARE && c.length === FRONT_SIZE) spareCounts.push(c)
    this.counts = new Float64Array(0)
  }
}

export {meanCi, t975} from './intervals.js'
