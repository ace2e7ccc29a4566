/**
 * The one seeded random generator of a run (docs/model.md §1). Every random choice of a simulation
 * (RSS salt, steal victim, random assignment, PS ties) and of the synthetic traces draws from a
 * generator built here, so the same inputs and seed give bit-identical results.
 *
 * pure-rand's xoroshiro128+ is used as a mutable generator (no allocation per draw).
 */
import {uniformFloat64} from 'pure-rand/distribution/uniformFloat64'
import {xoroshiro128plus} from 'pure-rand/generator/xoroshiro128plus'

export class Rng {
  private readonly gen: ReturnType<typeof xoroshiro128plus>

  /**
   * @param seed any integer. It is mixed (murmur3 finaliser) before seeding xoroshiro128+:
   * seeded directly with a small integer, the generator's first outputs are nearly constant
   * (Rng(1) used to give 0.99999998 first), and consecutive seeds give correlated streams.
   */
  constructor(readonly seed: number) {
    this.gen = xoroshiro128plus(mix32(seed ^ 0x2545f491) | 0)
    // Discard a few outputs so that even close seeds have diverged completely.
    for (let i = 0; i < 8; i++) this.gen.next()
  }

  /** Uniform in [0, 1), 53 bits. */
  float(): number {
    return uniformFloat64(this.gen)
  }

  /** Uniform integer in [0, n), n <= 2^31. */
  int(n: number): number {
    return Math.floor(uniformFloat64(this.gen) * n)
  }

  /** 32 random bits as an unsigned integer. */
  uint32(): number {
    return this.gen.next() >>> 0
  }

  /** An independent stream derived from this seed and a label (for sub-components). */
  derive(label: number): Rng {
    return new Rng(mix32(this.seed ^ Math.imul(label + 1, 0x9e3779b1)))
  }
}

/** A good 32-bit integer hash (murmur3 finaliser). */
export function mix32(x: number): number {
  x |= 0
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

/**
 * xoshiro128** (Blackman & Vigna): a fast 32-bit generator with 128 bits of state and period
 * 2^128 − 1, for the synthetic trace generator, which draws several words per request and fills
 * them in bulk (`fill`) with the state held in locals. The simulation itself keeps using `Rng`.
 *
 * `stream` selects one of many independent streams of the same seed (each column of a synthetic
 * trace draws from its own): the 128-bit state is four outputs of a splitmix32-style counter
 * hash of (seed, stream). Distinct streams start at unrelated points of the period; with 2^128
 * states, two streams of 2^40 draws overlap with probability below 2^-40.
 */
export class Xoshiro128 {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  constructor(seed: number, stream = 0) {
    let x = mix32(mix32(seed ^ 0x6a09e667) ^ Math.imul(stream + 1, 0x9e3779b9)) | 0
    const next = () => {
      x = (x + 0x9e3779b9) | 0
      return mix32(x) | 0
    }
    this.s0 = next()
    this.s1 = next()
    this.s2 = next()
    this.s3 = next()
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1 // the one forbidden state
    for (let i = 0; i < 4; i++) this.next()
  }

  /** A generator in the given state (four 32-bit words, not all 0): for checking against reference outputs. */
  static fromState(a: number, b: number, c: number, d: number): Xoshiro128 {
    const g = new Xoshiro128(0)
    g.s0 = a | 0
    g.s1 = b | 0
    g.s2 = c | 0
    g.s3 = d | 0
    return g
  }

  /** 32 random bits as an unsigned integer. */
  next(): number {
    const s0 = this.s0
    const s1 = this.s1
    let s2 = this.s2
    let s3 = this.s3
    const m = Math.imul(s1, 5)
    const r = Math.imul((m << 7) | (m >>> 25), 9)
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    this.s1 = s1 ^ s2
    this.s0 = s0 ^ s3
    this.s2 = s2 ^ t
    this.s3 = (s3 << 11) | (s3 >>> 21)
    return r >>> 0
  }

  /** Uniform in [0, 1) with 53 random bits (two words). */
  float(): number {
    const hi = this.next() >>> 11
    return (hi * 4294967296 + this.next()) * 1.1102230246251565e-16
  }

  /** Fill out[0 .. n) with 32-bit words, the next n outputs (the same as n calls of `next`). */
  fill(out: Uint32Array, n: number): void {
    let s0 = this.s0
    let s1 = this.s1
    let s2 = this.s2
    let s3 = this.s3
    for (let i = 0; i < n; i++) {
      const m = Math.imul(s1, 5)
      out[i] = Math.imul((m << 7) | (m >>> 25), 9)
      const t = s1 << 9
      s2 ^= s0
      s3 ^= s1
      s1 ^= s2
      s0 ^= s3
      s2 ^= t
      s3 = (s3 << 11) | (s3 >>> 21)
    }
    this.s0 = s0
    this.s1 = s1
    this.s2 = s2
    this.s3 = s3
  }
}
