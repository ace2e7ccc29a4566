/**
 * Charts of a comparison, rendered server-side: a Vega-Lite spec → `vl.compile` → a Vega view with
 * `renderer: 'none'` → `view.toSVG()`; PNG from that SVG with resvg (png.ts), PDF with pdfkit (pdf.ts).
 * Colours, markers, dashes, log ticks and titles come from chart-style.ts, shared by every chart.
 *
 * Two charts:
 * - latency vs offered load, one line per policy (its own colour, marker and dash), the 95%
 *   interval as a band where one exists, log y-axis ticked at 1-2-5 steps, saturated runs as hollow
 *   markers, the SLO as a black dashed, labelled horizontal rule;
 * - max load at SLO, one horizontal bar per policy, labelled with its value (and its efficiency
 *   relative to `mgn-fcfs` when known), with the 95% interval over replications as an error bar.
 *
 * The inputs are plain points (not result rows) so the charts do not depend on the results
 * schema; `report.ts` maps rows to points. Nothing here prints, reads the network or downloads
 * fonts: every text uses the generic CSS family `sans-serif`, which a browser resolves itself and
 * which the PNG renderer maps to an installed sans-serif font (see `svgToPng`).
 *
 * Output is deterministic: the same points give byte-identical SVG.
 */
import {parse as vegaParse, View} from 'vega'
import {compile, type TopLevelSpec} from 'vega-lite'

import {BAND_OPACITY, baseConfig, CHART_FONT, chartTitle, colourScale, logTicks, RULE_COLOUR, RULE_DASH, SERIES_COLOURS, seriesEncoding} from './chart-style.js'
import {grouped} from '../grouped.js'

/** One point of the latency-vs-load chart. */
export interface LatencyPoint {
  policy: string
  /** Offered load ρ = λ·E[S]/cores, a fraction. */
  load: number
  /** The plotted latency percentile, microseconds. */
  latencyUs: number
  /** The run was flagged `saturated`: drawn as a hollow marker (legend entry "saturated run"). */
  saturated?: boolean
  /** The 95% interval of the latency, µs (over replications, or the run's batch-means interval): drawn as a band. */
  lo?: number
  hi?: number
}

/** One bar of the max-load chart. */
export interface MaxLoadBar {
  policy: string
  /** Largest offered load ρ meeting the SLO (0 when even the lowest load tried misses it). */
  maxLoad: number
  /** maxLoad / the `mgn-fcfs` max load on the same trace, when known. */
  efficiency?: number
  /**
   * Outcome of the search [ok]: `unmet` (the SLO fails even at the lowest load searched; the bar
   * is empty and labelled so), `at_upper_bound` (the SLO holds at the highest load searched; the
   * label reads `≥ value`).
   */
  status?: 'ok' | 'unmet' | 'at_upper_bound'
  /** Bounds of the 95% interval over replications (the table's, clamped): drawn as an error bar. */
  lo?: number
  hi?: number
}

/** Options common to both charts. Defaults in brackets. */
export interface ChartStyle {
  /** Plot area width, px [560]. */
  width?: number
  /** Plot area height, px [320]. */
  height?: number
  /** Chart title [none]. */
  title?: string
  /** A second, smaller title line [none]. */
  subtitle?: string
  /** Order of the policies in the legend and colour assignment [order of first appearance]. */
  policies?: string[]
}

export interface LatencyChartInput extends ChartStyle {
  points: LatencyPoint[]
  /** The percentile's label for the y-axis title, e.g. `p99` or `p99.9` [p99]. */
  percentile?: string
  /** The SLO bound on that percentile, microseconds; no rule when absent. */
  sloUs?: number
  /** Text of the SLO rule's label [`SLO: <percentile> ≤ <sloUs> µs`]. */
  sloLabel?: string
  /**
   * Logarithmic y-axis [true]. Latencies near saturation grow by orders of magnitude, so a log
   * axis keeps the low-load region and the SLO crossing readable. A log scale cannot show values
   * ≤ 0: if any plotted latency (or the SLO) is ≤ 0, the chart falls back to a linear axis.
   */
  logY?: boolean
}

