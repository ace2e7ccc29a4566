/**
 * Dispatch disciplines for per-core queues (`n-mg1-fcfs:assignment=…`, `ix:assignment=…`):
 *  - behaviour lock: rss and random give the records and result rows they gave before the
 *    disciplines were added (digests captured from the code before the change);
 *  - the recursion reproduces the event simulation request by request for every discipline;
 *  - jbsq:k=1 ≡ jsq-work ≡ mgn-fcfs (start and end), jbsq:k=K ≡ the `jbsq` policy, rr ≡ d-fcfs on the worker count (zero costs),
 *    ix:batch=1 at zero costs ≡ n-mg1-fcfs under the same discipline;
 *  - properties checked from the records against references written here: rr deals request i to
 *    queue i mod n; jsq joins a queue holding fewest requests; jsq-work one with least unfinished
 *    work; power of d with d = n is jsq (sampling without replacement); ties go to random queues;
 *  - bad combinations of options: one ConfigError naming the option and the value.
 */
import {describe, expect, test} from 'vitest'

import {ConfigError} from '../../../src/errors.js'
import type {Rng} from '../../../src/rng.js'
import {parsePolicySpec} from '../../../src/sim/policies/registry.js'
import type {RunResult} from '../../../src/sim/simulate.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {CollectSink, expService, poissonColumns, run} from '../../helpers.js'
import {recordsDigest, resultDigest} from '../system/equivalence-helpers.js'
import {type Row, runRows, US} from './lib.js'

const DISCIPLINES = ['rss', 'random', 'rr', 'jsq', 'jsq:d=2', 'jsq:d=3', 'jsq-work']

/** Exponential service, and a trace with coarse arrivals and three service values (ties everywhere). */
function traces(cores: number, n: number): [string, TraceColumns][] {
  const exp = poissonColumns({n, load: 0.85, cores, mean: 10 * US, service: expService(10 * US), seed: 31})
  const ties = poissonColumns({n, load: 0.9, cores, mean: 10 * US, service: (rng: Rng) => [5, 10, 15][rng.int(3)] * US, seed: 32})
  for (let i = 0; i < ties.arrival.length; i++) ties.arrival[i] = Math.round(ties.arrival[i] / 4000) * 4000
  return [
    ['exponential', exp],
    ['ties', ties],
  ]
}

/** The result row without the fields that may differ between the two methods. */
function comparable(r: RunResult) {
  const {wall_ms: _w, sim_rate_rps: _s, events: _e, policy: _p, config, ...rest} = r
  const {policy: _cp, ...cfg} = config
  return {...rest, config: cfg}
}

/** Same start and end for every request, and the same core (shifted by coreOffset) unless it is null. */
function expectSameRows(a: Row[], b: Row[], what: string, coreOffset: number | null = 0): void {
  expect(a.length, what).toBe(b.length)
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    const core = coreOffset === null ? x.core : y.core + coreOffset
    if (x.seq !== y.seq || x.start !== y.start || x.end !== y.end || x.core !== core) {
      expect({seq: x.seq, start: x.start, end: x.end, core: x.core}, `${what}: request ${i}`).toEqual({seq: y.seq, start: y.start, end: y.end, core})
    }
  }
}

describe('behaviour lock: rss and random unchanged', () => {
  // Captured before the disciplines were added (same trace, seed 5; ix under the paper preset).
  const golden: Record<string, string> = {
    'n-mg1-fcfs': '8aa2e40ed9292c29 d2869ac17b8231aa',
    'n-mg1-fcfs:assignment=random': '0b0add4aa5b4d4aa 2b30d5d928b75d07',
    'n-mg1-fcfs:method=events': '8aa2e40ed9292c29 d2869ac17b8231aa',
    'n-mg1-fcfs:assignment=random:method=events': '0b0add4aa5b4d4aa 2b30d5d928b75d07',
    ix: '97ec94856717c459 937bac16895ae9c0',
    'ix:batch=1': '8f814c7dc360036d c21feb98ae65eff4',
  }
  test('records and result rows', async () => {
    const cols = poissonColumns({n: 5000, load: 0.85, cores: 16, mean: 2400, service: expService(2400), seed: 11})
    for (const [p, want] of Object.entries(golden)) {
      const sink = new CollectSink()
      const r = await run(cols, {policy: p, cores: 16, costPreset: p.startsWith('ix') ? 'paper' : 'zero', seed: 5}, sink)
      const rows = [...sink.rows].sort((a, b) => a.seq - b.seq)
      expect(`${recordsDigest(rows)} ${resultDigest(r)}`, p).toBe(want)
    }
  })
})

describe('the recursion reproduces the event simulation exactly', () => {
  for (const cores of [16, 3]) {
    for (const [name, cols] of traces(cores, 3000)) {
      test(`${cores} cores, ${name}`, async () => {
        for (const a of DISCIPLINES) {
          const p = `n-mg1-fcfs:assignment=${a}`
          const rec = await runRows(cols, {policy: p, cores})
          const ev = await runRows(cols, {policy: `${p}:method=events`, cores})
          expectSameRows(rec.rows, ev.rows, p)
          expect(comparable(rec.result), p).toEqual(comparable(ev.result))
        }
      })
    }
  }
})

