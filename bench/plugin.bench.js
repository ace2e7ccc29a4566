// Plug-in policies against their built-in twins: the cost of running a policy from a module file
// under the plug-in checks (src/sim/plugin-guard.ts), against the same algorithm built in.
//   per-core-fifo:assign=rss   vs  n-mg1-fcfs:method=events  (identical events)
//   central-priority:order=fifo vs mgn-fcfs:method=events   (identical events; a heap instead of a ring)
// and, for information, the other variants of the examples. A 16-core, 10 us exponential
// in-memory trace at load 0.8; each run is timed in CPU seconds of this process (user + system,
// process.cpuUsage: the machine is shared, wall time would measure the neighbours), best of
// BENCH_REPS (default 7), after one untimed warm-up run per policy. Prints CPU ns per request and
// the ratio plug-in / built-in (of the best runs, and the median of the interleaved pairs' ratios).
//
// Env: BENCH_N (requests, default 200000), BENCH_REPS.
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {poissonColumns} from './lib/poisson.js'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const {Rng} = await import('../dist/src/rng.js')
const {memoryStats, memoryTrace} = await import('../dist/src/trace/memory.js')
const {resolveCosts} = await import('../dist/src/sim/machine/costs.js')
const {DEFAULT_CONFIG, simulate} = await import('../dist/src/sim/simulate.js')

const N = Number(process.env.BENCH_N ?? 200_000)
const REPS = Number(process.env.BENCH_REPS ?? 7)
const CORES = 16
const cols = poissonColumns({Rng, seed: 3, n: N, load: 0.8, cores: CORES, mean: 24_000})
const FIFO = join(root, 'examples/policies/per-core-fifo.mjs')
const PRIO = join(root, 'examples/policies/central-priority.mjs')

/** CPU ns per request of one run. */
async function once(policy) {
  const config = {...DEFAULT_CONFIG, policy, cores: CORES, costs: resolveCosts('zero')}
  const c0 = process.cpuUsage()
  const r = await simulate(memoryTrace('bench', cols), memoryStats(cols), config)
  const c = process.cpuUsage(c0)
  return {ns: ((c.user + c.system) * 1000) / N, p99: r.latency.p99_us}
}

/**
 * REPS runs of each policy, interleaved (a, b, a, b, ...) so that both see the same JIT and machine
 * state: the best run of each, and the median over the reps of the ratio of a pair's runs.
 */
async function bestOf(policies) {
  const best = policies.map(() => ({ns: Infinity, p99: NaN}))
  const ratios = []
  for (const p of policies) await once(p) // warm-up, untimed
  for (let rep = 0; rep < REPS; rep++) {
    const runs = []
    for (let i = 0; i < policies.length; i++) {
      const r = await once(policies[i])
      runs.push(r)
      if (r.ns < best[i].ns) best[i] = r
    }
    if (runs.length === 2) ratios.push(runs[0].ns / runs[1].ns)
  }
  ratios.sort((x, y) => x - y)
  return {best, median: ratios.length > 0 ? ratios[ratios.length >> 1] : NaN}
}

const pairs = [
  [`${FIFO}:assign=rss`, 'n-mg1-fcfs:method=events'],
  [`${PRIO}:order=fifo`, 'mgn-fcfs:method=events'],
  [FIFO, undefined],
  [PRIO, undefined],
]
const short = (p) => p.replace(`${root}/examples/policies/`, '')
process.stdout.write(`${N} requests, ${CORES} cores, load 0.8; CPU ns per request, best of ${REPS}\n`)
process.stdout.write(`${'plug-in'.padEnd(34)} ${'ns/req'.padStart(7)}  ${'built-in twin'.padEnd(26)} ${'ns/req'.padStart(7)}  ratio of bests, median ratio\n`)
for (const [plugin, twin] of pairs) {
  const {best: [a, b], median} = await bestOf(twin ? [plugin, twin] : [plugin])
  if (b && a.p99 !== b.p99) throw new Error(`${short(plugin)} and ${twin} disagree: p99 ${a.p99} vs ${b.p99}`)
  process.stdout.write(
    `${short(plugin).padEnd(34)} ${a.ns.toFixed(0).padStart(7)}  ${(twin ?? '-').padEnd(26)} ${(b ? b.ns.toFixed(0) : '-').padStart(7)}  ${b ? `${(a.ns / b.ns).toFixed(2)}, ${median.toFixed(2)}` : '-'}\n`,
  )
}
