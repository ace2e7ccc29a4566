// IX hot path: `ix:batch=1` and `ix` (B = 64) with the `paper` costs on an in-memory 16-core,
// 10 us exponential trace at load 0.7, 2720 connections (no file I/O; target >= 6 M simulated
// requests/s). The Linux models have their own bench (linux.bench.js). Prints simulated
// requests/s (best of 3, wall and CPU time), events per request, p99 and mean batch size, and the
// process's peak RSS.
// Env: BENCH_N (requests, default 3 M), BENCH_POLICIES (comma-separated `spec` or `spec@load`).
import {memoryStats, memoryTrace} from '../dist/src/trace/memory.js'
import {Rng} from '../dist/src/rng.js'
import {resolveCosts} from '../dist/src/sim/machine/costs.js'
import {DEFAULT_CONFIG, simulate} from '../dist/src/sim/simulate.js'
import {poissonColumns} from './lib/poisson.js'

const N = Number(process.env.BENCH_N ?? 3_000_000)
const cores = 16
const load = 0.7
const mean = 24_000 // 10 us at 2.4 GHz
const cols = poissonColumns({Rng, seed: 43, n: N, load, cores, mean})
const stats = memoryStats(cols)
const policies = (process.env.BENCH_POLICIES ?? 'ix:batch=1,ix').split(',')
console.log(`requests ${N}, ${cores} cores, exp 10 us, load ${load} unless @load, paper costs, in-memory trace`)
console.log('policy'.padEnd(24), 'Mreq/s wall'.padStart(12), 'Mreq/s CPU'.padStart(12), 'events/req'.padStart(11), 'p99 us'.padStart(10), 'batch'.padStart(7))
for (const item of policies) {
  const [policy, at] = item.split('@')
  let best = 0
  let bestCpu = 0
  let last
  for (let rep = 0; rep < 3; rep++) {
    const c0 = process.cpuUsage()
    const r = await simulate(memoryTrace('bench', cols), stats, {...DEFAULT_CONFIG, policy, cores, load: at === undefined ? undefined : Number(at), costPreset: 'paper', costs: resolveCosts('paper')})
    const c = process.cpuUsage(c0)
    best = Math.max(best, r.sim_rate_rps)
    bestCpu = Math.max(bestCpu, N / ((c.user + c.system) / 1e6))
    last = r
  }
  console.log(
    item.padEnd(24),
    (best / 1e6).toFixed(2).padStart(12),
    (bestCpu / 1e6).toFixed(2).padStart(12),
    (last.events / N).toFixed(2).padStart(11),
    last.latency.p99_us.toFixed(1).padStart(10),
    (last.metrics.batch_mean ?? NaN).toFixed(2).padStart(7),
  )
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
