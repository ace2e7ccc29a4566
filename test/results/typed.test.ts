/**
 * The stored form of result rows (schema 4): column types as an independent reader (hyparquet)
 * sees them, typed lists instead of JSON text, no number stored as a string, files of the older
 * layout still read.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parquetMetadata, parquetReadObjects, parquetSchema} from 'hyparquet'
import {beforeAll, describe, expect, it} from 'vitest'

import {Field, Float64, Int32, List, Struct, Table, Utf8, tableToIPC, vectorFromArray, type Vector} from '../../src/arrow-lib.js'
import {rowsToTable} from '../../src/results/arrow.js'
import {ResultsError} from '../../src/errors.js'
import {perTypeArrowType} from '../../src/results/arrow-types.js'
import {FILE_COLUMNS, SCALAR_COLUMNS, toRecord} from '../../src/results/file-columns.js'
import {configDoc} from '../../src/results/naming.js'
import {readResults, readResultsFile} from '../../src/results/read.js'
import {toRow, withEfficiency} from '../../src/results/row.js'
import {COLUMNS, SCHEMA_VERSION, type ResultRow} from '../../src/results/schema.js'
import {writeResults} from '../../src/results/write.js'
import {expService, poissonColumns, run} from '../helpers.js'

const META = {toolVersion: '9.9.9', sweepId: 'S1', traceSha256: ['abc']}
let rows: ResultRow[]

beforeAll(async () => {
  const cols = poissonColumns({n: 3000, load: 0.5, cores: 4, mean: 24000, service: expService(24000)})
  const slo = {percentile: 99, us: 100}
  rows = []
  let i = 0
  for (const policy of ['mgn-fcfs', 'zygos']) {
    const r = await run(cols, {policy, cores: 4, load: 0.5})
    rows.push(toRow(r, {kind: 'latency', sweep_id: 'S1', cell_id: `L|${policy}`, cell_index: i++, trace: 'test', replication: 0, load: 0.5, slo}))
    const search = {maxLoad: policy === 'mgn-fcfs' ? 0.8 : 0.6, status: 'ok' as const, lo: 0.05, hi: 0.99, tol: 0.005, evals: 9}
    rows.push(toRow(r, {kind: 'max_load', sweep_id: 'S1', cell_id: `M|${policy}`, cell_index: i++, trace: 'test', replication: 0, slo, search}))
  }
  rows = withEfficiency(rows)
})

async function parquetOf(rs: readonly ResultRow[]): Promise<{path: string; file: ArrayBuffer}> {
  const path = join(mkdtempSync(join(tmpdir(), 'tailsim-typed-')), 'r.parquet')
  await writeResults(path, rs, META)
  const b = readFileSync(path)
  return {path, file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)}
}

/** Physical Parquet type hyparquet reports for each stored kind (lists: of their leaf). */
const PHYSICAL: Record<string, string> = {int32: 'INT32', int64: 'INT64', float64: 'DOUBLE', utf8: 'BYTE_ARRAY', bool: 'BOOLEAN', float64_list: 'LIST', int_pairs: 'LIST', float_pairs: 'LIST', warning_list: 'LIST', per_type: 'LIST'}

