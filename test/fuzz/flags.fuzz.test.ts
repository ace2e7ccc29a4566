/**
 * Flag fuzz: random flag names (real ones, near misses, unknown ones), random values (empty,
 * negative, huge, NaN, non-numeric, malformed specs, paths) and random combinations, thrown at
 * every command in-process (the real command classes from dist/, through oclif). Whatever comes
 * in, a command must end with a documented exit code and never 70 (internal error); a failure
 * prints exactly one `Error:` line (the last one) and no stack trace or help; with --json, a
 * failure is one JSON envelope on stdout whose exit_code is the exit code, and nothing on stderr.
 *
 * Bounded by case count (RUNS per command, a fixed seed; TAILSIM_FUZZ_SEED and TAILSIM_FUZZ_RUNS
 * change them). Sizes that would legitimately run for long (millions of requests, thousands of
 * loads) are kept out of the value pools of the size flags; the invalid forms of those flags are
 * still drawn.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import fc from 'fast-check'
import {beforeAll, describe, expect, test} from 'vitest'

const root = process.cwd()
const RUNS = Number(process.env.TAILSIM_FUZZ_RUNS ?? 25)
const SEED = Number(process.env.TAILSIM_FUZZ_SEED ?? 20261128)
const DOCUMENTED = new Set([0, 1, 64, 65, 73, 75])
let dir: string
/** Loaded once: each command line reuses its plugins instead of reading every manifest again. */
let config: Config

/** Values any flag may get: the classic breakers. */
const NASTY = ['', ' ', '0', '-1', '-0', '1e300', '-1e300', '1e-300', 'NaN', 'Infinity', 'abc', '0x10', '4294967296', '9007199254740993', '1,2', ':', '::', '=', 'a=b', '%s', '\u00e9\u00f1', 'x'.repeat(300), '--', 'no/such/dir/f.parquet', '.']

