// The theoretical models end to end while streaming the trace from an Arrow file: mgn-fcfs,
// n-mg1-fcfs, mgn-ps, n-mg1-ps on a 16-core, 10 us exponential trace at load 0.8 (2720
// connections). Prints simulated requests per second (wall clock of simulate(), which includes
// reading and decoding the Arrow file) and the peak resident memory of each run. Every run is a
// child process of its own, so its peak RSS is its own and not a high-water mark of earlier runs.
//
// Memory vs trace length: the same runs for 10 M and (with BENCH_BIG=1) 100 M requests; a
// streaming simulator's peak RSS must not grow with the trace length.
//
// A `read-only` row streams the same file without simulating (a second pass, as the simulation's
// is): the reader's ceiling.
//
// Env: BENCH_N (default 10000000), BENCH_BIG=1 (adds 100 M), BENCH_POLICIES (comma list),
// BENCH_REPS (runs per policy, best rate kept; default 3: the machine is noisy), BENCH_KEEP=1 (keep the trace files).
// The trace files are generated once per size in os.tmpdir() with `writeTrace` (the generator of
// `tailsim generate`) and removed at the end.
import {spawnSync} from 'node:child_process'
import {existsSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const self = fileURLToPath(import.meta.url)
const GHZ = 2.4
const CORES = 16
const LOAD = 0.8

/** Read the file only (no simulation): the ingest ceiling of the end-to-end rate. */
async function childRead(path) {
  const {openTrace} = await import('../dist/src/trace/open.js')
  const source = openTrace(path, {ghz: GHZ})
  // A first, untimed pass, as the scan is before a simulation: the timed pass then reads through
  // the same (reused, warm) reader worker as the simulation does.
  for await (const b of source.batches()) if (b.length < 0) throw new Error('unreachable')
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  let n = 0
  let x = 0
  for await (const b of source.batches()) {
    n += b.length
    x += b.service[0]
  }
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const cpuS = (cpu.user + cpu.system) / 1e6
  process.stdout.write(
    JSON.stringify({rate: n / (wallMs / 1000), cpuRate: n / cpuS, wallMs, scanMs: 0, p99: NaN, events: 0, requests: n, check: x, rssMb: process.resourceUsage().maxRSS / 1024}) + '\n',
  )
}

async function child(path, policy) {
  if (policy === 'read-only') return childRead(path)
  const {openTrace} = await import('../dist/src/trace/open.js')
  const {scanTrace} = await import('../dist/src/trace/scan.js')
  const {resolveCosts} = await import('../dist/src/sim/machine/costs.js')
  const {DEFAULT_CONFIG, simulate} = await import('../dist/src/sim/simulate.js')
  const source = openTrace(path, {ghz: GHZ})
  const t0 = performance.now()
  const stats = await scanTrace(source, {ghz: GHZ})
  const scanMs = performance.now() - t0
  const cpu0 = process.cpuUsage()
  const r = await simulate(source, stats, {...DEFAULT_CONFIG, policy, cores: CORES, load: LOAD, costs: resolveCosts('zero')})
  const cpu = process.cpuUsage(cpu0)
  const cpuS = (cpu.user + cpu.system) / 1e6
  process.stdout.write(
    JSON.stringify({
      rate: r.sim_rate_rps,
      cpuRate: r.requests / cpuS,
      wallMs: r.wall_ms,
      scanMs,
      p99: r.latency.p99_us,
      events: r.events,
      requests: r.requests,
      rssMb: process.resourceUsage().maxRSS / 1024,
    }) + '\n',
  )
}

async function makeTrace(n) {
  const path = join(tmpdir(), `tailsim-theory-bench-${n}.arrow`)
  if (existsSync(path) && statSync(path).size > n * 20) return {path, made: false}
  const {syntheticTrace} = await import('../dist/src/trace/synthetic.js')
  const {writeTrace} = await import('../dist/src/trace/writer.js')
  const t0 = performance.now()
  const source = syntheticTrace({requests: n, service: 'exp:10us', load: LOAD, cores: CORES, connections: 2720, seed: 42, ghz: GHZ})
  await writeTrace(source, path, {force: true, ghz: GHZ})
  const s = (performance.now() - t0) / 1000
  console.log(`generated ${(n / 1e6).toFixed(0)} M requests to ${path} (${(statSync(path).size / 2 ** 20).toFixed(0)} MB) in ${s.toFixed(1)} s`)
  return {path, made: true}
}

function runChild(path, policy) {
  const r = spawnSync(process.execPath, [self, '--child', path, policy], {encoding: 'utf8', maxBuffer: 1 << 20})
  if (r.status !== 0) throw new Error(`${policy} on ${path} failed (exit ${r.status}):\n${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

async function main() {
  const sizes = [Number(process.env.BENCH_N ?? 10_000_000)]
  if (process.env.BENCH_BIG === '1') sizes.push(100_000_000)
  // `read-only` streams the file without simulating: the ingest ceiling of the end-to-end rate.
  const policies = (process.env.BENCH_POLICIES ?? 'read-only,mgn-fcfs,n-mg1-fcfs,mgn-ps,n-mg1-ps').split(',')
  const reps = Number(process.env.BENCH_REPS ?? 3)
  const target = {'mgn-fcfs': 10, 'n-mg1-fcfs': 10, 'mgn-ps': 3, 'n-mg1-ps': 3}
  console.log(`${CORES} cores, exp 10 us, load ${LOAD}, 2720 connections, streamed from an Arrow IPC file (zero costs)`)
  const files = []
  const rows = []
  try {
    for (const n of sizes) {
      const f = await makeTrace(n)
      files.push(f)
      for (const policy of policies) {
        let best
        for (let i = 0; i < reps; i++) {
          const m = runChild(f.path, policy)
          if (best === undefined || m.rate > best.rate) best = {...m, rssMb: Math.max(m.rssMb, best?.rssMb ?? 0)}
        }
        rows.push({n, policy, ...best})
      }
    }
  } finally {
    if (process.env.BENCH_KEEP !== '1') for (const f of files) rmSync(f.path, {force: true})
  }
  const head = ['requests', 'policy', 'Mreq/s wall', 'Mreq/s cpu', 'target', 'events/req', 'p99 us', 'peak RSS MB', 'scan s']
  const w = [9, 12, 12, 11, 7, 11, 8, 12, 7]
  const fmt = (cells) => cells.map((c, i) => String(c).padStart(w[i])).join(' ')
  console.log(fmt(head))
  for (const r of rows) {
    const t = target[r.policy]
    console.log(
      fmt([
        `${r.n / 1e6}M`,
        r.policy,
        (r.rate / 1e6).toFixed(2),
        (r.cpuRate / 1e6).toFixed(2),
        t ? `>=${t}` : '-',
        (r.events / r.requests).toFixed(2),
        typeof r.p99 === 'number' && Number.isFinite(r.p99) ? r.p99.toFixed(1) : '-',
        r.rssMb.toFixed(0),
        (r.scanMs / 1000).toFixed(1),
      ]),
    )
  }
  if (sizes.length > 1) {
    for (const policy of policies) {
      const a = rows.find((r) => r.n === sizes[0] && r.policy === policy)
      const b = rows.find((r) => r.n === sizes[1] && r.policy === policy)
      console.log(`${policy}: peak RSS ${a.rssMb.toFixed(0)} MB at ${sizes[0] / 1e6}M vs ${b.rssMb.toFixed(0)} MB at ${sizes[1] / 1e6}M requests`)
    }
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4])
else await main()