describe('typed result files (schema 4)', () => {
  it('stores integers as INT32/INT64, numbers as DOUBLE, lists as LIST (hyparquet)', async () => {
    const {file} = await parquetOf(rows)
    const md = parquetMetadata(file)
    const top = parquetSchema(md).children
    expect(top.map((c) => c.element.name)).toEqual(FILE_COLUMNS.map((c) => c.name))
    for (const [i, c] of FILE_COLUMNS.entries()) {
      const el = top[i].element
      const got = el.converted_type === 'LIST' || el.logical_type?.type === 'LIST' ? 'LIST' : el.type
      expect(`${c.name}: ${got}`).toBe(`${c.name}: ${PHYSICAL[c.kind]}`)
    }
    // The counts a reader most often sums are integers, not DOUBLE.
    const byName = new Map(top.map((c) => [c.element.name, c.element.type]))
    for (const n of ['requests', 'completed', 'measured', 'dropped', 'events', 'seed']) expect(byName.get(n)).toBe('INT64')
    for (const n of ['cores', 'cell_index', 'replication', 'search_evals', 'schema_version']) expect(byName.get(n)).toBe('INT32')
  })

  it('holds counters, metrics, per-core utilisation and costs as typed values, efficiency filled, no number as text', async () => {
    const {file} = await parquetOf(rows)
    const objs = (await parquetReadObjects({file})) as Record<string, unknown>[]
    for (const [i, o] of objs.entries()) {
      const r = rows[i]
      const counters = Object.fromEntries((o.counters as {name: string; value: bigint}[]).map((c) => [c.name, Number(c.value)]))
      expect(counters).toEqual(JSON.parse(r.counters_json))
      expect((o.counters as {value: unknown}[]).every((c) => typeof c.value === 'bigint')).toBe(true)
      expect(Object.fromEntries((o.metrics as {name: string; value: number}[]).map((c) => [c.name, c.value]))).toEqual(JSON.parse(r.metrics_json))
      expect(o.util_per_core_fraction).toEqual(JSON.parse(r.util_per_core_json))
      expect((o.util_per_core_fraction as number[]).length).toBe(4)
      expect(o.warning_details).toEqual(JSON.parse(r.warnings_json))
      const costs = o.costs_cycles as {name: string; value: bigint}[]
      expect(costs.length).toBeGreaterThan(10)
      expect(Object.fromEntries(costs.map((c) => [c.name, Number(c.value)]))).toEqual(JSON.parse(r.config_json).costs_cycles)
      // Unbounded / unlimited: null, documented, never the string 'Infinity'.
      expect(o.nic_ring_descriptors).toBeNull()
      expect(o.max_sim_time_s).toBeNull()
      expect(o.rss_buckets).toBe(128)
      expect(o.warmup_fraction).toBe(0.1)
      expect(o.config_json).not.toMatch(/Infinity|NaN/)
      for (const c of SCALAR_COLUMNS) if (c.kind === 'utf8' && typeof o[c.name] === 'string' && (o[c.name] as string) !== '') expect(`${c.name}=${Number.isNaN(Number(o[c.name]))}`).toBe(`${c.name}=true`)
      // efficiency: every max_load row that has an mgn-fcfs reference, in the file itself.
      expect(o.efficiency).toBe(r.kind === 'max_load' ? (r.max_load as number) / 0.8 : null)
    }
    expect(objs.filter((o) => o.kind === 'max_load').map((o) => o.efficiency)).toEqual([1, 0.6 / 0.8])
  })

  it('JSON result rows use the stored names and reject a counter stored as text, naming the column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-typed-'))
    const path = join(dir, 'r.json')
    await writeResults(path, rows, META)
    const doc = JSON.parse(readFileSync(path, 'utf8')) as {rows: Record<string, unknown>[]}
    expect(Object.keys(doc.rows[0])).toEqual(FILE_COLUMNS.map((c) => c.name))
    expect(doc.rows[0]).toEqual(toRecord(rows[0]))
    const bad = structuredClone(doc)
    ;(bad.rows[1].counters as {value: unknown}[]).push({name: 'x', value: '3'})
    writeFileSync(path, JSON.stringify(bad))
    const err = await readResultsFile(path).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResultsError)
    expect((err as Error).message).toMatch(/r\.json: row 2: Expected column `counters` to be a list of \{name, value\} with integer values, got /)
  })
})

/** A file in the layout of schema versions 1–3: in-memory names, every number float64, JSON text (version 3: per_type a list of structs). */
function legacyTable(rs: readonly ResultRow[], version: number): Table {
  const cols: Record<string, Vector> = {}
  for (const c of COLUMNS) {
    if (c.since !== undefined && c.since > version) continue // not in a file of that version
    const values = rs.map((r) => (c.name === 'schema_version' ? version : r[c.name]))
    const type = c.name === 'schema_version' ? new Int32() : c.type === 'utf8' ? new Utf8() : c.type === 'per_type' ? perTypeArrowType() : new Float64()
    cols[c.name] = vectorFromArray(values as never[], type as never) as Vector
  }
  const t = new Table(cols)
  t.schema.metadata.set('tailsim.schema_version', String(version))
  return t
}