export interface MaxLoadChartInput extends ChartStyle {
  bars: MaxLoadBar[]
  /** What the SLO is, for the axis title, e.g. `p99 ≤ 100 µs` [none]. */
  sloLabel?: string
}

/** The series colours (kept under this name for older callers; see chart-style.ts). */
export const PALETTE = SERIES_COLOURS
export {baseConfig, CHART_FONT, colourScale}

function order(names: string[], given?: string[]): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const n of given ?? []) {
    if (!seen.has(n)) {
      seen.add(n)
      out.push(n)
    }
  }
  for (const n of names) {
    if (!seen.has(n)) {
      seen.add(n)
      out.push(n)
    }
  }
  return out
}

/** Compact number for labels: 3 significant digits, no trailing zeros. */
export function fmtUs(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (v >= 1000) return grouped(v)
  return String(Number(v.toPrecision(3)))
}

/** The Vega-Lite spec of the latency-vs-load chart. */
export function latencyChartSpec(input: LatencyChartInput): TopLevelSpec {
  const pct = input.percentile ?? 'p99'
  const pts = input.points.filter((p) => Number.isFinite(p.load) && Number.isFinite(p.latencyUs))
  const policies = order(
    pts.map((p) => p.policy),
    input.policies,
  ).filter((p) => pts.some((q) => q.policy === p))
  const slo = input.sloUs !== undefined && Number.isFinite(input.sloUs) ? input.sloUs : undefined
  const logY = (input.logY ?? true) && pts.length > 0 && pts.every((p) => p.latencyUs > 0) && (slo === undefined || slo > 0)
  // Points sorted by (policy order, load) so each line is drawn left to right.
  const values = pts
    .map((p) => ({
      policy: p.policy,
      load: p.load,
      latency: p.latencyUs,
      ...(hasBand(p) ? {lo: p.lo, hi: p.hi} : {}),
      run: p.saturated ? SATURATED : STEADY,
    }))
    .sort((a, b) => policies.indexOf(a.policy) - policies.indexOf(b.policy) || a.load - b.load)
  const banded = values.filter((v) => v.lo !== undefined)
  // A log axis cannot show a band's lower end ≤ 0: such a band is cut at the axis floor.
  const ys = [...values.map((v) => v.latency), ...banded.flatMap((v) => [v.lo as number, v.hi as number]), ...(slo !== undefined ? [slo] : [])]
  const ticks = logY ? logTicks(Math.min(...ys.filter((v) => v > 0)), Math.max(...ys)) : undefined
  if (ticks !== undefined) for (const v of banded) v.lo = Math.max(v.lo as number, ticks.domain[0])
  const yTitle = `${pct} latency (µs${logY ? ', log scale' : ''})`
  const x = {
    field: 'load',
    type: 'quantitative' as const,
    title: 'Offered load ρ (λ·E[S]/cores)',
    scale: {zero: false, nice: false, padding: 8},
    axis: {format: '.2~f', tickCount: 10},
  }
  const y = {
    field: 'latency',
    type: 'quantitative' as const,
    title: yTitle,
    scale: ticks !== undefined ? {type: 'log' as const, domain: ticks.domain, nice: false} : {zero: true},
    axis: ticks !== undefined ? {format: ',~r', values: ticks.values, labelOverlap: 'greedy'} : {format: ',~r'},
  }
  const enc = seriesEncoding(policies)
  const layers: object[] = []
  if (banded.length > 0) {
    layers.push({
      name: 'band',
      data: {values: banded},
      mark: {type: 'area', opacity: BAND_OPACITY, clip: true},
      encoding: {x, y: {field: 'lo', type: 'quantitative'}, y2: {field: 'hi'}, color: enc.color},
    })
  }
  layers.push(
    {
      name: 'latency',
      data: {values},
      mark: {type: 'line', strokeWidth: 2, clip: true},
      encoding: {x, y, color: enc.color, strokeDash: enc.strokeDash, order: {field: 'load', type: 'quantitative'}},
    },
    {
      name: 'points',
      data: {values: values.filter((v) => v.run === STEADY)},
      mark: {type: 'point', filled: true, size: 64, clip: true},
      encoding: {x, y, color: enc.color, shape: enc.shape},
    },
  )
  if (values.some((v) => v.run === SATURATED)) {
    // Saturated runs: the series' marker drawn hollow. Its legend entry comes from a second,
    // invisible layer (size 0) with an opacity channel no other layer uses: a legend of its own,
    // whose symbol takes that layer's constant dark stroke (a field-encoded stroke would not show).
    const sat = values.filter((v) => v.run === SATURATED)
    layers.push(
      {
        name: 'saturated',
        data: {values: sat},
        mark: {type: 'point', filled: false, fill: 'white', size: 80, strokeWidth: 2, clip: true},
        encoding: {x, y, stroke: enc.color, shape: enc.shape},
      },
      {
        name: 'saturated_legend',
        data: {values: sat.slice(0, 1)},
        mark: {type: 'point', filled: false, fill: 'white', stroke: '#333', strokeWidth: 2, size: 0},
        encoding: {
          x,
          y,
          opacity: {datum: SATURATED, type: 'nominal', scale: {type: 'ordinal', domain: [SATURATED], range: [1]}, legend: {title: null, symbolType: 'circle', symbolStrokeWidth: 2}},
        },
      },
    )
  }
  if (slo !== undefined) {
    const label = input.sloLabel ?? `SLO: ${pct} ≤ ${fmtUs(slo)} µs`
    layers.push({
      name: 'slo',
      data: {values: [{slo, label}]},
      layer: [
        {
          mark: {type: 'rule', color: RULE_COLOUR, strokeDash: RULE_DASH, strokeWidth: 1.5},
          encoding: {y: {field: 'slo', type: 'quantitative'}},
        },
        // Label at the left end, just above the rule: drawn twice, first with a thick white
        // stroke (a halo) so it stays legible where a policy's line passes under it.
        ...[true, false].map((halo) => ({
          mark: {
            type: 'text',
            align: 'left',
            baseline: 'bottom',
            dx: 4,
            dy: -3,
            fontSize: 12,
            fontWeight: 'bold',
            ...(halo ? {stroke: 'white', strokeWidth: 8, strokeJoin: 'round', color: 'white'} : {color: RULE_COLOUR}),
          },
          encoding: {
            y: {field: 'slo', type: 'quantitative'},
            x: {value: 0},
            text: {field: 'label', type: 'nominal'},
          },
        })),
      ],
    })
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(input.title !== undefined ? {title: chartTitle(input.title, input.subtitle)} : {}),
    width: input.width ?? 560,
    height: input.height ?? 320,
    config: baseConfig(),
    layer: layers,
  } as TopLevelSpec
}

