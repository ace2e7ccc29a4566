/**
 * Every `--json` document follows its schema in docs/schemas/ (validated with Ajv, an independent
 * validator), and so one naming scheme: snake_case keys with units in the names (see
 * src/results/naming.ts). The commands run on small inputs, in-process (./inproc.ts).
 */
import {mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Ajv, type ValidateFunction} from 'ajv'
import {beforeAll, describe, expect, it} from 'vitest'

import {FILE_COLUMNS} from '../../src/results/file-columns.js'
import {tailsimIn} from './inproc.js'

const SCHEMAS = join(process.cwd(), 'docs/schemas')

const tailsim = (args: string[]) => tailsimIn(process.cwd(), args)

const ajv = new Ajv({allErrors: true, strict: true, allowUnionTypes: true})
const validators = new Map<string, ValidateFunction>()
let dir: string
const out = new Map<string, {doc: unknown; exit: number}>()

beforeAll(async () => {
  for (const f of readdirSync(SCHEMAS).filter((n) => n.endsWith('.schema.json')).sort()) {
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as object)
  }
  for (const f of readdirSync(SCHEMAS).filter((n) => n.endsWith('.schema.json'))) {
    const name = f.replace('.schema.json', '')
    validators.set(name, ajv.getSchema(`urn:tailsim:${name}`)!)
  }
  dir = mkdtempSync(join(tmpdir(), 'tailsim-json-'))
  const small = ['--requests', '1500', '--cores', '4']
  const runs: Record<string, string[]> = {
    inspect: ['inspect', 'traces/sample.csv', '--json'],
    generate: ['generate', join(dir, 'g.parquet'), '--load', '0.5', '--requests', '500', '--json'],
    replay: ['replay', '--synthetic', 'exp:10us', ...small, '--policy', 'zygos', '--load', '0.5', '-k', '2', '--records', join(dir, 'r.parquet'), '--json'],
    'replay-show-config': ['replay', '--show-config', '--json'],
    compare: ['compare', 'synthetic:exp:10us', ...small, '--policies', 'n-mg1-fcfs', '--loads', '0.5', '--out', join(dir, 'c.json'), '--json'],
    error: ['replay', join(dir, 'absent.csv'), '--policy', 'zygos', '--json'],
  }
  for (const [k, args] of Object.entries(runs)) {
    const r = await tailsim(args)
    out.set(k, {doc: JSON.parse(r.stdout) as unknown, exit: r.exit})
  }
  const rep = await tailsim(['report', join(dir, 'c.json'), '--json'])
  out.set('report', {doc: JSON.parse(rep.stdout) as unknown, exit: rep.exit})
}, 120_000)

const errors = (v: ValidateFunction) => ajv.errorsText(v.errors, {separator: '\n'})

describe('--json documents follow docs/schemas', () => {
  for (const name of ['inspect', 'generate', 'replay', 'replay-show-config', 'compare', 'report', 'error']) {
    it(name, () => {
      const r = out.get(name)!
      expect(r.exit).toBe(name === 'error' ? 65 : 0)
      const v = validators.get(name)!
      expect(v(r.doc) ? '' : errors(v)).toBe('')
    })
  }

  it('the replay document has the replication intervals and the records file, with units in the keys', () => {
    const d = out.get('replay')!.doc as Record<string, Record<string, unknown>>
    expect(Object.keys(d.replications)).toEqual(expect.arrayContaining(['p99_us', 'mean_us', 'throughput_rps', 'latency_us', 'per_replication', 'slowdown', 'per_type']))
    expect(d.records.rows).toBe(1500)
    expect(d.config.nic_ring_descriptors).toBeNull()
  })

  it('a results .json file holds rows of the result-row schema', () => {
    const file = JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8')) as {rows: unknown[]}
    const v = ajv.getSchema('urn:tailsim:results-row')!
    expect(file.rows.length).toBe(4) // n-mg1-fcfs and mgn-fcfs (always added): a latency cell and a max-load search each
    for (const row of file.rows) expect(v(row) ? '' : errors(v)).toBe('')
    // efficiency is in the file itself (the mgn-fcfs reference is 1), not only in rendered tables.
    const eff = (file.rows as {kind: string; policy: string; efficiency: number | null}[]).filter((r) => r.kind === 'max_load').map((r) => [r.policy, r.efficiency])
    expect(eff).toEqual([
      ['n-mg1-fcfs', expect.any(Number)],
      ['mgn-fcfs', 1],
    ])
  })

  it('the result-row schema lists exactly the stored columns (regenerate: node scripts/results-row-schema.mjs)', () => {
    const s = JSON.parse(readFileSync(join(SCHEMAS, 'results-row.schema.json'), 'utf8')) as {properties: object}
    expect(Object.keys(s.properties)).toEqual(FILE_COLUMNS.map((c) => c.name))
  })

  it('the schemas reject a camelCase key and a number written as text (the check can fail)', () => {
    const inspect = structuredClone(out.get('inspect')!.doc) as Record<string, unknown>
    expect(validators.get('inspect')!({...inspect, serviceMeanUs: 1})).toBe(false)
    const row = structuredClone((out.get('compare')!.doc as {rows: Record<string, unknown>[]}).rows[0])
    const v = ajv.getSchema('urn:tailsim:results-row')!
    expect(v(row)).toBe(true)
    expect(v({...row, requests: '1500'})).toBe(false)
    expect(v({...row, nic_ring_descriptors: 'Infinity'})).toBe(false)
  })
})
