/**
 * `npm run demo` (scripts/demo.mjs) works end to end on a tiny run: two policies, 2 000 requests
 * per workload, in-process compare (DEMO_JOBS=0), search resolution 0.1; prints its summary table
 * and writes the chart. Uses the built CLI (dist/), like the other CLI tests. 2 000 requests is
 * about the smallest run whose p99 slowdown exists (a percentile needs 10 samples above it: 1 000
 * requests leave every cell `unmet`), so the summary shows measured max loads, not only the
 * unmet path; the fixed cost (the compare process and its modules) is most of the run anyway.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect, test} from 'vitest'

test('the demo script runs on a tiny request count', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tailsim-demo-test-'))
  const chart = join(dir, 'chart.svg')
  const r = spawnSync(process.execPath, ['scripts/demo.mjs'], {
    encoding: 'utf8',
    // NODE_ENV=production: Vitest sets NODE_ENV=test, under which oclif would run the commands'
    // TypeScript sources through tsx (about 1 s more CPU per process) instead of the built dist/.
    env: {...process.env, NODE_ENV: 'production', DEMO_REQUESTS: '2000', DEMO_POLICIES: 'shinjuku,mgn-fcfs', DEMO_SLO: 'slowdown:p99:20', DEMO_CHART: chart, DEMO_JOBS: '0', DEMO_SEARCH_TOL: '0.1', DEMO_OUT: dir},
  })
  expect(r.status, r.stderr).toBe(0)
  expect(r.stdout).toContain('## Max load at SLO slowdown p99 <= 20 (2000 requests per workload, 16 cores, paper costs; search resolution ±0.1)')
  const cell = String.raw`(?:(?:>= )?\d\.\d{3}|unmet \(< 0\.01\))`
  expect(r.stdout).toMatch(new RegExp(String.raw`\| shinjuku \| ${cell} \| ${cell} \|`))
  expect(r.stdout).toMatch(new RegExp(String.raw`\| mgn-fcfs \| ${cell} \| ${cell} \|`))
  // At least one measured max load (not only `unmet`): the run is large enough to meet the SLO.
  expect(r.stdout).toMatch(/\| (?:shinjuku|mgn-fcfs) \|(?: [^|]+ \|)* (?:>= )?0\.\d{3} \|/)
  expect(r.stdout).toContain('latency (µs) and slowdown by request type')
  expect(readFileSync(chart, 'utf8')).toMatch(/^<svg[^>]*>/)
  expect(existsSync(join(dir, 'demo-results.json'))).toBe(true)
  // Bad input: one line, exit 2.
  const bad = spawnSync(process.execPath, ['scripts/demo.mjs'], {encoding: 'utf8', env: {...process.env, NODE_ENV: 'production', DEMO_REQUESTS: 'lots'}})
  expect(bad.status).toBe(2)
  expect(bad.stderr.trim()).toBe('Error: Expected DEMO_REQUESTS to be an integer >= 100, got "lots"')
}, 300_000)
