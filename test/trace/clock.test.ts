import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {ArrivalClock, daysFromCivil, formatIso, parseIso} from '../../src/trace/clock.js'
import type {TimeUnit} from '../../src/trace/types.js'

const UPS: Record<TimeUnit, bigint> = {s: 1n, ms: 1000n, us: 1000000n, ns: 1000000000n}

function clock(unit: TimeUnit): ArrivalClock {
  const c = new ArrivalClock('t', unit, 2.4, 'f.csv', 'suffix')
  c.useKind('number')
  return c
}

describe('ArrivalClock', () => {
  it('the byte fast path and the text path agree, and integers are rebased exactly (property)', () => {
    const unit = fc.constantFrom<TimeUnit>('s', 'ms', 'us', 'ns')
    const value = fc.tuple(fc.bigInt({min: 0n, max: 10n ** 19n}), fc.option(fc.stringMatching(/^\d{1,12}$/), {nil: undefined}))
    fc.assert(
      fc.property(unit, fc.array(value, {minLength: 1, maxLength: 20}), (u, values) => {
        const a = clock(u)
        const b = clock(u)
        const texts = values.map(([i, f]) => (f === undefined ? i.toString() : `${i}.${f}`))
        for (const t of texts) {
          const viaText = b.text(t)
          const viaBytes = a.bytes(Buffer.from(t), 0, t.length)
          const got = a.slow ? a.text(t) : viaBytes
          expect(got).toBe(viaText)
        }
        // Integers: exactly (value − base) whenever that fits 2^53 (whole seconds have at most 15
        // digits: larger values are refused, as out of range, by both paths).
        const base = BigInt(b.baseSeconds) * UPS[u]
        values.forEach(([i, f], k) => {
          if (f !== undefined || i / UPS[u] >= 10n ** 15n || values[0][0] / UPS[u] >= 10n ** 15n) return
          const d = i - base
          if (d >= 0n && d < 2n ** 53n) expect(clock2(u, texts[0], texts[k])).toBe(Number(d))
        })
      }),
      {numRuns: 300},
    )
  })

  it('parses ISO-8601 with offsets and fractions, and formats it back', () => {
    expect(parseIso('2024-11-27T09:33:20.123456789Z')).toEqual({seconds: 1732700000, nanos: 123456789})
    expect(parseIso('2024-11-27 10:33:20.5+01:00')).toEqual({seconds: 1732700000, nanos: 500000000})
    expect(parseIso('2024-11-27T04:33:20-0500')).toEqual({seconds: 1732700000, nanos: 0})
    expect(parseIso('2024-02-30T00:00:00Z')).toBeUndefined()
    expect(parseIso('2024-11-27T24:00:00Z')).toBeUndefined()
    expect(formatIso(1732700000, 123456789)).toBe('2024-11-27T09:33:20.123456789Z')
    fc.assert(
      fc.property(fc.integer({min: -1e11, max: 1e11}), (days) => {
        const ms = days * 86400_000
        if (Math.abs(ms) > 8.64e15) return
        const d = new Date(ms)
        expect(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())).toBe(days)
      }),
      {numRuns: 200},
    )
  })
})

/** The time since the base of `text` after a first row `first`, via the text path. */
function clock2(u: TimeUnit, first: string, text: string): number {
  const c = clock(u)
  c.text(first)
  return c.text(text)
}
