/**
 * Compact latency statistics per request type: a trace may declare up to 65 535 types, and an
 * HDR histogram each (≈ 300 kB of WebAssembly memory) made `replay` grow by that much per type.
 *
 * A type's latencies are kept as keys `bucket · 1024 + section` in one Uint32 each, where
 * `bucket` is the value's bucket in the whole-run histogram's layout (exact below 2048 cycles,
 * then 1024 buckets per power of two: ≤ 0.1% relative error, as the HDR histograms) and `section`
 * its batch-means slice (for the per-type intervals). Keys accumulate in a small buffer that
 * starts at 4 entries and doubles up to 4096; when full it is sorted and folded into a sorted run
 * of (key, count) pairs. Memory per type is therefore ~100 bytes + 4 bytes per request while the
 * type has few requests, and bounded by the number of distinct (bucket, section) pairs (12 bytes
 * each) however many requests it has. Count, sum, min and max are exact; the section means of
 * the mean's interval come from the buckets (within 0.1%).
 *
 * A busy type (its buffer filled to 4096 once) switches to counting in an open-addressing hash
 * table of (key, count) instead: sorting and merging 4096 keys per 4096 requests cost ~40 ns per
 * request, a probe costs a few. The table holds the same pairs as the sorted run would (12 bytes
 * each, at most 80% full), and is sorted into the run when a summary is asked for.
 */
import {intervalSupported, MIN_TAIL_SAMPLES, NO_INTERVAL, percentileSupported, sectioningInterval, type Interval} from './intervals.js'

/** Keys per section field: sections must be < SECTION_KEYS. */
export const SECTION_KEYS = 1024
const BUFFER_MAX = 4096
const EXACT = 2048
const EXACT_BITS = 11
const PER_POWER_BITS = 10
const PER_POWER = 1 << PER_POWER_BITS

/** Bucket of a latency in cycles (values below 1 go to bucket 0; non-integers are truncated). */
export function bucketOf(v: number): number {
  if (!(v >= 1)) return 0
  if (v < 4294967296) {
    const x = v >>> 0
    const e = 31 - Math.clz32(x)
    return e < EXACT_BITS ? x : EXACT + (e - EXACT_BITS) * PER_POWER + ((x >>> (e - PER_POWER_BITS)) & (PER_POWER - 1))
  }
  let e = Math.floor(Math.log2(v))
  if (2 ** e > v) e--
  else if (2 ** (e + 1) <= v) e++
  return EXACT + (e - EXACT_BITS) * PER_POWER + (Math.floor(v / 2 ** (e - PER_POWER_BITS)) - PER_POWER)
}

/** Highest value of bucket i (what the HDR histograms report for a percentile in it). */
export function bucketHigh(i: number): number {
  if (i < EXACT) return i
  const j = i - EXACT
  const e = EXACT_BITS + Math.floor(j / PER_POWER)
  return (PER_POWER + (j % PER_POWER) + 1) * 2 ** (e - PER_POWER_BITS) - 1
}

const EMPTY_KEYS = new Uint32Array(0)
const EMPTY_COUNTS = new Float64Array(0)

export interface SparseSummary {
  count: number
  mean: number
  min: number
  max: number
  /** Percentile values by p (NaN when not supported by the samples), clamped to [min, max]. */
  pct: number[]
  /** Sectioning intervals of each percentile, then of the mean (last). */
  ci: Interval[]
}

export class SparseHistogram {
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity
  private buf = new Uint32Array(4)
  private len = 0
  private keys = EMPTY_KEYS
  private counts = EMPTY_COUNTS
  /** Hash mode (hashBits > 0): key + 1 per cell (0 = empty) and its count; the run is derived. */
  private hashKeys = EMPTY_KEYS
  private hashCounts = EMPTY_COUNTS
  private hashBits = 0
  private hashUsed = 0

  record(v: number, section: number): void {
    this.count++
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
    const key = bucketOf(v) * SECTION_KEYS + section
    if (this.hashBits !== 0) {
      this.hashAdd(key + 1, 1)
      return
    }
    if (this.len === this.buf.length) {
      if (this.len < BUFFER_MAX) {
        const b = new Uint32Array(this.len * 2)
        b.set(this.buf)
        this.buf = b
      } else {
        this.toHash()
        this.hashAdd(key + 1, 1)
        return
      }
    }
    this.buf[this.len++] = key
  }

  /** Count `c` more of key k1 - 1 in the hash table (linear probing). */
  private hashAdd(k1: number, c: number): void {
    const hk = this.hashKeys
    const mask = hk.length - 1
    let i = Math.imul(k1, 0x9e3779b1) >>> (32 - this.hashBits)
    for (;;) {
      const x = hk[i]
      if (x === k1) {
        this.hashCounts[i] += c
        return
      }
      if (x === 0) break
      i = (i + 1) & mask
    }
    hk[i] = k1
    this.hashCounts[i] = c
    if (++this.hashUsed * 5 > hk.length * 4) this.rehash(this.hashBits + 1)
  }

  private rehash(bits: number): void {
    const ok = this.hashKeys
    const oc = this.hashCounts
    this.hashKeys = new Uint32Array(1 << bits)
    this.hashCounts = new Float64Array(1 << bits)
    this.hashBits = bits
    this.hashUsed = 0
    for (let i = 0; i < ok.length; i++) if (ok[i] !== 0) this.hashAdd(ok[i], oc[i])
  }

