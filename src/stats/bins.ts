/**
 * Equal bins of the time line: bin(x) = ⌊(x − origin) · scale⌋, clamped to [0, count − 1] when
 * `clamp` (otherwise out-of-range indices are returned as they are). The recorder keeps, for each
 * of its binnings, the current bin and the range of times that fall in it, so that a completion
 * costs two comparisons instead of a multiplication and a floor.
 *
 * `low(i)` and `high(i)` are the smallest and largest integers x with bin(x) = i (±Infinity at a
 * clamped end), found by evaluating the same formula, so the comparisons give exactly the bins the
 * formula gives: bin is non-decreasing in x (a rounded subtraction and a rounded multiplication
 * by scale > 0 are monotone, and so are the floor and the clamp), hence every real x with
 * low(i) ≤ x ≤ high(i) has bin(x) = i. A time outside the range, a fractional one between two
 * bins included, is binned by the formula.
 */
export class Bins {
  /** 1 / scale, for the first guess of a bin's range. */
  private readonly width: number

  constructor(
    readonly origin: number,
    readonly scale: number,
    readonly count: number,
    readonly clamp: boolean,
  ) {
    this.width = scale > 0 ? 1 / scale : 0
  }

  of(x: number): number {
    const i = Math.floor((x - this.origin) * this.scale)
    if (!this.clamp) return i
    return i >= this.count ? this.count - 1 : i < 0 ? 0 : i
  }

  /** Smallest integer x with of(x) >= i (−Infinity for the first bin when clamped or scale 0). */
  low(i: number): number {
    if (!(this.scale > 0) || (this.clamp && i <= 0)) return -Infinity
    // The guess is off by one at most, but for times beyond 2^53 (where x ± 1 is x): then an
    // empty range, and every time is binned by the formula.
    let x = Math.ceil(this.origin + i * this.width)
    let below = this.of(x - 1)
    let at = this.of(x)
    if (at < i) {
      x++
      below = at
      at = this.of(x)
    } else if (below >= i) {
      x--
      at = below
      below = this.of(x - 1)
    }
    return at >= i && below < i ? x : Infinity
  }

  /** Largest integer x with of(x) <= i (+Infinity for the last bin when clamped or scale 0). */
  high(i: number): number {
    if (!(this.scale > 0) || (this.clamp && i >= this.count - 1)) return Infinity
    let x = Math.floor(this.origin + (i + 1) * this.width)
    let at = this.of(x)
    let above = this.of(x + 1)
    if (at > i) {
      x--
      above = at
      at = this.of(x)
    } else if (above <= i) {
      x++
      at = above
      above = this.of(x + 1)
    }
    return at <= i && above > i ? x : -Infinity
  }

  /** The end of bin i on the time line: origin + (i + 1) / scale (the origin when scale is 0). */
  end(i: number): number {
    return this.scale > 0 ? this.origin + (i + 1) / this.scale : this.origin
  }
}
