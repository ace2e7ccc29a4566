/**
 * Charts fit for a paper: each series told apart without colour (marker and dash), the SLO rule in
 * a colour no series uses and on the SLO's own percentile, log ticks at 1-2-5 steps, interval
 * bands where intervals exist, hollow saturated markers with a legend entry, titles from the
 * caller or the trace's name, and PDF output.
 */
import {inflateSync} from 'node:zlib'

import {beforeAll, describe, expect, it} from 'vitest'
import {compile} from 'vega-lite'

import {commandLine, timestamp} from '../../src/cli/report-flags.js'
import {latencyPoints, provenance, traceBaseName} from '../../src/report/chart-data.js'
import {logTicks, RULE_COLOUR, SERIES_COLOURS, SERIES_DASHES, SERIES_SHAPES} from '../../src/report/chart-style.js'
import {latencyChartSpec, latencyChartSvg, type LatencyPoint, maxLoadChartSvg} from '../../src/report/charts.js'
import {svgToPdf} from '../../src/report/pdf.js'
import {buildReport} from '../../src/report/report.js'
import {varyChartSpec} from '../../src/report/vary-chart.js'
import type {ResultRow} from '../../src/results/schema.js'
import {meanCi} from '../../src/stats/intervals.js'
import {byClass, parseXml, textOf} from './checks.js'
import {fixtureRows} from './fixture.js'

const SEVEN = ['zygos', 'ix', 'linux-floating', 'linux-partitioned', 'mgn-fcfs', 'n-mg1-fcfs', 'shinjuku']

function points(policies: string[], band = false): LatencyPoint[] {
  return policies.flatMap((policy, k) =>
    [0.2, 0.5, 0.8].map((load) => {
      const latencyUs = (20 * (1 + k)) / (1 - load)
      return {policy, load, latencyUs, ...(band ? {lo: latencyUs * 0.9, hi: latencyUs * 1.1} : {})}
    }),
  )
}

type VgScale = {name: string; domain?: unknown; range?: unknown}
const scalesOf = (spec: Parameters<typeof compile>[0]) => compile(spec).spec.scales as VgScale[]
const rangeOf = (scales: VgScale[], name: string) => scales.find((s) => s.name === name)?.range as unknown[]
const distinct = (xs: unknown[]) => new Set(xs.map((x) => JSON.stringify(x))).size

