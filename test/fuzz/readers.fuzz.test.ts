// Bounded fuzz suite: 100 mutated trace and machine files through every reader; each must end in
// a valid result or a typed error with a message, never an unhandled exception or a hang. The
// long run is `npm run fuzz -- --minutes 10` (thousands of cases).
//
// Bounded by case count, not time. Each case costs about 0.25 s of CPU (mostly starting a reader
// worker thread): 25 s for the 100 on an idle machine. The timeout is only a backstop (a shared
// 2-core machine with a load of 15 to 28 took 0.7 to 3 s a case); a case that does not finish
// within a minute is reported as a hang with its seed.
import {rmSync} from 'node:fs'

import {afterAll, beforeAll, expect, test} from 'vitest'

// @ts-expect-error plain JS module shared with the long fuzz run
import {runCase, scratchDir, seedFiles} from '../../bench/lib/fuzz.js'

let dir: string
let seeds: Record<string, Uint8Array>

beforeAll(async () => {
  dir = scratchDir()
  seeds = await seedFiles(dir)
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const CASES = 100

test('mutated traces and machine files end in a result or a typed error', {timeout: 600_000}, async () => {
  const outcomes: Record<string, number> = {}
  const findings: string[] = []
  for (let seed = 1; seed <= CASES; seed++) {
    const res = await runCase(seed, seeds, dir, 60_000)
    outcomes[`${res.target}:${res.ok ? res.outcome : 'finding'}`] = (outcomes[`${res.target}:${res.ok ? res.outcome : 'finding'}`] ?? 0) + 1
    if (!res.ok) findings.push(`seed ${seed} (${res.target}): ${res.finding}`)
  }
  expect(findings).toEqual([])
  // The mutators must actually produce both outcomes, or the suite proves nothing.
  const errors = Object.entries(outcomes).filter(([k]) => k.endsWith(':error')).reduce((a, [, v]) => a + v, 0)
  const valid = Object.entries(outcomes).filter(([k]) => k.endsWith(':valid')).reduce((a, [, v]) => a + v, 0)
  expect(errors).toBeGreaterThan(CASES / 2)
  expect(valid).toBeGreaterThan(5)
  expect(Object.keys(outcomes).length).toBeGreaterThanOrEqual(6)
})