describe('result files written before schema 4', () => {
  it('are still read (Parquet, Arrow and JSON); the old config text with "Infinity" comes back in the new naming', async () => {
    // The old writer's config: camelCase, Infinity as a string.
    const oldConfig = (r: ResultRow) => {
      const c = JSON.parse(r.config_json) as Record<string, unknown>
      return JSON.stringify({policy: c.policy, cores: c.cores, ghz: c.ghz, seed: c.seed, costPreset: c.cost_preset, costs: c.costs_cycles, warmup: c.warmup_fraction, networkRttUs: 0, nicRing: 'Infinity', rssBuckets: 128, allowOverload: false, maxSimTimeS: 'Infinity', batches: 10})
    }
    const old = rows.map((r) => ({...r, schema_version: 2, config_json: oldConfig(r), efficiency: null}))
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-legacy-'))
    writeFileSync(join(dir, 'old.arrow'), tableToIPC(legacyTable(old, 2), 'file'))
    writeFileSync(join(dir, 'old3.arrow'), tableToIPC(legacyTable(old.map((r) => ({...r, schema_version: 3})), 3), 'file'))
    writeFileSync(join(dir, 'old.json'), JSON.stringify({tailsim_results: {schema_version: 2}, rows: old}))
    const pq = await import('parquet-wasm')
    writeFileSync(join(dir, 'old.parquet'), pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(legacyTable(old, 2), 'stream'))))
    for (const name of ['old.arrow', 'old3.arrow', 'old.json', 'old.parquet']) {
      const back = await readResultsFile(join(dir, name))
      expect(back.map((r) => r.p99_us)).toEqual(rows.map((r) => r.p99_us))
      expect(back.map((r) => r.counters_json)).toEqual(rows.map((r) => r.counters_json))
      const c = JSON.parse(back[0].config_json) as Record<string, unknown>
      expect(c.nic_ring_descriptors).toBeNull()
      expect(c.max_sim_time_s).toBeNull()
      expect(c.cost_preset).toBe(JSON.parse(rows[0].config_json).cost_preset)
      expect(c).toEqual(configDoc({...JSON.parse(oldConfig(rows[0])), nicRing: Infinity, maxSimTimeS: Infinity}))
    }
    // report's efficiency still works on them (filled on reading).
    expect(withEfficiency(await readResults([join(dir, 'old.arrow')])).filter((r) => r.kind === 'max_load').map((r) => r.efficiency)).toEqual([1, 0.6 / 0.8])
    expect(SCHEMA_VERSION).toBe(4)
  })

  it('version-4 files written before slowdown_min and the per-type min/max read them as null (Arrow, Parquet, JSON)', async () => {
    const added = ['min_us', 'slowdown_min', 'slowdown_max']
    expect(rows.every((r) => r.slowdown_min !== null)).toBe(true) // the current writer records it
    const full = rowsToTable(rows)
    // The earlier layout: no slowdown_min column, per-type structs without the three fields.
    const keep = full.schema.fields.map((f) => f.name).filter((n) => n !== 'slowdown_min')
    const cols: Record<string, Vector> = {}
    for (const n of keep) cols[n] = full.getChild(n)!
    const oldType = new List(new Field('item', new Struct(((perTypeArrowType().children[0].type as Struct).children).filter((f) => !added.includes(f.name))), false))
    const perType = rows.map((r) => r.per_type.map((t) => Object.fromEntries(Object.entries({...t, count: t.count === null ? null : BigInt(t.count)}).filter(([k]) => !added.includes(k)))))
    cols.per_type = vectorFromArray(perType as never[], oldType as never) as Vector
    const old = new Table(cols)
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-v4-'))
    writeFileSync(join(dir, 'old.arrow'), tableToIPC(old, 'file'))
    const pq = await import('parquet-wasm')
    writeFileSync(join(dir, 'old.parquet'), pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(old, 'stream'))))
    const records = rows.map((r) => {
      const rec = toRecord(r) as Record<string, unknown>
      delete rec.slowdown_min
      rec.per_type = (rec.per_type as Record<string, unknown>[]).map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => !added.includes(k))))
      return rec
    })
    writeFileSync(join(dir, 'old.json'), JSON.stringify({tailsim_results: {schema_version: 4}, rows: records}))
    for (const name of ['old.arrow', 'old.parquet', 'old.json']) {
      const back = await readResultsFile(join(dir, name))
      expect(back.map((r) => r.p99_us)).toEqual(rows.map((r) => r.p99_us))
      expect(back.every((r) => r.slowdown_min === null)).toBe(true)
      for (const r of back) for (const t of r.per_type) expect([t.min_us, t.slowdown_min, t.slowdown_max]).toEqual([null, null, null])
    }
  })
})