describe('series style', () => {
  it('gives each of seven series its own colour, marker and dash, in the latency and the --vary chart', () => {
    for (const spec of [
      latencyChartSpec({points: points(SEVEN)}),
      varyChartSpec({points: SEVEN.flatMap((policy, k) => [1, 2].map((value) => ({policy, value, maxLoad: 0.1 * (k + 1)}))), name: 'ghz', multiples: false}),
    ]) {
      const scales = scalesOf(spec)
      for (const channel of ['color', 'shape', 'strokeDash']) expect(distinct(rangeOf(scales, channel)), channel).toBe(SEVEN.length)
    }
    // The rendered lines carry distinct dash patterns, the points distinct marker outlines.
    return latencyChartSvg({points: points(SEVEN)}).then((svg) => {
      const root = parseXml(svg)
      const lines = byClass(root, 'latency_marks').flatMap((g) => g.children.filter((c) => c.name === 'path'))
      expect(lines).toHaveLength(SEVEN.length)
      expect(new Set(lines.map((l) => l.attrs['stroke-dasharray'] ?? 'solid')).size).toBe(SEVEN.length)
      const marks = byClass(root, 'points_marks').flatMap((g) => g.children.filter((c) => c.name === 'path'))
      const shapeOf = (policy: string) => marks.find((m) => m.attrs['aria-label'].includes(`Policy: ${policy}`))?.attrs.d
      expect(new Set(SEVEN.map(shapeOf)).size).toBe(SEVEN.length)
    })
  })

  it('keeps the SLO rule out of the series colours, labelled and at the SLO', async () => {
    expect(SERIES_COLOURS.map((c) => c.toLowerCase())).not.toContain(RULE_COLOUR.toLowerCase())
    expect(new Set(SERIES_SHAPES).size).toBe(SERIES_SHAPES.length)
    expect(distinct(SERIES_DASHES)).toBe(SERIES_DASHES.length)
    const root = parseXml(await latencyChartSvg({points: points(SEVEN), sloUs: 150, percentile: 'p99.9'}))
    const rule = byClass(root, 'slo_layer_0_marks')[0].children.filter((c) => c.name === 'line')
    expect(rule).toHaveLength(1)
    const series = new Set(byClass(root, 'latency_marks').flatMap((g) => g.children.map((c) => c.attrs.stroke)))
    expect(series.size).toBe(SEVEN.length)
    expect(series).not.toContain(rule[0].attrs.stroke)
    expect(rule[0].attrs.stroke).toBe(RULE_COLOUR)
    expect(textOf(root)).toContain('SLO: p99.9 ≤ 150 µs')
  })

  it('marks saturated runs with a hollow marker and a legend entry', async () => {
    const pts = points(['zygos', 'ix'])
    pts[2].saturated = true
    const root = parseXml(await latencyChartSvg({points: pts}))
    const hollow = byClass(root, 'saturated_marks').flatMap((g) => g.children.filter((c) => c.name === 'path'))
    expect(hollow).toHaveLength(1)
    expect(hollow[0].attrs.fill).toBe('white')
    expect(hollow[0].attrs.stroke).toBe(SERIES_COLOURS[0])
    expect(byClass(root, 'points_marks').flatMap((g) => g.children.filter((c) => c.name === 'path'))).toHaveLength(5)
    expect(byClass(root, 'role-legend-label').map(textOf)).toContain('saturated run')
    const noSat = await latencyChartSvg({points: points(['zygos', 'ix'])})
    expect(noSat).not.toContain('saturated')
  })
})

describe('log axis', () => {
  it('ticks every decade and its 2× and 5× across a domain that covers the data', () => {
    for (const [min, max] of [[3.1, 2900], [47, 5400], [0.4, 80], [120, 130], [10, 10], [1e-3, 1e6]]) {
      const {domain, values} = logTicks(min, max)
      expect(domain[0]).toBeLessThanOrEqual(min)
      expect(domain[1]).toBeGreaterThanOrEqual(max)
      expect(values[0]).toBe(domain[0])
      expect(values[values.length - 1]).toBe(domain[1])
      expect(values.length).toBeGreaterThanOrEqual(2)
      // Every 1-2-5 value inside the domain is a tick.
      for (let e = -4; e <= 7; e++) {
        for (const m of [1, 2, 5]) {
          const v = Number((m * 10 ** e).toPrecision(12))
          if (v >= domain[0] && v <= domain[1]) expect(values).toContain(v)
        }
      }
    }
    expect(logTicks(47, 5400).values).toEqual([20, 50, 100, 200, 500, 1000, 2000, 5000, 10000])
    // A narrow range still gets a labelled tick at each end.
    expect(logTicks(120, 130).values).toEqual([100, 200])
    expect(logTicks(100, 100).values).toEqual([100, 200])
  })

  it('labels ticks below 100 µs on the rendered chart', async () => {
    const root = parseXml(await latencyChartSvg({points: points(SEVEN)}))
    const labels = byClass(root, 'role-axis-label').flatMap((g) => [...g.children.map(textOf)])
    for (const t of ['20', '50', '100', '200', '500', '1,000']) expect(labels).toContain(t)
  })
})

