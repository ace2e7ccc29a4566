/**
 * Plug-in policies through the real commands (dist/, built first): `replay`, `compare` on worker
 * threads, sharded sweeps merged by `report`; the result rows and --json carry the module's path
 * and SHA-256; each failure mode gives its one line and exit code; a plug-in that imports helpers
 * from the installed package. Small synthetic traces: each run simulates a few thousand requests.
 */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCommand} from '@oclif/test'
import {tableFromIPC} from 'apache-arrow'
import {describe, expect, test} from 'vitest'

import {readResults} from '../../src/results/read.js'

const root = process.cwd()
const FIFO = './examples/policies/per-core-fifo.mjs'
const PRIO = './examples/policies/central-priority.mjs'
const sha = (path: string) => createHash('sha256').update(readFileSync(join(root, path))).digest('hex')
const dir = mkdtempSync(join(tmpdir(), 'tailsim-plugin-cli-'))
const SYN = ['--synthetic', 'exp:10us', '--requests', '4000', '--cores', '4', '--load', '0.7']

/** A command in this process (the real command classes, from dist/), working directory: the repository. */
async function tailsim(argv: string[]) {
  const r = await runCommand(argv, {root}, {testNodeEnv: 'production'} as never)
  const exit = (r.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit ?? (r.error ? 1 : 0)
  return {result: r.result as Record<string, any>, stdout: r.stdout, stderr: r.stderr, exit}
}

/** A command in a child process (plain Node: its module loader, its error lines). */
function spawnTailsim(argv: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), ...argv], {cwd: root, env: {...process.env, NODE_ENV: 'production'}, encoding: 'utf8'})
  return {stdout: r.stdout, stderr: r.stderr, exit: r.status}
}

describe('running plug-ins like built-ins', () => {
  test('replay: each example runs; --json records the module; the rss/fifo variants equal their twins', async () => {
    for (const [plugin, twin] of [
      [`${FIFO}:assign=rss`, 'n-mg1-fcfs'],
      [`${PRIO}:order=fifo`, 'mgn-fcfs'],
    ]) {
      const a = await tailsim(['replay', ...SYN, '--policy', plugin, '--json'])
      expect(a.exit).toBe(0)
      const path = plugin.split(':')[0]
      expect(a.result.policy).toBe(plugin)
      expect(a.result.policy_module).toEqual({path: join(root, path), sha256: sha(path)})
      const b = await tailsim(['replay', ...SYN, '--policy', twin, '--json'])
      expect(a.result.latency).toEqual(b.result.latency)
      expect(a.result.completed).toBe(4000)
    }
    // Per-request records carry the module in their metadata.
    const arrow = join(dir, 'req.arrow')
    const rec = await tailsim(['replay', ...SYN, '--policy', FIFO, '--records', arrow])
    expect(rec.exit).toBe(0)
    const meta = tableFromIPC(readFileSync(arrow)).schema.metadata
    expect(meta.get('tailsim.policy')).toBe(FIFO)
    expect(meta.get('tailsim.policy_module')).toBe(join(root, FIFO))
    expect(meta.get('tailsim.policy_module_sha256')).toBe(sha(FIFO))
    const text = await tailsim(['replay', ...SYN, '--policy', PRIO])
    expect(text.stdout).toContain(`module   ${join(root, PRIO)}  sha256 ${sha(PRIO).slice(0, 16)}`)
    expect(text.stdout).toContain('max_waiting')
  })

  test('compare on worker threads, sharded, merged by report: rows carry path and SHA-256', async () => {
    const out = join(dir, 'parts')
    const args = ['compare', 'synthetic:exp:10us', '--requests', '1500', '--cores', '4', '--policies', `${FIFO},${PRIO}:order=fifo`, '--loads', '0.5,0.8', '--search-range', '0.5:0.9', '--search-tol', '0.2', '--out', `${out}/`]
    for (const [shard, jobs] of [['1/2', '1'], ['2/2', '2']]) {
      const r = await tailsim([...args, '--shard', shard, '--jobs', jobs, '--json'])
      expect(r.exit).toBe(0)
      expect(r.result.failures).toEqual([])
    }
    const rep = await tailsim(['report', `${out}/`])
    expect(rep.exit).toBe(0)
    expect(rep.stdout).toContain(`${PRIO}:order=fifo`)
    const rows = (await readResults([`${out}/`])) as unknown as Record<string, any>[]
    // 3 policies (mgn-fcfs added) x (1 search + 2 loads).
    expect(rows.length).toBe(9)
    for (const r of rows) {
      const path = r.policy.startsWith('./') ? r.policy.split(':')[0] : undefined
      expect(r.policy_module).toBe(path ? join(root, path) : '')
      expect(r.policy_module_sha256).toBe(path ? sha(path) : '')
    }
    // The FIFO variant of the central queue is mgn-fcfs: the same rows, policy and provenance aside.
    const pick = (p: string) => rows.filter((r) => r.policy === p).map((r) => [r.kind, r.load, r.p99_us, r.max_load])
    expect(pick(`${PRIO}:order=fifo`)).toEqual(pick('mgn-fcfs'))
  })

  test('a plug-in may import helpers from the installed package', async () => {
    const project = join(dir, 'project')
    mkdirSync(join(project, 'node_modules'), {recursive: true})
    symlinkSync(root, join(project, 'node_modules', 'tailsim'), 'dir')
    writeFileSync(
      join(project, 'fifo.mjs'),
      `import {EventClass, IntQueue} from 'tailsim'
export default {
  name: 'imported-fifo', summary: 'central FIFO built on the package helpers', family: 'theory', options: [],
  create(ctx) {
    const waiting = new IntQueue(64)
    const running = new Int32Array(ctx.machine.cores).fill(-1)
    const start = (core, slot) => {
      running[core] = slot
      ctx.requests.core[slot] = core
      ctx.requests.start[slot] = ctx.engine.now
      ctx.engine.schedule(ctx.engine.now + ctx.requests.service[slot], EventClass.FINISH, 0, core, 0)
    }
    return {
      arrive(slot) { const c = running.indexOf(-1); if (c >= 0) start(c, slot); else waiting.push(slot) },
      handle(kind, core) { ctx.recorder.complete(running[core], ctx.engine.now); running[core] = -1; if (waiting.size > 0) start(core, waiting.shift()) },
    }
  },
}
`,
    )
    // 'tailsim' resolves from the module's folder (its node_modules), wherever the command runs.
    const r = await tailsim(['replay', ...SYN, '--policy', join(project, 'fifo.mjs'), '--json'])
    expect(r.stderr).toBe('')
    expect(r.exit).toBe(0)
    expect(r.result.completed).toBe(4000)
    expect(r.result.policy_module.path).toBe(join(project, 'fifo.mjs'))
  })
})

