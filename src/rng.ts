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
