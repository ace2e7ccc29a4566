/**
 * `tailsim replay` end to end through the built CLI (dist/; `npm test` builds first): in-process,
 * except stdin and Ctrl-C (real processes, bin/run.js). Small traces: every run here takes well
 * under a second of simulation.
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'

import {runCommand} from '@oclif/test'
import {tableFromIPC} from 'apache-arrow'
import {asyncBufferFromFile, parquetReadObjects} from 'hyparquet'
import {compressors} from 'hyparquet-compressors'
import {beforeAll, describe, expect, test} from 'vitest'

import {createProgress} from '../../src/cli/progress.js'
import {tailsimIn} from './inproc.js'

const root = process.cwd()
const BIN = join(root, 'bin/run.js')
// Production mode: oclif loads dist/ without looking for TypeScript sources (no dev-mode warnings).
const ENV = {...process.env, NODE_ENV: 'production'}
let dir: string

/** `tailsim replay ARGS` (or another command when args[0] is `generate`) in a child process: stdin. */
function spawnTailsim(args: string[], input?: Buffer) {
  const argv = args[0] === 'generate' ? args : ['replay', ...args]
  const r = spawnSync(process.execPath, [BIN, ...argv], {cwd: dir, env: ENV, input, encoding: 'utf8', maxBuffer: 64 << 20})
  return {stdout: r.stdout, stderr: r.stderr, exit: r.status}
}

/**
 * The same in-process (the real command classes from dist/, through oclif): no Node start-up per
 * call. Returns the command's result (what --json prints), its stderr (typed errors are written
 * there by the base command) and its exit code.
 */
