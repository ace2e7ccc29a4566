/**
 * Batch-friendly runs: progress lines off a terminal, partial statistics on SIGINT/SIGTERM,
 * compare's grace period and the planned cell count its parts record, report's completeness
 * check, and the TAILSIM_* environment defaults. No wall-clock dependence: signals are sent once a
 * progress line has been seen on stderr (the runs are far longer than that), timeouts are generous,
 * and the progress module itself is tested with a fake clock and timer.
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'

import {runCommand} from '@oclif/test'
import {tableFromIPC} from 'apache-arrow'
import {beforeAll, describe, expect, test} from 'vitest'

import {renderSummary} from '../../commands/replay.js'
import {createProgress} from '../../src/cli/progress.js'
import {DEFAULT_CONFIG, simulate} from '../../src/sim/simulate.js'
import {resolveCosts} from '../../src/sim/machine/costs.js'
import {memoryStats, memoryTrace, type TraceColumns} from '../../src/trace/memory.js'
import {missingCells, ranges} from '../../src/results/completeness.js'
import {readResultsPlanned} from '../../src/results/read.js'
import {expService, poissonColumns} from '../helpers.js'

const root = process.cwd()
const BIN = join(root, 'bin/run.js')
const ENV = {...process.env, NODE_ENV: 'production'}
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tailsim-batch-'))
})

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {cwd: dir, env: {...ENV, ...env}, encoding: 'utf8'})
  return {stdout: r.stdout, stderr: r.stderr, exit: r.status}
}

/** The same in-process (the command classes from dist/ through oclif), with `env` set meanwhile. */
async function runIn(args: string[], env: Record<string, string> = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  const cwd = process.cwd()
  Object.assign(process.env, env)
  process.chdir(dir)
  try {
    const r = await runCommand(args, {root}, {testNodeEnv: 'production'} as never)
    const exit = (r.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit ?? (r.error ? 1 : 0)
    return {stdout: r.stdout, stderr: r.stderr, exit}
  } finally {
    process.chdir(cwd)
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** Spawn the CLI, send `signal` once stderr shows a line matching `when`; resolve with its output. */
async function interrupt(args: string[], signal: NodeJS.Signals, when: RegExp, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {cwd: dir, env: {...ENV, TAILSIM_PROGRESS_INTERVAL: '0.05', ...env}})
  let stdout = ''
  let stderr = ''
  let sent = false
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => {
    stderr += d
    if (!sent && when.test(stderr)) {
      sent = true
      child.kill(signal)
    }
  })
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const exit = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(guard)
  return {stdout, stderr, exit, sent}
}

describe('progress module (fake clock and timer)', () => {
  function fake() {
    let t = 0
    let tick: (() => void) | undefined
    const stream = new PassThrough() as unknown as NodeJS.WriteStream & {isTTY?: boolean}
    let text = ''
    ;(stream as unknown as PassThrough).on('data', (d) => (text += d))
    return {
      stream,
      now: () => t,
      advance: (ms: number) => (t += ms),
      timer: {start: (fn: () => void) => (tick = fn), stop: () => (tick = undefined)},
      fire: () => tick?.(),
      text: () => text,
    }
  }

  test('lines off a terminal: one plain line per interval, with counts, rate and ETA', async () => {
    const f = fake()
    const p = createProgress({stream: f.stream, label: 'zygos', unit: 'req', intervalMs: 5000, now: f.now, timer: f.timer})
    expect(p.mode).toBe('lines')
    p.update(0, 1_000_000)
    f.advance(10_000)
    p.update(250_000, 1_000_000)
    f.fire()
    p.stop()
    f.fire() // stopped: nothing more
    await new Promise((r) => setImmediate(r))
    expect(f.text()).toBe('progress: zygos 250.0k/1.00M req (25.0%), 25.0k req/s, elapsed 10s, ETA 30s\n')
    expect(p.lines).toBe(1)
  })

  test('slow items per minute; no rate or ETA before the first item', async () => {
    const f = fake()
    const p = createProgress({stream: f.stream, unit: 'cells', intervalMs: 60_000, now: f.now, timer: f.timer})
    p.update(0, 10)
    f.advance(60_000)
    f.fire()
    f.advance(60_000)
    p.update(1, 10)
    f.fire()
    p.stop()
    await new Promise((r) => setImmediate(r))
    expect(f.text()).toBe(
      'progress: 0/10 cells (0.0%), - cells/s, elapsed 1m00s, ETA -\n' + 'progress: 1/10 cells (10.0%), 0.5 cells/min, elapsed 2m00s, ETA 18m00s\n',
    )
  })

  test('none writes nothing; auto is a bar on a terminal', async () => {
    const f = fake()
    const p = createProgress({stream: f.stream, mode: 'none', now: f.now, timer: f.timer})
    p.update(1, 2)
    f.fire()
    await new Promise((r) => setImmediate(r))
    expect(f.text()).toBe('')
    const tty = fake()
    tty.stream.isTTY = true
    expect(createProgress({stream: tty.stream, now: tty.now, timer: tty.timer}).mode).toBe('bar')
  })
})

describe('partial runs (library): an interrupted run equals a run on the requests fed', () => {
  // FCFS policies serve request i after the ones before it only: its latency does not depend on
  // later arrivals. So stopping after N requests and draining gives exactly the latencies of a run
  // on the first N requests (no warm-up, no rescaling: the same cycles).
  for (const policy of ['mgn-fcfs', 'n-mg1-fcfs']) {
    test(policy, async () => {
      const cols = poissonColumns({n: 12_000, load: 0.8, cores: 4, mean: 10_000, service: expService(10_000), seed: 3})
      const config = {...DEFAULT_CONFIG, costs: resolveCosts('zero'), policy, cores: 4, warmup: 0}
      const abort = new AbortController()
      const partial = await simulate(memoryTrace('t', cols, 1000), memoryStats(cols), config, {
        signal: abort.signal,
        partialOnAbort: true,
        onProgress: (done) => done >= 5000 && abort.abort(),
      })
      expect(partial.partial).toBe(true)
      expect(partial.requests).toBe(5000)
      expect(partial.requests_planned).toBe(12_000)
      const prefix: TraceColumns = {arrival: cols.arrival.slice(0, 5000), conn: cols.conn.slice(0, 5000), service: cols.service.slice(0, 5000)}
      const whole = await simulate(memoryTrace('t', prefix), memoryStats(prefix), config)
      expect(whole.partial).toBeUndefined()
      expect(partial.completed).toBe(whole.completed)
      expect(partial.measured).toBe(whole.measured)
      for (const k of ['mean_us', 'p50_us', 'p99_us', 'max_us'] as const) expect(partial.latency[k]).toBe(whole.latency[k])
      // Without partialOnAbort the abort is still an error.
      const again = new AbortController()
      again.abort()
      await expect(simulate(memoryTrace('t', cols, 1000), memoryStats(cols), config, {signal: again.signal})).rejects.toThrow(/Interrupted/)
    })
  }
})

describe('replay: progress lines and interruption', () => {
  test('off a terminal, progress lines on stderr; SIGINT gives the partial statistics (partial: true), exit 130', async () => {
    const r = await interrupt(['replay', '--synthetic', 'exp:10us', '-n', '1e6', '-p', 'zygos', '-l', '0.7', '--warmup', '0', '--records', 'partial.arrow', '--json'], 'SIGINT', /^progress: zygos /m)
    expect(r.sent).toBe(true)
    expect(r.exit).toBe(130)
    expect(r.stderr).toMatch(/^progress: zygos [\d.]+[kM]?\/1\.00M req \([\d.]+%\), .* req\/s, elapsed \d+s, ETA /m)
    expect(r.stderr).toMatch(/^SIGINT: stopping; the statistics of the requests fed so far follow/m)
    const j = JSON.parse(r.stdout)
    expect(j.partial).toBe(true)
    expect(j.interrupted).toMatchObject({signal: 'SIGINT', replication: 0, replications: 1, requests_planned: 1_000_000})
    expect(j.requests_planned).toBe(1_000_000)
    expect(j.requests).toBe(j.interrupted.requests)
    expect(j.requests).toBeGreaterThan(0)
    expect(j.requests).toBeLessThan(1_000_000)
    // Every request fed was simulated to completion and measured (no warm-up).
    expect(j.completed + j.dropped).toBe(j.requests)
    expect(j.measured).toBe(j.completed)
    expect(j.latency.p50_us).toBeGreaterThan(0)
    // The records file is complete for the requests fed, and says it is partial.
    const t = tableFromIPC(readFileSync(join(dir, 'partial.arrow')))
    expect(t.numRows).toBe(j.requests)
    expect(j.records.rows).toBe(j.requests)
    expect(t.schema.metadata.get('tailsim.partial')).toBe(`interrupted after ${j.requests} of 1000000 requests`)
    // What a person sees: the PARTIAL line first.
    // The partial document follows docs/schemas/replay.schema.json (partial, interrupted, requests_planned).
    const {Ajv} = await import('ajv')
    const ajv = new Ajv({allowUnionTypes: true})
    expect(ajv.validate(JSON.parse(readFileSync(join(process.cwd(), 'docs/schemas/replay.schema.json'), 'utf8')) as object, j) ? '' : ajv.errorsText()).toBe('')
    expect(j.partial).toBe(true)
    // (renderSummary takes the in-memory result: the --json names of src/cli/json-docs.ts mapped back)
    const inMemory = {...j, offered_load: j.offered_load_fraction, util: j.util_fraction, util_app: j.util_app_fraction, util_net: j.util_net_fraction, config: {...j.config, warmup: j.config.warmup_fraction, warmupAuto: j.config.warmup_auto}}
    const text = renderSummary(inMemory)
    expect(text.split('\n')[0]).toBe(
      `PARTIAL  interrupted by SIGINT: ${j.requests.toLocaleString('en-US')} of 1,000,000 requests fed (${((j.requests / 1e6) * 100).toFixed(1)}%), simulated to completion; the statistics below are of those requests only`,
    )
  })

  test('--progress none (or TAILSIM_PROGRESS=none): no progress lines', async () => {
    const r = await runIn(['replay', '--synthetic', 'exp:10us', '-n', '20000', '-p', 'mgn-fcfs', '-l', '0.5'], {TAILSIM_PROGRESS: 'none', TAILSIM_PROGRESS_INTERVAL: '0.001'})
    expect(r.exit).toBe(0)
    expect(r.stdout).toMatch(/^mgn-fcfs on 16 cores/m)
    expect(r.stderr).toBe('')
  })
})

describe('compare: grace period, kept cells, planned count; report completeness', () => {
  test('SIGTERM lets the running cell finish, keeps the finished parts, which record the planned count; exit 143', async () => {
    const out = join(dir, 'res-int')
    const r = await interrupt(
      ['compare', 'synthetic:exp:10us', '--policies', 'mgn-fcfs,zygos', '--loads', '0.1:0.9:0.05', '-n', '10000', '--no-max-load', '-j', '1', '--out', `${out}/`],
      'SIGTERM',
      /^progress: [1-9]\d*\/34 cells/m,
    )
    expect(r.sent).toBe(true)
    expect(r.exit).toBe(143)
    // Between two cells nothing is running and the stop is immediate; otherwise the cell finishes.
    expect(r.stderr).toMatch(/SIGTERM: (no new cells; waiting up to 10 s for the 1 running cell\(s\) to finish|stopping, keeping finished cells)/)
    const m = /Interrupted by SIGTERM: (\d+) of 34 cells finished, (\d+) stopped while running.*, (\d+) not started; kept \1 finished cell\(s\) in /.exec(r.stderr)
    expect(m, r.stderr).not.toBeNull()
    const kept = Number(m![1])
    if (/waiting up to/.test(r.stderr)) expect(Number(m![2])).toBe(0)
    expect(kept + Number(m![2]) + Number(m![3])).toBe(34)
    expect(readdirSync(out).filter((n) => n.endsWith('.parquet'))).toHaveLength(kept)
    const {plans} = await readResultsPlanned([out])
    expect(plans).toHaveLength(1)
    expect(plans[0].cells).toBe(34)
    expect(plans[0].present.size).toBe(kept)

    const rep = await runIn(['report', out])
    expect(rep.exit).toBe(0)
    expect(rep.stderr).toMatch(new RegExp(`Warning: incomplete sweep \\w+: ${kept} of 34 planned cells present, ${34 - kept} missing`))
  })

  test('report warns on a missing shard, --strict fails with exit 1 and writes nothing', async () => {
    const out = join(dir, 'res-shard')
    const args = ['compare', 'synthetic:exp:10us', '--policies', 'mgn-fcfs', '--loads', '0.3,0.6', '-n', '2000', '--no-max-load', '-j', '0', '--out', `${out}/`]
    expect((await runIn([...args, '--shard', '1/2'])).exit).toBe(0)
    const warn = await runIn(['report', out])
    expect(warn.exit).toBe(0)
    expect(warn.stderr).toMatch(/incomplete sweep \w+: 1 of 2 planned cells present, 1 missing \(cell 1\); they belong to shard 2\/2/)
    const strict = await runIn(['report', out, '--strict', '--html', 'page.html'])
    expect(strict.exit).toBe(1)
    expect(strict.stderr).toMatch(/^Error: incomplete sweep .*--strict refuses it/m)
    expect(existsSync(join(dir, 'page.html'))).toBe(false)
    expect((await runIn([...args, '--shard', '2/2'])).exit).toBe(0)
    const whole = await runIn(['report', out, '--strict'])
    expect(whole.exit).toBe(0)
    expect(whole.stderr).not.toMatch(/incomplete/)
  })

  test('missingCells and ranges', () => {
    expect(ranges([0, 1, 2, 5, 7, 8])).toBe('0-2, 5, 7-8')
    const m = missingCells([{sweepId: 'abc', cells: 6, shards: ['1/3', '3/3'], present: new Set([0, 2, 3, 5])}])
    expect(m).toEqual([{sweepId: 'abc', planned: 6, present: 4, missing: [1, 4], shards: ['2/3']}])
    expect(missingCells([{sweepId: 'old', shards: [], present: new Set([0])}])).toEqual([])
  })
})

describe('TAILSIM_* environment defaults', () => {
  const gen = ['generate', 'g.csv', '--load', '0.5', '-n', '100', '--force', '--json']
  test('flag > environment > default', async () => {
    expect(JSON.parse((await runIn(gen)).stdout).seed).toBe(1)
    expect(JSON.parse((await runIn(gen, {TAILSIM_SEED: '7'})).stdout).seed).toBe(7)
    expect(JSON.parse((await runIn([...gen, '--seed', '3'], {TAILSIM_SEED: '7'})).stdout).seed).toBe(3)
    const cmp = ['compare', 'synthetic:exp:10us', '--policies', 'mgn-fcfs', '--loads', '0.5', '-n', '2000', '--no-max-load']
    const csv = await runIn(cmp, {TAILSIM_FORMAT: 'csv', TAILSIM_JOBS: '0'})
    expect(csv.exit).toBe(0)
    expect(csv.stdout).toMatch(/^schema_version,kind,/) // the tidy CSV of docs/output.md
    expect((await runIn([...cmp, '--format', 'markdown'], {TAILSIM_FORMAT: 'csv', TAILSIM_JOBS: '0'})).stdout).toMatch(/^\| load \| mgn-fcfs \|$/m)
  })

  test('a bad value names the variable and its literal value (exit 64, JSON envelope)', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [gen, {TAILSIM_SEED: '-5'}, /TAILSIM_SEED="-5" \(the environment's default for --seed\): Expected an integer greater than or equal to 0/],
      [['compare', 'synthetic:exp:10us', '--loads', '0.5'], {TAILSIM_JOBS: 'many'}, /TAILSIM_JOBS="many" \(the environment's default for --jobs\): Expected an integer/],
      [['report', 'x.json'], {TAILSIM_FORMAT: 'xml'}, /TAILSIM_FORMAT="xml" \(the environment's default for --format\): Expected one of table, markdown, csv, json/],
      [['replay', '--synthetic', 'exp:10us', '-p', 'mgn-fcfs', '-l', '0.5'], {TAILSIM_PROGRESS_INTERVAL: '0'}, /TAILSIM_PROGRESS_INTERVAL="0" .*Expected a number of seconds in \(0, 86400\], got "0"/],
    ]
    for (const [args, env, msg] of cases) {
      const r = await runIn(args.filter((a) => a !== '--json'), env)
      expect(r.exit, r.stderr).toBe(64)
      expect(r.stderr).toMatch(msg)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      const j = await runIn([...args.filter((a) => a !== '--json'), '--json'], env)
      expect(JSON.parse(j.stdout).error.message).toMatch(msg)
    }
    // Given on the command line, the flag wins and the variable is not consulted.
    expect((await runIn(gen, {TAILSIM_SEED: 'junk'})).exit).toBe(64)
    expect((await runIn([...gen, '--seed', '2'], {TAILSIM_SEED: 'junk'})).exit).toBe(0)
  })
})