  /** Switch to hash mode: the buffer and the run go into the table. */
  private toHash(): void {
    this.fold()
    let bits = 10
    while (1 << bits < 2 * this.keys.length) bits++
    this.hashKeys = new Uint32Array(1 << bits)
    this.hashCounts = new Float64Array(1 << bits)
    this.hashBits = bits
    for (let i = 0; i < this.keys.length; i++) this.hashAdd(this.keys[i] + 1, this.counts[i])
    this.keys = EMPTY_KEYS
    this.counts = EMPTY_COUNTS
    this.buf = new Uint32Array(0)
  }

  /** Hash mode: the run, sorted by key, from the table (which stays the store). */
  private runFromHash(): void {
    const hk = this.hashKeys
    const ks = new Uint32Array(this.hashUsed)
    let o = 0
    for (let i = 0; i < hk.length; i++) if (hk[i] !== 0) ks[o++] = hk[i]
    ks.sort()
    const cs = new Float64Array(ks.length)
    const mask = hk.length - 1
    for (let j = 0; j < ks.length; j++) {
      const k1 = ks[j]
      let i = Math.imul(k1, 0x9e3779b1) >>> (32 - this.hashBits)
      while (hk[i] !== k1) i = (i + 1) & mask
      cs[j] = this.hashCounts[i]
      ks[j] = k1 - 1
    }
    this.keys = ks
    this.counts = cs
  }

  /** Sort the buffer and merge it into the (key, count) run (hash mode: rebuild the run). */
  private fold(): void {
    if (this.hashBits !== 0) {
      this.runFromHash()
      return
    }
    if (this.len === 0) return
    const b = this.buf.subarray(0, this.len).sort()
    let distinct = 0
    for (let i = 0; i < b.length; i++) if (i === 0 || b[i] !== b[i - 1]) distinct++
    const nk = new Uint32Array(this.keys.length + distinct)
    const nc = new Float64Array(this.keys.length + distinct)
    let i = 0
    let j = 0
    let o = 0
    while (i < this.keys.length || j < b.length) {
      if (j >= b.length || (i < this.keys.length && this.keys[i] < b[j])) {
        nk[o] = this.keys[i]
        nc[o++] = this.counts[i++]
      } else {
        const k = b[j]
        let c = 0
        while (j < b.length && b[j] === k) {
          c++
          j++
        }
        if (i < this.keys.length && this.keys[i] === k) c += this.counts[i++]
        nk[o] = k
        nc[o++] = c
      }
    }
    this.keys = o === nk.length ? nk : nk.slice(0, o)
    this.counts = o === nc.length ? nc : nc.slice(0, o)
    this.len = 0
    if (this.buf.length > 4 * 1024 && this.count < 2 * BUFFER_MAX) this.buf = new Uint32Array(BUFFER_MAX)
  }

  /** Bytes held (for the memory test). */
  bytes(): number {
    return this.buf.byteLength + this.keys.byteLength + this.counts.byteLength + this.hashKeys.byteLength + this.hashCounts.byteLength + 64
  }

  /**
   * Percentiles `ps` (and the mean) with sectioning intervals over `sections` slices (0 or 1: no
   * intervals). The percentile of a section is taken over that section's keys.
   */
  summarize(ps: readonly number[], sections: number): SparseSummary {
    this.fold()
    const n = this.count
    const min = this.min
    const max = this.max
    const keys = this.keys
    const counts = this.counts
    const valueAt = (filter: number, total: number, p: number): number => {
      const rank = Math.max(1, Math.ceil((p / 100) * total - 1e-9))
      let acc = 0
      for (let i = 0; i < keys.length; i++) {
        if (filter >= 0 && keys[i] % SECTION_KEYS !== filter) continue
        acc += counts[i]
        if (acc >= rank) return bucketHigh(Math.floor(keys[i] / SECTION_KEYS))
      }
      return NaN
    }
    const clampV = (x: number) => (x < min ? min : x > max ? max : x)
    const pct = ps.map((p) => (percentileSupported(n, p) ? clampV(valueAt(-1, n, p)) : NaN))
    const ci: Interval[] = []
    // Section counts, and section sums from the buckets (each value within 0.1%: enough for the
    // spread of the section means; the mean itself is exact).
    // (Only when the average section has MIN_TAIL_SAMPLES values, as for the percentiles' intervals.)
    const withSections = sections >= 2 && n / sections >= MIN_TAIL_SAMPLES
    const sc: number[] = new Array<number>(withSections ? sections : 0).fill(0)
    const ss: number[] = new Array<number>(sc.length).fill(0)
    if (sc.length > 0) {
      for (let i = 0; i < keys.length; i++) {
        const s = keys[i] % SECTION_KEYS
        if (s >= sc.length) continue
        sc[s] += counts[i]
        ss[s] += counts[i] * Math.min(max, Math.max(min, bucketHigh(Math.floor(keys[i] / SECTION_KEYS))))
      }
    }
    const used = sc.map((c, s) => (c > 0 ? s : -1)).filter((s) => s >= 0)
    ps.forEach((p, i) => {
      if (!Number.isFinite(pct[i]) || !intervalSupported(n, used.length, p)) {
        ci.push({...NO_INTERVAL})
        return
      }
      const est = used.map((s) => clampV(valueAt(s, sc[s], p)))
      ci.push(sectioningInterval(pct[i], est, min, max))
    })
    const mean = n > 0 ? this.sum / n : NaN
    ci.push(used.length >= 2 ? sectioningInterval(mean, used.map((s) => ss[s] / sc[s]), min, max) : {...NO_INTERVAL})
    return {count: n, mean, min: n > 0 ? min : NaN, max: n > 0 ? max : NaN, pct, ci}
  }
}
