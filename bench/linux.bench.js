// Linux models' hot path: `linux-partitioned` and `linux-floating` with the `paper` costs on an
// in-memory 16-core, 10 us exponential trace, 2720 connections (no file I/O). Two loads: 0.4,
// within the models' capacity with the paper costs (their p99 is then finite), and 0.7, the load
// of the zygos and ix benches, past it (queues grow through the run, so the latencies are
// meaningless there; the speed is the figure). Prints simulated requests/s (best of BENCH_REPS,
// wall and CPU time: the machine may be shared, CPU time is the figure to compare), events per
// request, p99, and the process's peak RSS. Target: >= 2 M req/s.
// Env: BENCH_N (requests, default 2 M), BENCH_REPS (default 3), BENCH_POLICIES (comma-separated
// `spec@load`).
import {memoryStats, memoryTrace} from '../dist/src/trace/memory.js'
import {Rng} from '../dist/src/rng.js'
import {resolveCosts} from '../dist/src/sim/machine/costs.js'
import {DEFAULT_CONFIG, simulate} from '../dist/src/sim/simulate.js'
import {poissonColumns} from './lib/poisson.js'

const N = Number(process.env.BENCH_N ?? 2_000_000)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const cores = 16
const mean = 24_000 // 10 us at 2.4 GHz
const policies = (process.env.BENCH_POLICIES ?? 'linux-partitioned@0.4,linux-floating@0.4,linux-partitioned@0.7,linux-floating@0.7').split(',')
console.log(`requests ${N}, ${cores} cores, exp 10 us, 2720 connections, paper costs, in-memory trace`)
console.log('policy@load'.padEnd(24), 'Mreq/s CPU'.padStart(12), 'Mreq/s wall'.padStart(12), 'events/req'.padStart(11), 'p99 us'.padStart(12))
const traces = new Map()
for (const item of policies) {
  const [policy, at] = item.split('@')
  const load = Number(at ?? 0.4)
  // The trace is generated at the target load (no rescaling in the loop).
  if (!traces.has(load)) {
    const cols = poissonColumns({Rng, seed: 44, n: N, load, cores, mean})
    traces.set(load, {cols, stats: memoryStats(cols)})
  }
  const {cols, stats} = traces.get(load)
  let best = 0
  let bestCpu = 0
  let last
  for (let rep = 0; rep < REPS; rep++) {
    globalThis.gc?.()
    const c0 = process.cpuUsage()
    const r = await simulate(memoryTrace('bench', cols), stats, {...DEFAULT_CONFIG, policy, cores, costPreset: 'paper', costs: resolveCosts('paper')})
    const c = process.cpuUsage(c0)
    best = Math.max(best, r.sim_rate_rps)
    bestCpu = Math.max(bestCpu, N / ((c.user + c.system) / 1e6))
    last = r
  }
  console.log(
    `${policy}@${load}`.padEnd(24),
    (bestCpu / 1e6).toFixed(2).padStart(12),
    (best / 1e6).toFixed(2).padStart(12),
    (last.events / N).toFixed(2).padStart(11),
    last.latency.p99_us.toFixed(1).padStart(12),
  )
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
