#!/usr/bin/env node
// Trace ingest benchmark (`npm run bench -- trace`): generates a 10-million-row Arrow IPC file
// (and smaller Parquet and CSV files) in the OS temp folder, then reads each one in a fresh child
// process through `openTrace`, reporting rows/s and the reader's peak memory (RSS from
// getrusage, and the largest V8 heap seen). Files are deleted at the end. Needs `npm run build`.
// Options: --rows N (Arrow rows, default 10,000,000), --small N (Parquet/CSV rows, default 2,000,000).
//
// Also a production-style log (`timestamp_ns,client,latency_us`: 19-digit epoch nanoseconds,
// rebased exactly at ingest) as CSV, TSV and gzip-compressed CSV, read with column flags; the
// reader's rate is the fastest of three passes in one process, in wall time and in CPU time of the
// process and of the reader thread alone (the machine may be shared). `--log-only` runs just these.
import {spawnSync} from 'node:child_process'
import {createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {createGzip} from 'node:zlib'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = fileURLToPath(import.meta.url)
const dist = new URL('../dist/src/trace/index.js', import.meta.url).href

const LOG_COLUMNS = {arrival: 'timestamp_ns', conn: 'client', service: 'latency_us'}

/** CPU seconds (user + system) of every thread of this process, by thread id (Linux; empty elsewhere). */
function threadCpu() {
  const out = new Map()
  try {
    for (const t of readdirSync('/proc/self/task')) {
      try {
        const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ')
        out.set(t, (Number(f[11]) + Number(f[12])) / 100) // USER_HZ
      } catch {
        // the thread ended
      }
    }
  } catch {
    // not Linux
  }
  return out
}

if (process.argv[2] === 'read-log') {
  // Child: read one epoch-ns log three times, print the best pass as one JSON line: wall time, the
  // process's CPU time (gzip inflates on libuv's pool threads) and the reader thread's CPU time
  // (this thread in-thread, else the busiest other thread: the reader worker).
  const {openTrace} = await import(dist)
  const [file, where] = process.argv.slice(3)
  const opts = {ghz: 2.4, columns: LOG_COLUMNS, ...(where === 'in-thread' ? {isolate: false} : {})}
  let best
  for (let pass = 0; pass < 3; pass++) {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    const th0 = threadCpu()
    let rows = 0
    for await (const b of openTrace(file, opts).batches()) rows += b.length
    const secs = (performance.now() - t0) / 1000
    const c = process.cpuUsage(c0)
    const cpu = (c.user + c.system) / 1e6
    let reader = 0
    for (const [t, v] of threadCpu()) {
      if ((Number(t) === process.pid) === (where === 'in-thread')) reader = Math.max(reader, v - (th0.get(t) ?? 0))
    }
    if (best === undefined || secs < best.secs) best = {rows, secs, cpu, reader}
  }
  const maxRssMiB = process.resourceUsage().maxRSS / 1024
  const {rows, secs, cpu, reader} = best
  console.log(JSON.stringify({...best, rowsPerSec: rows / secs, rowsPerCpuSec: rows / cpu, rowsPerReaderCpuSec: rows / reader, maxRssMiB}))
  process.exit(0)
}

if (process.argv[2] === 'read') {
  // Child: read one file, print one JSON line.
  const {openTrace, scanTrace} = await import(dist)
  const [file, mode, where] = process.argv.slice(3)
  // `isolate: false` reads in this thread (no reader worker), when the library supports isolation.
  const opts = {ghz: 2.4, ...(where === 'in-thread' ? {isolate: false} : {})}
  let peakHeap = 0
  const sample = () => {
    const h = process.memoryUsage().heapUsed
    if (h > peakHeap) peakHeap = h
  }
  const timer = setInterval(sample, 20)
  const t0 = performance.now()
  let rows = 0
  let checksum = 0
  if (mode === 'scan') {
    rows = (await scanTrace(openTrace(file, opts))).requests
  } else {
    for await (const b of openTrace(file, opts).batches()) {
      rows += b.length
      checksum += b.service[b.length - 1]
      sample()
    }
  }
  const secs = (performance.now() - t0) / 1000
  clearInterval(timer)
  sample()
  const maxRssMiB = process.resourceUsage().maxRSS / 1024
  console.log(JSON.stringify({rows, secs, rowsPerSec: rows / secs, maxRssMiB, peakHeapMiB: peakHeap / 2 ** 20, checksum}))
  process.exit(0)
}

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}
const ROWS = arg('--rows', 10_000_000)
const SMALL = arg('--small', 2_000_000)
const {syntheticTrace, writeTrace} = await import(dist)
const dir = mkdtempSync(join(tmpdir(), 'tailsim-bench-trace-'))

