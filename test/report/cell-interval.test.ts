/**
 * Intervals over replications in compare's tables and charts, on hand-made result rows whose
 * replications spread so widely that the symmetric mean ± t half-width would leave the observed
 * range: every interval must be clamped to that range (latency: the runs' [min, max]; a type: its
 * own; slowdown: the runs' slowdown range; max load: [0, the search's upper bound]; efficiency:
 * [0, that bound / the mgn-fcfs max load]), contain its estimate, read `value [low, high]` in every
 * format, and be the bounds the charts draw.
 */
import {describe, expect, it} from 'vitest'

import {cellInterval, fmtBounds} from '../../src/report/cell-interval.js'
import {latencyPoints} from '../../src/report/chart-data.js'
import {buildReport} from '../../src/report/report.js'
import {splitColumns} from '../../src/report/table-split.js'
import {buildTables, renderTables} from '../../src/report/tables.js'
import {toRow} from '../../src/results/row.js'
import type {PerTypeRow, ResultRow} from '../../src/results/schema.js'
import {meanCi} from '../../src/stats/intervals.js'

const blank = (kind: 'latency' | 'max_load', policy: string, replication: number, index: number): ResultRow =>
  toRow(null, {
    kind,
    sweep_id: 's'.repeat(64),
    cell_id: `${kind}|${policy}|${replication}`,
    cell_index: index,
    trace: 'hand-made.csv',
    replication,
    load: 0.5,
    slo: {percentile: 99, us: 100},
    ...(kind === 'max_load' ? {search: {maxLoad: 0, status: 'ok' as const, lo: 0.01, hi: 0.99, tol: 0.005, evals: 8}} : {}),
    trace_sha256: 'a'.repeat(64),
    policy,
    family: 'theory',
    seed: 1 + replication,
    cores: 4,
    ghz: 2.4,
    cost_preset: 'paper',
    service_mean_us: 10,
    tool_version: 'test',
  })

const type = (name: string, o: Partial<PerTypeRow>): PerTypeRow => ({
  type: name,
  count: 5000,
  mean_us: null,
  p50_us: null,
  p50_ci_low_us: null,
  p50_ci_high_us: null,
  p99_us: null,
  p99_ci_low_us: null,
  p99_ci_high_us: null,
  p999_us: null,
  p999_ci_low_us: null,
  p999_ci_high_us: null,
  max_us: null,
  slowdown_p99: null,
  slowdown_p99_ci_low: null,
  slowdown_p99_ci_high: null,
  slowdown_p999: null,
  slowdown_p999_ci_low: null,
  slowdown_p999_ci_high: null,
  min_us: null,
  slowdown_min: null,
  slowdown_max: null,
  ...o,
})

// Three replications; the third is far off, so the t half-width exceeds the range on both sides.
const P99 = [2, 3, 30]
const MIN = [1.5, 1.6, 1.7]
const MAX = [40, 35, 45]
const SD99 = [1.1, 1.2, 9]
const SD_MIN = [1, 1.05, 1.02]
const SD_MAX = [12, 11, 10]
// Type `short`: its own range is narrower than the run's (max 20 < 45).
const SHORT_P99 = [2, 3, 15]
const SHORT_MAX = [16, 17, 20]
const MAXLOAD = [0.2, 0.25, 0.95]
const REF = 0.5 // mgn-fcfs max load in every replication

function rows(policies = ['a']): ResultRow[] {
  const out: ResultRow[] = []
  let i = 0
  for (const policy of [...policies, 'mgn-fcfs']) {
    for (let k = 0; k < 3; k++) {
      out.push({
        ...blank('latency', policy, k, i++),
        measured: 10000,
        p50_us: 1.9,
        p99_us: P99[k],
        min_us: MIN[k],
        max_us: MAX[k],
        slowdown_p99: SD99[k],
        slowdown_min: SD_MIN[k],
        slowdown_max: SD_MAX[k],
        per_type: [
          type('short', {p99_us: SHORT_P99[k], min_us: 1.55, max_us: SHORT_MAX[k]}),
          // As read from a file written before per-type min/max: the run's range applies.
          type('old', {p99_us: SHORT_P99[k]}),
        ],
      })
    }
    for (let k = 0; k < 3; k++) {
      const ml = policy === 'mgn-fcfs' ? REF : MAXLOAD[k]
      out.push({...blank('max_load', policy, k, i++), max_load: ml, load: ml})
    }
  }
  return out
}

