/**
 * `--loads`: a range `LO:HI:STEP` (inclusive of HI when it lies on the grid, within 1e-9) or a
 * comma list `0.1,0.5,0.9`. Values are rounded to 9 decimals so that 0.1 + 2·0.05 prints as
 * 0.2, and the result is sorted and de-duplicated. Loads must be > 0; loads >= 1 are refused here
 * unless `allowOverload` (simulate() would refuse them too, later and per cell).
 */
import {ConfigError, show} from '../errors.js'

const round9 = (v: number): number => Math.round(v * 1e9) / 1e9

export function parseLoads(text: string, allowOverload = false, flag = 'loads'): number[] {
  const bad = (detail: string) => new ConfigError(`Expected ${detail}, got ${show(text)}`, {flag})
  const num = (s: string): number => {
    const v = /^\s*(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(s) ? Number(s) : NaN
    if (!Number.isFinite(v)) throw bad('loads as LO:HI:STEP (e.g. 0.1:0.9:0.1) or a comma list (e.g. 0.2,0.5,0.8)')
    return v
  }
  let loads: number[]
  if (text.includes(':')) {
    const parts = text.split(':')
    if (parts.length !== 3) throw bad('a range LO:HI:STEP, e.g. 0.1:0.9:0.1')
    const [lo, hi, step] = parts.map(num)
    if (!(step > 0)) throw bad('a range whose STEP is > 0')
    if (!(hi >= lo)) throw bad('a range whose HI is >= LO')
    const n = Math.floor((hi - lo) / step + 1e-9) + 1
    if (n > 10_000) throw bad('at most 10000 loads')
    loads = Array.from({length: n}, (_, i) => round9(lo + i * step))
  } else {
    loads = text.split(',').map(num).map(round9)
  }
  loads = [...new Set(loads)].sort((a, b) => a - b)
  if (loads.length === 0) throw bad('at least one load')
  for (const l of loads) {
    if (!(l > 0)) throw bad('loads > 0')
    if (l >= 1 && !allowOverload) {
      throw new ConfigError(
        `Expected loads < 1, got ${l}: at an offered load >= 1 queues grow without bound. Pass --allow-overload to simulate it anyway`,
        {flag},
      )
    }
  }
  return loads
}
