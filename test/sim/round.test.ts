import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {roundHalfUp} from '../../src/round.js'

describe('roundHalfUp equals Math.round', () => {
  test('edge cases', () => {
    const xs = [
      0, -0, 0.5, 1.5, 2.5, 0.49999999999999994, 0.5 - 2 ** -53, 0.25, 1 - 2 ** -53, 1.5 - 2 ** -52, 2.5 - 2 ** -51,
      2 ** 51 - 0.5, 2 ** 51 + 0.5, 2 ** 52 - 0.5, 2 ** 52 - 1, 2 ** 52, 2 ** 52 + 1, 2 ** 53 - 1, 2 ** 53, -0.5, -1.5, -2.4,
      Number.MIN_VALUE, Number.MAX_VALUE, Infinity, -Infinity,
    ]
    for (const x of xs) expect(Object.is(roundHalfUp(x), Math.round(x)) || roundHalfUp(x) === Math.round(x), String(x)).toBe(true)
    expect(roundHalfUp(NaN)).toBeNaN()
  })

  test('every power of two ± small offsets', () => {
    for (let e = -60; e <= 60; e++) {
      const p = 2 ** e
      for (const d of [-1, -0.5, -(2 ** -50), 0, 2 ** -50, 0.5, 1]) {
        for (const x of [p + d, p * 1.5 + d, p - p * 2 ** -52, p + 0.5 - p * 2 ** -52]) {
          expect(roundHalfUp(x), String(x)).toBe(Math.round(x))
        }
      }
    }
  })

  test('random doubles (property)', () => {
    fc.assert(
      fc.property(fc.double({min: 0, max: 2 ** 53, noNaN: true}), (x) => roundHalfUp(x) === Math.round(x)),
      {numRuns: 200_000, seed: 7},
    )
    fc.assert(
      fc.property(fc.integer({min: 0, max: 2 ** 30}), fc.integer({min: 0, max: 1_000_000}), (i, f) => {
        const x = (i + f / 1_000_000) * 2.4
        return roundHalfUp(x) === Math.round(x)
      }),
      {numRuns: 200_000, seed: 8},
    )
  })
})
