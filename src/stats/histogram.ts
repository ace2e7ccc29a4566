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

/** Two-sided Student t quantile at 97.5% for k-1 degrees of freedom (k = 2..30, then normal). */
export function t975(df: number): number {
  const table = [
    NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
    2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
  ]
  if (df < 1) return NaN
  return df < table.length ? table[df] : 1.96 + 2.4 / df // close to the exact value for df > 30
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