async function tailsim(args: string[]) {
  const argv = args[0] === 'generate' ? args : ['replay', ...args]
  const r = await runCommand(argv, {root}, {testNodeEnv: 'production'} as never)
  const exit = (r.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit ?? (r.error ? 1 : 0)
  return {result: r.result as Record<string, any>, stderr: r.stderr, exit}
}

async function json(args: string[]) {
  const r = await tailsim([...args, '--json'])
  expect(r.stderr).toBe('')
  expect(r.exit).toBe(0)
  return r.result
}

/** A result with the wall-clock fields removed. */
function stable(r: Record<string, unknown>) {
  const {wall_ms, sim_rate_rps, ...rest} = r
  expect(typeof wall_ms).toBe('number')
  expect(typeof sim_rate_rps).toBe('number')
  return rest
}

const SYN = ['--synthetic', 'exp:10us', '--requests', '20000', '--cores', '4', '--load', '0.8']

beforeAll(() => {
  for (const f of ['dist/commands/replay.js', 'dist/src/results/records.js']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`)
  }
  if (statSync(join(root, 'dist/commands/replay.js')).mtimeMs < statSync(join(root, 'commands/replay.ts')).mtimeMs) {
    throw new Error('dist/commands/replay.js is older than its source: run `npm run build` first')
  }
  dir = mkdtempSync(join(tmpdir(), 'tailsim-cli-replay-'))
})

describe('tailsim replay', () => {
  test('prints a readable summary and nothing on stderr (not a TTY: no progress bar)', async () => {
    const r = await tailsimIn(dir, ['replay', ...SYN, '--policy', 'mgn-fcfs'])
    expect(r.exit).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^mgn-fcfs on 4 cores/)
    expect(r.stdout).toMatch(/latency \(µs\)\s+mean\s+p50\s+p90\s+p99\s+p99\.9\s+p99\.99\s+max/)
    // Every statistic has its interval on the row under it (n/a where the samples do not support one).
    expect(r.stdout).toMatch(/95% int\.\s+\[\d+\.\d, \d+\.\d\]/)
    expect(r.stdout).toMatch(/utilisation 8\d\.\d% \(application 8\d\.\d%, network\/kernel 0\.0%, idle [12]\d\.\d%\)/)
  })

  test('--json is the full result with provenance, and is deterministic aside from wall-clock fields', async () => {
    const args = [...SYN, '--policy', 'n-mg1-fcfs:assignment=random', '--seed', '77']
    const a = await json(args)
    const b = await json(args)
    expect(stable(b)).toEqual(stable(a))
    expect(a.policy).toBe('n-mg1-fcfs:assignment=random')
    expect(a.tool_version).toMatch(/^\d+\.\d+\.\d+/)
    expect(a.trace_sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(a.seed).toBe(77)
    expect(a.config.seed).toBe(77)
    expect(a.config.policy).toBe('n-mg1-fcfs:assignment=random')
    expect(a.completed).toBe(20000)
    expect(a.offered_load_fraction).toBeCloseTo(0.8, 9)
    expect(a.input.kind).toBe('synthetic')
    // A different seed changes the trace and the assignment.
    expect((await json([...SYN, '--policy', 'n-mg1-fcfs:assignment=random', '--seed', '78'])).latency.p99_us).not.toBe(a.latency.p99_us)
  })

  test('a generated file, its stdin stream and --synthetic with the same seed simulate the same requests', async () => {
    const file = join(dir, 'trace.arrow')
    const g = await tailsim(['generate', file, '--requests', '20000', '--cores', '4', '--load', '0.8', '--seed', '5'])
    expect(g.exit).toBe(0)
    const fromFile = await json([file, '--policy', 'mgn-ps', '--cores', '4', '--load', '0.8', '--seed', '5'])
    const fromSyn = await json([...SYN, '--policy', 'mgn-ps', '--seed', '5'])
    for (const k of ['latency', 'completed', 'throughput_rps', 'offered_load', 'util', 'events'] as const) expect(fromFile[k]).toEqual(fromSyn[k])
    expect(fromFile.trace).toBe(file)
    expect(fromFile.trace_sha256).not.toBe(fromSyn.trace_sha256)
    const r = spawnTailsim(['-', '--policy', 'mgn-ps', '--cores', '4', '--load', '0.8', '--seed', '5', '--json'], readFileSync(file))
    expect(r.exit).toBe(0)
    const fromStdin = JSON.parse(r.stdout)
    // (--json prints an unsupported percentile as null; in-process it is NaN.)
    expect(fromStdin.latency).toEqual(JSON.parse(JSON.stringify(fromFile.latency)))
    expect(fromStdin.input.kind).toBe('stdin')
    // The fingerprint is of the bytes, whichever way they came in.
    expect(fromStdin.trace_sha256).toBe(fromFile.trace_sha256)
  })

  test('--replications k: seeds s..s+k−1, a t-interval on p99 across them', async () => {
    const r = await json([...SYN, '--policy', 'mgn-fcfs', '--replications', '3', '--seed', '10'])
    const s = r.replications
    expect(s.k).toBe(3)
    expect(s.seeds).toEqual([10, 11, 12])
    expect(s.trace_varies).toBe(true)
    const each = s.per_replication.p99_us
    expect(each).toHaveLength(3)
    expect(new Set(each).size).toBe(3)
    expect(each[0]).toBe(r.latency.p99_us)
    const mean = each.reduce((x: number, y: number) => x + y, 0) / 3
    expect(s.p99_us.mean).toBeCloseTo(mean, 9)
    const sd = Math.sqrt(each.reduce((x: number, y: number) => x + (y - mean) ** 2, 0) / 2)
    expect(s.p99_us.half).toBeCloseTo((4.303 * sd) / Math.sqrt(3), 9)
    expect(s.p99_us.low).toBeLessThan(s.p99_us.mean)
    expect(s.p99_us.high).toBeGreaterThan(s.p99_us.mean)
  })

  test('--records writes one row per request (Parquet and Arrow), atomically, and never clobbers', async () => {
    const pq = join(dir, 'req.parquet')
    const r = await json([...SYN, '--policy', 'n-mg1-fcfs', '--records', pq, '--seed', '3'])
    expect(r.records).toMatchObject({path: pq, format: 'parquet', rows: 20000})
    const rows = (await parquetReadObjects({file: await asyncBufferFromFile(pq), compressors})) as Record<string, number>[]
    expect(rows).toHaveLength(20000)
    const seen = new Uint8Array(20000)
    let measured = 0
    const cut = 0
    for (const row of rows) {
      expect(seen[row.seq]).toBe(0)
      seen[row.seq] = 1
      // Each time is rounded to 0.1 ns on its own (exact cycles at 2.4 GHz), so allow one unit.
      expect(Math.abs(row.latency_ns - (row.end_ns - row.arrival_ns))).toBeLessThanOrEqual(0.1 + 1e-6)
      expect(row.start_ns).toBeGreaterThanOrEqual(row.arrival_ns)
      expect(row.core).toBe(row.queue)
      if (row.arrival_ns >= cut) measured++
    }
    expect(measured).toBe(20000)
    // The mean latency of the measured rows is the result's mean.
    const arrow = join(dir, 'req.arrow')
    const r2 = await json([...SYN, '--policy', 'n-mg1-fcfs', '--records', arrow, '--seed', '3'])
    const t = tableFromIPC(readFileSync(arrow))
    expect(t.numRows).toBe(20000)
    const warm = Number(t.schema.metadata.get('tailsim.warmup_until_ns'))
    expect(t.schema.metadata.get('tailsim.trace_sha256')).toBe(r2.trace_sha256)
    const arr = t.getChild('arrival_ns')!.toArray() as Float64Array
    const lat = t.getChild('latency_ns')!.toArray() as Float64Array
    let sum = 0
    let n = 0
    for (let i = 0; i < arr.length; i++) {
      if (arr[i] >= warm) {
        sum += lat[i]
        n++
      }
    }
    expect(n).toBe(r2.measured)
    // Each latency is rounded to 0.1 ns in the file: the means agree to well within 0.05 ns.
    expect(Math.abs(sum / n / 1000 - r2.latency.mean_us)).toBeLessThan(5e-5)

    // An existing file is kept: exit 73, untouched, no temporary files left behind.
    const before = readFileSync(pq)
    const again = await tailsim([...SYN, '--policy', 'mgn-fcfs', '--records', pq])
    expect(again.exit).toBe(73)
    expect(again.stderr).toMatch(/Expected the records file not to exist, got an existing file .*pass --force/)
    expect(readFileSync(pq).equals(before)).toBe(true)
    expect((await tailsim([...SYN, '--policy', 'mgn-fcfs', '--records', pq, '--force'])).exit).toBe(0)
    expect(readFileSync(pq).equals(before)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([])
  })

  test('--show-config prints the effective costs and machine and simulates nothing', async () => {
    const r = await tailsimIn(dir, ['replay', '--show-config', '--preset', 'paper', '--cost', 'ipi_latency=1200', '--cores', '8'])
    expect(r.exit).toBe(0)
    expect(r.stdout).toMatch(/machine: 8 cores at 2\.4 GHz/)
    expect(r.stdout).toMatch(/ipi_latency\s+1200\s+0\.500\s+IPI delivery latency/)
    const j = await json(['--show-config', '--preset', 'zero', '--ghz', '3'])
    expect(j.machine).toEqual({cores: 16, ghz: 3, rss_buckets: 128, nic_ring_descriptors: null, cost_preset: 'zero'})
    expect(j.costs.length).toBeGreaterThanOrEqual(16)
    expect(j.costs.every((c: {cycles: number}) => c.cycles === 0)).toBe(true)
  })

  test('--batch B is ix:batch=B', async () => {
    const r = await json([...SYN, '--policy', 'ix', '--batch', '8', '--preset', 'zero'])
    expect(r.policy).toBe('ix:batch=8')
    const bad = await tailsim([...SYN, '--policy', 'mgn-fcfs', '--batch', '8'])
    expect(bad.exit).toBe(64)
    expect(bad.stderr).toMatch(/--batch: Expected --batch only with the ix policy/)
  })

  test('bad input: one-line typed errors with their exit codes', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--policy', 'mgn-fcfs'], 64, /Expected a TRACE argument/],
      [[...SYN], 64, /--policy: Expected --policy/],
      [[...SYN, '--policy', 'nope'], 64, /--policy: Expected a policy, one of .*mgn-fcfs/],
      [['--synthetic', 'exp:10us', '--policy', 'mgn-fcfs'], 64, /--load: Expected --load or --rate with --synthetic/],
      [[...SYN, '--policy', 'mgn-fcfs', '--warmup', '1.5'], 64, /--warmup: Expected a fraction/],
      [['missing.arrow', '--policy', 'mgn-fcfs'], 65, /missing\.arrow: Expected a readable trace file/],
      [[...SYN.slice(0, 6), '--load', '1.2', '--policy', 'mgn-fcfs'], 75, /offered load is 1\.200/],
      [[...SYN, '--policy', 'mgn-fcfs', '--records', 'x.csv'], 64, /--records: Expected the records file to end in \.parquet or \.arrow/],
    ]
    for (const [args, code, msg] of cases) {
      const r = await tailsim(args)
      expect(r.exit, args.join(' ') + '\n' + r.stderr).toBe(code)
      expect(r.stderr).toMatch(msg)
      expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace without --debug
    }
  })

  test('Ctrl-C stops the run with exit 130 and leaves no records file', async () => {
    const out = join(dir, 'never.parquet')
    const child = spawn(process.execPath, [BIN, 'replay', '--synthetic', 'exp:10us', '--requests', '50000000', '--load', '0.8', '--policy', 'mgn-fcfs', '--records', out], {cwd: dir, env: ENV})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    let exited = false
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
    child.on('exit', () => (exited = true))
    // Wait until the run has started writing records (the spool appears), then interrupt; however
    // slow the machine (the test timeout bounds it).
    while (!exited && !readdirSync(dir).some((f) => f.endsWith('.spool'))) await new Promise((r) => setTimeout(r, 50))
    child.kill('SIGINT')
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000)
    const code = await closed
    clearTimeout(guard)
    expect(code).toBe(130)
    expect(stderr).toMatch(/Interrupted/)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.startsWith('.never'))).toEqual([])
  })
})

describe('progress bar', () => {
  function fakeTty() {
    const s = new PassThrough() as PassThrough & {isTTY: boolean; columns: number; cursorTo: () => boolean; clearLine: () => boolean; moveCursor: () => boolean}
    s.isTTY = true
    s.columns = 120
    s.cursorTo = () => true
    s.clearLine = () => true
    s.moveCursor = () => true
    let text = ''
    s.on('data', (d) => (text += d))
    return {stream: s as unknown as NodeJS.WriteStream, text: () => text}
  }

  test('draws only on a TTY, and only after the delay', async () => {
    const quick = fakeTty()
    const p1 = createProgress({stream: quick.stream, delayMs: 10_000})
    p1.update(10, 100)
    p1.stop()
    expect(p1.shown).toBe(false)
    expect(quick.text()).toBe('')

    const slow = fakeTty()
    const p2 = createProgress({stream: slow.stream, delayMs: 0, label: 'mgn-fcfs'})
    await new Promise((r) => setTimeout(r, 5))
    p2.update(2_500_000, 10_000_000)
    expect(p2.shown).toBe(true)
    p2.stop()
    expect(slow.text()).toMatch(/mgn-fcfs .*25% \| 2\.50M\/10\.00M req \| [\d.]+[kMG]? req\/s \| ETA/)

    const pipe = new PassThrough() as unknown as NodeJS.WriteStream
    const p3 = createProgress({stream: pipe, delayMs: 0})
    p3.update(1, 2)
    expect(p3.shown).toBe(false)
  })
})