/** The interval the rule gives, computed by hand: mean ± t half-width, each side clamped. */
function expected(xs: number[], lo: number, hi: number) {
  const {mean, half} = meanCi(xs)
  // The case this test is about: the symmetric interval leaves [lo, hi] on both sides.
  expect(mean - half).toBeLessThan(lo)
  expect(mean + half).toBeGreaterThan(hi)
  return {mean, low: Math.max(lo, mean - half), high: Math.min(hi, mean + half)}
}

describe('intervals over replications: clamped to the observed range, shown uneven', () => {
  const t = buildTables(rows()).traces[0]

  it('latency: clamped to the runs\' [min, max] latency, containing the estimate', () => {
    const e = expected(P99, Math.min(...MIN), Math.max(...MAX))
    const col = t.latency.columns.indexOf('a')
    expect(t.latency.rows[0][col]).toBeCloseTo(e.mean, 12)
    const b = t.latency.intervals![0][col]!
    expect(b.low).toBeCloseTo(e.low, 12)
    expect(b.high).toBeCloseTo(e.high, 12)
    expect(b.low).toBeLessThanOrEqual(e.mean)
    expect(b.high).toBeGreaterThanOrEqual(e.mean)
  })

  it('by type: a type to its own range, a type without one to the run\'s, slowdown to the runs\' slowdown range', () => {
    const pt = t.per_type
    const at = (type: string, column: string) => {
      const ri = pt.rows.findIndex((r) => r[0] === 'a' && r[1] === type)
      return {v: pt.rows[ri][pt.columns.indexOf(column)] as number, b: pt.intervals![ri][pt.columns.indexOf(column)]!}
    }
    const short = expected(SHORT_P99, 1.55, Math.max(...SHORT_MAX))
    expect(at('short', 'p99').b.low).toBeCloseTo(short.low, 12)
    expect(at('short', 'p99').b.high).toBeCloseTo(short.high, 12)
    expect(at('short', 'p99').b.high).toBe(20)
    // No per-type bounds in the rows (an older file): the run's [min, max] latency.
    const old = meanCi(SHORT_P99)
    expect(at('old', 'p99').b.low).toBeCloseTo(Math.max(Math.min(...MIN), old.mean - old.half), 12)
    expect(at('old', 'p99').b.high).toBeCloseTo(Math.min(Math.max(...MAX), old.mean + old.half), 12)
    const all = expected(P99, Math.min(...MIN), Math.max(...MAX))
    expect([at('all', 'p99').b.low, at('all', 'p99').b.high]).toEqual([all.low, all.high].map((x) => expect.closeTo(x, 12)))
    const sd = expected(SD99, Math.min(...SD_MIN), Math.max(...SD_MAX))
    expect(at('all', 'slowdown p99').v).toBeCloseTo(sd.mean, 12)
    expect(at('all', 'slowdown p99').b.low).toBeCloseTo(sd.low, 12)
    expect(at('all', 'slowdown p99').b.high).toBeCloseTo(sd.high, 12)
  })

  it('max load: clamped to [0, the search\'s upper bound]; efficiency to [0, that bound / the mgn-fcfs max load]', () => {
    const ml = t.max_load
    const ri = ml.rows.findIndex((r) => r[0] === 'a')
    const e = expected(MAXLOAD, 0, 0.99)
    const b = ml.intervals![ri][ml.columns.indexOf('max load')]!
    expect(ml.rows[ri][ml.columns.indexOf('max load')]).toBeCloseTo(e.mean, 12)
    expect([b.low, b.high]).toEqual([0, expect.closeTo(0.99, 12)])
    const eff = expected(
      MAXLOAD.map((x) => x / REF),
      0,
      0.99 / REF,
    )
    const be = ml.intervals![ri][ml.columns.indexOf('efficiency vs mgn-fcfs')]!
    expect(be.low).toBe(eff.low)
    expect(be.high).toBeCloseTo(eff.high, 12)
  })

  it('prints the uneven bounds in the text, Markdown, JSON and HTML tables', async () => {
    const e = expected(P99, Math.min(...MIN), Math.max(...MAX))
    const shown = `${e.mean.toFixed(1)} [${e.low.toFixed(1)}, ${e.high.toFixed(1)}]`
    expect(shown).toBe('11.7 [1.5, 45.0]')
    const text = renderTables(rows(), {format: 'table'})
    expect(text).toContain(shown)
    expect(text).toContain('0.47 [0.00, 0.99]') // max load
    expect(text).toContain('93.3% [0.0%, 198.0%]') // efficiency
    expect(text).not.toContain('±95')
    expect(renderTables(rows(), {format: 'markdown'})).toContain(`| ${shown} |`)
    const json = JSON.parse(renderTables(rows(), {format: 'json'})) as {traces: {latency: {intervals: unknown[][]}}[]}
    expect(json.traces[0].latency.intervals[0][1]).toEqual({low: e.low, high: expect.closeTo(e.high, 12)})
    const report = await buildReport(rows(), {html: true, charts: false})
    expect(report.html).toContain(shown)
  })

  it('draws the same bounds: the latency band and the max-load error bar', async () => {
    const e = expected(P99, Math.min(...MIN), Math.max(...MAX))
    const p = latencyPoints(rows(), 'p99').find((x) => x.policy === 'a')!
    const b = t.latency.intervals![0][t.latency.columns.indexOf('a')]!
    expect([p.latencyUs, p.lo, p.hi]).toEqual([t.latency.rows[0][1], b.low, b.high])
    expect(p.lo).toBeCloseTo(e.low, 12)
    const report = await buildReport(rows(), {charts: true})
    const bars = report.charts.find((c) => c.name === 'max-load')!.svg
    expect(bars).toContain('0.467 [0.000, 0.990]')
  })

  it('a saturated cell has no interval, in the table and the chart', () => {
    const sat = rows().map((r) => (r.policy === 'a' && r.kind === 'latency' && r.replication === 2 ? {...r, warnings: 'saturated'} : r))
    const lat = buildTables(sat).traces[0].latency
    expect(lat.intervals![0][lat.columns.indexOf('a')]).toBeNull()
    expect(latencyPoints(sat, 'p99').find((x) => x.policy === 'a')!.lo).toBeUndefined()
  })

  it('one run: its own interval as recorded; k runs with equal values: a zero-width interval', () => {
    expect(cellInterval([{v: 5, lo: 4, hi: 7, min: 1, max: 9}])).toEqual({value: 5, bounds: {low: 4, high: 7}})
    expect(cellInterval([{v: 5, lo: null, hi: null, min: 1, max: 9}])).toEqual({value: 5, bounds: null})
    expect(cellInterval([{v: 5, lo: null, hi: null, min: 1, max: 9}, {v: null, lo: null, hi: null, min: 1, max: 9}])).toEqual({value: null, bounds: null})
    const same = cellInterval([5, 5, 5].map((v) => ({v, lo: null, hi: null, min: 1, max: 9})))
    expect(same).toEqual({value: 5, bounds: {low: 5, high: 5}})
    expect(fmtBounds(5, {low: 5, high: 5})).toBe('5 [5, 5]')
    expect(fmtBounds(1.9000000000000001, {low: 1.9, high: 1.9000000000000004})).toBe('1.9 [1.9, 1.9]')
    expect(fmtBounds(0.01234, {low: 0.01234, high: 0.01234})).toBe('0.01234 [0.01234, 0.01234]')
    expect(fmtBounds(52.31, {low: 49.12, high: 55.04})).toBe('52.3 [49.1, 55.0]')
  })

  it('cuts a text table wider than 120 columns into parts that repeat the key columns', () => {
    const many = ['zygos', 'ix', 'linux-partitioned', 'linux-floating', 'n-mg1-fcfs', 'mgn-ps']
    const text = renderTables(rows(many), {format: 'table'})
    const tableLines = text.split('\n').filter((l) => /^[┌│├└]/.test(l))
    expect(tableLines.length).toBeGreaterThan(0)
    for (const l of tableLines) expect([...l].length).toBeLessThanOrEqual(120)
    expect(text).toContain('(continued)')
    // Every policy's column of the latency table is still there, in one of its parts, after the load.
    const latency = text.slice(0, text.indexOf('max load at SLO')).split('\n').filter((l) => l.startsWith('│ load │'))
    expect(latency).toHaveLength(2)
    for (const p of [...many, 'mgn-fcfs']) expect(latency.filter((l) => l.includes(` ${p} │`))).toHaveLength(1)
    expect(splitColumns([['k', 'aaaa', 'bbbb', 'cccc']], 1, 19)).toEqual([[0, 1, 2], [0, 3]])
    expect(splitColumns([['k', 'a'.repeat(50)]], 1, 14)).toEqual([[0, 1]])
  })
})
