import {existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {OutputError} from '../../src/errors.js'
import {escapeHtml, inlineSvg} from '../../src/report/html.js'
import {buildReport, writeReport} from '../../src/report/report.js'
import {buildTables, renderTables} from '../../src/report/tables.js'
import type {ResultRow} from '../../src/results/schema.js'
import {byClass, decodePng, parseXml} from './checks.js'
import {FIXTURE_POLICIES, fixtureRows} from './fixture.js'

let rows: ResultRow[]
let twoTraces: ResultRow[]

beforeAll(async () => {
  rows = await fixtureRows()
  // A second trace in the same sweep (cell indexes after the first trace's).
  const more = await fixtureRows({trace: 'synthetic:exp(20us)', mean: 48000, seed: 9, policies: ['mgn-fcfs', 'n-mg1-fcfs']})
  twoTraces = [...rows, ...more.map((r, i) => ({...r, cell_index: rows.length + i, cell_id: `T2|${r.cell_id}`}))]
})

const linesIn = (svg: string) =>
  byClass(parseXml(svg), 'mark-line', 'role-mark', 'latency_marks').flatMap((g) => g.children.filter((c) => c.attrs['aria-roledescription'] === 'line mark'))

describe('buildReport', () => {
  it('renders exactly the tables of renderTables, in every format', async () => {
    for (const format of ['table', 'markdown', 'csv', 'json'] as const) {
      const r = await buildReport(rows, {format, charts: false})
      expect(r.tables).toBe(renderTables(rows, {format}))
      expect(r.charts).toEqual([])
    }
    const r = await buildReport(rows, {format: 'csv', percentile: 'p99.9', charts: false})
    expect(r.tables).toBe(renderTables(rows, {format: 'csv', percentile: 'p99.9'}))
    expect(r.model).toEqual(buildTables(rows, 'p99.9'))
  })

  it('draws one latency line per policy through the table values, and one bar per max-load row', async () => {
    const r = await buildReport(rows, {})
    expect(r.charts.map((c) => c.name)).toEqual(['latency', 'max-load'])
    const lines = linesIn(r.charts[0].svg)
    expect(lines).toHaveLength(FIXTURE_POLICIES.length)
    // The label of each line names its policy and its first point's value, the table's (4 s.f.).
    const table = r.model.traces[0].latency
    for (const [j, policy] of FIXTURE_POLICIES.entries()) {
      const label = lines[j].attrs['aria-label']
      expect(label).toContain(`Policy: ${policy}`)
      const shown = Number(label.match(/p99 latency \(µs, log scale\): ([\d.,]+)/)?.[1].replace(/,/g, ''))
      expect(shown).toBeCloseTo(table.rows[0][j + 1] as number, 2)
    }
    // SLO = 10 × 10 µs, drawn and labelled.
    expect(r.charts[0].svg).toContain('SLO: p99 ≤ 100 µs')
    const bars = byClass(parseXml(r.charts[1].svg), 'maxload_marks').flatMap((g) => g.children.filter((c) => c.attrs['aria-roledescription'] === 'bar'))
    expect(bars).toHaveLength(FIXTURE_POLICIES.length)
  })

  it('draws the SLO\'s percentile with its rule, and another --percentile in a second chart without one', async () => {
    const r = await buildReport(rows, {percentile: 'p50'})
    expect(r.charts.map((c) => c.name)).toEqual(['latency', 'latency-p50', 'max-load'])
    expect(r.charts[0].svg).toContain('SLO: p99 ≤ 100 µs')
    expect(r.charts[0].svg).toContain('p99 latency (µs')
    expect(r.charts[1].svg).not.toContain('SLO:')
    expect(r.charts[1].svg).toContain('p50 latency (µs')
    expect(r.charts[2].svg).toContain('p99 ≤ 100 µs') // the bars still name the SLO
  })

  it('makes one pair of charts per trace, with distinct names', async () => {
    const r = await buildReport(twoTraces, {})
    expect(r.charts.map((c) => c.name)).toEqual(['latency-1-synthetic-exp-10us', 'max-load-1-synthetic-exp-10us', 'latency-2-synthetic-exp-20us', 'max-load-2-synthetic-exp-20us'])
    expect(linesIn(r.charts[0].svg)).toHaveLength(3)
    expect(linesIn(r.charts[2].svg)).toHaveLength(2)
    expect(r.charts[2].svg).toContain('SLO: p99 ≤ 200 µs')
  })

  it('builds a self-contained HTML page with every table and chart', async () => {
    const r = await buildReport(twoTraces, {html: true, sources: ['results/']})
    const html = r.html!
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true)
    expect(html).not.toMatch(/https?:/i)
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i)
    // Tables: 4 per trace (latency, max load, by type, counters); charts: 2 per trace (no types).
    const model = r.model
    const nTables = model.traces.reduce((n, t) => n + [t.latency, t.max_load, t.per_type, t.counters].filter((m) => m.rows.length > 0).length, 0)
    expect(nTables).toBe(8)
    expect(html.match(/<table>/g)).toHaveLength(nTables)
    expect(html.match(/<svg /g)).toHaveLength(4)
    for (const t of model.traces) {
      expect(html).toContain(escapeHtml(t.latency.title))
      expect(html).toContain(escapeHtml(t.max_load.title))
      for (const p of t.latency.columns.slice(1)) expect(html).toContain(`<th class="num">${p}</th>`)
    }
    // Ids are unique across the page, and every url(#id) resolves to one of them.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])
    expect(new Set(ids).size).toBe(ids.length)
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1])
    // The body (everything inside <body>) is well-formed markup.
    const body = html.slice(html.indexOf('<body>'), html.indexOf('</body>') + 7).replace(/<meta[^>]*>/g, '')
    expect(() => parseXml(body)).not.toThrow()
    expect(html).toContain('sha256 ' + model.traces[1].trace_sha256)
  })

  it('is deterministic', async () => {
    const a = await buildReport(rows, {html: true})
    const b = await buildReport(rows, {html: true})
    expect(a.html).toBe(b.html)
  })

  it('rasterises each chart when asked', async () => {
    const r = await buildReport(rows, {png: true, pngScale: 1})
    for (const c of r.charts) {
      const img = decodePng(c.png!)
      expect([img.width, img.height]).toEqual([c.width, c.height])
      expect(img.width).toBeGreaterThan(300)
    }
  })
})