describe('exact equivalences at zero cost', () => {
  const W = 6
  for (const [name, cols] of traces(W, 3000)) {
    test(`${name}: jbsq:k=1 ≡ jsq-work ≡ mgn-fcfs; jbsq:k=K ≡ the jbsq policy; rr ≡ d-fcfs on the worker count`, async () => {
      const mgn = await runRows(cols, {policy: 'mgn-fcfs:method=events', cores: W})
      const j1 = await runRows(cols, {policy: 'n-mg1-fcfs:assignment=jbsq:k=1', cores: W})
      // Same start and end for every request (the two may pick different idle cores).
      expectSameRows(j1.rows, mgn.rows, 'jbsq:k=1', null)
      // Least unfinished work is M/G/n FCFS too: a request joins the queue that frees up first,
      // so it starts at the earliest time any core is free (the Kiefer–Wolfowitz recursion).
      const work = await runRows(cols, {policy: 'n-mg1-fcfs:assignment=jsq-work', cores: W})
      expectSameRows(work.rows, mgn.rows, 'jsq-work', null)
      for (const k of [2, 3]) {
        const a = await runRows(cols, {policy: `n-mg1-fcfs:assignment=jbsq:k=${k}`, cores: W})
        const b = await runRows(cols, {policy: `jbsq:k=${k}`, cores: W})
        expectSameRows(a.rows, b.rows, `jbsq:k=${k}`)
      }
      const rr = await runRows(cols, {policy: 'n-mg1-fcfs:assignment=rr', cores: W})
      const d = await runRows(cols, {policy: 'd-fcfs', cores: W + 2})
      expectSameRows(d.rows, rr.rows, 'd-fcfs vs rr', 2)
    })
  }

  test('ix:batch=1 at zero cost ≡ n-mg1-fcfs under the same discipline', async () => {
    const cols = traces(8, 3000)[0][1]
    for (const a of ['rr', 'random', 'jsq', 'jsq:d=2']) {
      const x = await runRows(cols, {policy: `ix:batch=1:assignment=${a}`, cores: 8})
      const y = await runRows(cols, {policy: `n-mg1-fcfs:assignment=${a}`, cores: 8})
      expectSameRows(x.rows, y.rows, `ix ${a}`)
    }
  })
})

/**
 * State of every queue at each arrival, rebuilt from the records (in arrival order, which the
 * trace's order is): requests held (accepted earlier, ending after the arrival) and unfinished work.
 */
function* statesAtArrivals(rows: Row[], cols: TraceColumns, n: number) {
  const ends: number[][] = Array.from({length: n}, () => [])
  const free = new Float64Array(n)
  for (let i = 0; i < rows.length; i++) {
    const t = cols.arrival[i]
    const held = ends.map((e) => e.filter((x) => x > t).length)
    const work = Array.from(free, (f) => Math.max(0, f - t))
    yield {i, t, held, work, q: rows[i].queue}
    const q = rows[i].queue
    // Lindley: FCFS within the queue, no idling.
    expect(rows[i].start, `request ${i}`).toBe(Math.max(t, free[q]))
    expect(rows[i].end).toBe(rows[i].start + cols.service[i])
    free[q] = rows[i].end
    ends[q].push(rows[i].end)
  }
}

