/**
 * `tailsim inspect` end to end through the built CLI, including the bad-trace corpus: each broken
 * trace must give its specific one-line message and a non-zero exit, never a stack trace.
 * In-process (./inproc.ts) except where the process is what is tested: stdin pipes, and one
 * corpus entry through the real bin for its exit status.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {type BadTrace, writeCorpus} from '../trace/corpus.js'
import {tailsimIn} from './inproc.js'

const BIN = join(process.cwd(), 'bin/run.js')
const ENV = {...process.env, NODE_ENV: 'production'}
let dir: string
let corpus: BadTrace[]

/** A real process (bin/run.js), with `input` on its stdin. */
function spawned(args: string[], input?: Buffer | string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {cwd: dir, env: ENV, input, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000})
  return {stdout: r.stdout, stderr: r.stderr, exit: r.status}
}

const tailsim = (args: string[]) => tailsimIn(dir, args)

async function inspectJson(args: string[]) {
  const r = await tailsim(['inspect', ...args, '--json'])
  expect(r.stderr).toBe('')
  expect(r.exit).toBe(0)
  return JSON.parse(r.stdout)
}

/** `inspect --json` of `input` on stdin, in a real process. */
function stdinJson(args: string[], input: Buffer | string) {
  const r = spawned(['inspect', ...args, '--json'], input)
  expect(r.stderr).toBe('')
  expect(r.exit).toBe(0)
  return JSON.parse(r.stdout)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tailsim-inspect-'))
  corpus = await writeCorpus(join(dir, 'bad'))
})

