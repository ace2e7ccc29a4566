// Bounded fuzz suite: 50 mutated trace and machine files through every reader; each must end in
// a valid result or a typed error with a message, never an unhandled exception or a hang. The
// long run is `npm run fuzz -- --minutes 10` (thousands of cases, the same case generator); more
// cases here: TAILSIM_FUZZ_CASES=500 npx vitest run test/fuzz/readers.fuzz.test.ts.
//
// Bounded by case count, not time. Each case costs 0.15–0.5 s of CPU, mostly starting its reader
// worker thread (the reading itself takes milliseconds): ~12 s for the 50 on one idle core. The
// 50 (seeds 1–50) reach every target (Arrow file and stream, Parquet, CSV, wrong column types,
// machine files) with 44 typed errors and 6 valid reads; seeds 51–100 added valid reads of mutated
// Arrow files and nothing else the checks below count. Cases run four at a time, so a busy
// machine, which shares its CPUs among threads, slows the test less. The timeout is only a backstop; a case that does not finish within a minute is reported
// as a hang with its seed.
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

const CASES = Number(process.env.TAILSIM_FUZZ_CASES ?? 50)
const CONCURRENT = 4

test('mutated traces and machine files end in a result or a typed error', {timeout: 600_000}, async () => {
  const outcomes: Record<string, number> = {}
  const findings: [number, string][] = []
  let nextSeed = 1
  const lane = async () => {
    for (let seed = nextSeed++; seed <= CASES; seed = nextSeed++) {
      const res = await runCase(seed, seeds, dir, 60_000)
      outcomes[`${res.target}:${res.ok ? res.outcome : 'finding'}`] = (outcomes[`${res.target}:${res.ok ? res.outcome : 'finding'}`] ?? 0) + 1
      if (!res.ok) findings.push([seed, `seed ${seed} (${res.target}): ${res.finding}`])
    }
  }
  await Promise.all(Array.from({length: CONCURRENT}, lane))
  expect(findings.sort((a, b) => a[0] - b[0]).map(([, f]) => f)).toEqual([])
  // The mutators must actually produce both outcomes, or the suite proves nothing.
  const errors = Object.entries(outcomes).filter(([k]) => k.endsWith(':error')).reduce((a, [, v]) => a + v, 0)
  const valid = Object.entries(outcomes).filter(([k]) => k.endsWith(':valid')).reduce((a, [, v]) => a + v, 0)
  expect(errors).toBeGreaterThan(CASES / 2)
  expect(valid).toBeGreaterThan(5)
  expect(Object.keys(outcomes).length).toBeGreaterThanOrEqual(6)
})
