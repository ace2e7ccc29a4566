// Per-type statistics: one busy request type (src/stats/sparse.ts, what the recorder does per
// measured request of a typed trace): BENCH_N latencies (default 3 M; exponential, mean 20 us at
// 2.4 GHz, plus 1.25 us) recorded over 10 batch-means slices, then one summary. Prints recorded
// values per second of CPU time (process.cpuUsage), per round. Nothing about the machine model.
//
// Environment: BENCH_N, BENCH_REPS (rounds, default 5), BENCH_DIST (comma list of build
// directories compared in this one process, rounds alternating; default ../dist).
import {dirname, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const dists = (process.env.BENCH_DIST ?? resolve(here, '../dist')).split(',').map((d) => resolve(d))
const mods = []
for (const d of dists) mods.push(await import(pathToFileURL(resolve(d, 'src/stats/sparse.js')).href))
const N = Number(process.env.BENCH_N ?? 3_000_000)
const REPS = Number(process.env.BENCH_REPS ?? 5)

// A fixed linear congruential sequence: the same values for every build.
const vals = new Float64Array(N)
let x = 12345
for (let i = 0; i < N; i++) {
  x = (x * 1103515245 + 12345) % 2147483648
  vals[i] = Math.max(1, Math.round(-Math.log(1 - x / 2147483648) * 48_000 + 3000))
}
console.log(`${N} latencies of one type, 10 slices, ${REPS} rounds per build (M values per CPU-second)`)
const rates = dists.map(() => [])
let p99
for (let rep = 0; rep < REPS; rep++) {
  mods.forEach((m, j) => {
    const h = new m.SparseHistogram()
    const c0 = process.cpuUsage()
    for (let i = 0; i < N; i++) h.record(vals[i], ((i * 10) / N) | 0)
    const s = h.summarize([50, 99], 10)
    const c = process.cpuUsage(c0)
    rates[j].push(N / ((c.user + c.system) / 1e6) / 1e6)
    p99 = s.pct[1]
  })
}
dists.forEach((d, j) => {
  const r = [...rates[j]].sort((a, b) => a - b)
  console.log(d.padEnd(40), r.map((v) => v.toFixed(1)).join(' '), ` median ${r[Math.floor(r.length / 2)].toFixed(1)}`)
})
console.log(`p99 ${p99} cycles`)