/** Sensible values per flag, so that combinations get past the first check often enough. */
const GOOD: Record<string, string[]> = {
  policy: ['zygos', 'ix', 'ix:batch=1', 'mgn-fcfs', 'n-mg1-fcfs:assignment=random', 'mgn-ps', 'n-mg1-ps', 'linux-floating', 'linux-partitioned', 'zygos-nointr', 'ix:batch=0', 'zygos:remote_ipi=maybe', 'nope'],
  policies: ['mgn-fcfs', 'zygos,ix', 'ix:batch=1,mgn-ps', 'nope,zygos', ',', 'zygos,zygos'],
  load: ['0.5', '0.9', '1', '1.5', '0.001'],
  loads: ['0.5', '0.3,0.6', '0.1:0.9:0.4', '0.9:0.1:0.1', '0:1:0', '0.5:0.5:0.1', '1.2', '0.2:0.8:0'],
  rate: ['1000', '1e5', '1e12', '0.001'],
  cores: ['1', '4', '16', '0', '5000'],
  ghz: ['2.4', '1', '100', '0', '101', '1e-9'],
  preset: ['zero', 'paper', 'other'],
  cost: ['rx_packet=1800', 'ipi_send=0', 'rx_packet=4294967296', 'rx_packet=4294967297', 'nope=1', 'rx_packet', 'rx_packet=-5', 'tx_reply=1e308'],
  seed: ['0', '1', '4294967295', '4294967296', '-1', '1.5'],
  warmup: ['0', '0.1', '0.99', '1', '-0.1'],
  'network-rtt': ['0', '5', '1e7', '1e7.1', '10000001'],
  'nic-ring': ['1', '8', '512', '0'],
  'max-sim-time': ['0.001', '1', '0', '1e-12'],
  replications: ['1', '2', '3', '0'],
  requests: ['1', '10', '500', '2e3', '0', '1.5', '1e-3'],
  connections: ['1', '10', '2720', '0'],
  synthetic: ['exp:10us', 'fixed:1us', 'bimodal1:10us', 'bimodal2:10us', 'lognormal:10us,1', 'pareto:1.5,1us,1ms', 'weibull:1', 'exp:', 'cdf:missing.txt', 'mix:a=1*exp:10us'],
  service: ['exp:10us', 'fixed:1us', 'bimodal:0.5,1us,2us', 'lognormal:10us,3', 'exp:0us', 'exp:-1us', 'cdf:cdf.txt'],
  slo: ['100us', '10x', 'p99.9:200us', 'p50:1us', 'p100:1us', 'x', '0us', 'p99:-1us'],
  percentile: ['p50', 'p99', 'p99.9', 'max', 'mean', 'p42', 'p100'],
  format: ['table', 'markdown', 'csv', 'json', 'arrow', 'parquet', 'arrow-stream', 'xml'],
  'search-range': ['0.01:0.99', '0.5:0.4', '0:1', '0.1:0.2:0.3', '0.2:0.2', '0.1:1e300'],
  'search-tol': ['0.005', '0.1', '0', '1e-9', '2'],
  shard: ['1/1', '1/2', '2/2', '3/2', '0/2', '1/0', 'a/b'],
  jobs: ['0', '0', '1'],
  'ci-batches': ['0', '1', '10', '1000'],
  batch: ['1', '64', '0'],
  records: ['r.parquet', 'r.arrow', 'r.csv', 't.csv', 'out/r.parquet'],
  out: ['res/', 'res.parquet', 'res.json', 'res.txt', 't.csv'],
  charts: ['charts/', 'res.json'],
  html: ['page.html', 'res.json'],
  'png-scale': ['1', '2', '0', '17'],
  'max-sort-rows': ['1', '10', '100000'],
  'arrival-column': ['arrival_ns', 'ts', ''],
  'conn-column': ['conn', 'nope'],
  'service-column': ['service_ns', 'nope'],
  'type-column': ['type', 'nope'],
  'arrival-unit': ['ns', 'us', 'ms'],
  'service-unit': ['ns', 'us', 's'],
  'trace-format': ['csv', 'arrow', 'parquet', 'json'],
  'worker-memory': ['16', '64', '8'],
  title: ['A title', ''],
  machine: ['machine.json', 'bad-machine.json', 'missing.json', 't.csv'],
  'font-file': ['missing.ttf', 't.csv'],
  progress: ['auto', 'bar', 'lines', 'none', 'tty'],
  'progress-interval': ['0.5', '10', '0', '86401'],
  grace: ['0', '10', '86401'],
}
/** Flags whose large valid values would only make a run long; NASTY is limited to its invalid forms. */
const SIZE = new Set(['requests', 'connections', 'cores', 'replications', 'jobs', 'ci-batches', 'max-sort-rows', 'batch', 'nic-ring', 'worker-memory', 'loads', 'search-tol', 'rate', 'shard'])
const SIZE_NASTY = ['', '-1', 'abc', '1e-300', 'NaN', '1.5', '0x10', ':']

/** Boolean flags drawn as switches. */
const BOOLEAN = new Set(['force', 'sort', 'allow-overload', 'show-config', 'resume', 'max-load', 'no-max-load', 'png', 'pdf', 'json', 'debug', 'strict'])

interface CommandSpec {
  id: string
  flags: string[]
  positional: string[]
  /** Flags added to every case (keeps compare in this thread). */
  fixed?: string[]
  /** A valid, quick command line (without the id) that the grid and many random cases start from. */
  base: string[]
}

/** Extreme values of the right syntax: every value-taking flag gets each, on a valid command line. */
const EXTREMES = ['1e300', '4294967296', 'NaN', '-1', '']
/** For the size flags only the invalid extremes: a valid huge size is a legitimately long run. */
const SIZE_EXTREMES = ['1e300', 'NaN', '-1', '']

