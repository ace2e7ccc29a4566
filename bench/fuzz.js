#!/usr/bin/env node
// `npm run fuzz -- --minutes 10 [--seed S]`: mutates valid trace and machine files for the given
// time and checks that every case ends in a valid result or a typed error (bench/lib/fuzz.js).
// Prints the count of cases tried, the outcomes per target, peak RSS, and every finding with the
// seed that reproduces it. Exit code 1 if anything was found.
import {rmSync} from 'node:fs'

import {runCase, scratchDir, seedFiles} from './lib/fuzz.js'

const args = process.argv.slice(2)
const arg = (name, dflt) => {
  const i = args.indexOf(name)
  if (i < 0) return dflt
  const v = Number(args[i + 1])
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`Expected ${name} to be a positive number, got "${args[i + 1] ?? ''}"`)
    process.exit(64)
  }
  return v
}
const minutes = arg('--minutes', 1)
const firstSeed = arg('--seed', 1)
const dir = scratchDir()
const seeds = await seedFiles(dir)
const deadline = Date.now() + minutes * 60_000
const tally = {}
const findings = []
let n = 0
let peak = 0
try {
  while (Date.now() < deadline) {
    const res = await runCase(firstSeed + n, seeds, dir)
    n++
    const key = `${res.target}:${res.ok ? res.outcome : 'FINDING'}`
    tally[key] = (tally[key] ?? 0) + 1
    if (!res.ok) {
      findings.push(res)
      console.error(`finding (seed ${res.seed}, ${res.target}): ${res.finding}`)
    }
    if (n % 100 === 0) {
      peak = Math.max(peak, process.memoryUsage().rss)
      process.stderr.write(`\r${n} cases, ${findings.length} findings`)
    }
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
peak = Math.max(peak, process.resourceUsage().maxRSS * 1024)
process.stderr.write('\n')
console.log(`fuzz: ${n} cases in ${minutes} min (seeds ${firstSeed}..${firstSeed + n - 1}), ${findings.length} findings, peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`)
for (const [k, v] of Object.entries(tally).sort()) console.log(`  ${k.padEnd(28)} ${v}`)
process.exitCode = findings.length > 0 ? 1 : 0
