/**
 * Plug-in policies through the library: the two worked examples against built-in twins, request
 * by request (exact equivalence); the shortest-first example's ordering (a property checked on
 * every request); each failure mode's error (code and message); provenance (path, SHA-256).
 */
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {PolicyModuleError} from '../../src/errors.js'
import {canonicalJson, sweepId} from '../../src/experiment/plan.js'
import {prepareSweep} from '../../src/experiment/sweep.js'
import {resolveCosts} from '../../src/sim/machine/costs.js'
import {DEFAULT_CONFIG} from '../../src/sim/simulate.js'
import {loadPolicyModule, loadPolicyModules} from '../../src/sim/plugin.js'
import {isModulePath, parsePolicySpec} from '../../src/sim/policies/registry.js'
import {CollectSink, expService, poissonColumns, run} from '../helpers.js'

const root = process.cwd()
const FIFO = join(root, 'examples/policies/per-core-fifo.mjs')
const PRIO = join(root, 'examples/policies/central-priority.mjs')
const dir = mkdtempSync(join(tmpdir(), 'tailsim-plugin-'))

/** Write a module into the scratch folder; returns its absolute path. */
function module(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** Runs a policy on a trace and returns its per-request records and result. */
async function records(policy: string, cols: ReturnType<typeof poissonColumns>, cores: number) {
  const sink = new CollectSink()
  // A random trace may offer a load >= 1 over its short span: the comparison holds there too.
  const r = await run(cols, {policy, cores, allowOverload: true}, sink)
  return {rows: sink.rows, r}
}

describe('worked examples reproduce their built-in twins request by request', () => {
  // Random traces with ties (coarse arrival grid, fixed-size services) and 1..6 cores.
  const trace = fc.record({seed: fc.integer({min: 1, max: 1e6}), cores: fc.integer({min: 1, max: 6}), load: fc.double({min: 0.3, max: 0.95, noNaN: true}), fixed: fc.boolean()})
  const cols = (t: {seed: number; cores: number; load: number; fixed: boolean}) =>
    poissonColumns({n: 400, load: t.load, cores: t.cores, mean: 1000, service: t.fixed ? () => 1000 : expService(1000), connections: 50, seed: t.seed})

  test('per-core-fifo:assign=rss ≡ n-mg1-fcfs:method=events', async () => {
    await fc.assert(
      fc.asyncProperty(trace, async (t) => {
        const c = cols(t)
        const a = await records(`${FIFO}:assign=rss`, c, t.cores)
        const b = await records('n-mg1-fcfs:method=events', c, t.cores)
        expect(a.rows).toEqual(b.rows)
        expect(a.r.events).toBe(b.r.events)
        expect(a.r.latency).toEqual(b.r.latency)
      }),
      {numRuns: 10},
    )
  })

  test('central-priority:order=fifo ≡ mgn-fcfs:method=events', async () => {
    await fc.assert(
      fc.asyncProperty(trace, async (t) => {
        const c = cols(t)
        const a = await records(`${PRIO}:order=fifo`, c, t.cores)
        const b = await records('mgn-fcfs:method=events', c, t.cores)
        expect(a.rows).toEqual(b.rows)
        expect(a.r.latency).toEqual(b.r.latency)
      }),
      {numRuns: 10},
    )
  })

  test('central-priority:order=sjf starts, at each instant, the shortest request waiting', async () => {
    const c = poissonColumns({n: 1500, load: 0.9, cores: 3, mean: 1000, service: expService(1000), seed: 11})
    const {rows, r} = await records(PRIO, c, 3)
    expect(rows.length).toBe(1500)
    const service = (q: {seq: number}) => c.service[q.seq]
    let waited = 0
    for (const q of rows) {
      expect(q.end - q.start).toBe(service(q))
      if (q.start === q.arrival) continue
      waited++
      // Every request that was waiting when q started, and started later, is not shorter.
      for (const o of rows) {
        if (o.arrival < q.start && o.start > q.start) {
          expect(service(o) > service(q) || (service(o) === service(q) && o.seq > q.seq)).toBe(true)
        }
      }
    }
    expect(waited).toBeGreaterThan(300) // the property was exercised
    expect(r.metrics.max_waiting).toBeGreaterThan(1)
    // Work conserving: the same busy time as FIFO on one server gives the same last completion.
    const one = poissonColumns({n: 800, load: 0.9, cores: 1, mean: 1000, service: expService(1000), seed: 12})
    const sjf = await records(PRIO, one, 1)
    const fifo = await records('mgn-fcfs', one, 1)
    expect(Math.max(...sjf.rows.map((q) => q.end))).toBe(Math.max(...fifo.rows.map((q) => q.end)))
    expect(sjf.r.latency.mean_us).toBeLessThan(fifo.r.latency.mean_us)
  })

  test('central-priority:order=type starts, at each instant, the waiting request of the first type', async () => {
    const base = poissonColumns({n: 1500, load: 0.9, cores: 2, mean: 1000, service: expService(1000), seed: 13})
    const type = new Uint16Array(1500).map((_, i) => (i * 7919) % 3)
    const c = {...base, type, typeNames: ['get', 'put', 'scan']}
    const {rows} = await records(`${PRIO}:order=type`, c, 2)
    expect(rows.length).toBe(1500)
    let checked = 0
    for (const q of rows) {
      if (q.start === q.arrival) continue
      for (const o of rows) {
        if (o.arrival < q.start && o.start > q.start) {
          checked++
          expect(type[o.seq] > type[q.seq] || (type[o.seq] === type[q.seq] && o.seq > q.seq)).toBe(true)
        }
      }
    }
    expect(checked).toBeGreaterThan(1000)
  })

  test('power of two choices: every request once, on one of the cores, FIFO per core', async () => {
    const c = poissonColumns({n: 2000, load: 0.9, cores: 8, mean: 1000, service: expService(1000), seed: 5})
    const sinkTwo = new CollectSink()
    const two = await run(c, {policy: FIFO, cores: 8, allowOverload: true}, sinkTwo)
    const rss = await run(c, {policy: `${FIFO}:assign=rss`, cores: 8, allowOverload: true})
    expect(sinkTwo.rows.map((q) => q.seq).sort((a, b) => a - b)).toEqual([...Array(2000).keys()])
    for (let core = 0; core < 8; core++) {
      const mine = sinkTwo.rows.filter((q) => q.core === core).sort((a, b) => a.arrival - b.arrival || a.seq - b.seq)
      for (let i = 1; i < mine.length; i++) expect(mine[i].start).toBe(Math.max(mine[i].arrival, mine[i - 1].end))
    }
    expect(two.counters.second_choice).toBeGreaterThan(0)
    // Two choices beat hashing at 90% load (a large effect: p99 roughly halves).
    expect(two.latency.p99_us).toBeLessThan(rss.latency.p99_us)
  })
})

describe('provenance', () => {
  test('the result records the absolute path and the SHA-256 of the file; the spec shows the path', async () => {
    const c = poissonColumns({n: 200, load: 0.5, cores: 2, mean: 1000, service: expService(1000)})
    const {r} = await records(`${FIFO}:assign=rss`, c, 2)
    expect(r.policy).toBe(`${FIFO}:assign=rss`)
    expect(r.policy_module).toEqual({path: FIFO, sha256: createHash('sha256').update(readFileSync(FIFO)).digest('hex')})
    expect(r.family).toBe('theory')
    const builtIn = await records('n-mg1-fcfs', c, 2)
    expect(builtIn.r.policy_module).toBeUndefined()
  })

  test('paths are told apart from built-in names', () => {
    for (const p of ['./x.mjs', '../x.js', '/a/b', 'x.mjs', 'x.js', 'lib/x.cjs', 'x.ts']) expect(isModulePath(p)).toBe(true)
    for (const p of ['mgn-fcfs', 'ix', 'zygos-no-intr', 'my.policy']) expect(isModulePath(p)).toBe(false)
  })

  test('a sweep records each module\'s SHA-256, and its id depends on the contents, not on the path', async () => {
    const prepared = await prepareSweep({
      traces: ['synthetic:exp:10us'],
      policies: [`${FIFO}:assign=rss`, 'ix'],
      loads: [0.5],
      maxLoad: false,
      sim: {...DEFAULT_CONFIG, cores: 4, costs: resolveCosts('zero')},
      synthetic: {requests: 500},
    })
    const spec = prepared.spec
    expect(spec.policies).toEqual([`${FIFO}:assign=rss`, 'ix', 'mgn-fcfs'])
    expect(spec.policyModules).toEqual({[FIFO]: createHash('sha256').update(readFileSync(FIFO)).digest('hex')})
    expect(sweepId({...spec, policyModules: {[FIFO]: 'f'.repeat(64)}})).not.toBe(prepared.sweepId)
    expect(sweepId({...spec, policyModules: {'/elsewhere.mjs': spec.policyModules![FIFO]}})).toBe(prepared.sweepId)
    // A sweep without plug-ins keeps the id it had before plug-ins existed: its key's
    // policy_modules is undefined, which the canonical text leaves out.
    expect(canonicalJson({a: 1, policy_modules: undefined})).toBe(canonicalJson({a: 1}))
  })

  test('a sweep worker refuses a module whose SHA-256 changed since the sweep planned', async () => {
    await loadPolicyModule(PRIO)
    const err = await loadPolicyModules([PRIO], {expect: {[PRIO]: '0'.repeat(64)}}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PolicyModuleError)
    expect((err as PolicyModuleError).code).toBe('POLICY_MODULE_CHANGED')
  })
})

/** The error a module gives when loaded and run on a small trace. */
async function failure(path: string, spec = path): Promise<PolicyModuleError> {
  const c = poissonColumns({n: 300, load: 0.6, cores: 2, mean: 1000, service: expService(1000), seed: 3})
  const err = await run(c, {policy: spec, cores: 2}).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(PolicyModuleError)
  const e = err as PolicyModuleError
  expect(e.exitCode).toBe(69)
  expect(e.message).not.toContain('\n')
  expect(e.message).toContain(path)
  return e
}

const def = (create: string, extra = '') => `export default {name: 'bad', summary: 's', family: 'theory', options: [], ${extra} create: ${create}}\n`
/** A policy finishing each request after its service, with a hook before completing. */
const finisher = (hook: string) =>
  def(`(ctx) => ({
  arrive(slot) { ${hook}; ctx.engine.schedule(ctx.engine.now + ctx.requests.service[slot], 1, 0, slot, 0) },
  handle(kind, slot) { ctx.recorder.complete(slot, ctx.engine.now) },
})`)

describe('each failure mode is one line naming the module, with a stable code', () => {
  test.each([
    ['missing file', () => join(dir, 'nope.mjs'), 'POLICY_MODULE_NOT_FOUND', /not found: no file .*nope\.mjs; expected a JavaScript ES module/],
    ['TypeScript source', () => module('src.ts', 'export default {}'), 'POLICY_MODULE_LOAD', /got a TypeScript file; compile it first/],
    ['throws at import', () => module('import.mjs', 'throw new RangeError("no config")\n'), 'POLICY_MODULE_LOAD', /failed to load: RangeError: no config/],
    ['no default export', () => module('named.mjs', 'export const policy = {}\n'), 'POLICY_MODULE_SHAPE', /expected `export default \{name, summary, family, options, create\}` \(a PolicyDef\), got no default export \(named exports: policy\)/],
    ['wrong family', () => module('family.mjs', def('() => ({})').replace("'theory'", "'fast'")), 'POLICY_MODULE_SHAPE', /got family "fast" \("theory" or "system"\)/],
    ['create is not a function', () => module('nocreate.mjs', "export default {name: 'x', summary: 's', family: 'system', options: []}\n"), 'POLICY_MODULE_SHAPE', /got create of type undefined/],
    ['option default outside its choices', () => module('opt.mjs', def('() => ({})', "options: [{name: 'k', description: 'd', default: 'c', choices: ['a', 'b']}],").replace('options: [], ', '')), 'POLICY_MODULE_SHAPE', /choices \["a","b"\] for option k/],
    ['create returns no arrive', () => module('noarrive.mjs', def('() => ({handle() {}})')), 'POLICY_MODULE_SHAPE', /expected create\(ctx, options\) to return a policy .*got an object whose arrive is not a function/],
    ['throws in create', () => module('create.mjs', def('() => { throw new Error("needs 3 cores") }')), 'POLICY_MODULE_THREW', /threw in create\(ctx, options\) at cycle 0: Error: needs 3 cores/],
    ['throws in arrive', () => module('arrive.mjs', finisher('if (ctx.requests.seq[slot] === 7) null.x')), 'POLICY_MODULE_THREW', /threw in arrive\(slot \d+, request #7\) at cycle \d+: TypeError: Cannot read properties of null/],
    ['throws in handle', () => module('handle.mjs', def('(ctx) => ({arrive(slot) { ctx.engine.schedule(ctx.engine.now, 1, 4, slot, 0) }, handle(k) { throw new Error(`kind ${k}?`) }})')), 'POLICY_MODULE_THREW', /threw in handle\(4, \d+, 0\) at cycle \d+: Error: kind 4\?/],
    ['event in the past', () => module('past.mjs', finisher('if (ctx.requests.seq[slot] === 9) ctx.engine.schedule(ctx.engine.now - 5, 1, 0, slot, 0)')), 'POLICY_MODULE_INVARIANT', /scheduled an event in the past: schedule\(at = \d+\) at cycle \d+; expected an integer cycle >= ctx\.engine\.now/],
    ['event at a fractional cycle', () => module('frac.mjs', def('(ctx) => ({arrive(slot) { ctx.engine.schedule(ctx.engine.now + 0.5, 1, 0, slot, 0) }, handle(k, s) { ctx.recorder.complete(s, ctx.engine.now) }})')), 'POLICY_MODULE_INVARIANT', /scheduled an event at a fractional cycle/],
    ['event of the reserved class', () => module('cls.mjs', def('(ctx) => ({arrive(slot) { ctx.engine.schedule(ctx.engine.now, 8, 0, slot, 0) }, handle(k, s) { ctx.recorder.complete(s, ctx.engine.now) }})')), 'POLICY_MODULE_INVARIANT', /scheduled an event of class 8; expected an integer from 0 to 255 other than 8/],
    ['request completed twice', () => module('twice.mjs', def('(ctx) => ({arrive(slot) { ctx.recorder.complete(slot, ctx.engine.now + ctx.requests.service[slot]); if (ctx.requests.seq[slot] === 4) ctx.recorder.complete(slot, ctx.engine.now) }, handle() {}})')), 'POLICY_MODULE_INVARIANT', /recorder\.complete\(slot \d+\) at cycle \d+, but no request is in that slot \(its last one, request #4, was already completed or dropped\)/],
    ['request completed before it arrived', () => module('early.mjs', def('(ctx) => ({arrive(slot) { ctx.recorder.complete(slot, ctx.engine.now - 1) }, handle() {}})')), 'POLICY_MODULE_INVARIANT', /completed request #0 at cycle -?\d+, before it arrived/],
    ['request lost', () => module('lost.mjs', def('(ctx) => ({arrive(slot) { if (ctx.requests.seq[slot] % 50 !== 13) ctx.recorder.complete(slot, ctx.engine.now + ctx.requests.service[slot]) }, handle() {}})')), 'POLICY_MODULE_INVARIANT', /lost 6 request\(s\): never completed by the end of the run \(the first: request #13, arrived at cycle \d+\)/],
    ['direct path: completed twice', () => module('direct.mjs', def('(ctx) => ({arrive() {}, arriveDirect(seq, t, s, c, ty) { ctx.recorder.completeRequest(seq, t, c, ty, 0, 0, t, t + s, s); if (seq === 2) ctx.recorder.completeRequest(seq, t, c, ty, 0, 0, t, t + s, s) }, handle() {}})')), 'POLICY_MODULE_INVARIANT', /completed request #2 twice/],
    ['direct path: lost', () => module('direct-lost.mjs', def('(ctx) => ({arrive() {}, arriveDirect(seq, t, s, c, ty) { if (seq !== 5) ctx.recorder.completeRequest(seq, t, c, ty, 0, 0, t, t + s, s) }, handle() {}})')), 'POLICY_MODULE_INVARIANT', /lost 1 request\(s\).*the first: request #5/],
    ['metrics not numbers', () => module('metrics.mjs', def('(ctx) => ({arrive(slot) { ctx.recorder.complete(slot, ctx.engine.now + 1) }, handle() {}, metrics() { return {x: "1"} }})')), 'POLICY_MODULE_SHAPE', /expected metrics\(\) to return an object of numbers/],
    ['its own finish() check fails', () => module('finish.mjs', def('(ctx) => ({arrive(slot) { ctx.recorder.complete(slot, ctx.engine.now + 1) }, handle() {}, finish() { throw new Error("queue 3 not empty") }})')), 'POLICY_MODULE_THREW', /threw in finish\(\) at cycle \d+: Error: queue 3 not empty/],
  ])('%s', async (_what, make, code, message) => {
    const path = make()
    const e = await failure(path)
    expect(e.code).toBe(code)
    expect(e.message).toMatch(message)
    expect(e.where.file).toBe(path)
  })

  test('a bad option value names the option, like a built-in', async () => {
    await loadPolicyModule(FIFO)
    expect(() => parsePolicySpec(`${FIFO}:assign=three`)).toThrow(/Expected option `assign` of .*per-core-fifo\.mjs to be one of two, rss, got "three"/)
  })

  test('a correct policy passes every check (no false alarm on drops and timers)', async () => {
    const path = module(
      'ok.mjs',
      def(`(ctx) => {
  ctx.engine.useLanes(ctx.machine.cores, 1)
  const busy = new Int32Array(ctx.machine.cores).fill(-1)
  return {
    arrive(slot) {
      const c = ctx.machine.homeQueue(ctx.requests.conn[slot])
      if (busy[c] !== -1) { ctx.recorder.drop(slot); return }
      busy[c] = slot
      ctx.engine.setTimer(c, 0, ctx.engine.now + ctx.requests.service[slot], 1, 0, 0)
    },
    handle(kind, core) { ctx.recorder.complete(busy[core], ctx.engine.now); busy[core] = -1 },
  }
}`),
    )
    const c = poissonColumns({n: 500, load: 0.7, cores: 4, mean: 1000, service: expService(1000)})
    const r = await run(c, {policy: path, cores: 4})
    expect(r.completed + r.dropped).toBe(500)
    expect(r.dropped).toBeGreaterThan(0)
  })
})