const COMMANDS: CommandSpec[] = [
  {id: 'generate', flags: ['requests', 'service', 'load', 'cores', 'rate', 'connections', 'seed', 'ghz', 'format', 'force'], positional: ['g.csv', 'g.parquet', 'g.arrow', 'g.txt', 't.csv', 'no/dir/g.csv', 'cdf.txt'], base: ['g.csv', '--load', '0.5', '--requests', '200', '--force']},
  {id: 'inspect', flags: ['cores', 'ghz', 'arrival-column', 'conn-column', 'service-column', 'type-column', 'arrival-unit', 'service-unit', 'trace-format', 'sort', 'max-sort-rows'], positional: ['t.csv', 'missing.csv', 'res.json', 'cdf.txt', '.'], base: ['t.csv']},
  {
    id: 'replay',
    flags: ['policy', 'batch', 'load', 'rate', 'replications', 'records', 'force', 'ci-batches', 'show-config', 'cores', 'ghz', 'preset', 'cost', 'machine', 'nic-ring', 'seed', 'warmup', 'network-rtt', 'allow-overload', 'max-sim-time', 'synthetic', 'requests', 'connections', 'sort', 'max-sort-rows', 'arrival-column', 'trace-format', 'progress', 'progress-interval'],
    positional: ['t.csv', 'missing.csv', 'res.json', '.'],
    base: ['t.csv', '--policy', 'zygos', '--load', '0.5'],
  },
  {
    id: 'compare',
    flags: ['policies', 'loads', 'replications', 'slo', 'percentile', 'format', 'max-load', 'no-max-load', 'search-range', 'search-tol', 'out', 'shard', 'resume', 'force', 'jobs', 'requests', 'connections', 'cores', 'ghz', 'preset', 'cost', 'machine', 'seed', 'warmup', 'network-rtt', 'allow-overload', 'max-sim-time', 'sort', 'progress', 'progress-interval', 'grace'],
    positional: ['t.csv', 'synthetic:exp:10us', 'synthetic:nope', 'missing.csv', 'res.json'],
    fixed: ['--jobs', '0', '--requests', '300'],
    base: ['t.csv', '--policies', 'ix', '--loads', '0.5', '--search-range', '0.3:0.7', '--search-tol', '0.1'],
  },
  {id: 'report', flags: ['format', 'percentile', 'charts', 'png', 'pdf', 'png-scale', 'font-file', 'html', 'title', 'force', 'strict'], positional: ['res.json', 't.csv', 'missing.parquet', '.', 'res/'], base: ['res.json']},
]

/** A flag token: usually real, sometimes a near miss or an unknown one. */
function flagToken(names: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    {weight: 8, arbitrary: fc.constantFrom(...names)},
    {weight: 1, arbitrary: fc.constantFrom(...names).map((n) => n.slice(0, -1))},
    {weight: 1, arbitrary: fc.constantFrom('bogus', 'lod', 'polcy', 'x', 'help2', 'no-force')},
  )
}

function valueFor(flag: string): fc.Arbitrary<string> {
  const good = GOOD[flag] ?? ['1']
  const nasty = SIZE.has(flag) ? SIZE_NASTY : NASTY
  return fc.oneof({weight: 3, arbitrary: fc.constantFrom(...good)}, {weight: 1, arbitrary: fc.constantFrom(...nasty)})
}

function argvFor(c: CommandSpec): fc.Arbitrary<string[]> {
  const flag = flagToken(c.flags).chain((name) =>
    BOOLEAN.has(name) || !(name in GOOD) ? fc.constant([`--${name}`]) : valueFor(name).map((v) => [`--${name}`, v]),
  )
  return fc
    .record({
      // Half the cases start from a valid command line, so that the random flags reach the run.
      base: fc.boolean(),
      positional: fc.array(fc.constantFrom(...c.positional), {minLength: 0, maxLength: 2}),
      flags: fc.array(flag, {minLength: 0, maxLength: 5}),
      json: fc.boolean(),
      equals: fc.boolean(),
    })
    .map(({base, positional, flags, json, equals}) => [
      c.id,
      ...(base ? c.base : positional),
      ...flags.flatMap((f) => (equals && f.length === 2 ? [`${f[0]}=${f[1]}`] : f)),
      ...(c.fixed ?? []),
      ...(json ? ['--json'] : []),
    ])
}

async function run(argv: string[]) {
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    const r = await runCommand(argv, config, {testNodeEnv: 'production'} as never)
    const exit = (r.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit ?? (r.error ? -1 : 0)
    return {stdout: r.stdout, stderr: r.stderr, exit, error: r.error}
  } finally {
    process.chdir(cwd)
  }
}

