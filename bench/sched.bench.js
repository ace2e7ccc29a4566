// Dispatcher-based and core-allocating policies (shinjuku, concord, darc, c-fcfs, d-fcfs, jbsq,
// shenango, caladan): simulated requests per
// second of CPU time (process.cpuUsage, user + system; the machine may be shared, so the wall rate
// is shown but is not the figure to compare), best of BENCH_REPS, on two in-memory 16-core traces
// at load 0.7: exponential 10 us service, and the 99.5 % x 0.5 us / 0.5 % x 500 us bimodal with a
// type column. Also prints engine events per request and the process's peak RSS at the end.
// Target: >= 2 M req/s for each policy on both.
//
// Environment: BENCH_N (requests, default 2M), BENCH_REPS (default 3), BENCH_POLICIES (comma
// list), BENCH_PRESET (default paper).
import {dirname, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {bimodalColumns, poissonColumns} from './lib/poisson.js'

const here = dirname(fileURLToPath(import.meta.url))
const load = (p) => import(pathToFileURL(resolve(here, '../dist', p)).href)
const memory = await load('src/trace/memory.js')
const {Rng} = await load('src/rng.js')
const costs = await load('src/sim/machine/costs.js')
const sim = await load('src/sim/simulate.js')

const N = Number(process.env.BENCH_N ?? 2_000_000)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const preset = process.env.BENCH_PRESET ?? 'paper'
const policies = (process.env.BENCH_POLICIES ?? 'shinjuku,concord,darc,c-fcfs,d-fcfs,jbsq:k=2,shenango,caladan,shenango:alloc=static').split(',')
const cores = 16

const traces = [
  ['exp 10us', poissonColumns({Rng, seed: 42, n: N, load: 0.7, cores, mean: 24_000})],
  ['bimodal 99.5/0.5', bimodalColumns({Rng, seed: 43, n: N, load: 0.7, cores})],
]
console.log(`requests ${N}, ${cores} cores, load 0.7, preset ${preset}, in-memory traces, best of ${REPS}`)
console.log('trace'.padEnd(18), 'policy'.padEnd(22), 'Mreq/s CPU'.padStart(11), 'Mreq/s wall'.padStart(12), 'events/req'.padStart(11), 'p99 us'.padStart(9))
for (const [name, cols] of traces) {
  for (const policy of policies) {
    let cpu = 0
    let wall = 0
    let r
    for (let rep = 0; rep < REPS; rep++) {
      const config = {...sim.DEFAULT_CONFIG, policy, cores, costPreset: preset, costs: costs.resolveCosts(preset)}
      globalThis.gc?.()
      const u0 = process.cpuUsage()
      r = await sim.simulate(memory.memoryTrace('bench', cols), memory.memoryStats(cols), config)
      const u = process.cpuUsage(u0)
      cpu = Math.max(cpu, r.requests / ((u.user + u.system) / 1e6))
      wall = Math.max(wall, r.sim_rate_rps)
    }
    console.log(
      name.padEnd(18),
      policy.padEnd(22),
      (cpu / 1e6).toFixed(2).padStart(11),
      (wall / 1e6).toFixed(2).padStart(12),
      (r.events / r.requests).toFixed(2).padStart(11),
      r.latency.p99_us.toFixed(1).padStart(9),
    )
  }
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
