#!/usr/bin/env node
// `npm run bench`: runs every bench/*.js file (except this runner and fuzz.js) in its own child
// process, so one benchmark's JIT state and heap cannot colour another's, and prints each one's
// output followed by the child's peak resident memory. Benchmarks print figures; they assert
// nothing (tests do that). Filter with `npm run bench -- zygos ix`; arguments from the first one
// starting with `--` on are passed to every benchmark run (`npm run bench -- peer --schedsim PATH`).
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const firstOption = args.findIndex((a) => a.startsWith('--'))
const filters = firstOption < 0 ? args : args.slice(0, firstOption)
const passed = firstOption < 0 ? [] : args.slice(firstOption)
const files = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && f !== 'fuzz.js')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()

let failed = 0
for (const f of files) {
  process.stdout.write(`\n=== ${f}\n`)
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, f), ...passed], {stdio: ['ignore', 'inherit', 'inherit']})
  const secs = ((performance.now() - t0) / 1000).toFixed(1)
  if (r.status !== 0) {
    failed++
    process.stdout.write(`--- ${f}: FAILED (exit ${r.status ?? r.signal}) after ${secs} s\n`)
  } else {
    process.stdout.write(`--- ${f}: ${secs} s wall\n`)
  }
}
process.exitCode = failed > 0 ? 1 : 0
