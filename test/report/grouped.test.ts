// grouped() writes numbers as toLocaleString('en-US') does (without loading the ICU locale data).
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {grouped} from '../../src/grouped.js'

describe('grouped', () => {
  test('integers: as toLocaleString', () => {
    for (const x of [0, 7, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 2 ** 31, 2 ** 53 - 1, -1, -1234, -1_000_000]) {
      expect(grouped(x)).toBe(x.toLocaleString('en-US'))
    }
    fc.assert(fc.property(fc.integer({min: -(2 ** 53) + 1, max: 2 ** 53 - 1}), (x) => grouped(x) === x.toLocaleString('en-US')), {numRuns: 500, seed: 3})
  })

  test('rounding to an integer and to 6 decimals, trailing zeros dropped', () => {
    expect(grouped(1234.5)).toBe('1,235')
    expect(grouped(-1234.5)).toBe('-1,235')
    expect(grouped(1234.5678, 6)).toBe('1,234.5678')
    expect(grouped(0.25, 6)).toBe('0.25')
    expect(grouped(12, 6)).toBe('12')
    // Values with at most 4 significant digits (as inspect prints them), at 6 decimals.
    fc.assert(
      fc.property(fc.double({min: -1e9, max: 1e9, noNaN: true}), (v) => {
        const x = Number(v.toPrecision(4))
        return grouped(x, 6) === x.toLocaleString('en-US', {maximumFractionDigits: 6}).replace(/^-0$/, '0')
      }),
      {numRuns: 500, seed: 5},
    )
  })

  test('non-finite values', () => {
    expect(grouped(NaN)).toBe('NaN')
    expect(grouped(Infinity)).toBe('∞')
    expect(grouped(-Infinity)).toBe('-∞')
  })
})
