/**
 * How every command fails: the documented exit codes, one line plus a hint on stderr (never the
 * help, never a stack trace), the JSON envelope on stdout under --json, "did you mean" for flags and
 * commands, values that must not reach `Internal error`, and the output guard (an output that is
 * an input is refused even with --force). In-process through oclif (dist/, built by `npm test`),
 * except where a real process matters (a command that does not exist).
 */
import {spawnSync} from 'node:child_process'
import {linkSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCommand} from '@oclif/test'
import {beforeAll, describe, expect, test} from 'vitest'

import {closest, editDistance, fromParseError, reportError} from '../../src/cli/fail.js'
import {parseCount} from '../../src/cli/count-flag.js'
import {ConfigError, OutputError, UsageError} from '../../src/errors.js'

const root = process.cwd()
const BIN = join(root, 'bin/run.js')
const ENV = {...process.env, NODE_ENV: 'production'}
let dir: string

/** A command in-process: stdout, stderr and the exit code. */
export async function tailsim(argv: string[]) {
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    const r = await runCommand(argv, {root}, {testNodeEnv: 'production'} as never)
    const exit = (r.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit ?? (r.error ? 1 : 0)
    return {stdout: r.stdout, stderr: r.stderr, exit, result: r.result as Record<string, any> | undefined}
  } finally {
    process.chdir(cwd)
  }
}

/** The one-line error form: `Error: <message>. See \`tailsim <command> --help\`.` */
function expectOneLine(stderr: string, command: string) {
  expect(stderr).toMatch(/^Error: [^\n]+\n$/)
  expect(stderr).toContain(`See \`tailsim ${command}${command ? ' ' : ''}--help\`.`)
  expect(stderr).not.toMatch(/USAGE|FLAGS|\n\s+at /)
}

function envelope(stdout: string) {
  const env = JSON.parse(stdout)
  expect(Object.keys(env)).toEqual(['error'])
  expect(Object.keys(env.error).sort()).toEqual(['code', 'exit_code', 'message', 'where'])
  return env.error as {code: string; message: string; exit_code: number; where: Record<string, unknown>}
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tailsim-errors-'))
  // A small trace (arrival_ns, conn, service_ns): 400 requests at ~50% load on 4 cores.
  const rows = ['arrival_ns,conn,service_ns']
  for (let i = 0; i < 400; i++) rows.push(`${i * 5000},${i % 37},${8000 + ((i * 7919) % 4000)}`)
  writeFileSync(join(dir, 't.csv'), rows.join('\n') + '\n')
})

describe('parse errors are usage errors (exit 64): one line and a hint, or the JSON envelope', () => {
  const cases: [string[], string, RegExp][] = [
    [['replay', '--polcy', 'zygos'], 'UNKNOWN_FLAG', /Unknown flag --polcy; did you mean --policy\?/],
    [['compare', 't.csv', '--load', '0.5'], 'UNKNOWN_FLAG', /Unknown flag --load; did you mean --loads\?/],
    [['replay', '--cores', 'abc'], 'INVALID_FLAG_VALUE', /--cores: Expected an integer/],
    [['compare', 't.csv', '--format', 'xml'], 'INVALID_FLAG_VALUE', /--format: Expected one of table, markdown, csv, json, got "xml"/],
    [['replay', 't.csv', '--policy', 'zygos', '--load', '0.5', '--rate', '1000'], 'INVALID_FLAGS', /cannot also be provided/],
    [['compare'], 'MISSING_ARGUMENT', /Expected the argument TRACES/],
    [['inspect', 't.csv', 'extra'], 'UNEXPECTED_ARGUMENT', /Unexpected argument: extra/],
    [['replay', 't.csv', '--policy', 'mgn-fcfs', '--seed', '4294967296'], 'INVALID_FLAG_VALUE', /--seed: .*4294967295/],
    [['compare', 't.csv', '--policies', 'mgn-fcfs', '--seed', '-1'], 'INVALID_FLAG_VALUE', /--seed: /],
    [['generate', 'x.csv', '--load', '0.5', '--requests', '1e-3'], 'INVALID_FLAG_VALUE', /--requests: Expected a whole number/],
  ]
  for (const [argv, code, message] of cases) {
    test(argv.join(' '), async () => {
      const r = await tailsim(argv)
      expect(r.exit, r.stderr).toBe(64)
      expectOneLine(r.stderr, argv[0])
      expect(r.stderr).toMatch(message)
      expect(r.stdout).toBe('')
      const j = await tailsim([...argv, '--json'])
      expect(j.exit).toBe(64)
      expect(j.stderr).toBe('')
      const e = envelope(j.stdout)
      expect(e.code).toBe(code)
      expect(e.exit_code).toBe(64)
      expect(e.message).toMatch(message)
    })
  }
})

