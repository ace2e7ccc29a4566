// ZygOS hot path: `zygos` (and `zygos-nointr`) on an in-memory 16-core, 10 us exponential trace
// at load 0.7 with the `paper` cost preset and 2720 connections. Prints simulated requests/s
// (best of 3), p99, the stolen-event share, and the process's peak RSS. Target: >= 2 M req/s.
import {memoryStats, memoryTrace} from '../dist/src/trace/memory.js'
import {Rng} from '../dist/src/rng.js'
import {resolveCosts} from '../dist/src/sim/machine/costs.js'
import {DEFAULT_CONFIG, simulate} from '../dist/src/sim/simulate.js'

const N = Number(process.env.BENCH_N ?? 3_000_000)
const cores = 16
const mean = 24_000 // 10 us at 2.4 GHz
const load = 0.7
const rng = new Rng(42)
const arrival = new Float64Array(N)
const conn = new Uint32Array(N)
const service = new Float64Array(N)
const rate = (load * cores) / mean
let t = 0
for (let i = 0; i < N; i++) {
  t += -Math.log(1 - rng.float()) / rate
  arrival[i] = Math.round(t)
  conn[i] = rng.int(2720)
  service[i] = Math.max(1, Math.round(-Math.log(1 - rng.float()) * mean))
}
const cols = {arrival, conn, service}
const stats = memoryStats(cols)
const policies = (process.env.BENCH_POLICIES ?? 'zygos,zygos-nointr').split(',')
const preset = process.env.BENCH_PRESET ?? 'paper'
console.log(`requests ${N}, ${cores} cores, exp 10 us, load ${load}, 2720 connections, preset ${preset}, in-memory trace`)
console.log('policy'.padEnd(16), 'Mreq/s (best of 3)'.padStart(20), 'events/req'.padStart(11), 'p99 us'.padStart(9), 'stolen %'.padStart(9))
for (const policy of policies) {
  let best = 0
  let r
  for (let rep = 0; rep < 3; rep++) {
    r = await simulate(memoryTrace('bench', cols), stats, {...DEFAULT_CONFIG, policy, cores, costPreset: preset, costs: resolveCosts(preset)})
    best = Math.max(best, r.sim_rate_rps)
  }
  console.log(
    policy.padEnd(16),
    (best / 1e6).toFixed(2).padStart(20),
    (r.events / r.requests).toFixed(2).padStart(11),
    r.latency.p99_us.toFixed(1).padStart(9),
    (r.metrics.stolen_pct ?? 0).toFixed(1).padStart(9),
  )
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
