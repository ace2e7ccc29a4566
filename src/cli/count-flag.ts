/**
 * `count`: an integer flag (a number of requests, connections, ...) that also takes the
 * scientific spelling a user types for large counts: `1000000`, `1e6`, `2.5e5`. The value must be
 * a whole number within [min, max]; anything else is a usage error naming the flag.
 */
import {Flags} from '@oclif/core'

const COUNT = /^[0-9]+(\.[0-9]+)?([eE]\+?[0-9]+)?$/

/** Parse a count; `undefined` when the text is not one. */
export function parseCount(text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const s = text.trim().replace(/_/g, '')
  if (!COUNT.test(s)) return undefined
  const v = Number(s)
  return Number.isSafeInteger(v) && v >= min && v <= max ? v : undefined
}

/** An integer flag that accepts `1e6`-style values (Flags.integer with min/max otherwise). */
export const count = Flags.custom<number, {min?: number; max?: number}>({
  async parse(input, _ctx, opts) {
    const min = opts.min ?? 0
    const max = opts.max ?? Number.MAX_SAFE_INTEGER
    const v = parseCount(input, min, max)
    // A plain Error: the parser adds the flag's name (see src/cli/fail.ts).
    if (v === undefined) throw new Error(`Expected a whole number in [${min}, ${max}] such as 1000000 or 1e6, got "${input}"`)
    return v
  },
})
