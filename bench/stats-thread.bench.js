#!/usr/bin/env node
// The statistics thread (`npm run bench -- stats-thread`): each policy simulated in memory with
// the statistics in the main thread (`statsThread: 'off'`) and in a statistics thread ('on'),
// every run a process of its own, the two alternating. Prints, per mode, the median wall rate of
// simulate() and the median rate per CPU-second of the main thread alone (from
// /proc/self/task/PID/stat: what the hot loop costs; Linux only), and the whole process's CPU.
// 16 cores, load 0.7, 2720 connections; `exp` = 10 us exponential service with zero costs for the
// queueing models and `paper` costs for the systems; `bimodal` = 99.5 % x 0.5 us + 0.5 % x 500 us
// with a type column.
// Env: BENCH_N (default 3000000), BENCH_REPS (rounds, default 3), BENCH_POLICIES (comma list of
// policy[/exp|/bimodal], default mgn-fcfs,n-mg1-fcfs,ix,d-fcfs/bimodal,c-fcfs/bimodal).
import {spawnSync} from 'node:child_process'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'
import {bimodalColumns, poissonColumns} from './lib/poisson.js'

const {threadCpuSeconds} = createRequire(import.meta.url)('./lib/proc-cpu.cjs')

const self = fileURLToPath(import.meta.url)
const N = Number(process.env.BENCH_N ?? 3_000_000)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const CASES = (process.env.BENCH_POLICIES ?? 'mgn-fcfs,n-mg1-fcfs,ix,d-fcfs/bimodal,c-fcfs/bimodal').split(',')
const THEORY = new Set(['mgn-fcfs', 'n-mg1-fcfs', 'mgn-ps', 'n-mg1-ps'])

async function child(policy, workload, mode) {
  const memory = await import('../dist/src/trace/memory.js')
  const {Rng} = await import('../dist/src/rng.js')
  const {resolveCosts} = await import('../dist/src/sim/machine/costs.js')
  const {DEFAULT_CONFIG, simulate} = await import('../dist/src/sim/simulate.js')
  const cols =
    workload === 'bimodal'
      ? bimodalColumns({Rng, seed: 43, n: N, load: 0.7, cores: 16})
      : poissonColumns({Rng, seed: 42, n: N, load: 0.7, cores: 16, mean: 24_000})
  const preset = THEORY.has(policy.split(':')[0]) ? 'zero' : 'paper'
  const config = {...DEFAULT_CONFIG, policy, cores: 16, load: 0.7, costPreset: preset, costs: resolveCosts(preset)}
  const stats = memory.memoryStats(cols)
  await stats.sha256
  const m0 = threadCpuSeconds(process.pid)
  const u0 = process.cpuUsage()
  const r = await simulate(memory.memoryTrace('bench', cols), stats, config, {statsThread: mode})
  const u = process.cpuUsage(u0)
  const main = threadCpuSeconds(process.pid) - m0
  process.stdout.write(JSON.stringify({wall: r.sim_rate_rps, main: r.requests / main, cpu: r.requests / ((u.user + u.system) / 1e6)}) + '\n')
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main() {
  console.log(`${N} requests in memory, 16 cores, load 0.7; each run its own process, modes alternating, medians of ${REPS}`)
  console.log('policy/workload            stats in     wall M/s   main-thread M/s per CPU-s   process M/s per CPU-s')
  for (const c of CASES) {
    const [policy, workload = 'exp'] = c.split('/')
    const res = {off: [], on: []}
    for (let i = 0; i < REPS; i++) {
      for (const mode of ['off', 'on']) {
        const r = spawnSync(process.execPath, [self, '--child', policy, workload, mode], {encoding: 'utf8'})
        if (r.status !== 0) throw new Error(`${c} (${mode}) failed: ${r.stderr}`)
        res[mode].push(JSON.parse(r.stdout.trim().split('\n').pop()))
      }
    }
    for (const mode of ['off', 'on']) {
      const xs = res[mode]
      const f = (k) => (median(xs.map((x) => x[k])) / 1e6).toFixed(2)
      console.log(`${c.padEnd(26)} ${(mode === 'on' ? 'a thread' : 'main').padEnd(9)} ${f('wall').padStart(11)}   ${f('main').padStart(25)}   ${f('cpu').padStart(21)}`)
    }
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5])
else await main()