/** The contract of a finished command line (see the header). */
function check(argv: string[], r: {stdout: string; stderr: string; exit: number}) {
  const context = `tailsim ${argv.join(' ')}\nexit ${r.exit}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 2000)}`
  expect(DOCUMENTED.has(r.exit), context).toBe(true)
  if (r.exit === 0) return
  if (argv.includes('--json')) {
    expect(r.stderr.replace(/^Failed: .*\n/gm, ''), context).toBe('')
    const env = JSON.parse(r.stdout)
    expect(Object.keys(env), context).toEqual(['error'])
    expect(env.error.exit_code, context).toBe(r.exit)
    expect(typeof env.error.code, context).toBe('string')
    expect(typeof env.error.message, context).toBe('string')
    expect(env.error.message, context).not.toContain('\n')
    expect(typeof env.error.where, context).toBe('object')
  } else {
    // compare reports each failed cell on its own line before the final error (exit 1).
    const lines = r.stderr.replace(/^Failed: .*\n/gm, '').split('\n').filter((l) => l !== '')
    expect(lines.length, context).toBe(1)
    expect(lines[0], context).toMatch(/^Error: .+ See `tailsim [a-z]+ --help`\.$/)
    expect(r.stdout, context).not.toMatch(/USAGE|\n\s+at /)
  }
}

beforeAll(async () => {
  config = await Config.load({root})
  dir = mkdtempSync(join(tmpdir(), 'tailsim-flag-fuzz-'))
  const rows = ['arrival_ns,conn,service_ns,type']
  for (let i = 0; i < 300; i++) rows.push(`${i * 5000},${i % 23},${8000 + ((i * 7919) % 4000)},${i % 3}`)
  writeFileSync(join(dir, 't.csv'), rows.join('\n') + '\n')
  writeFileSync(join(dir, 'cdf.txt'), '5us,0.5\n20us,1\n')
  writeFileSync(join(dir, 'machine.json'), JSON.stringify({cores: 4, preset: 'paper', costs: {rx_packet: 1000}}))
  writeFileSync(join(dir, 'bad-machine.json'), '{"cores": -3, "costs": {"rx_packet": "a lot"}}')
  const r = await run(['compare', 't.csv', '--policies', 'mgn-fcfs,ix', '--loads', '0.3,0.6', '--jobs', '0', '--out', 'res.json'])
  if (r.exit !== 0) throw new Error(`fixture: compare failed: ${r.stderr}`)
})

describe('flag grid: every value-taking flag of every command gets each extreme value', () => {
  for (const c of COMMANDS) {
    test(
      c.id,
      async () => {
        for (const name of c.flags.filter((f) => !BOOLEAN.has(f))) {
          for (const v of SIZE.has(name) ? SIZE_EXTREMES : EXTREMES) {
            const argv = [c.id, ...c.base.filter((_, i, b) => b[i] !== `--${name}` && b[i - 1] !== `--${name}`), `--${name}=${v}`, ...(c.fixed ?? []).filter((x, i, f) => x !== `--${name}` && f[i - 1] !== `--${name}`)]
            const r = await run(argv)
            check(argv, r)
            if (name === 'network-rtt' || name === 'seed') {
              const j = await run([...argv, '--json'])
              check([...argv, '--json'], j)
            }
          }
        }
      },
      300_000,
    )
  }
})

describe('flag fuzz: documented exit codes, one line, JSON envelope', () => {
  for (const c of COMMANDS) {
    test(
      `${c.id}: ${RUNS} random command lines`,
      async () => {
        const seen = new Map<number, number>()
        await fc.assert(
          fc.asyncProperty(argvFor(c), async (argv) => {
            const r = await run(argv)
            seen.set(r.exit, (seen.get(r.exit) ?? 0) + 1)
            check(argv, r)
          }),
          {numRuns: RUNS, seed: SEED, endOnFailure: true},
        )
        // TAILSIM_FUZZ_STATS=1: how often each exit code came up (are the cases getting through?).
        if (process.env.TAILSIM_FUZZ_STATS) process.stderr.write(`${c.id}: exit codes ${JSON.stringify(Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])))}\n`)
      },
      // Bounded by the case count; sized for a machine 5x slower than an idle 2-core one.
      300_000,
    )
  }
})