describe('interval bands', () => {
  it('draws one band per series when intervals exist, none otherwise; bars get error bars', async () => {
    const bands = (svg: string) => byClass(parseXml(svg), 'band_marks').flatMap((g) => g.children.filter((c) => c.name === 'path'))
    expect(bands(await latencyChartSvg({points: points(['zygos', 'ix'], true)}))).toHaveLength(2)
    expect(bands(await latencyChartSvg({points: points(['zygos', 'ix'])}))).toHaveLength(0)
    const bars = await maxLoadChartSvg({bars: [{policy: 'zygos', maxLoad: 0.6, lo: 0.58, hi: 0.61}, {policy: 'ix', maxLoad: 0.4}]})
    expect(byClass(parseXml(bars), 'errorbar_marks').flatMap((g) => g.children.filter((c) => c.name === 'line'))).toHaveLength(2)
    expect(bars).toContain('0.600 [0.580, 0.610]')
    // The --vary chart's error bars are the table's (clamped) bounds, as given.
    const vary = varyChartSpec({points: [{policy: 'a', value: 1, maxLoad: 0.98, lo: 0.88, hi: 0.99}, {policy: 'a', value: 2, maxLoad: 0.05}], name: 'ghz', multiples: false})
    const data = (vary as {layer: {name?: string; data: {values: {lo: number; hi: number}[]}}[]}).layer.find((l) => l.name === 'errorbar')!.data.values
    expect(data.map((v) => [v.lo, v.hi])).toEqual([[0.88, 0.99], [0.05, 0.05]])
  })
})

