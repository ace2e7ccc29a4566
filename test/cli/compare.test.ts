/**
 * End-to-end tests of `tailsim compare` through the compiled CLI (dist/; `npm test` builds first),
 * in-process (./inproc.ts) except the sweep stopped by signals, which needs real processes
 * (bin/run.js). Kept small: a few thousand requests per trace except where a tolerance needs more.
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parquetMetadata, parquetReadObjects} from 'hyparquet'
import {beforeAll, describe, expect, it} from 'vitest'

import type {TablesModel} from '../../src/report/tables.js'
import {SCHEMA_VERSION} from '../../src/results/schema.js'
import {tailsimIn} from './inproc.js'

const BIN = join(process.cwd(), 'bin', 'run.js')
// NODE_ENV=test (set by vitest) makes oclif look for TypeScript sources; run the built CLI as users do.
const env = {...process.env, NODE_ENV: 'production'}

async function tailsim(args: string[]): Promise<{status: number; stdout: string; stderr: string}> {
  const r = await tailsimIn(process.cwd(), args)
  return {status: r.exit, stdout: r.stdout, stderr: r.stderr}
}

const tmp = () => mkdtempSync(join(tmpdir(), 'tailsim-compare-'))

// A small, quick sweep: 4 cores, 10 µs exponential, 3000 requests, two policies (+ mgn-fcfs).
const SMALL = [
  'compare',
  'synthetic:exp:10us',
  '--policies',
  'n-mg1-fcfs,mgn-ps',
  '--cores',
  '4',
  '--preset',
  'zero',
  '--requests',
  '3000',
  '--loads',
  '0.3,0.6,0.85',
  '--search-range',
  '0.1:0.95',
  '--search-tol',
  '0.02',
  '--jobs',
  '0',
]

beforeAll(() => {
  if (!existsSync('dist/commands/compare.js')) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], {stdio: 'ignore'})
})

describe('compare on the paper model workloads (16 cores, 10 µs, 2720 connections)', () => {
  it('reproduces the model-figure ordering and the 16×M/M/1 max load 1 − ln(100)/10', async () => {
    const r = await tailsim([
      'compare',
      'synthetic:exp:10us',
      'synthetic:bimodal2:10us',
      '--policies',
      'n-mg1-fcfs:assignment=random,mgn-ps,n-mg1-ps',
      '--cores',
      '16',
      '--preset',
      'zero',
      '--requests',
      '200000',
      '--loads',
      '0.5',
      '--format',
      'json',
      // In this thread: the numbers do not depend on the worker count (experiment/pool.test.ts),
      // and worker threads would each load the simulator again (the suite already runs two files
      // side by side on two cores).
      '--jobs',
      '0',
    ])
    expect(r.status, r.stderr).toBe(0)
    const model = JSON.parse(r.stdout) as TablesModel
    const maxLoad = (trace: number, policy: string) => {
      const row = model.traces[trace].max_load.rows.find((x) => x[0] === policy)!
      return row[1] as number
    }
    // exponential service (low dispersion)
    const mm1 = maxLoad(0, 'n-mg1-fcfs:assignment=random')
    expect(Math.abs(mm1 - (1 - Math.log(100) / 10))).toBeLessThan(0.02)
    expect(maxLoad(0, 'mgn-fcfs')).toBeGreaterThan(mm1) // single queue beats partitioned
    expect(maxLoad(0, 'mgn-ps')).toBeGreaterThan(maxLoad(0, 'n-mg1-ps'))
    expect(maxLoad(0, 'mgn-fcfs')).toBeGreaterThan(maxLoad(0, 'mgn-ps')) // FCFS beats PS
    expect(mm1).toBeGreaterThan(maxLoad(0, 'n-mg1-ps'))
    // bimodal-2: PS wins
    expect(maxLoad(1, 'mgn-ps')).toBeGreaterThan(maxLoad(1, 'mgn-fcfs'))
    expect(maxLoad(1, 'n-mg1-ps')).toBeGreaterThan(maxLoad(1, 'n-mg1-fcfs:assignment=random'))
    // efficiency is relative to mgn-fcfs on the same trace
    const eff = model.traces[0].max_load.rows.find((x) => x[0] === 'mgn-fcfs')![4]
    expect(eff).toBe(1)
  })
})

describe('compare results files', () => {
  it('Parquet output reads back with hyparquet to the numbers of --format json', async () => {
    const dir = tmp()
    const out = join(dir, 'results.parquet')
    const r = await tailsim([...SMALL, '--format', 'json', '--out', out])
    expect(r.status, r.stderr).toBe(0)
    expect(readdirSync(dir)).toEqual(['results.parquet']) // staging parts merged and removed
    const model = JSON.parse(r.stdout) as TablesModel
    const b = readFileSync(out)
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
    const kv = Object.fromEntries(parquetMetadata(ab).key_value_metadata!.map((e) => [e.key, e.value]))
    expect(kv['tailsim.tool_version']).toMatch(/^\d+\.\d+\.\d+/)
    expect(kv['tailsim.trace_sha256']).toMatch(/^[0-9a-f]{64}$/)
    expect(kv['tailsim.schema_version']).toBe(String(SCHEMA_VERSION))
    const rows = (await parquetReadObjects({file: ab})) as Record<string, unknown>[]
    const t = model.traces[0]
    let checked = 0
    for (const lr of t.latency.rows) {
      t.latency.columns.slice(1).forEach((policy, i) => {
        const row = rows.find((x) => x.kind === 'latency' && x.policy === policy && x.load_fraction === lr[0])!
        expect(row.p99_us).toBe(lr[i + 1])
        checked++
      })
    }
    for (const mr of t.max_load.rows) {
      const row = rows.find((x) => x.kind === 'max_load' && x.policy === mr[0])!
      expect(row.max_load_fraction).toBe(mr[1])
      expect(row.throughput_rps).toBe(mr[3])
      checked++
    }
    expect(checked).toBe(3 * 3 + 3)
    expect(rows.every((x) => x.sweep_id === rows[0].sweep_id && x.trace_sha256 === kv['tailsim.trace_sha256'])).toBe(true)
  })

  it('three shards merged by `report` give exactly the table of the unsharded run', async () => {
    const whole = await tailsim([...SMALL, '--format', 'csv'])
    expect(whole.status, whole.stderr).toBe(0)
    const dir = tmp()
    for (let i = 1; i <= 3; i++) {
      const s = await tailsim([...SMALL, '--format', 'csv', '--shard', `${i}/3`, '--out', join(dir, `part-${i}-of-3.parquet`)])
      expect(s.status, s.stderr).toBe(0)
    }
    expect(readdirSync(dir).sort()).toEqual(['part-1-of-3.parquet', 'part-2-of-3.parquet', 'part-3-of-3.parquet'])
    const merged = await tailsim(['report', dir, '--format', 'csv'])
    expect(merged.status, merged.stderr).toBe(0)
    expect(merged.stdout).toBe(whole.stdout)
  })

  it('a sweep stopped by SIGTERM, then killed (SIGKILL), then resumed gives byte-identical tables', async () => {
    // --jobs 1: cells run in a worker thread, finishing one by one (the pool path of a real sweep).
    const args = [...SMALL.map((a) => (a === '3000' ? '12000' : a === '0' ? '1' : a)), '--format', 'csv']
    const whole = await tailsim(args)
    expect(whole.status, whole.stderr).toBe(0)
    const dir = join(tmp(), 'parts')
    const partsNow = () => (existsSync(dir) ? readdirSync(dir).filter((n) => /^cell-\d+\.parquet$/.test(n)).length : 0)
    const interrupt = async (extra: string[], signal: NodeJS.Signals, atLeast: number) => {
      const child = spawn(process.execPath, [BIN, ...args, '--out', `${dir}/`, ...extra], {stdio: ['ignore', 'ignore', 'pipe'], env})
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
      let done = false
      const exited = new Promise<number | null>((res) =>
        child.on('exit', (code) => {
          done = true
          res(code)
        }),
      )
      // Poll until enough parts exist (however slow the machine; the test timeout bounds it).
      while (!done && partsNow() < atLeast) await new Promise((res) => setTimeout(res, 50))
      child.kill(signal)
      return {code: await exited, stderr}
    }
    const term = await interrupt([], 'SIGTERM', 2)
    const keptTerm = partsNow()
    expect(term.code).toBe(143)
    expect(term.stderr).toMatch(new RegExp(`Interrupted by SIGTERM: ${keptTerm} of 12 cells finished.*kept ${keptTerm} finished cell\\(s\\) in .*parts.*--resume`))
    const again = await tailsim([...args, '--out', `${dir}/`])
    expect(again.status).not.toBe(0) // refuses to mix with existing parts without --resume
    expect(again.stderr).toMatch(/--resume/)
    await interrupt(['--resume'], 'SIGKILL', keptTerm + 2)
    const kept = partsNow()
    expect(kept).toBeGreaterThanOrEqual(keptTerm + 2)
    expect(kept).toBeLessThan(12) // 3 searches + 9 latency cells: killed before the end
    const resumed = await tailsim([...args, '--out', `${dir}/`, '--resume'])
    expect(resumed.status, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(new RegExp(`${kept} resumed`))
    expect(resumed.stdout).toBe(whole.stdout)
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([])
    const report = await tailsim(['report', dir, '--format', 'csv'])
    expect(report.stdout).toBe(whole.stdout)
  })
})

describe('compare failures', () => {
  it('a failing cell is reported with its parameters, the others finish, the exit code is non-zero', async () => {
    // 4 cores, 10 µs, 3000 requests: the trace spans ~19 ms at load 0.4 and ~9 ms at load 0.85,
    // so a 12 ms simulated-time limit fails exactly the load-0.4 cells.
    const dir = tmp()
    const r = await tailsim([
      ...SMALL.map((a) => (a === '0.3,0.6,0.85' ? '0.4,0.85' : a === '0' ? '2' : a)), // --jobs 2: failures inside workers
      '--no-max-load',
      '--max-sim-time',
      '0.012',
      '--format',
      'csv',
      '--out',
      `${dir}/`,
    ])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/incomplete: 3 of 6 cells failed/)
    expect(r.stderr).toMatch(/synthetic:exp:10us, n-mg1-fcfs, load 0\.4, replication 0\): .*max-sim-time/)
    expect(r.stdout).toContain('0.85,') // the finished cells are still tabulated
    expect(readdirSync(dir).filter((n) => n.endsWith('.parquet'))).toHaveLength(3)
  })

  it('refuses load >= 1 without --allow-overload', async () => {
    const r = await tailsim([...SMALL.map((a) => (a === '0.3,0.6,0.85' ? '0.5,1.1' : a))])
    expect(r.status).toBe(64)
    expect(r.stderr).toMatch(/--loads: .*allow-overload/)
  })
})

describe('tailsim compare --charts / --html', () => {
  it('writes the charts (SVG, PDF) and the page of its results, titled by --title', async () => {
    const dir = tmp()
    const charts = join(dir, 'charts')
    const page = join(dir, 'page.html')
    const r = await tailsim([...SMALL, '--no-max-load', '--charts', charts, '--pdf', '--html', page, '--title', 'Small sweep'])
    expect(r.stderr).not.toMatch(/Error/)
    expect(r.status).toBe(0)
    expect(readdirSync(charts).sort()).toEqual(['latency.pdf', 'latency.svg'])
    expect(readFileSync(join(charts, 'latency.svg'), 'utf8')).toContain('>Small sweep</text>')
    expect(readFileSync(join(charts, 'latency.pdf')).subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const html = readFileSync(page, 'utf8')
    expect(html).toContain('<h1>Small sweep</h1>')
    expect(html).toContain("<dd>tailsim compare synthetic:exp:10us --policies n-mg1-fcfs,mgn-ps")
    expect(r.stderr).toContain(`Wrote ${page}`)
    // The page is checked before the sweep runs: an existing one stops it at once.
    const again = await tailsim([...SMALL, '--html', page])
    expect(again.status).toBe(73)
    expect(again.stderr).toContain('already exists; pass --force')
    const pdfAlone = await tailsim([...SMALL, '--pdf'])
    expect(pdfAlone.status).toBe(64)
  })
})