describe('values that used to reach Internal error are typed errors', () => {
  const cases: [string[], number, RegExp][] = [
    [['replay', 't.csv', '--policy', 'zygos', '--network-rtt', '1e300'], 64, /--network-rtt: Expected a number of microseconds in \[0, 10000000\], got "1e300"/],
    [['replay', 't.csv', '--policy', 'zygos', '--cost', 'rx_packet=1e300'], 64, /--cost: Expected cost `rx_packet` to be a number of cycles in \[0, 4294967296\]/],
    [['compare', 't.csv', '--policies', 'zygos', '--loads', '0.5', '--no-max-load', '--jobs', '0', '--cost', 'ipi_send=1e20'], 64, /--cost: /],
    [['replay', 't.csv', '--policy', 'mgn-fcfs', '--load', '0.5', '--ghz', '1e300'], 64, /--ghz/],
    // Used to plan 4 billion cells (and run out of memory).
    [['compare', 't.csv', '--policies', 'ix', '--loads', '0.5', '--jobs', '0', '--replications', '4294967296'], 64, /--replications: .*10000/],
    // Used to allocate per-connection state for 4 billion connections (out of memory).
    [['replay', '--synthetic', 'exp:10us', '--requests', '300', '--connections', '4294967295', '--policy', 'zygos', '--load', '0.5'], 64, /--connections: .*10000000/],
    // Used to bisect forever: the midpoints are on a 1e-9 grid.
    [['compare', 't.csv', '--policies', 'mgn-fcfs', '--loads', '0.5', '--jobs', '0', '--search-tol', '1e-300'], 64, /--search-tol: Expected a search tolerance in \[0.000001, /],
  ]
  for (const [argv, exit, message] of cases) {
    test(argv.join(' '), async () => {
      const r = await tailsim(argv)
      expect(r.exit, r.stderr).toBe(exit)
      expectOneLine(r.stderr, argv[0])
      expect(r.stderr).toMatch(message)
    })
  }

  test('the largest accepted cost and round trip still simulate', async () => {
    const r = await tailsim(['replay', 't.csv', '--policy', 'zygos', '--cost', 'rx_packet=4294967296', '--network-rtt', '1e7', '--allow-overload', '--json'])
    expect(r.exit, r.stderr).toBe(0)
    expect(r.result!.latency.p50_us).toBeGreaterThan(1e7)
  })

  test('the largest accepted seed is used as itself, not aliased to another', async () => {
    const a = await tailsim(['replay', 't.csv', '--policy', 'n-mg1-fcfs', '--seed', '4294967295', '--json'])
    expect(a.exit, a.stderr).toBe(0)
    expect(a.result!.seed).toBe(4294967295)
  })
})

describe('a flag the input gives no meaning to is refused, not ignored', () => {
  // --requests sizes a synthetic trace; a trace file is replayed whole (it was once silently ignored).
  const cases: [string[], RegExp][] = [
    [['replay', 't.csv', '--policy', 'mgn-fcfs', '--requests', '2000'], /^Error: --requests: Expected --requests only with --synthetic \(the TRACE is replayed whole\), got --requests 2000 with t\.csv\./],
    [['compare', 't.csv', '--policies', 'mgn-fcfs', '--loads', '0.5', '--no-max-load', '--jobs', '0', '-n', '2000'], /^Error: --requests: Expected --requests only with a synthetic:SPEC trace \(trace files are replayed whole\), got --requests 2000 with t\.csv\./],
  ]
  for (const [argv, message] of cases) {
    test(argv.join(' '), async () => {
      const r = await tailsim(argv)
      expect(r.exit, r.stderr).toBe(64)
      expectOneLine(r.stderr, argv[0])
      expect(r.stderr).toMatch(message)
    })
  }

  test('with a synthetic trace beside a file, compare sizes the synthetic one by --requests', async () => {
    const r = await tailsim(['compare', 't.csv', 'synthetic:exp:10us', '--policies', 'mgn-fcfs', '--loads', '0.5', '--no-max-load', '--jobs', '0', '-n', '3000', '--json'])
    expect(r.exit, r.stderr).toBe(0)
    const rows = JSON.parse(r.stdout).rows as {trace: string; requests: number}[]
    expect(rows.find((x) => x.trace.startsWith('synthetic'))!.requests).toBe(3000)
  })
})

describe('unknown commands', () => {
  test('did you mean, exit 64, one line; JSON envelope with --json (a real process)', () => {
    const r = spawnSync(process.execPath, [BIN, 'replya', '--policy', 'zygos'], {cwd: dir, env: ENV, encoding: 'utf8'})
    expect(r.status).toBe(64)
    expect(r.stderr).toBe('Error: Unknown command "replya"; did you mean "replay"? See `tailsim --help`.\n')
    expect(r.stdout).toBe('')
    const j = spawnSync(process.execPath, [BIN, 'inspekt', 't.csv', '--json'], {cwd: dir, env: ENV, encoding: 'utf8'})
    expect(j.status).toBe(64)
    expect(j.stderr).toBe('')
    const e = envelope(j.stdout)
    expect(e).toEqual({code: 'UNKNOWN_COMMAND', message: 'Unknown command "inspekt"; did you mean "inspect"?', exit_code: 64, where: {}})
  })
})

describe('outputs that are inputs are refused, even with --force (exit 73)', () => {
  test('replay --records on its own trace, by name, symbolic link and hard link', async () => {
    const before = readFileSync(join(dir, 't.csv'))
    symlinkSync(join(dir, 't.csv'), join(dir, 'sym.parquet'))
    linkSync(join(dir, 't.csv'), join(dir, 'hard.parquet'))
    for (const out of ['t.csv', './t.csv', 'sym.parquet', 'hard.parquet']) {
      const r = await tailsim(['replay', 't.csv', '--policy', 'mgn-fcfs', '--records', out, '--force'])
      expect(r.exit, r.stderr).toBe(73)
      expectOneLine(r.stderr, 'replay')
      expect(r.stderr).toMatch(/--records not to be one of the inputs.*even with --force/)
    }
    expect(readFileSync(join(dir, 't.csv'))).toEqual(before)
  })

  test('compare --out FILE.parquet --force on its own input trace', async () => {
    const t = join(dir, 'in.parquet')
    const g = await tailsim(['generate', t, '--load', '0.5', '--requests', '2000'])
    expect(g.exit, g.stderr).toBe(0)
    const before = readFileSync(t)
    const r = await tailsim(['compare', 'in.parquet', '--policies', 'mgn-fcfs', '--loads', '0.5', '--no-max-load', '--jobs', '0', '--out', 'in.parquet', '--force', '--json'])
    expect(r.exit).toBe(73)
    const e = envelope(r.stdout)
    expect(e.code).toBe('OUTPUT_ERROR')
    expect(e.where).toEqual({file: 'in.parquet', flag: 'out'})
    expect(readFileSync(t)).toEqual(before)
  })

  test('generate OUT over its own cdf:FILE, and report --html over a result file', async () => {
    writeFileSync(join(dir, 'svc.cdf'), '5000,0.5\n20000,1\n')
    const r = await tailsim(['generate', 'svc.cdf', '--service', 'cdf:svc.cdf', '--load', '0.5', '--format', 'csv', '--force'])
    expect(r.exit, r.stderr).toBe(73)
    expect(readFileSync(join(dir, 'svc.cdf'), 'utf8')).toBe('5000,0.5\n20000,1\n')
    const c = await tailsim(['compare', 't.csv', '--policies', 'mgn-fcfs', '--loads', '0.5', '--no-max-load', '--jobs', '0', '--out', 'res.json'])
    expect(c.exit, c.stderr).toBe(0)
    const before = readFileSync(join(dir, 'res.json'))
    const h = await tailsim(['report', 'res.json', '--html', 'res.json', '--force'])
    expect(h.exit, h.stderr).toBe(73)
    expect(h.stderr).toMatch(/--html not to be one of the inputs/)
    expect(readFileSync(join(dir, 'res.json'))).toEqual(before)
  })
})

describe('help documents the exit codes', () => {
  test('every command', async () => {
    for (const c of ['generate', 'inspect', 'replay', 'compare', 'report']) {
      const r = await tailsim([c, '--help'])
      expect(r.exit).toBe(0)
      expect(r.stdout).toMatch(/EXIT CODES\n(.|\n)*\b64\s+usage(.|\n)*\b73\s+output(.|\n)*\b143\s+terminated/)
    }
  })
})

describe('the reporting functions', () => {
  test('an untyped error is an internal error: exit 70, one line, a bug hint', () => {
    let out = ''
    let err = ''
    const code = reportError(new TypeError('x is undefined\nsecond line'), {json: false, debug: false, help: 'tailsim replay --help', stdout: (s) => (out += s), stderr: (s) => (err += s)})
    expect(code).toBe(70)
    expect(out).toBe('')
    expect(err).toMatch(/^Internal error: x is undefined; second line\. This is a bug: run again with --debug .*\n$/)
    const jcode = reportError(new TypeError('boom'), {json: true, debug: false, help: '', stdout: (s) => (out += s), stderr: (s) => (err += s)})
    expect(jcode).toBe(70)
    expect(JSON.parse(out).error).toEqual({code: 'INTERNAL_ERROR', message: 'boom', exit_code: 70, where: {}})
  })

  test('typed errors keep their codes and locations', () => {
    let out = ''
    reportError(new ConfigError('Expected a load, got x', {flag: 'load'}), {json: true, debug: false, help: '', stdout: (s) => (out += s)})
    expect(JSON.parse(out).error).toEqual({code: 'CONFIG_INVALID', message: '--load: Expected a load, got x', exit_code: 64, where: {flag: 'load'}})
    expect(new OutputError('x').exitCode).toBe(73)
    expect(new UsageError('x', 'UNKNOWN_FLAG').code).toBe('UNKNOWN_FLAG')
    expect(fromParseError(new ConfigError('y'))).toBeInstanceOf(ConfigError)
  })

  test('edit distance and "did you mean"', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
    expect(closest('polcy', ['policy', 'policies', 'load'])).toBe('policy')
    expect(closest('replya', ['replay', 'report'])).toBe('replay')
    expect(closest('reco', ['records', 'rate'])).toBe('records')
    expect(closest('zzzzzz', ['policy', 'load'])).toBeUndefined()
  })

  test('counts accept 1e6-style whole numbers only', () => {
    expect(parseCount('1000000')).toBe(1_000_000)
    expect(parseCount('1e6')).toBe(1_000_000)
    expect(parseCount('2.5E5')).toBe(250_000)
    expect(parseCount('1_000')).toBe(1000)
    for (const bad of ['1e-3', '1.5', '-1', 'abc', '', '0x10', '1e400', 'Infinity']) expect(parseCount(bad, 1), bad).toBeUndefined()
    expect(parseCount('0', 1)).toBeUndefined()
  })
})