const STEADY = 'steady'
/** The legend text of a saturated run's marker. */
export const SATURATED = 'saturated run'

function hasBand(p: LatencyPoint): boolean {
  return p.lo !== undefined && p.hi !== undefined && Number.isFinite(p.lo) && Number.isFinite(p.hi) && p.hi > p.lo
}

/** The Vega-Lite spec of the max-load-at-SLO bar chart (horizontal bars, x from 0 to 1). */
export function maxLoadChartSpec(input: MaxLoadChartInput): TopLevelSpec {
  const bars = input.bars.filter((b) => Number.isFinite(b.maxLoad))
  const policies = order(
    bars.map((b) => b.policy),
    input.policies,
  ).filter((p) => bars.some((b) => b.policy === p))
  // No interval on a bound: `unmet` and `at_upper_bound` are the ends of the searched range.
  const hasBar = (b: MaxLoadBar) =>
    b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi) && b.hi > b.lo && (b.status ?? 'ok') === 'ok'
  const values = bars.map((b) => ({
    policy: b.policy,
    maxLoad: b.maxLoad,
    lo: hasBar(b) ? (b.lo as number) : b.maxLoad,
    hi: hasBar(b) ? (b.hi as number) : b.maxLoad,
    label:
      (b.status === 'unmet' ? 'SLO unmet at the lowest load' : (b.status === 'at_upper_bound' ? '≥ ' : '') + b.maxLoad.toFixed(3)) +
      (hasBar(b) ? ` [${(b.lo as number).toFixed(3)}, ${(b.hi as number).toFixed(3)}]` : '') +
      (b.efficiency !== undefined && Number.isFinite(b.efficiency) ? ` (${Math.round(b.efficiency * 100)}% of mgn-fcfs)` : ''),
  }))
  const xTitle = 'Max load at SLO ρ (fraction of cores/E[S])' + (input.sloLabel !== undefined ? `, ${input.sloLabel}` : '')
  const y = {field: 'policy', type: 'nominal' as const, title: null, sort: policies, axis: {labelLimit: 220}}
  const x = {field: 'maxLoad', type: 'quantitative' as const, title: xTitle, scale: {domain: [0, 1]}, axis: {format: '.1f'}}
  const bandHeight = 28
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(input.title !== undefined ? {title: chartTitle(input.title, input.subtitle)} : {}),
    width: input.width ?? 560,
    height: input.height ?? Math.max(1, policies.length) * bandHeight,
    config: baseConfig(),
    data: {values},
    encoding: {y},
    layer: [
      {
        name: 'maxload',
        mark: {type: 'bar', height: {band: 0.75}},
        encoding: {
          x,
          color: {field: 'policy', type: 'nominal', scale: colourScale(policies), legend: null},
        },
      },
      ...(values.some((v) => v.hi > v.lo)
        ? [{name: 'errorbar', mark: {type: 'rule', color: RULE_COLOUR, strokeWidth: 1.5}, encoding: {x: {field: 'lo', type: 'quantitative'}, x2: {field: 'hi'}}}]
        : []),
      {
        mark: {type: 'text', align: 'left', baseline: 'middle', dx: 4, fontSize: 12},
        encoding: {x: {field: 'hi', type: 'quantitative'}, text: {field: 'label', type: 'nominal'}},
      },
    ],
  } as TopLevelSpec
}

