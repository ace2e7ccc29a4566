import {mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parquetMetadata, parquetReadObjects} from 'hyparquet'
import {beforeAll, describe, expect, it} from 'vitest'

import {ResultsError} from '../../src/errors.js'
import {readResults} from '../../src/results/read.js'
import {toRow, withEfficiency} from '../../src/results/row.js'
import {COLUMNS, SCHEMA_VERSION, type ResultRow} from '../../src/results/schema.js'
import {writeResults} from '../../src/results/write.js'
import {renderTables} from '../../src/report/tables.js'
import {expService, poissonColumns, run} from '../helpers.js'

const SLO = {percentile: 99, us: 100}
let rows: ResultRow[]

beforeAll(async () => {
  const cols = poissonColumns({n: 4000, load: 0.5, cores: 4, mean: 24000, service: expService(24000)})
  rows = []
  let i = 0
  for (const policy of ['mgn-fcfs', 'n-mg1-fcfs']) {
    for (const load of [0.3, 0.6]) {
      const r = await run(cols, {policy, cores: 4, load})
      rows.push(toRow(r, {kind: 'latency', sweep_id: 'S1', cell_id: `L|${policy}|${load}`, cell_index: i++, trace: 'test', replication: 0, load, slo: SLO}))
    }
    const r = await run(cols, {policy, cores: 4, load: policy === 'mgn-fcfs' ? 0.8 : 0.6})
    rows.push(
      toRow(r, {
        kind: 'max_load',
        sweep_id: 'S1',
        cell_id: `M|${policy}`,
        cell_index: i++,
        trace: 'test',
        replication: 0,
        slo: SLO,
        search: {maxLoad: policy === 'mgn-fcfs' ? 0.8 : 0.6, status: 'ok', lo: 0.05, hi: 0.99, tol: 0.005, evals: 9},
      }),
    )
  }
})

describe('result schema', () => {
  it('has every column in each row, and numbers where numbers are due', () => {
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(COLUMNS.map((c) => c.name).sort())
      expect(r.schema_version).toBe(SCHEMA_VERSION)
      expect(r.p99_us).toBeGreaterThan(0)
      expect(JSON.parse(r.config_json).policy).toBe(r.policy)
    }
  })

  it('efficiency is max load / the mgn-fcfs max load', () => {
    const e = withEfficiency(rows).filter((r) => r.kind === 'max_load')
    expect(e.map((r) => r.efficiency)).toEqual([1, 0.6 / 0.8])
    expect(rows.every((r) => r.efficiency === null)).toBe(true)
  })

  for (const ext of ['parquet', 'arrow', 'json']) {
    it(`round-trips through .${ext}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tailsim-res-'))
      const path = join(dir, `r.${ext}`)
      await writeResults(path, rows, {toolVersion: '9.9.9', sweepId: 'S1', traceSha256: [rows[0].trace_sha256]})
      expect(readdirSync(dir)).toEqual([`r.${ext}`]) // no temp file left behind
      const back = await readResults([path])
      expect(back).toEqual(rows)
    })
  }

  it('Parquet reads back with an independent reader (hyparquet), metadata included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-res-'))
    const path = join(dir, 'r.parquet')
    await writeResults(path, rows, {toolVersion: '9.9.9', sweepId: 'S1', traceSha256: ['abc']})
    const b = readFileSync(path)
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
    const kv = Object.fromEntries(parquetMetadata(ab).key_value_metadata!.map((e) => [e.key, e.value]))
    expect(kv['tailsim.tool_version']).toBe('9.9.9')
    expect(kv['tailsim.trace_sha256']).toBe('abc')
    expect(kv['tailsim.schema_version']).toBe(String(SCHEMA_VERSION))
    const objs = (await parquetReadObjects({file: ab})) as Record<string, unknown>[]
    expect(objs.map((o) => o.p99_us)).toEqual(rows.map((r) => r.p99_us))
    expect(objs.map((o) => o.max_load_fraction)).toEqual(rows.map((r) => r.max_load))
  })

  it('refuses a newer schema version, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-res-'))
    const path = join(dir, 'new.json')
    writeFileSync(path, JSON.stringify({tailsim_results: {schema_version: SCHEMA_VERSION + 1}, rows: []}))
    await expect(readResults([path])).rejects.toThrow(new RegExp(`new\\.json.*schema_version <= ${SCHEMA_VERSION}.*got ${SCHEMA_VERSION + 1}.*newer tailsim`))
    const p2 = join(dir, 'new2.parquet')
    await writeResults(p2, rows.map((r) => ({...r, schema_version: SCHEMA_VERSION + 1})), {toolVersion: 'x', sweepId: 'S1', traceSha256: []})
    await expect(readResults([p2])).rejects.toThrow(ResultsError)
  })

  it('refuses parts of different sweeps, naming both files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-res-'))
    await writeResults(join(dir, 'a.parquet'), rows.slice(0, 2), {toolVersion: 'x', sweepId: 'S1', traceSha256: []})
    await writeResults(join(dir, 'b.parquet'), rows.slice(2).map((r) => ({...r, sweep_id: 'S2'})), {toolVersion: 'x', sweepId: 'S2', traceSha256: []})
    await expect(readResults([dir])).rejects.toThrow(/a\.parquet.*b\.parquet/)
  })

  it('merging parts gives the rows of the whole, and a non-results file is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-res-'))
    for (const [i, r] of rows.entries()) await writeResults(join(dir, `part-${i}.parquet`), [r], {toolVersion: 'x', sweepId: 'S1', traceSha256: []})
    const merged = await readResults([dir])
    expect(renderTables(merged, {format: 'csv'})).toBe(renderTables(rows, {format: 'csv'}))
    const bad = join(dir, 'x.json')
    writeFileSync(bad, '{"rows": [{"a": 1}]}')
    await expect(readResults([bad])).rejects.toThrow(/x\.json/)
  })
})

describe('tables', () => {
  it('render in every format with policies as columns', () => {
    for (const format of ['table', 'markdown', 'csv', 'json'] as const) {
      const out = renderTables(rows, {format})
      expect(out).toContain('mgn-fcfs')
      expect(out).toContain('n-mg1-fcfs')
    }
    // csv is the tidy form: one header line, one line per row (test/results/typed.test.ts checks the values).
    const csv = renderTables(rows, {format: 'csv'}).trimEnd().split('\n')
    expect(csv.length).toBe(rows.length + 1)
    expect(csv[0]).toMatch(/^schema_version,kind,sweep_id,cell_id,cell_index,/)
    const md = renderTables(rows, {format: 'markdown', percentile: 'p50'})
    expect(md).toContain('p50 latency')
    expect(md).toContain('75.0%')
    const json = JSON.parse(renderTables(rows, {format: 'json'}))
    expect(json.traces[0].latency.rows[0][0]).toBe(0.3)
    expect(json.traces[0].latency.rows[0][1]).toBe(rows[0].p99_us)
    expect(() => renderTables(rows, {format: 'csv', percentile: 'p42'})).toThrow(/percentile/)
  })
})