describe('chart data', () => {
  let rows: ResultRow[]
  beforeAll(async () => {
    rows = await fixtureRows({policies: ['mgn-fcfs', 'n-mg1-fcfs'], loads: [0.3, 0.6], n: 12000})
  })

  it('a single run: the run\'s batch-means interval of that percentile', () => {
    // The first row gets a made-up interval (the fixture's short runs may have none).
    const first = rows.findIndex((r) => r.kind === 'latency')
    rows = rows.map((r, i) => (i === first ? {...r, p99_ci_low_us: (r.p99_us as number) - 1, p99_ci_high_us: (r.p99_us as number) + 2} : r))
    const pts = latencyPoints(rows, 'p99')
    expect(pts).toHaveLength(4)
    for (const p of pts) {
      const r = rows.find((x) => x.kind === 'latency' && x.policy === p.policy && x.load === p.load)!
      expect(p.latencyUs).toBe(r.p99_us)
      if (r.p99_ci_low_us !== null && r.p99_ci_high_us !== null && r.p99_ci_high_us > r.p99_ci_low_us) expect([p.lo, p.hi]).toEqual([r.p99_ci_low_us, r.p99_ci_high_us])
      else expect(p.lo).toBeUndefined()
    }
    expect(pts.some((p) => p.lo !== undefined)).toBe(true)
    expect(latencyPoints(rows, 'max').every((p) => p.lo === undefined)).toBe(true)
  })

  it('replications: the mean and the 95% t-interval over them, clamped to the runs\' [min, max] latency', () => {
    const lat = rows.filter((r) => r.kind === 'latency')
    const reps = [0, 1, 2].flatMap((k) => lat.map((r) => ({...r, replication: k, p99_us: (r.p99_us as number) * (1 + 0.1 * k)})))
    for (const p of latencyPoints(reps, 'p99')) {
      const g = reps.filter((r) => r.policy === p.policy && r.load === p.load)
      const xs = g.map((r) => r.p99_us as number)
      const {mean, half} = meanCi(xs)
      expect(xs).toHaveLength(3)
      expect(p.latencyUs).toBeCloseTo(mean, 9)
      expect(p.lo).toBeCloseTo(Math.max(Math.min(...g.map((r) => r.min_us!)), mean - half), 9)
      expect(p.hi).toBeCloseTo(Math.min(Math.max(...g.map((r) => r.max_us!)), mean + half), 9)
    }
  })

  it('titles charts with --title or the trace\'s base name, and plots the SLO\'s percentile', async () => {
    expect(traceBaseName('/data/runs/trace-a.parquet')).toBe('trace-a')
    expect(traceBaseName('logs/x.csv.gz')).toBe('x')
    expect(traceBaseName('synthetic:exp:10us')).toBe('synthetic:exp:10us')
    const named = rows.map((r) => ({...r, trace: '/very/long/path/to/mytrace.parquet', slo_percentile: 99.9, slo_us: 400}))
    const plain = await buildReport(named, {percentile: 'p99'})
    expect(plain.charts.map((c) => c.name)).toEqual(['latency', 'latency-p99', 'max-load'])
    const title = (svg: string) => byClass(parseXml(svg), 'role-title-text').map(textOf)[0]
    expect(title(plain.charts[0].svg)).toBe('mytrace')
    expect(plain.charts[0].svg).not.toContain('/very/long')
    // The first chart plots p99.9, the SLO's percentile, through the rows' p999 values, with the rule.
    expect(plain.charts[0].svg).toContain('SLO: p99.9 ≤ 400 µs')
    const label = byClass(parseXml(plain.charts[0].svg), 'latency_marks')[0].children[0].attrs['aria-label']
    const r0 = named.find((r) => r.kind === 'latency' && r.policy === 'mgn-fcfs' && r.load === 0.3)!
    expect(Number(label.match(/p99\.9 latency \(µs, log scale\): ([\d.,]+)/)?.[1].replace(/,/g, ''))).toBeCloseTo(r0.p999_us as number, 2)
    const titled = await buildReport(named, {title: 'Figure 3', charts: true})
    for (const c of titled.charts) expect(title(c.svg)).toBe('Figure 3')
  })

  it('lists seeds, costs, version, command line and time in the provenance', () => {
    const prov = new Map(provenance({rows, traces: [{trace: 't', trace_sha256: 'abc'}], commandLine: 'tailsim report x', generatedAt: '2026-01-02T03:04:05.000Z'}))
    expect(prov.get('seeds')).toBe('1')
    expect(prov.get('tool_version')).toBe(rows[0].tool_version)
    expect(prov.get('costs (cycles)')).toMatch(/rx_packet=\d+/)
    expect(prov.get('command line')).toBe('tailsim report x')
    expect(prov.get('generated at')).toBe('2026-01-02T03:04:05.000Z')
    expect(commandLine(['report', 'a b', "it's", '--title=x'])).toBe(`tailsim report 'a b' 'it'\\''s' --title=x`)
    expect(timestamp({SOURCE_DATE_EPOCH: '86400'})).toBe('1970-01-02T00:00:00.000Z')
    expect(() => timestamp({SOURCE_DATE_EPOCH: 'soon'})).toThrow(/SOURCE_DATE_EPOCH.*"soon"/)
  })
})

describe('PDF', () => {
  it('writes one vector page of the chart\'s size, with an embedded font, deterministically', async () => {
    const svg = await latencyChartSvg({points: points(['zygos', 'ix'], true), sloUs: 100, title: 'A ≤ µ ρ'})
    const a = await svgToPdf(svg)
    const text = Buffer.from(a.pdf).toString('latin1')
    expect(text.startsWith('%PDF-')).toBe(true)
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true)
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(1)
    const w = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1])
    expect(a.width).toBeCloseTo(w * 0.75, 6)
    expect(text).toContain(`/MediaBox [0 0 ${a.width} ${a.height}]`)
    if (a.warning === undefined) expect(text).toMatch(/\/FontFile2/)
    // Drawn, not blank: the page's content stream holds paths and text.
    const streams = [...text.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)].map((m) => {
      try {
        return inflateSync(Buffer.from(m[1], 'latin1')).toString('latin1')
      } catch {
        return ''
      }
    })
    expect(streams.some((s) => / re\b| l\b/.test(s) && /\bTJ\b|\bTj\b/.test(s))).toBe(true)
    expect(Buffer.from((await svgToPdf(svg)).pdf).equals(Buffer.from(a.pdf))).toBe(true)
  })
})
