#!/usr/bin/env node
/**
 * `npm run demo`: the max load each scheduler sustains at a slowdown SLO, on the two bimodal
 * workloads of the dispatcher designs, with the built CLI (`npm run build` first).
 *
 * One `tailsim compare` over synthetic:shinjuku-bimodal and synthetic:darc-bimodal (Poisson
 * arrivals, DEMO_REQUESTS requests each, default 100 000, seed 1), 16 cores, `paper` costs,
 * SLO slowdown p99.9 <= 10 (DEMO_SLO), plus one latency cell per policy at load 0.5 for the
 * by-type table. Prints compare's Markdown tables, then a summary table (max load per policy and
 * workload) and writes its chart as SVG (DEMO_CHART, default docs/img/demo-max-load-slowdown.svg).
 * Environment: DEMO_REQUESTS, DEMO_SLO, DEMO_CHART, DEMO_JOBS (compare --jobs), DEMO_SEARCH_TOL
 * (compare --search-tol, default 0.005), DEMO_POLICIES (a
 * comma-separated subset of the policies), DEMO_OUT (where the results file goes; default a
 * temporary directory, removed at the end).
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const requests = Number(process.env.DEMO_REQUESTS ?? 100_000)
if (!(Number.isInteger(requests) && requests >= 100)) {
  console.error(`Error: Expected DEMO_REQUESTS to be an integer >= 100, got ${JSON.stringify(process.env.DEMO_REQUESTS)}`)
  process.exit(2)
}
const slo = process.env.DEMO_SLO ?? 'slowdown:p99.9:10'
const chart = resolve(process.env.DEMO_CHART ?? join(root, 'docs/img/demo-max-load-slowdown.svg'))
// DARC profiles its first requests as c-fcfs (default 50 000): a tenth of the run here.
const profile = Math.max(100, Math.min(5000, Math.floor(requests / 10)))
const allPolicies = ['zygos', 'ix', 'shinjuku', 'concord', `darc:profile=${profile}`, 'c-fcfs', 'd-fcfs', 'mgn-fcfs']
// DEMO_POLICIES=shinjuku,mgn-fcfs keeps a subset (the test of this script runs two).
const only = process.env.DEMO_POLICIES?.split(',')
const policies = only === undefined ? allPolicies : allPolicies.filter((p) => only.includes(p.split(':')[0]))
const workloads = ['shinjuku-bimodal', 'darc-bimodal']
const outDir = process.env.DEMO_OUT ?? mkdtempSync(join(tmpdir(), 'tailsim-demo-'))
mkdirSync(outDir, {recursive: true})
const results = join(outDir, 'demo-results.json')

const args = [
  join(root, 'bin/run.js'),
  'compare',
  ...workloads.map((w) => `synthetic:${w}`),
  '--requests',
  String(requests),
  '--policies',
  policies.join(','),
  '--preset',
  'paper',
  '--cores',
  '16',
  '--seed',
  '1',
  '--slo',
  slo,
  '--loads',
  '0.5',
  '--format',
  'markdown',
  '--out',
  results,
  '--force',
  '--search-tol',
  process.env.DEMO_SEARCH_TOL ?? '0.005',
  ...(process.env.DEMO_JOBS !== undefined ? ['--jobs', process.env.DEMO_JOBS] : []),
]
console.log(`$ tailsim ${args.slice(1).join(' ')}\n`)
const started = process.hrtime.bigint()
const run = spawnSync(process.execPath, args, {stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8'})
if (run.status !== 0) {
  process.stdout.write(run.stdout ?? '')
  console.error(`Error: tailsim compare exited with ${run.status ?? run.signal}`)
  process.exit(1)
}
process.stdout.write(run.stdout)
const seconds = Number(process.hrtime.bigint() - started) / 1e9

const {rows} = JSON.parse(readFileSync(results, 'utf8'))
const maxLoad = new Map()
for (const r of rows) if (r.kind === 'max_load') maxLoad.set(`${r.policy}|${r.trace}`, r)
const cell = (r) => (r === undefined ? 'n/a' : r.search_status === 'unmet' ? 'unmet (< 0.01)' : `${r.search_status === 'at_upper_bound' ? '>= ' : ''}${r.max_load.toFixed(3)}`)
const {describeSlo, parseSlo, resolveSlo} = await import(join(root, 'dist/src/experiment/slo.js'))
const sloText = describeSlo(resolveSlo(parseSlo(slo), 1))
const lines = [
  `## Max load at SLO ${sloText} (${requests} requests per workload, 16 cores, paper costs; search resolution ±${process.env.DEMO_SEARCH_TOL ?? '0.005'})`,
  '',
  `| policy | ${workloads.join(' | ')} |`,
  `| --- | ${workloads.map(() => '---:').join(' | ')} |`,
  ...policies.map((p) => `| ${p} | ${workloads.map((w) => cell(maxLoad.get(`${p}|synthetic:${w}`))).join(' | ')} |`),
]
console.log(`\n${lines.join('\n')}\n`)

const {groupedBarChartSvg} = await import(join(root, 'dist/src/report/type-chart.js'))
const bars = policies.flatMap((p) =>
  workloads.map((w) => {
    const r = maxLoad.get(`${p}|synthetic:${w}`)
    const label = r === undefined ? 'n/a' : r.search_status === 'unmet' ? 'unmet' : `${r.search_status === 'at_upper_bound' ? '≥' : ''}${r.max_load.toFixed(2)}`
    return {group: p, series: w, value: r === undefined ? null : r.max_load, label}
  }),
)
const svg = await groupedBarChartSvg({
  bars,
  groups: policies,
  valueTitle: 'max load ρ meeting the SLO',
  seriesTitle: 'workload',
  domain: [0, 1],
  title: `Max load at SLO ${sloText.replace(/<=/g, '≤')}`,
  caption: `${requests} requests per workload, 16 cores, paper costs, seed 1; unmet: the SLO fails even at load 0.01`,
})
mkdirSync(dirname(chart), {recursive: true})
writeFileSync(chart, svg)
console.log(`chart: ${chart}`)
console.log(`(compare took ${seconds.toFixed(0)} s of wall-clock time)`)
if (process.env.DEMO_OUT === undefined) rmSync(outDir, {recursive: true, force: true})