describe('failures: one line naming the module, a documented exit code', () => {
  const bad = (name: string, text: string) => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }
  const def = (create: string) => `export default {name: 'bad', summary: 's', family: 'theory', options: [],\n  create: ${create}}\n`

  test.each([
    ['missing', () => join(dir, 'absent.mjs'), /^Error: Policy module .*absent\.mjs not found: no file .*; expected a JavaScript ES module file \(\.mjs or \.js\) exporting a policy\./],
    ['throws at import', () => bad('imp.mjs', '\nthrow new Error("no config")\n'), /^Error: Policy module .*imp\.mjs failed to load: Error: no config \(imp\.mjs:2\)\./],
    ['syntax error', () => bad('syn.mjs', 'export default {\n  oops oops\n}\n'), /^Error: Policy module .*syn\.mjs failed to load: SyntaxError: Unexpected identifier 'oops' \(`node --check .*syn\.mjs` shows where\)\./],
    ['CommonJS', () => bad('cjs.mjs', 'module.exports = {}\n'), /^Error: Policy module .*cjs\.mjs failed to load: ReferenceError: module is not defined in ES module scope \(cjs\.mjs:1\) \(a CommonJS module: tailsim loads ES modules, write `export default \{\.\.\.\}`\)\./],
    ['wrong shape', () => bad('shape.mjs', 'export default function create() {}\n'), /^Error: Policy module .*shape\.mjs: expected `export default \{name, summary, family, options, create\}` \(a PolicyDef\), got a default export of type function\./],
    ['throws in handle', () => bad('hdl.mjs', def('(ctx) => ({\n  arrive(slot) { ctx.engine.schedule(ctx.engine.now + 1, 1, 0, slot, 0) },\n  handle() { return undefined.x },\n})')), /^Error: Policy module .*hdl\.mjs threw in handle\(0, \d+, 0\) at cycle \d+: TypeError: Cannot read properties of undefined \(reading 'x'\) \(hdl\.mjs:4\)\./],
    ['lost request', () => bad('lost.mjs', def('(ctx) => ({arrive(slot) { if (ctx.requests.seq[slot] !== 99) ctx.recorder.complete(slot, ctx.engine.now + 1) }, handle() {}})')), /^Error: Policy module .*lost\.mjs lost 1 request\(s\): never completed by the end of the run \(the first: request #99, arrived at cycle \d+\)/],
    ['completed twice', () => bad('twice.mjs', def('(ctx) => ({arrive(slot) { ctx.recorder.complete(slot, ctx.engine.now + 1); ctx.recorder.complete(slot, ctx.engine.now + 1) }, handle() {}})')), /^Error: Policy module .*twice\.mjs called recorder\.complete\(slot 0\) at cycle \d+, but no request is in that slot \(its last one, request #0, was already completed or dropped\)/],
    ['event in the past', () => bad('past.mjs', def('(ctx) => ({arrive(slot) { ctx.engine.schedule(ctx.engine.now - 1, 1, 0, slot, 0) }, handle() {}})')), /^Error: Policy module .*past\.mjs scheduled an event in the past: schedule\(at = \d+\) at cycle \d+; expected an integer cycle >= ctx\.engine\.now/],
  ])('replay: %s → exit 69', async (_what, make, line) => {
    const path = make()
    const r = await tailsim(['replay', ...SYN, '--policy', path])
    expect(r.exit).toBe(69)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(line)
  })

  test('in a child process too (plain Node), with the line in the module', () => {
    const path = bad('child.mjs', def('(ctx) => ({\n  arrive(slot) { ctx.engine.schedule(ctx.engine.now + 1, 1, 0, slot, 0) },\n  handle() { return undefined.x },\n})'))
    const r = spawnTailsim(['replay', ...SYN, '--policy', path])
    expect(r.exit).toBe(69)
    expect(r.stderr).toMatch(/^Error: Policy module .*child\.mjs threw in handle\(0, \d+, 0\) at cycle \d+: TypeError: Cannot read properties of undefined \(reading 'x'\) \(child\.mjs:4\)\. See `tailsim replay --help`\.\n$/)
  })

  test('--json: the error envelope with its code', async () => {
    const r = await tailsim(['replay', ...SYN, '--policy', join(dir, 'absent.mjs'), '--json'])
    expect(r.exit).toBe(69)
    expect(r.result).toBeUndefined()
    const env = JSON.parse(r.stdout)
    expect(env.error).toMatchObject({code: 'POLICY_MODULE_NOT_FOUND', exit_code: 69, where: {file: join(dir, 'absent.mjs')}})
  })

  test('compare: a module that cannot load stops before any cell (exit 69)', async () => {
    const r = await tailsim(['compare', 'synthetic:exp:10us', '--requests', '1000', '--policies', `ix,${join(dir, 'absent.mjs')}`, '--loads', '0.5', '--no-max-load', '--jobs', '0'])
    expect(r.exit).toBe(69)
    expect(r.stderr).toMatch(/^Error: Policy module .*absent\.mjs not found/)
  })

  test('compare: a plug-in that fails at run time loses its cells only; the rest of the sweep finishes (exit 1)', async () => {
    const path = bad('sweep-lost.mjs', def('(ctx) => ({arrive(slot) { if (ctx.requests.seq[slot] !== 5) ctx.recorder.complete(slot, ctx.engine.now + 1) }, handle() {}})'))
    const out = join(dir, 'sweep-parts')
    const r = await tailsim(['compare', 'synthetic:exp:10us', '--requests', '1000', '--cores', '4', '--policies', `${path},n-mg1-fcfs`, '--loads', '0.4,0.6', '--no-max-load', '--jobs', '1', '--out', `${out}/`])
    expect(r.exit).toBe(1)
    expect(r.stderr).toMatch(/Failed: cell \d \(synthetic:exp:10us, .*sweep-lost\.mjs, load 0\.4, replication 0\): Policy module .*sweep-lost\.mjs lost 1 request\(s\)/)
    expect(r.stderr).toMatch(/The sweep is incomplete: 2 of 6 cells failed/)
    const policies = (await readResults([`${out}/`])).map((x) => x.policy).sort()
    expect(policies).toEqual(['mgn-fcfs', 'mgn-fcfs', 'n-mg1-fcfs', 'n-mg1-fcfs'])
  })
})
