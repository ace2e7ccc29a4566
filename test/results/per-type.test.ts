/**
 * Per-type and slowdown results in result files: typed columns (a list<struct> `per_type`, float64
 * slowdown columns; no JSON text), checked with an independent Parquet reader (hyparquet); the
 * round trip through every format; the by-type table with its `n/a (k samples)` cells; files of
 * schema 2 (no such columns) still read.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parquetMetadata, parquetReadObjects, parquetSchema} from 'hyparquet'
import {beforeAll, describe, expect, it} from 'vitest'

import {resolveSlo, parseSlo} from '../../src/experiment/slo.js'
import {buildTables, renderTables} from '../../src/report/tables.js'
import {readResults} from '../../src/results/read.js'
import {toRow} from '../../src/results/row.js'
import {PER_TYPE_FIELDS, type ResultRow} from '../../src/results/schema.js'
import {writeResults} from '../../src/results/write.js'
import {meanCi, samplesBeyond} from '../../src/stats/intervals.js'
import {slowdownAndTypeLines} from '../../src/report/type-summary.js'
import {grouped} from '../../src/grouped.js'
import type {RunResult} from '../../src/sim/simulate.js'
import {run} from '../helpers.js'
import {darcBimodal} from '../sim/sched/lib.js'

let rows: ResultRow[]
let result: RunResult

beforeAll(async () => {
  // 4 000 requests of the 50/50 bimodal: each type has ~1 800 measured, so its p99.9 is n/a.
  const cols = darcBimodal(4000, 0.5, 4, 3)
  const slo = resolveSlo(parseSlo('slowdown:p99.9:10,type=short:p99:20us'), 50, ['short', 'long'])
  rows = []
  for (const [i, policy] of ['mgn-fcfs', 'c-fcfs'].entries()) {
    const r = await run(cols, {policy, cores: 4, load: 0.5})
    if (i === 0) result = r
    rows.push(toRow(r, {kind: 'latency', sweep_id: 'S', cell_id: `L|${policy}`, cell_index: i, trace: 't', replication: 0, load: 0.5, slo}))
  }
})

describe('per-type and slowdown columns', () => {
  it('rows hold the run\'s per-type results and slowdown as numbers', () => {
    const r = rows[0]
    expect(r.per_type.map((t) => t.type)).toEqual(['short', 'long'])
    expect(r.per_type[0].p99_us).toBe(result.per_type.short.p99_us)
    expect(r.per_type[1].slowdown_p99).toBe(result.per_type.long.slowdown.p99)
    expect(r.per_type[0].p999_us).toBeNull() // n/a, not a number
    expect(r.slowdown_p99).toBe(result.slowdown.p99)
    expect(r.slo).toBe('slowdown:p99.9:10,type=short:p99:20us')
    expect(r.slo_us).toBeNull()
  })

  it('Parquet: per_type is a list of structs and slowdown columns are doubles (hyparquet)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-pt-'))
    const path = join(dir, 'r.parquet')
    await writeResults(path, rows, {toolVersion: 'x', sweepId: 'S', traceSha256: []})
    const b = readFileSync(path)
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
    const meta = parquetMetadata(ab)
    const tree = parquetSchema(meta)
    const col = (name: string) => tree.children.find((c) => c.element.name === name)!
    expect(col('slowdown_p999').element.type).toBe('DOUBLE')
    expect(col('slo').element.type).toBe('BYTE_ARRAY')
    const pt = col('per_type')
    expect(pt.element.converted_type).toBe('LIST')
    const item = pt.children[0].children[0]
    expect(item.children.map((c) => c.element.name)).toEqual(['type', ...PER_TYPE_FIELDS])
    expect(item.children.find((c) => c.element.name === 'type')!.element.type).toBe('BYTE_ARRAY')
    for (const f of PER_TYPE_FIELDS) expect(item.children.find((c) => c.element.name === f)!.element.type, f).toBe(f === 'count' ? 'INT64' : 'DOUBLE') // schema 4: counts are integers
    const objs = (await parquetReadObjects({file: ab})) as Record<string, unknown>[]
    const list = objs[0].per_type as Record<string, unknown>[]
    expect(list.map((t) => t.type)).toEqual(['short', 'long'])
    expect(list[0].p50_us).toBe(rows[0].per_type[0].p50_us)
    expect(list[0].count).toBe(BigInt(rows[0].per_type[0].count!))
    expect(list[0].p999_us).toBeNull()
    expect(objs.map((o) => o.slowdown_p99)).toEqual(rows.map((r) => r.slowdown_p99))
  })

  for (const ext of ['parquet', 'arrow', 'json']) {
    it(`round-trips through .${ext}`, async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'tailsim-pt-')), `r.${ext}`)
      await writeResults(path, rows, {toolVersion: 'x', sweepId: 'S', traceSha256: []})
      expect(await readResults([path])).toEqual(rows)
    })
  }

  it('a JSON file of schema 2 (no per-type or slowdown columns) reads with empty ones', async () => {
    const old = rows.map((r) => {
      const o: Record<string, unknown> = {...r, schema_version: 2}
      for (const k of Object.keys(o)) if (k.startsWith('slowdown_') || k === 'per_type' || k === 'slo') delete o[k]
      o.slo_us = 100
      return o
    })
    const path = join(mkdtempSync(join(tmpdir(), 'tailsim-pt-')), 'old.json')
    writeFileSync(path, JSON.stringify({tailsim_results: {schema_version: 2}, rows: old}))
    const back = await readResults([path])
    expect(back[0].per_type).toEqual([])
    expect(back[0].slowdown_p99).toBeNull()
    expect(back[0].slo).toBe('')
    expect(buildTables(back).traces[0].per_type.rows[0][1]).toBe('all')
  })

  it('a per_type value that is not a list of per-type objects is refused', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tailsim-pt-')), 'bad.json')
    writeFileSync(path, JSON.stringify({rows: [{...rows[0], per_type: '{"short": {}}'}]}))
    await expect(readResults([path])).rejects.toThrow(/bad\.json:? row 1.*per_type/)
  })
})

describe('the by-type table and replay lines', () => {
  it('one row for all requests and one per type; n/a with the samples above the percentile', () => {
    const t = buildTables(rows).traces[0].per_type
    expect(t.columns).toEqual(['policy', 'type', 'requests', 'p50', 'p99', 'p99.9', 'slowdown p99', 'slowdown p99.9'])
    expect(t.rows.map((r) => `${r[0]} ${r[1]}`)).toEqual(['mgn-fcfs all', 'mgn-fcfs short', 'mgn-fcfs long', 'c-fcfs all', 'c-fcfs short', 'c-fcfs long'])
    const short = t.rows[1]
    expect(short[2]).toBe(result.per_type.short.count)
    expect(short[4]).toBe(result.per_type.short.p99_us)
    const k = result.per_type.short.count - Math.ceil(0.999 * result.per_type.short.count)
    expect(short[5]).toBe(`n/a (${k} sample${k === 1 ? '' : 's'})`)
    expect(t.rows[0][6]).toBe(result.slowdown.p99)
    const md = renderTables(rows, {format: 'markdown'})
    expect(md).toContain('latency (µs) and slowdown by request type')
    expect(md).not.toContain('max load at SLO') // no max-load rows here: that table is left out
  })

  it('over replications: the mean with its t-interval clamped to the type\'s range; n/a in some run stays n/a and says in how many; an absent type has no numbers', () => {
    const [r0] = rows
    const short0 = r0.per_type.find((t) => t.type === 'short')!
    const long0 = r0.per_type.find((t) => t.type === 'long')!
    const rep = (i: number, perType: ResultRow['per_type']): ResultRow => ({...r0, replication: i, cell_index: i, cell_id: `L|r${i}`, per_type: perType})
    const reps = [
      r0,
      rep(1, [{...short0, p99_us: short0.p99_us! + 6, slowdown_p99: short0.slowdown_p99! * 1.1}]), // long absent
      rep(2, [{...short0, p99_us: null}, long0]), // short p99 n/a
    ]
    const t = buildTables(reps).traces[0].per_type
    expect(t.rows.map((r) => r[1])).toEqual(['all', 'short', 'long'])
    const [, short, long] = t.rows
    const [, hShort] = t.intervals!
    const k = samplesBeyond(short0.count!, 99)
    expect(short[4]).toBe(`n/a in 1 of 3 runs (${k} sample${k === 1 ? '' : 's'})`)
    expect(hShort[4]).toBeNull()
    const sd = [short0.slowdown_p99!, short0.slowdown_p99! * 1.1, short0.slowdown_p99!]
    expect(short[6]).toBeCloseTo((sd[0] + sd[1] + sd[2]) / 3, 9)
    // Clamped to the type's slowdown range over the runs (its own min and max).
    expect(hShort[6]!.low).toBeCloseTo(Math.max(short0.slowdown_min!, meanCi(sd).mean - meanCi(sd).half), 9)
    expect(hShort[6]!.high).toBeCloseTo(Math.min(short0.slowdown_max!, meanCi(sd).mean + meanCi(sd).half), 9)
    expect(short[3]).toBe(short0.p50_us) // equal in all three runs
    expect(hShort[3]).toEqual({low: short0.p50_us, high: short0.p50_us})
    expect(long.slice(2)).toEqual(['absent from 1 of 3 runs', null, null, null, null, null])
    expect(t.intervals![2].every((h) => h === null)).toBe(true)
    const text = renderTables(reps, {format: 'table'})
    expect(text).toMatch(/long │ +absent from 1 of 3 runs │ +— │/)
  })

  it('the page prints a type\'s mean request count over replications as a whole number, as the text table does', async () => {
    const [r0] = rows
    const more = r0.per_type.map((t) => (t.type === 'short' ? {...t, count: t.count! + 1} : t))
    const reps = [r0, {...r0, replication: 1, cell_index: 1, cell_id: 'L|r1', per_type: more}]
    const short = buildTables(reps).traces[0].per_type.rows.find((r) => r[1] === 'short')!
    const mean = short[2] as number
    expect(mean % 1).toBe(0.5)
    const {buildReport} = await import('../../src/report/report.js')
    const html = (await buildReport(reps, {html: true, charts: false})).html!
    expect(html).toContain(`<td>short</td><td class="num">${grouped(mean)}</td>`)
    expect(grouped(mean)).toMatch(/^\d{1,3}(,\d{3})*$/)
  })

  it('replay prints slowdown and a line per type, with intervals and n/a', () => {
    const lines = slowdownAndTypeLines(result).join('\n')
    expect(lines).toMatch(/^slowdown \(time in the server \/ service time\): mean \d/)
    expect(lines).toMatch(/\n {2}short +\d+ /)
    // Two narrow tables: slowdown of all requests and of each type, then latency by type.
    expect(lines).toMatch(/\n {2}latency µs +requests +p50 +p99 +p99\.9\n/)
    expect(lines).toMatch(/\n {2}slowdown +p50 +p99 +p99\.9\n {2}all +\d/)
    expect(lines.split('\n').filter((l) => /^ {2}short /.test(l))).toHaveLength(2)
    for (const l of lines.split('\n')) expect(l.length).toBeLessThanOrEqual(100)
    expect(lines).toContain('n/a (')
    expect(lines).toMatch(/\d\.\d \[\d+\.\d, \d+\.\d\]/)
  })
})

describe('the slowdown-by-type chart', () => {
  it('one bar per policy and type, from the by-type table; none for a trace without types', async () => {
    const {buildReport} = await import('../../src/report/report.js')
    const r = await buildReport(rows, {})
    const chart = r.charts.find((c) => c.name === 'slowdown-by-type')!
    expect(chart.kind).toBe('per_type')
    // ~1 800 requests per type: p99.9 is n/a, so the chart shows p99.
    expect(chart.title).toMatch(/^Slowdown p99 by request type/)
    const t = buildTables(rows).traces[0].per_type
    for (const row of t.rows.filter((x) => x[1] !== 'all')) expect(chart.svg).toContain(`${row[0]}`)
    expect((chart.svg.match(/aria-roledescription="bar"/g) ?? []).length).toBe(4)
    const untyped = rows.map((x) => ({...x, per_type: []}))
    expect((await buildReport(untyped, {})).charts.map((c) => c.name)).not.toContain('slowdown-by-type')
  })
})