describe('docs/output.md queries', () => {
  it('name only columns (and struct fields) of a written file, with the types the queries assume', async () => {
    const {file} = await parquetOf(rows)
    const top = parquetSchema(parquetMetadata(file)).children
    const columns = new Map(top.map((c) => [c.element.name, c]))
    const doc = readFileSync(join(process.cwd(), 'docs/output.md'), 'utf8')
    const blocks = [...doc.matchAll(/<!-- example: skip reason="needs (?:DuckDB|Polars)" -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1])
    expect(blocks.length).toBe(2)
    // String values compared with (a kind, a counter's name) are not column names.
    const text = blocks.join('\n').replace(/'(latency|max_load|steals)'/g, "''")
    // Every snake_case word is a column, except functions, aliases after AS and these names.
    const notColumns = new Set(['read_parquet', 'read_csv', 'group_by', 'req_per_s', 'steals_pct'])
    const used = new Set<string>()
    for (const m of text.matchAll(/(AS\s+)?\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b(\s*\()?/g)) {
      if (m[1] !== undefined || m[3] !== undefined || notColumns.has(m[2])) continue
      used.add(m[2])
    }
    // Quoted names in the Polars calls, and the plain-word columns of both.
    for (const m of text.matchAll(/'([a-z][a-z0-9_]*)'/g)) if (!['name', 'value'].includes(m[1])) used.add(m[1]) // name, value: the counters' struct fields (below)
    for (const w of ['policy', 'kind', 'efficiency', 'completed', 'counters']) used.add(w)
    expect([...used].filter((c) => !columns.has(c))).toEqual([])
    expect(used.size).toBeGreaterThan(8)
    // The types the queries rely on: numbers to average, an integer count, a list of {name, value}.
    const type = (n: string) => columns.get(n)!.element.type
    for (const n of ['p99_us', 'load_fraction', 'max_load_fraction', 'efficiency', 'throughput_rps', 'util_fraction']) expect(type(n)).toBe('DOUBLE')
    expect(type('completed')).toBe('INT64')
    const counters = columns.get('counters')!.children[0].children[0].children.map((c) => `${c.element.name}:${c.element.type}`)
    expect(counters).toEqual(['name:BYTE_ARRAY', 'value:INT64'])
    // The CSV query's columns are in the tidy CSV.
    const {CSV_COLUMNS} = await import('../../src/results/csv.js')
    for (const c of ['policy', 'load_fraction', 'p99_us', 'util_fraction', 'kind', 'max_load_fraction', 'efficiency']) expect(CSV_COLUMNS).toContain(c)
  })
})

describe('tidy CSV (--format csv)', () => {
  it('is one header line and one line per row, numbers as numbers, null as empty, equal to the stored values', async () => {
    const {parse} = await import('csv-parse/sync')
    const {CSV_COLUMNS, rowsToCsv} = await import('../../src/results/csv.js')
    const text = rowsToCsv([...rows].reverse()) // cell order whatever the input order
    const table = parse(text, {cast: false}) as string[][]
    expect(table[0]).toEqual([...CSV_COLUMNS])
    expect(table.length).toBe(rows.length + 1)
    expect(CSV_COLUMNS).not.toContain('wall_ms')
    expect(CSV_COLUMNS.some((c) => c.endsWith('_json'))).toBe(false)
    for (const [i, line] of table.slice(1).entries()) {
      const rec = toRecord(rows[i])
      CSV_COLUMNS.forEach((c, j) => {
        const v = rec[c]
        const kind = FILE_COLUMNS.find((f) => f.name === c)!.kind
        if (v === null) expect(`${c}=${line[j]}`).toBe(`${c}=`)
        else if (kind === 'utf8') expect(line[j]).toBe(v)
        else {
          expect(`${c}=${line[j]}`).toMatch(kind === 'float64' ? /^[^=]+=-?\d/ : /^[^=]+=-?\d+$/) // integers without a point
          expect(Number(line[j])).toBe(v)
        }
      })
    }
    expect(table.slice(1).filter((l) => l[1] === 'max_load').map((l) => Number(l[CSV_COLUMNS.indexOf('efficiency')]))).toEqual([1, 0.6 / 0.8])
  })
})
