// ZygOS hot path: `zygos` (and `zygos-nointr`) on an in-memory 16-core, 10 us exponential
// trace at load 0.7 with the `paper` cost preset and 2720 connections. Prints, best of 3, the
// simulated requests per second of CPU time (process.cpuUsage, user + system: the machine may be
// shared, so wall-clock rates are also shown but are not the figure to compare), engine events per
// request, p99, the stolen-event share, and the process's peak RSS. Target: >= 2 M req/s.
//
// Environment: BENCH_N (requests, default 3M), BENCH_REPS (best of, default 3), BENCH_POLICIES (comma list), BENCH_PRESET,
// BENCH_DIST (comma list of build directories to compare in this one process, default ../dist;
// e.g. a build of the previous commit: `npx tsc -p tsconfig.json --outDir /tmp/old/dist` with
// package.json and a node_modules link next to it). Repetitions alternate between builds.
import {dirname, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {poissonColumns} from './lib/poisson.js'

const here = dirname(fileURLToPath(import.meta.url))
const dists = (process.env.BENCH_DIST ?? resolve(here, '../dist')).split(',').map((d) => resolve(d))
const builds = []
for (const d of dists) {
  const load = (p) => import(pathToFileURL(resolve(d, p)).href)
  builds.push({
    dir: d,
    memory: await load('src/trace/memory.js'),
    rng: await load('src/rng.js'),
    costs: await load('src/sim/machine/costs.js'),
    sim: await load('src/sim/simulate.js'),
  })
}

const N = Number(process.env.BENCH_N ?? 3_000_000)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const cores = 16
const mean = 24_000 // 10 us at 2.4 GHz
const load = 0.7
const cols = poissonColumns({Rng: builds[0].rng.Rng, seed: 42, n: N, load, cores, mean})
const policies = (process.env.BENCH_POLICIES ?? 'zygos,zygos-nointr').split(',')
const preset = process.env.BENCH_PRESET ?? 'paper'
console.log(`requests ${N}, ${cores} cores, exp 10 us, load ${load}, 2720 connections, preset ${preset}, in-memory trace`)
console.log(
  'policy'.padEnd(22),
  'build'.padEnd(28),
  `Mreq/s CPU`.padStart(11),
  'Mreq/s wall'.padStart(12),
  'events/req'.padStart(11),
  'p99 us'.padStart(9),
  'stolen %'.padStart(9),
)
for (const policy of policies) {
  const best = builds.map(() => ({cpu: 0, wall: 0, r: undefined}))
  for (let rep = 0; rep < REPS; rep++) {
    for (let b = 0; b < builds.length; b++) {
      const {memory, costs, sim} = builds[b]
      const stats = memory.memoryStats(cols)
      const config = {...sim.DEFAULT_CONFIG, policy, cores, costPreset: preset, costs: costs.resolveCosts(preset)}
      globalThis.gc?.()
      const u0 = process.cpuUsage()
      const r = await sim.simulate(memory.memoryTrace('bench', cols), stats, config)
      const u = process.cpuUsage(u0)
      const cpuRate = r.requests / ((u.user + u.system) / 1e6)
      best[b].cpu = Math.max(best[b].cpu, cpuRate)
      best[b].wall = Math.max(best[b].wall, r.sim_rate_rps)
      best[b].r = r
    }
  }
  for (let b = 0; b < builds.length; b++) {
    const r = best[b].r
    console.log(
      policy.padEnd(22),
      builds[b].dir.slice(-28).padEnd(28),
      (best[b].cpu / 1e6).toFixed(2).padStart(11),
      (best[b].wall / 1e6).toFixed(2).padStart(12),
      (r.events / r.requests).toFixed(3).padStart(11),
      r.latency.p99_us.toFixed(1).padStart(9),
      (r.metrics.stolen_pct ?? 0).toFixed(1).padStart(9),
    )
  }
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
