// Engine hot path: mgn-fcfs and n-mg1-fcfs on an in-memory 16-core, 10 us exponential trace at
// load 0.8 (no file I/O), to separate the simulation's speed from the readers'. Prints simulated
// requests/s (best of 3) and the process's peak RSS. Both implementations of each FCFS model are
// timed: the default recursion (no engine events) and `method=events` (one engine event per
// request, which is what the system models' event loop costs).
import {memoryStats, memoryTrace} from '../dist/src/trace/memory.js'
import {Rng} from '../dist/src/rng.js'
import {resolveCosts} from '../dist/src/sim/machine/costs.js'
import {DEFAULT_CONFIG, simulate} from '../dist/src/sim/simulate.js'
import {poissonColumns} from './lib/poisson.js'

const N = Number(process.env.BENCH_N ?? 5_000_000)
const cores = 16
const mean = 24_000 // 10 us at 2.4 GHz
const cols = poissonColumns({Rng, seed: 42, n: N, load: 0.8, cores, mean})
const stats = memoryStats(cols)
const policies = (process.env.BENCH_POLICIES ?? 'mgn-fcfs,n-mg1-fcfs,n-mg1-fcfs:assignment=random,mgn-fcfs:method=events,n-mg1-fcfs:method=events').split(',')
console.log(`requests ${N}, ${cores} cores, exp 10 us, load 0.8, in-memory trace`)
console.log('policy'.padEnd(32), 'Mreq/s wall'.padStart(12), 'Mreq/s CPU'.padStart(12), 'p99 us'.padStart(10), 'events/req'.padStart(11))
for (const policy of policies) {
  // Best of 3. The CPU-time rate (user+system time of this process) is less disturbed by other
  // processes on a shared machine than the wall-clock rate.
  let best = 0
  let bestCpu = 0
  let p99 = 0
  let events = 0
  for (let rep = 0; rep < 3; rep++) {
    const c0 = process.cpuUsage()
    const r = await simulate(memoryTrace('bench', cols), stats, {...DEFAULT_CONFIG, policy, cores, costs: resolveCosts('zero')})
    const c = process.cpuUsage(c0)
    best = Math.max(best, r.sim_rate_rps)
    bestCpu = Math.max(bestCpu, N / ((c.user + c.system) / 1e6))
    p99 = r.latency.p99_us
    events = r.events / r.requests
  }
  console.log(policy.padEnd(32), (best / 1e6).toFixed(2).padStart(12), (bestCpu / 1e6).toFixed(2).padStart(12), p99.toFixed(1).padStart(10), events.toFixed(2).padStart(11))
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