describe('properties, against references written here', () => {
  const n = 5
  const cols = traces(n, 2000)[1][1]

  test('rr deals request i to queue i mod n', async () => {
    const {rows} = await runRows(cols, {policy: 'n-mg1-fcfs:assignment=rr', cores: n})
    for (const s of statesAtArrivals(rows, cols, n)) if (s.q !== s.i % n) expect(s.q, `request ${s.i}`).toBe(s.i % n)
  })

  test('jsq (and jsq:d=n: sampling without replacement) joins a queue holding fewest requests', async () => {
    for (const p of ['jsq', `jsq:d=${n}`]) {
      const {rows} = await runRows(cols, {policy: `n-mg1-fcfs:assignment=${p}`, cores: n})
      let ties = 0
      for (const s of statesAtArrivals(rows, cols, n)) {
        const min = Math.min(...s.held)
        if (s.held[s.q] !== min) expect({request: s.i, held: s.held[s.q]}).toEqual({request: s.i, held: min})
        if (s.held.filter((h) => h === min).length > 1) ties++
      }
      expect(ties).toBeGreaterThan(300) // the trace exercises the tie rule
    }
  })

  test('jsq:d=2 on 2 queues is jsq (the two samples are distinct)', async () => {
    const c2 = traces(2, 3000)[1][1]
    const {rows} = await runRows(c2, {policy: 'n-mg1-fcfs:assignment=jsq:d=2', cores: 2})
    for (const s of statesAtArrivals(rows, c2, 2)) if (s.held[s.q] > Math.min(...s.held)) expect(s.held, `request ${s.i}`).toBe('a shortest queue')
  })

  test('jsq-work joins a queue with least unfinished work', async () => {
    const {rows} = await runRows(cols, {policy: 'n-mg1-fcfs:assignment=jsq-work', cores: n})
    for (const s of statesAtArrivals(rows, cols, n)) {
      const min = Math.min(...s.work)
      if (s.work[s.q] !== min) expect({request: s.i, work: s.work[s.q]}).toEqual({request: s.i, work: min})
    }
  })

  test('ties go to a uniformly random queue (not the lowest index)', async () => {
    // At load 0.05 nearly every arrival finds all 8 queues empty: each gets about 1/8 of them.
    const N = 4000
    const low = poissonColumns({n: N, load: 0.05, cores: 8, mean: 10 * US, service: expService(10 * US), seed: 33})
    for (const p of ['jsq', 'jsq:d=2', 'jsq:d=8', 'jsq-work']) {
      const {rows} = await runRows(low, {policy: `n-mg1-fcfs:assignment=${p}`, cores: 8})
      const count = new Array(8).fill(0)
      for (const r of rows) count[r.queue]++
      // Binomial(4000, 1/8): sd 21; 6 sd either side.
      for (let q = 0; q < 8; q++) expect(Math.abs(count[q] - N / 8), `${p}, queue ${q}: ${count}`).toBeLessThan(125)
    }
  })

  test('same seed, same records; another seed, other choices', async () => {
    const a = await runRows(cols, {policy: 'n-mg1-fcfs:assignment=jsq:d=2', cores: n, seed: 1})
    const b = await runRows(cols, {policy: 'n-mg1-fcfs:assignment=jsq:d=2', cores: n, seed: 1})
    const c = await runRows(cols, {policy: 'n-mg1-fcfs:assignment=jsq:d=2', cores: n, seed: 2})
    expectSameRows(a.rows, b.rows, 'same seed')
    expect(a.rows.some((r, i) => r.queue !== c.rows[i].queue)).toBe(true)
  })
})

describe('bad input: one ConfigError naming the option and the value', () => {
  const cols = poissonColumns({n: 100, load: 0.5, cores: 4, mean: 10 * US, service: expService(10 * US), seed: 1})
  async function fails(policy: string, cores: number, ...parts: string[]) {
    const err = await run(cols, {policy, cores}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err, policy).toBeInstanceOf(ConfigError)
    const msg = (err as Error).message
    expect(msg.includes('\n'), msg).toBe(false)
    for (const p of parts) expect(msg, policy).toContain(p)
  }

  test('malformed or out-of-range values (spec parser)', () => {
    const cases: [string, string][] = [
      ['n-mg1-fcfs:assignment=jsq:d=0', 'Expected option `d` of n-mg1-fcfs to be an integer >= 1, got "0"'],
      ['n-mg1-fcfs:assignment=jsq:d=', 'got ""'],
      ['n-mg1-fcfs:assignment=jsq:d', 'got ""'],
      ['n-mg1-fcfs:assignment=jsq:d=1.5', 'got "1.5"'],
      ['n-mg1-fcfs:assignment=jsq:d=two', 'got "two"'],
      ['n-mg1-fcfs:assignment=jbsq:k=0', 'Expected option `k` of n-mg1-fcfs to be an integer >= 1, got "0"'],
      ['n-mg1-fcfs:assignment=jbsq:k=-1', 'got "-1"'],
      ['n-mg1-fcfs:assignment=jsq-d', 'got "jsq-d"'],
      ['n-mg1-fcfs:assignment=jsq(2)', 'got "jsq(2)"'],
      ['ix:assignment=jsq-work', 'one of rss, random, rr, jsq, got "jsq-work"'],
      ['ix:assignment=jbsq:k=1', 'got "jbsq"'],
      ['ix:k=1', 'got "k"'],
    ]
    for (const [spec, msg] of cases) expect(() => parsePolicySpec(spec), spec).toThrow(msg)
  })

  test('meaningless or missing combinations, d above the number of queues (at run time)', async () => {
    await fails('n-mg1-fcfs:assignment=rr:d=2', 4, '`d`', 'only with assignment=jsq', 'd=2', 'assignment=rr')
    await fails('n-mg1-fcfs:d=2', 4, '`d`', 'assignment=rss')
    await fails('n-mg1-fcfs:assignment=jsq-work:d=2', 4, 'assignment=jsq-work')
    await fails('n-mg1-fcfs:assignment=jsq:k=2', 4, '`k`', 'only with assignment=jbsq', 'k=2', 'assignment=jsq')
    await fails('n-mg1-fcfs:assignment=jbsq', 4, '`k`', 'with assignment=jbsq', 'got none')
    await fails('n-mg1-fcfs:assignment=jsq:d=5', 4, '`d`', 'at most the number of queues (4)', '"5"')
    await fails('ix:assignment=jsq:d=9', 8, '`d`', 'at most the number of queues (8)', '"9"')
    await fails('ix:d=2', 8, '`d`', 'only with assignment=jsq')
  })
})
