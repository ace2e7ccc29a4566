#!/usr/bin/env node
// tailsim beside a peer simulator (`npm run bench -- peer`): the same model, M/G/n FCFS on 16
// cores with exponential 10 µs service at load 0.8, for 1 M and 10 M requests, each run a whole
// process (start-up included). tailsim runs it twice:
//   - `synthetic`: `tailsim replay --synthetic exp:10us -n N --load 0.8 --cores 16 --policy mgn-fcfs`
//     (it generates its requests, as the peer does);
//   - `arrow`: `tailsim replay FILE.arrow --load 0.8 --cores 16 --policy mgn-fcfs` on a trace
//     written beforehand by `tailsim generate` (not timed).
// The peer is the Go `schedsim` simulator (topology 0: one queue, run-to-completion cores), built
// locally and given by path: `npm run bench -- peer --schedsim /path/to/schedsim`, or the
// SCHEDSIM environment variable. It runs as `schedsim --topo=0 --genType=0 --procType=0 --mu=0.1
// --lambda=1.28 --duration=N/1.28` (rates per µs, duration in µs: about N requests). Its core
// count is a constant of its source, set before building; the script reads it back from the
// peer's output and warns when it is not 16.
// Without a peer, tailsim's figures are printed with a note on how to give one.
//
// Figures: requests per wall-clock second of the whole process (best of BENCH_REPS, default 3),
// and "by difference", (N10M − N1M)/(T10M − T1M), in which start-up cancels. The ratio is
// tailsim's rate over the peer's. Wall clock on a shared machine is noisy: the user+system CPU
// seconds of each best run are printed too.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'bin', 'run.js')
const CORES = 16
const LOAD = 0.8
const MEAN_US = 10
const SIZES = (process.env.BENCH_SIZES ?? '1000000,10000000').split(',').map(Number)
const REPS = Number(process.env.BENCH_REPS ?? 3)

const argi = process.argv.indexOf('--schedsim')
const peer = argi >= 0 ? process.argv[argi + 1] : process.env.SCHEDSIM

/** Run a command REPS times; the fastest run's wall seconds and CPU seconds (from /usr/bin/time when there). */
function timed(cmd, args, check) {
  let best
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now()
    const r = spawnSync(cmd, args, {encoding: 'utf8', maxBuffer: 64 << 20})
    const wall = (performance.now() - t0) / 1000
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).slice(0, 2000)}`)
    check?.(r.stdout)
    if (best === undefined || wall < best.wall) best = {wall, out: r.stdout}
  }
  return best
}

/** CPU seconds (user + system) of one run of the command, from getrusage of the child. */
function cpuOf(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], {encoding: 'utf8', maxBuffer: 64 << 20})
  if (r.status !== 0) return Number.NaN
  const [u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number)
  return u + s
}

const rate = (n, s) => `${(n / s / 1e6).toFixed(2)} M/s`
const byDifference = (rows) =>
  rows.length >= 2 ? (rows[rows.length - 1].n - rows[0].n) / (rows[rows.length - 1].wall - rows[0].wall) : Number.NaN

function report(label, rows) {
  for (const r of rows) {
    console.log(`${label.padEnd(22)} ${String(r.n).padStart(9)} req   ${r.wall.toFixed(2).padStart(7)} s wall   ${rate(r.n, r.wall).padStart(10)}   cpu ${r.cpu.toFixed(2)} s`)
  }
  const d = byDifference(rows)
  console.log(`${label.padEnd(22)} by difference: ${(d / 1e6).toFixed(2)} M/s`)
  return d
}

const dir = mkdtempSync(join(tmpdir(), 'tailsim-bench-peer-'))
try {
  const results = {}
  const replay = (extra) => ['replay', ...extra, '--policy', 'mgn-fcfs', '--cores', String(CORES), '--load', String(LOAD), '--json']
  const checkRequests = (n) => (out) => {
    const got = JSON.parse(out).requests
    if (got !== n) throw new Error(`expected ${n} requests simulated, got ${got}`)
  }

  for (const kind of ['synthetic', 'arrow']) {
    const rows = []
    for (const n of SIZES) {
      let args
      if (kind === 'synthetic') args = replay(['--synthetic', `exp:${MEAN_US}us`, '-n', String(n)])
      else {
        const file = join(dir, `exp-${n}.arrow`)
        const g = spawnSync(process.execPath, [bin, 'generate', file, '-n', String(n), '--service', `exp:${MEAN_US}us`, '--load', String(LOAD), '--cores', String(CORES)], {encoding: 'utf8'})
        if (g.status !== 0) throw new Error(`generate failed: ${g.stderr}`)
        args = replay([file, '--no-stats-cache'])
      }
      const best = timed(process.execPath, [bin, ...args], checkRequests(n))
      rows.push({n, wall: best.wall, cpu: cpuOf(process.execPath, [bin, ...args])})
    }
    results[kind] = {rows, diff: report(`tailsim ${kind}`, rows)}
  }

  if (peer === undefined) {
    console.log(
      '\nNo peer given. Build the Go schedsim simulator (topology 0, with its core count set to 16) and pass its path:\n' +
        '  npm run bench -- peer --schedsim /path/to/schedsim     (or SCHEDSIM=/path/to/schedsim npm run bench -- peer)',
    )
  } else {
    const lambda = LOAD * CORES * (1 / MEAN_US) // per µs
    const rows = []
    let cores
    for (const n of SIZES) {
      const args = ['--topo=0', '--genType=0', '--procType=0', `--mu=${1 / MEAN_US}`, `--lambda=${lambda}`, `--duration=${n / lambda}`]
      const best = timed(peer, args, (out) => {
        const m = /Cores:\s*(\d+)/.exec(out)
        if (m) cores = Number(m[1])
      })
      rows.push({n, wall: best.wall, cpu: cpuOf(peer, args)})
    }
    if (cores !== CORES) console.log(`warning: the peer reports ${cores ?? 'no'} cores, not ${CORES}: set its core count before building it`)
    const peerDiff = report('schedsim', rows)
    console.log('\nratio tailsim / schedsim (requests per wall second):')
    for (const kind of ['synthetic', 'arrow']) {
      const t = results[kind]
      const cells = t.rows.map((r, i) => `${r.n}: ${(r.n / r.wall / (rows[i].n / rows[i].wall)).toFixed(1)}x`)
      console.log(`  ${kind.padEnd(10)} whole process ${cells.join(', ')}; by difference ${(t.diff / peerDiff).toFixed(1)}x`)
    }
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