/** Compile a Vega-Lite spec and render it to a standalone SVG document (no network, no fonts). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile(spec).spec
  const view = new View(vegaParse(vgSpec), {renderer: 'none'})
  try {
    return renumberIds(await view.toSVG())
  } finally {
    view.finalize()
  }
}

/**
 * Vega numbers its clip paths from a process-wide counter (`clip1`, `clip2`, … across every chart
 * rendered so far), so the same chart would differ between runs. Renumber the ids in order of
 * appearance, and the `url(#…)` references to them, so the output depends on the chart alone.
 */
function renumberIds(svg: string): string {
  const map = new Map<string, string>()
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!map.has(m[1])) map.set(m[1], `clip${map.size + 1}`)
  if (map.size === 0) return svg
  return svg.replace(/(\sid="|url\(#)([^")]+)/g, (all, a: string, id: string) => {
    const to = map.get(id)
    return to === undefined ? all : a + to
  })
}

/** Both renders in one call. */
export async function latencyChartSvg(input: LatencyChartInput): Promise<string> {
  return renderSvg(latencyChartSpec(input))
}
export async function maxLoadChartSvg(input: MaxLoadChartInput): Promise<string> {
  return renderSvg(maxLoadChartSpec(input))
}

// PNG (and the font look-up the PDF shares) live in png.ts.
export {sansFontFiles, svgToPng, type PngOptions, type PngResult} from './png.js'