function read(file, mode = 'batches', where = 'default') {
  const r = spawnSync(process.execPath, [here, 'read', file, mode, where], {encoding: 'utf8', maxBuffer: 1 << 20})
  if (r.status !== 0) throw new Error(`reader failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

const fmt = (x, d = 1) => x.toFixed(d)

/** A log of n requests: epoch-ns arrivals (Poisson, mean gap 1 µs), 2720 integer client ids, service in µs. */
async function writeLog(file, n, sep) {
  const out = createWriteStream(file, {highWaterMark: 1 << 20})
  let sink = out
  if (file.endsWith('.gz')) {
    sink = createGzip({level: 6})
    sink.pipe(out)
  }
  let x = 1
  const rnd = () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
  let sec = 1732700000
  let ns = 0
  let lines = [`timestamp_ns${sep}client${sep}latency_us`]
  for (let i = 0; i < n; i++) {
    ns += Math.floor(-Math.log(1 - rnd()) * 1000)
    if (ns >= 1e9) {
      sec += Math.floor(ns / 1e9)
      ns %= 1e9
    }
    lines.push(`${sec}${String(ns).padStart(9, '0')}${sep}${Math.floor(rnd() * 2720)}${sep}${(0.5 + rnd() * 20).toFixed(1)}`)
    if (lines.length >= 10000) {
      if (!sink.write(lines.join('\n') + '\n')) await new Promise((r) => sink.once('drain', r))
      lines = []
    }
  }
  sink.end(lines.length > 0 ? lines.join('\n') + '\n' : '')
  await new Promise((r) => out.on('finish', r))
}

try {
  const cases = [
    ['arrow', ROWS, 'default'],
    ['arrow', ROWS, 'in-thread'],
    ['arrows', ROWS, 'default'],
    ['parquet', SMALL, 'default'],
    ['csv', SMALL, 'default'],
    ['csv', SMALL, 'in-thread'],
  ]
  console.log(`format   reader      rows        file MiB   write s   read rows/s   read peak RSS MiB   read peak heap MiB   scan rows/s`)
  for (const [ext, n, where] of process.argv.includes('--log-only') ? [] : cases) {
    const file = join(dir, `trace-${where}.${ext}`)
    const src = syntheticTrace({requests: n, service: 'exp:10us', load: 0.7, cores: 16, seed: 1})
    const t0 = performance.now()
    await writeTrace(src, file)
    const wsecs = (performance.now() - t0) / 1000
    const mib = statSync(file).size / 2 ** 20
    const r = read(file, 'batches', where)
    const s = read(file, 'scan', where)
    if (r.rows !== n || s.rows !== n) throw new Error(`expected ${n} rows, read ${r.rows}/${s.rows}`)
    console.log(
      `${ext.padEnd(8)} ${where.padEnd(11)} ${String(n).padEnd(11)} ${fmt(mib).padStart(8)}   ${fmt(wsecs).padStart(7)}   ` +
        `${(fmt(r.rowsPerSec / 1e6, 2) + 'M').padStart(11)}   ${fmt(r.maxRssMiB).padStart(17)}   ${fmt(r.peakHeapMiB).padStart(18)}   ` +
        `${(fmt(s.rowsPerSec / 1e6, 2) + 'M').padStart(11)}`,
    )
    rmSync(file)
  }
  console.log(`\nepoch-ns log (timestamp_ns,client,latency_us), ${SMALL} rows, best of 3 passes`)
  console.log(`format      reader      file MiB   rows/s (wall)   rows/CPU-s (process)   rows/CPU-s (reader thread)   peak RSS MiB`)
  for (const [name, sep] of [['log.csv', ','], ['log.tsv', '\t'], ['log.csv.gz', ',']]) {
    const file = join(dir, name)
    await writeLog(file, SMALL, sep)
    const mib = statSync(file).size / 2 ** 20
    for (const where of ['in-thread', 'default']) {
      const r = spawnSync(process.execPath, [here, 'read-log', file, where], {encoding: 'utf8', maxBuffer: 1 << 20})
      if (r.status !== 0) throw new Error(`reader failed: ${r.stderr}`)
      const x = JSON.parse(r.stdout.trim().split('\n').pop())
      if (x.rows !== SMALL) throw new Error(`expected ${SMALL} rows, read ${x.rows}`)
      console.log(
        `${name.padEnd(11)} ${where.padEnd(11)} ${fmt(mib).padStart(8)}   ${(fmt(x.rowsPerSec / 1e6, 2) + 'M').padStart(13)}   ` +
          `${(fmt(x.rowsPerCpuSec / 1e6, 2) + 'M').padStart(20)}   ${(fmt(x.rowsPerReaderCpuSec / 1e6, 2) + 'M').padStart(26)}   ` +
          `${fmt(x.maxRssMiB).padStart(12)}`,
      )
    }
    rmSync(file)
  }

  if (!process.argv.includes('--log-only')) {
    const synth = syntheticTrace({requests: ROWS, service: 'exp:10us', load: 0.7, cores: 16, seed: 1})
    const t0 = performance.now()
    let n = 0
    for await (const b of synth.batches()) n += b.length
    console.log(`synthetic generation (exp:10us, in memory): ${fmt(n / ((performance.now() - t0) / 1000) / 1e6, 2)}M rows/s`)
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
