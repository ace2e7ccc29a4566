/**
 * `tailsim generate` end to end through the built CLI (dist/; `npm test` builds first): in-process
 * (./inproc.ts), except writing to stdout, which needs a real process (binary data on a pipe).
 */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {tableFromIPC} from 'apache-arrow'
import {beforeAll, describe, expect, it} from 'vitest'

import {tailsimIn} from './inproc.js'

const BIN = join(process.cwd(), 'bin/run.js')
const ENV = {...process.env, NODE_ENV: 'production'}
let dir: string

/** A real process (bin/run.js): for binary stdout. */
function spawned(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {cwd: dir, env: ENV, maxBuffer: 256 << 20})
  return {stdout: r.stdout, stderr: r.stderr.toString('utf8'), exit: r.status}
}

const tailsim = (args: string[]) => tailsimIn(dir, args)

const sha = (p: string) => createHash('sha256').update(readFileSync(join(dir, p))).digest('hex')

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tailsim-gen-'))
})

describe('tailsim generate', () => {
  it('writes each format, bit-identical for the same flags', async () => {
    // Each command is a process of its own. parquet-wasm orders a Parquet file's key-value
    // metadata by a hash map whose seed changes with each write within one process, so the two
    // Parquet files of the same flags are made as a user makes them, each by a real process.
    const gen = async (name: string, seed: string) => {
      const args = ['generate', name, '--requests', '20000', '--load', '0.7', '--seed', seed]
      if (!name.endsWith('.parquet') || seed !== '5') return tailsim(args)
      const r = spawned(args)
      return {...r, out: r.stdout.toString('utf8')}
    }
    for (const ext of ['arrow', 'arrows', 'parquet', 'csv']) {
      const a = await gen(`a.${ext}`, '5')
      expect(a.stderr).toBe('')
      expect(a.exit).toBe(0)
      expect(a.out).toMatch(new RegExp(`^Wrote 20000 requests to a\\.${ext} \\(`))
      expect((await gen(`b.${ext}`, '5')).exit).toBe(0)
      expect(sha(`a.${ext}`)).toBe(sha(`b.${ext}`))
      expect((await gen(`c.${ext}`, '6')).exit).toBe(0)
      expect(sha(`a.${ext}`)).not.toBe(sha(`c.${ext}`))
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('--json returns the generation summary', async () => {
    const r = await tailsim(['generate', 'j.parquet', '--requests', '1000', '--service', 'bimodal1:10us', '--load', '0.5', '--cores', '8', '--json'])
    expect(r.stderr).toBe('')
    const j = JSON.parse(r.out)
    expect(j).toMatchObject({path: 'j.parquet', format: 'parquet', requests: 1000, service: 'bimodal1:10us', service_mean_us: 10, cores: 8, connections: 2720, seed: 1, ghz: 2.4})
    expect(j.load_fraction).toBeCloseTo(0.5, 12)
    expect(j.rate_rps).toBeCloseTo(400_000, 3)
    expect(j.spec_sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('--rate sets requests per second; --format overrides the extension', async () => {
    const r = await tailsim(['generate', 'r.dat', '--format', 'csv', '--requests', '2000', '--rate', '100000', '--json'])
    const j = JSON.parse(r.out)
    expect(j.format).toBe('csv')
    expect(j.rate_rps).toBeCloseTo(100_000, 6)
    expect(readFileSync(join(dir, 'r.dat'), 'utf8').split('\n')[0]).toBe('arrival_ns,conn,service_ns')
  })

  it('- writes an Arrow IPC stream to stdout, with the summary on stderr', async () => {
    const r = spawned(['generate', '-', '--requests', '3000', '--load', '0.5', '--connections', '10'])
    expect(r.exit).toBe(0)
    expect(r.stderr).toMatch(/^Wrote 3000 requests to stdout \(arrow-stream/)
    const t = tableFromIPC(r.stdout)
    expect(t.numRows).toBe(3000)
    expect(t.schema.fields.map((f) => f.name)).toEqual(['arrival_ns', 'conn', 'service_ns'])
    const conns = new Set(t.getChild('conn')!.toArray() as Uint32Array)
    expect(conns.size).toBe(10)
  })

  it('a mix: spec writes a type column', async () => {
    await tailsim(['generate', 'typed.csv', '--requests', '500', '--load', '0.5', '--service', 'mix:get=0.9*exp:5us;scan=0.1*fixed:100us'])
    const lines = readFileSync(join(dir, 'typed.csv'), 'utf8').trim().split('\n')
    expect(lines[0]).toBe('arrival_ns,conn,service_ns,type')
    expect(lines.slice(1).every((l) => /^[\d.]+,\d+,[\d.]+,(get|scan)$/.test(l))).toBe(true)
  })

  it('refuses to clobber without --force (exit 73) and overwrites with it', async () => {
    writeFileSync(join(dir, 'keep.csv'), 'precious\n')
    const r = await tailsim(['generate', 'keep.csv', '--requests', '10', '--load', '0.5'])
    expect(r.exit).toBe(73)
    expect(r.stderr).toMatch(/^Error: Expected OUT not to exist, got an existing file "keep.csv" \(pass --force to overwrite\)\. See `tailsim generate --help`\.\n$/)
    expect(readFileSync(join(dir, 'keep.csv'), 'utf8')).toBe('precious\n')
    expect((await tailsim(['generate', 'keep.csv', '--requests', '10', '--load', '0.5', '--force'])).exit).toBe(0)
    expect(readFileSync(join(dir, 'keep.csv'), 'utf8')).toMatch(/^arrival_ns,conn,service_ns\n/)
  })

  it.each([
    [['x.csv', '--service', 'weibull:3'], 64, /--service: Expected `service` to be one of exp:MEAN/],
    [['x.csv', '--service', 'exp:10'], 64, /--service: Expected `service` to be a spec whose MEAN is a duration > 0 with a unit/],
    [['x.csv'], 64, /--load: Expected --load \(with --cores\) or --rate, got neither/],
    [['x.csv', '--load', 'abc'], 64, /--load: Expected a load > 0, got "abc"/],
    [['x.csv', '--load', '0.5', '--ghz', '0'], 64, /--ghz: Expected a clock in GHz greater than 0 and at most 100, got "0"/],
    [['x.txt', '--load', '0.5'], 64, /--format: Expected OUT to end in .arrow, .arrows, .parquet or .csv/],
    [['no/such/dir/x.csv', '--load', '0.5'], 73, /Expected the folder of OUT to exist/],
    [['-', '--load', '0.5', '--json'], 64, /Expected OUT to be a file when --json is given/],
  ])('rejects %j with exit %i', async (args, exit, message) => {
    const r = await tailsim(['generate', ...args])
    if (!args.includes('--json')) {
      expect(r.stderr).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
    } else {
      expect(JSON.parse(r.out).error.message).toMatch(message)
    }
    expect(r.exit).toBe(exit)
    expect(existsSync(join(dir, 'x.csv'))).toBe(false)
  })

  it('--arrivals fixed writes exact gaps; the summary names the process', async () => {
    const r = await tailsim(['generate', 'fixed.csv', '--requests', '1000', '--rate', '1e6', '--arrivals', 'fixed', '--json'])
    expect(r.stderr).toBe('')
    const j = JSON.parse(r.out)
    expect(j).toMatchObject({arrivals: 'fixed', requests: 1000})
    expect(j.rate_rps).toBeCloseTo(1e6, 3)
    const arrivals = readFileSync(join(dir, 'fixed.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]))
    expect(arrivals.slice(0, 4)).toEqual([1000, 2000, 3000, 4000])
    expect(arrivals.every((a, i) => a === 1000 * (i + 1))).toBe(true)
  })

  it('--arrivals mmpp and SERVICE@ARRIVALS are the same trace; the rate is the one asked for', {timeout: 300_000}, async () => {
    const a = await tailsim(['generate', 'm1.arrow', '--requests', '5000', '--load', '0.6', '--arrivals', 'mmpp:high=5,low=0.2,dwell=50us', '--json'])
    const b = await tailsim(['generate', 'm2.arrow', '--requests', '5000', '--load', '0.6', '--service', 'exp:10us@mmpp:dwell=50us,low=0.2,high=5'])
    expect(a.exit).toBe(0)
    expect(b.exit).toBe(0)
    expect(JSON.parse(a.out)).toMatchObject({arrivals: 'mmpp:high=5,low=0.2,dwell=50us', load_fraction: 0.6})
    expect(b.out).toMatch(/mmpp:high=5,low=0\.2,dwell=50us arrivals at 0\.96 M requests\/s = load 0\.6 on 16 cores/)
    expect(sha('m1.arrow')).toBe(sha('m2.arrow'))
  })

  it('--arrivals replay:FILE keeps the arrivals and connections of FILE, with new service times', {timeout: 300_000}, async () => {
    const src = await tailsim(['generate', 'src.csv', '--requests', '3000', '--load', '0.5', '--connections', '50', '--seed', '3'])
    expect(src.exit).toBe(0)
    const r = await tailsim(['generate', 'redrawn.csv', '--service', 'fixed:7us', '--arrivals', 'replay:src.csv', '--json'])
    expect(r.stderr).toBe('')
    const j = JSON.parse(r.out)
    expect(j).toMatchObject({requests: 3000, arrivals: 'replay:src.csv', connections: 50})
    expect(j.load_fraction).toBeCloseTo(0.5 * 0.7, 1) // 7 µs instead of 10 µs at the file's rate
    const rows = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','))
    const before = rows('src.csv')
    const after = rows('redrawn.csv')
    expect(after.map((x) => x[0])).toEqual(before.map((x) => x[0]))
    // Connections are renumbered by first appearance (as every reader does): the same partition.
    const firstSeen = new Map<string, number>()
    for (const x of before) if (!firstSeen.has(x[1])) firstSeen.set(x[1], firstSeen.size)
    expect(after.map((x) => Number(x[1]))).toEqual(before.map((x) => firstSeen.get(x[1])))
    expect(after.every((x) => x[2] === '7000')).toBe(true)
    const capped = await tailsim(['generate', 'capped.csv', '--arrivals', 'replay:src.csv', '--requests', '100', '--json'])
    expect(JSON.parse(capped.out).requests).toBe(100)
  })

  it.each([
    [['--load', '0.5', '--arrivals', 'mmpp:high=0.5'], 64, /^Error: --arrivals: Expected `arrivals` to be mmpp with high in \(1, 1e6\], a multiple of the mean rate \(got high 0\.5\), got "mmpp:high=0\.5"\. See `tailsim generate --help`\.\n$/],
    [['--load', '0.5', '--arrivals', 'mmpp:dwell=2'], 64, /^Error: --arrivals: Expected `arrivals` to be mmpp with dwell a duration > 0 with a unit.*got "mmpp:dwell=2"\. See `tailsim generate --help`\.\n$/],
    [['--load', '0.5', '--arrivals', 'bursty'], 64, /^Error: --arrivals: Expected `arrivals` to be one of poisson \| fixed \| mmpp:high=H,low=L,dwell=D \| replay:FILE, got "bursty"\. See `tailsim generate --help`\.\n$/],
    [['--arrivals', 'replay:src.csv', '--connections', '5'], 64, /^Error: --connections: Expected no --connections with replay:src\.csv arrivals.*got "5"\. See `tailsim generate --help`\.\n$/],
    [['--arrivals', 'replay:nope.csv'], 65, /^Error: nope\.csv: Expected a readable trace file/],
    [['--load', '0.5', '--service', 'exp:1us@fixed', '--arrivals', 'fixed'], 64, /^Error: --arrivals: Expected the arrival process once/],
    [['--arrivals', 'replay:src.csv', '--load', '0.5'], 64, /^Error: --load: Expected no --load with replay:src\.csv arrivals/],
  ])('rejects --arrivals problems in one line: %j', async (args, exit, message) => {
    const r = await tailsim(['generate', 'bad.csv', ...args])
    expect(r.stderr).toMatch(message)
    expect(r.exit).toBe(exit)
    expect(existsSync(join(dir, 'bad.csv'))).toBe(false)
  })

  it('replay --synthetic takes the same arrival processes: it simulates what generate then replay FILE simulates', {timeout: 300_000}, async () => {
    const common = ['--policy', 'mgn-fcfs', '--cores', '4', '--load', '0.6', '--seed', '4', '--json']
    await tailsim(['generate', 'paced.arrow', '--requests', '20000', '--load', '0.6', '--cores', '4', '--seed', '4', '--arrivals', 'mmpp:high=3,dwell=40us'])
    const fromFile = JSON.parse((await tailsim(['replay', 'paced.arrow', ...common])).out)
    const direct = await tailsim(['replay', '--synthetic', 'exp:10us', '--arrivals', 'mmpp:high=3,dwell=40us', '--requests', '20000', ...common])
    expect(direct.stderr).toBe('')
    const synthetic = JSON.parse(direct.out)
    expect(synthetic.latency).toEqual(fromFile.latency)
    expect(synthetic.trace).toMatch(/mmpp:high=3,low=0\.5,dwell=40us arrivals/)
    const suffix = JSON.parse((await tailsim(['replay', '--synthetic', 'exp:10us@mmpp:high=3,dwell=40us', '--requests', '20000', ...common])).out)
    expect(suffix.latency).toEqual(fromFile.latency)
    const bad = await tailsim(['replay', 'paced.arrow', '--arrivals', 'fixed', ...common])
    expect(JSON.parse(bad.out).error.message).toMatch(/^--arrivals: Expected --arrivals only with --synthetic/)
    expect(bad.exit).toBe(64)
  })

  it('has help with examples', async () => {
    const r = await tailsim(['generate', '--help'])
    expect(r.exit).toBe(0)
    expect(r.out).toMatch(/bimodal2:MEAN/)
    expect(r.out).toMatch(/mmpp:high=H,low=L,dwell=D/)
    expect(r.out).toMatch(/replay:FILE/)
    expect(r.out).toMatch(/EXAMPLES/)
  })
})