describe('inlineSvg', () => {
  it('prefixes ids and their references and drops namespace URIs', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><g clip-path="url(#clip1)"/><use href="#clip1"/><defs><clipPath id="clip1"/></defs></svg>'
    expect(inlineSvg(svg, 'c2-')).toBe('<svg><g clip-path="url(#c2-clip1)"/><use href="#c2-clip1"/><defs><clipPath id="c2-clip1"/></defs></svg>')
  })
})

describe('writeReport', () => {
  it('writes charts and page atomically and refuses to clobber without force, writing nothing then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-report-'))
    const report = await buildReport(rows, {png: true, pngScale: 1, html: true})
    const charts = join(dir, 'charts')
    const page = join(dir, 'report.html')
    const written = writeReport(report, {chartsDir: charts, htmlPath: page})
    expect(written).toEqual([join(charts, 'latency.svg'), join(charts, 'latency.png'), join(charts, 'max-load.svg'), join(charts, 'max-load.png'), page])
    expect(readFileSync(page, 'utf8')).toBe(report.html)
    expect(readFileSync(join(charts, 'latency.svg'), 'utf8')).toBe(report.charts[0].svg)
    expect(readdirSync(charts).filter((n) => n.startsWith('.'))).toEqual([]) // no temp files left

    // A fresh destination for the charts, but the page exists: refused before anything is written.
    const charts2 = join(dir, 'charts2')
    let err: unknown
    try {
      writeReport(report, {chartsDir: charts2, htmlPath: page})
    } catch (error) {
      err = error
    }
    expect(err).toBeInstanceOf(OutputError)
    expect((err as Error).message).toContain(page)
    expect((err as Error).message).toContain('--force')
    expect(existsSync(charts2)).toBe(false)

    writeFileSync(page, 'old')
    writeReport(report, {chartsDir: charts, htmlPath: page, force: true})
    expect(readFileSync(page, 'utf8')).toBe(report.html)
  })

  it('refuses a --charts path that is a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-report-'))
    const file = join(dir, 'f')
    writeFileSync(file, '')
    const report = await buildReport(rows, {})
    expect(() => writeReport(report, {chartsDir: file})).toThrow(OutputError)
  })
})
