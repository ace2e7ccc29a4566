#!/usr/bin/env node
// The whole `replay` command (`npm run bench -- whole`): start-up, statistics, reading, simulating
// and the fingerprint, each run a process of its own, on a 0.5 M and a 5 M-request trace (16
// cores, exp 10 µs, load 0.8, written beforehand by `tailsim generate`, not timed), in Arrow IPC
// and Parquet. The rate "by difference", 4.5 M / (T5M − T0.5M), cancels start-up.
//   tailsim generate t5m.arrow -n 5000000 --load 0.8 --cores 16
//   tailsim replay t5m.arrow --policy mgn-fcfs --cores 16 --load 0.8 --no-stats-cache
// Besides wall time (best of BENCH_REPS, default 3), each run reports the CPU seconds of its main
// thread and of its other threads (bench/lib/thread-cpu.cjs): on a shared machine, wall time
// measures the neighbours as much as tailsim, and the main thread's CPU by difference is the rate
// the command would reach with a core of its own (the reader runs on another thread).
// Env: BENCH_POLICIES (default mgn-fcfs,n-mg1-fcfs), BENCH_FORMATS (default arrow,parquet),
// BENCH_SIZES (default 500000,5000000).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const bin = join(here, '..', 'bin', 'run.js')
const preload = join(here, 'lib', 'thread-cpu.cjs')
const SIZES = (process.env.BENCH_SIZES ?? '500000,5000000').split(',').map(Number)
const POLICIES = (process.env.BENCH_POLICIES ?? 'mgn-fcfs,n-mg1-fcfs').split(',')
const FORMATS = (process.env.BENCH_FORMATS ?? 'arrow,parquet').split(',')
const REPS = Number(process.env.BENCH_REPS ?? 3)

function run(args) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--require', preload, bin, ...args], {encoding: 'utf8', maxBuffer: 64 << 20})
  const wall = (performance.now() - t0) / 1000
  if (r.status !== 0) throw new Error(`tailsim ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`)
  const line = r.stderr.split('\n').find((l) => l.startsWith('THREAD-CPU '))
  const t = line ? JSON.parse(line.slice('THREAD-CPU '.length)) : {main: Number.NaN, others: []}
  return {wall, main: t.main, others: t.others.reduce((a, b) => a + b, 0)}
}

const dir = mkdtempSync(join(tmpdir(), 'tailsim-bench-whole-'))
try {
  console.log('16 cores, exp 10 us, load 0.8; whole processes; best of', REPS, '(wall), CPU of the best run')
  console.log('policy       format    requests   wall s   main-thread cpu s   other threads cpu s')
  for (const format of FORMATS) {
    const files = new Map()
    for (const n of SIZES) {
      const file = join(dir, `t${n}.${format}`)
      const g = spawnSync(process.execPath, [bin, 'generate', file, '-n', String(n), '--load', '0.8', '--cores', '16'], {encoding: 'utf8'})
      if (g.status !== 0) throw new Error(`generate failed: ${g.stderr}`)
      files.set(n, file)
    }
    for (const policy of POLICIES) {
      const rows = []
      for (const n of SIZES) {
        let best
        for (let i = 0; i < REPS; i++) {
          const r = run(['replay', files.get(n), '--policy', policy, '--cores', '16', '--load', '0.8', '--no-stats-cache'])
          if (best === undefined || r.wall < best.wall) best = r
        }
        rows.push({n, ...best})
        console.log(
          `${policy.padEnd(12)} ${format.padEnd(8)} ${String(n).padStart(9)}   ${best.wall.toFixed(2).padStart(6)}   ${best.main.toFixed(2).padStart(17)}   ${best.others.toFixed(2).padStart(19)}`,
        )
      }
      const a = rows[0]
      const b = rows[rows.length - 1]
      const dn = b.n - a.n
      const m = (x) => (x > 0 ? `${(dn / x / 1e6).toFixed(1)} M/s` : 'n/a')
      console.log(`${policy.padEnd(12)} ${format.padEnd(8)} by difference: wall ${m(b.wall - a.wall)}, main-thread CPU ${m(b.main - a.main)}, other threads CPU ${m(b.others - a.others)}`)
    }
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