describe('tailsim inspect', () => {
  it('reports the generator mean and load within sampling error, in every format', {timeout: 300_000}, async () => {
    // 20 000 requests (each check's tolerance is a multiple of the standard error at this n):
    // the mean within 5 standard errors (cv·mean/√n); the offered load within (5·cv + 5)·0.6/√n
    // (the service mean's error plus the Poisson rate's, 1/√n each); the sample cv within 0.05,
    // which is 7 standard errors for exp (SE ≈ 1/√n = 0.0071, delta method) and 28 for
    // bimodal1 (SE ≈ 0.25/√n: 90% at 0.5·mean, 10% at 5.5·mean), exact for fixed. 500
    // connections: each is drawn ~40 times, so all appear (P(one missing) ≈ 500·e^-40).
    const n = 20_000
    for (const [spec, cv] of [
      ['exp:10us', 1],
      ['bimodal1:10us', 1.5],
      ['fixed:25us', 0],
    ] as const) {
      for (const ext of ['arrow', 'parquet', 'csv']) {
        const file = `${spec.replace(/[:]/g, '-')}.${ext}`
        const g = await tailsim(['generate', file, '--requests', String(n), '--service', spec, '--load', '0.6', '--cores', '16', '--connections', '500', '--seed', '3'])
        expect(g.exit).toBe(0)
        const s = await inspectJson([file, '--cores', '16'])
        const mean = Number(spec.split(':')[1].replace('us', ''))
        expect(s.requests).toBe(n)
        expect(s.connections).toBe(500)
        expect(Math.abs(s.service_mean_us - mean)).toBeLessThanOrEqual((5 * cv * mean) / Math.sqrt(n) + 1e-9)
        expect(Math.abs(s.offered_load_fraction - 0.6)).toBeLessThan((0.6 * (5 * cv + 5)) / Math.sqrt(n))
        expect(Math.abs(s.service_cv - cv)).toBeLessThan(0.05)
        expect(s.trace_sha256).toMatch(/^[0-9a-f]{64}$/)
      }
    }
  })

  it('prints a readable summary with per-type counts', {timeout: 300_000}, async () => {
    await tailsim(['generate', 'typed.parquet', '--requests', '20000', '--load', '0.5', '--service', 'mix:get=0.75*exp:5us;scan=0.25*fixed:50us'])
    const r = await tailsim(['inspect', 'typed.parquet', '--cores', '8'])
    expect(r.exit).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^trace +typed\.parquet$/m)
    expect(r.stdout).toMatch(/^rows +20,000$/m)
    expect(r.stdout).toMatch(/^service +mean [\d.]+ µs, p50 [\d.]+ µs, p99 [\d.]+ µs, max [\d.]+ µs/m)
    expect(r.stdout).toMatch(/^offered load +[\d.]+ on 8 cores/m)
    expect(r.stdout).toMatch(/^types +get 1[45],\d{3} \([\d.]+%\), scan [45],\d{3} \([\d.]+%\)$/m)
    const j = await inspectJson(['typed.parquet', '--cores', '8'])
    expect(j.type_counts.get + j.type_counts.scan).toBe(20000)
    expect(j.offered_load_fraction).toBeCloseTo(1, 1) // load 0.5 on 16 cores = 1.0 on 8
  })

  it('reads stdin (real processes): an Arrow IPC stream from generate, and CSV', {timeout: 300_000}, async () => {
    const gen = spawnSync(process.execPath, [BIN, 'generate', '-', '--requests', '5000', '--load', '0.5', '--seed', '9'], {cwd: dir, env: ENV, maxBuffer: 64 << 20})
    expect(gen.status).toBe(0)
    const fromStdin = stdinJson(['-'], gen.stdout)
    await tailsim(['generate', 'same.arrow', '--requests', '5000', '--load', '0.5', '--seed', '9'])
    const fromFile = await inspectJson(['same.arrow'])
    expect({...fromStdin, trace: '', trace_sha256: ''}).toEqual({...fromFile, trace: '', trace_sha256: ''})
    await tailsim(['generate', 'same.csv', '--requests', '5000', '--load', '0.5', '--seed', '9'])
    const csv = stdinJson(['-'], readFileSync(join(dir, 'same.csv')))
    expect(csv.service_mean_cycles).toBe(fromFile.service_mean_cycles)
    expect(csv.trace_sha256).toBe((await inspectJson(['same.csv'])).trace_sha256)
  })

  it('maps columns and units with flags', async () => {
    writeFileSync(join(dir, 'mapped.csv'), 'ts,flow,svc\n0,a,10\n1,b,20\n2.5,a,30\n')
    const j = await inspectJson(['mapped.csv', '--arrival-column', 'ts', '--arrival-unit', 'us', '--conn-column', 'flow', '--service-column', 'svc', '--service-unit', 'us'])
    expect(j).toMatchObject({requests: 3, connections: 2, first_arrival_cycles: 0, last_arrival_cycles: 6000, service_mean_cycles: 48000})
  })

  it('--sort accepts an unsorted trace', async () => {
    writeFileSync(join(dir, 'unsorted.csv'), 'arrival_ns,conn,service_ns\n30,1,5\n10,2,5\n')
    expect((await tailsim(['inspect', 'unsorted.csv'])).exit).toBe(65)
    expect(await inspectJson(['unsorted.csv', '--sort'])).toMatchObject({requests: 2, first_arrival_cycles: 24, last_arrival_cycles: 72})
  })

  it('bad-trace corpus: each gives its message and a non-zero exit, never a stack trace', {timeout: 300_000}, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25)
    for (const bad of corpus) {
      const r = await tailsim(['inspect', join('bad', bad.file), ...(bad.flags ?? [])])
      expect(r.stdout, bad.file).toBe('')
      expect(r.stderr, bad.file).toMatch(/^Error: .+\n$/) // exactly one line
      expect(r.stderr, bad.file).toMatch(bad.message)
      expect(r.stderr, bad.file).not.toMatch(/\n\s+at |Internal error|TypeError|RangeError/)
      expect(r.exit, bad.file).toBe(bad.exitCode ?? 65)
    }
    // The same through the real bin: its exit status and its one line.
    const bad = corpus.find((b) => b.file === 'panic.parquet')!
    const r = spawned(['inspect', join('bad', bad.file)])
    expect(r.stderr).toMatch(/^Error: .+\n$/)
    expect(r.stderr).toMatch(bad.message)
    expect(r.exit).toBe(65)
  })

  it('bad-trace corpus with --json: the same error as an envelope on stdout', async () => {
    const some = corpus.filter((b) => /^(empty\.csv|nan\.csv|truncated\.arrow|garbage\.bin|long-line\.csv|too-many-to-sort\.csv|no-unit\.csv)$/.test(b.file))
    expect(some).toHaveLength(7)
    for (const bad of some) {
      const j = await tailsim(['inspect', join('bad', bad.file), ...(bad.flags ?? []), '--json'])
      const env = JSON.parse(j.stdout)
      expect(env.error.message, bad.file).toMatch(bad.message)
      expect(env.error.exit_code).toBe(bad.exitCode ?? 65)
      expect(j.exit).toBe(bad.exitCode ?? 65)
    }
  })

  it('bad traces on stdin fail the same way (real processes)', () => {
    // One per way a stdin read can fail: a bad value (row and column), no rows, the csv-parse
    // path (quoted fields), a truncated Arrow stream. The other row errors are the same reader
    // code as from a file (the corpus above).
    for (const name of ['nan.csv', 'header-only.csv', 'quoted-bad.csv']) {
      const r = spawned(['inspect', '-'], readFileSync(join(dir, 'bad', name)))
      expect(r.exit, name).toBe(65)
      expect(r.stderr, name).toMatch(/^Error: -(, row \d+)?(, column `\w+`)?: Expected .+\n$/)
    }
    const r = spawned(['inspect', '-'], readFileSync(join(dir, 'bad', 'truncated.arrows')))
    expect(r.stderr).toMatch(/^Error: -: Expected a valid Arrow IPC file or stream, got an unreadable or truncated file/)
  })

  it('shows the absolute start and end of an epoch-ns log, and where connections came from', async () => {
    writeFileSync(join(dir, 'epoch.csv'), 'timestamp_ns,latency_us\n1732700000000001800,12.5\n1732700000000000900,8\n\n1732700000000003000,20\n')
    const flags = ['--arrival-column', 'timestamp_ns', '--service-column', 'latency_us']
    const refused = await tailsim(['inspect', 'epoch.csv', ...flags])
    expect(refused.exit).toBe(65)
    expect(refused.stderr.trim()).toBe(
      'Error: epoch.csv, row 1: Expected a column named `conn` (map another name with --conn-column, or pass --connections N or --conn-per-request for a log without connection ids), got columns "timestamp_ns", "latency_us". See `tailsim inspect --help`.',
    )
    const r = await tailsim(['inspect', 'epoch.csv', ...flags, '--sort', '--conn-per-request'])
    expect(r.exit).toBe(0)
    expect(r.stdout).toMatch(/^start +2024-11-27T09:33:20\.000000900Z \(column `timestamp_ns`: ns since the epoch/m)
    expect(r.stdout).toMatch(/^end +2024-11-27T09:33:20\.000003000Z$/m)
    expect(r.stdout).toMatch(/^connections +3 .*one per request \(--conn-per-request\)$/m)
    const j = JSON.parse((await tailsim(['inspect', 'epoch.csv', ...flags, '--sort', '--connections', '2', '--json'])).stdout)
    expect(j.clock).toMatchObject({kind: 'number', unit: 'ns', base_s: 1732700000, start: '2024-11-27T09:33:20.000000900Z'})
    expect(j.connection_source).toEqual({mode: 'uniform', connections: 2, seed: 1})
    expect(j.last_arrival_cycles - j.first_arrival_cycles).toBe(Math.round(2100 * 2.4))
  })

  it('reads a named pipe once and ends (it used to wait for ever)', async () => {
    const fifo = join(dir, 'pipe.csv')
    try {
      execFileSync('mkfifo', [fifo])
    } catch {
      return
    }
    const writer = spawn('sh', ['-c', `printf 'arrival_ns,conn,service_ns\\n1,1,10\\n2,2,10\\n' > '${fifo}'`])
    const r = await tailsim(['inspect', fifo])
    writer.kill()
    expect(r.exit).toBe(0)
    expect(r.stdout).toMatch(/^rows +2$/m)
  })

  it('names a missing file', async () => {
    const r = await tailsim(['inspect', 'nope.csv'])
    expect(r.exit).toBe(65)
    expect(r.stderr).toBe('Error: nope.csv: Expected a readable trace file, got ENOENT (ENOENT: no such file or directory, stat \'nope.csv\'). See `tailsim inspect --help`.\n')
  })
})
