/**
 * `replay --replications k` on a trace with request types: the "by type over k replications"
 * block and `replications.per_type` / `replications.slowdown` under --json. Oracle: k separate
 * single runs with seeds s..s+k−1 (a replication is exactly such a run), whose per-type values
 * give the mean and t-interval here. In-process (./inproc.ts), a 4000-request trace.
 */
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Ajv} from 'ajv'
import {beforeAll, describe, expect, test} from 'vitest'

import {tailsimIn} from './inproc.js'

const root = process.cwd()
const tailsim = (args: string[]) => tailsimIn(root, args)
let trace: string
const RUN = ['--policy', 'n-mg1-fcfs:assignment=random', '--cores', '4', '--load', '0.6', '--seed', '7']

type Iv = {mean: number | null; low: number | null; high: number | null; half: number | null; na_runs: number}
type Doc = {
  slowdown: Record<string, number>
  per_type: Record<string, {count: number; min_us: number; max_us: number; p50_us: number | null; p99_us: number | null; slowdown: Record<string, number | null>}>
  replications: {seeds: number[]; slowdown: Record<string, Iv>; per_type: Record<string, {absent_runs: number} & Record<string, Iv>>}
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tailsim-reptypes-'))
  trace = join(dir, 'mix.parquet')
  // 5% long requests: their p50 is reported, their p99 is n/a (about 2 samples above it).
  const g = await tailsim(['generate', trace, '--service', 'mix:short=0.95*exp:5us;long=0.05*exp:100us', '--requests', '4000', '--cores', '4', '--load', '0.6'])
  expect(g.exit).toBe(0)
}, 60_000)

/** Mean and clamped 95% t-interval (k = 3: t = 4.303) of three values, as replay should give. */
function oracle(xs: number[], lo: number, hi: number): {mean: number; low: number; high: number} {
  const mean = (xs[0] + xs[1] + xs[2]) / 3
  const half = (4.303 * Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2)) / Math.sqrt(3)
  return {mean, low: Math.max(Math.min(lo, mean), mean - half), high: Math.min(Math.max(hi, mean), mean + half)}
}

describe('replay --replications on a typed trace', () => {
  test('--json: per type and slowdown over the replications, from each type\'s own runs; the schema holds', async () => {
    const r = await tailsim(['replay', trace, ...RUN, '-k', '3', '--json'])
    expect(r.exit).toBe(0)
    const doc = JSON.parse(r.stdout) as Doc
    const schema = JSON.parse(readFileSync(join(root, 'docs/schemas/replay.schema.json'), 'utf8')) as object
    const ajv = new Ajv({allErrors: true, strict: true, allowUnionTypes: true})
    expect(ajv.validate(schema, doc) ? '' : ajv.errorsText()).toBe('')
    const s = doc.replications
    expect(s.seeds).toEqual([7, 8, 9])
    const single: Doc[] = []
    for (const seed of s.seeds) {
      const one = await tailsim(['replay', trace, ...RUN.slice(0, -1), String(seed), '--json'])
      single.push(JSON.parse(one.stdout) as Doc)
    }
    expect(Object.keys(s.per_type)).toEqual(['short', 'long'])
    for (const type of ['short', 'long']) {
      const ts = single.map((d) => d.per_type[type])
      const lo = Math.min(...ts.map((t) => t.min_us))
      const hi = Math.max(...ts.map((t) => t.max_us))
      const want = oracle(ts.map((t) => t.p50_us as number), lo, hi)
      const got = s.per_type[type].p50_us
      expect(got.mean, type).toBeCloseTo(want.mean, 6)
      expect(got.low, type).toBeCloseTo(want.low, 6)
      expect(got.high, type).toBeCloseTo(want.high, 6)
      expect(got.na_runs).toBe(0)
      expect(s.per_type[type].absent_runs).toBe(0)
      expect(s.per_type[type].count.mean).toBeCloseTo(ts.reduce((a, t) => a + t.count, 0) / 3, 6)
    }
    // short's p99 and slowdown p99 are reported in every run; long's p99 in none (n/a, null).
    const sp99 = single.map((d) => d.per_type.short.p99_us as number)
    expect(s.per_type.short.p99_us.mean).toBeCloseTo(sp99.reduce((a, b) => a + b, 0) / 3, 6)
    const sd99 = single.map((d) => d.per_type.short.slowdown.p99 as number)
    expect(s.per_type.short.slowdown_p99.mean).toBeCloseTo(sd99.reduce((a, b) => a + b, 0) / 3, 6)
    expect(single.every((d) => d.per_type.long.p99_us === null)).toBe(true)
    expect(s.per_type.long.p99_us).toEqual({mean: null, low: null, high: null, half: null, na_runs: 3})
    // Slowdown of all requests, clamped to the runs' slowdown range.
    const all = single.map((d) => d.slowdown)
    const want = oracle(all.map((x) => x.p50), Math.min(...all.map((x) => x.min)), Math.max(...all.map((x) => x.max)))
    expect(s.slowdown.p50.mean).toBeCloseTo(want.mean, 6)
    expect(s.slowdown.p50.low).toBeCloseTo(want.low, 6)
    expect(s.slowdown.p50.high).toBeCloseTo(want.high, 6)
  }, 60_000)

  test('the human summary has the block, in at most 120 columns', async () => {
    const r = await tailsim(['replay', trace, ...RUN, '-k', '3'])
    expect(r.exit).toBe(0)
    const out = r.stdout
    const block = out.slice(out.indexOf('slowdown over 3 replications'), out.indexOf('\nSLO '))
    expect(block).toMatch(/^by type over 3 replications \(mean over the runs \[95% t-interval\]/m)
    expect(block).toMatch(/^ {2}latency µs\s+requests\s+p50\s+p99\s+p99\.9$/m)
    expect(block).toMatch(/^ {2}short\s+\d+\s+[\d.]+ \[[\d.]+, [\d.]+\]\s+[\d.]+ \[[\d.]+, [\d.]+\]/m)
    expect(block).toMatch(/^ {2}long\s+\d+\s+[\d.]+ \[[\d.]+, [\d.]+\]\s+n\/a in 3 of 3 runs/m)
    expect(block).toMatch(/^ {2}slowdown\s+p99\s+p99\.9$/m)
    expect(block).toMatch(/^ {2}all\s+[\d.]+ \[[\d.]+, [\d.]+\]/m)
    for (const l of block.split('\n')) expect(l.length).toBeLessThanOrEqual(120)
  }, 60_000)
})
