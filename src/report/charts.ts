/**
 * Charts of a comparison, rendered server-side: a Vega-Lite spec → `vl.compile` → a Vega view with
 * `renderer: 'none'` → `view.toSVG()`; PNG from that SVG with resvg.
 *
 * Two charts:
 * - latency vs offered load, one line per policy (points on it), log y-axis, the SLO as a dashed,
 *   labelled horizontal rule;
 * - max load at SLO, one horizontal bar per policy, labelled with its value (and its efficiency
 *   relative to `mgn-fcfs` when known).
 *
 * The inputs are plain points (not result rows) so the charts do not depend on the results
 * schema; `report.ts` maps rows to points. Nothing here prints, reads the network or downloads
 * fonts: every text uses the generic CSS family `sans-serif`, which a browser resolves itself and
 * which the PNG renderer maps to an installed sans-serif font (see `svgToPng`).
 *
 * Output is deterministic: the same points give byte-identical SVG.
 */
import {existsSync, readdirSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {Resvg} from '@resvg/resvg-js'
import {parse as vegaParse, View} from 'vega'
import {compile, type TopLevelSpec} from 'vega-lite'

import {ConfigError, show} from '../errors.js'

/** One point of the latency-vs-load chart. */
export interface LatencyPoint {
  policy: string
  /** Offered load ρ = λ·E[S]/cores, a fraction. */
  load: number
  /** The plotted latency percentile, microseconds. */
  latencyUs: number
  /** The run was flagged `saturated`: drawn with a black ring and labelled. */
  saturated?: boolean
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
}

/** Options common to both charts. Defaults in brackets. */
export interface ChartStyle {
  /** Plot area width, px [560]. */
  width?: number
  /** Plot area height, px [320]. */
  height?: number
  /** Chart title [none]. */
  title?: string
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

/**
 * Colours: Vega's `tableau10`, assigned by policy order. The same `policies` list gives the same
 * colour to a policy in both charts.
 */
export const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac']

/** One generic font family for every text (never a web font: nothing is downloaded). */
export const CHART_FONT = 'sans-serif'

export function baseConfig() {
  return {
    font: CHART_FONT,
    background: 'white',
    padding: 8,
    axis: {labelFontSize: 12, titleFontSize: 13, titlePadding: 8, labelFont: CHART_FONT, titleFont: CHART_FONT},
    legend: {labelFontSize: 12, titleFontSize: 13, labelFont: CHART_FONT, titleFont: CHART_FONT, symbolSize: 120, labelLimit: 260},
    title: {fontSize: 15, font: CHART_FONT, anchor: 'start' as const},
    text: {font: CHART_FONT},
    view: {stroke: '#ccc'},
  }
}

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

export function colourScale(policies: string[]) {
  return {domain: policies, range: policies.map((_, i) => PALETTE[i % PALETTE.length])}
}

/** Compact number for labels: 3 significant digits, no trailing zeros. */
export function fmtUs(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (v >= 1000) return Math.round(v).toLocaleString('en-US')
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
  const logY = (input.logY ?? true) && pts.every((p) => p.latencyUs > 0) && (slo === undefined || slo > 0)
  // Points sorted by (policy order, load) so each line is drawn left to right.
  const values = pts
    .map((p) => ({policy: p.policy, load: p.load, latency: p.latencyUs}))
    .sort((a, b) => policies.indexOf(a.policy) - policies.indexOf(b.policy) || a.load - b.load)
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
    scale: logY ? {type: 'log' as const, nice: false, padding: 8} : {zero: true},
    axis: {format: ',~r'},
  }
  const layers: object[] = [
    {
      name: 'latency',
      data: {values},
      mark: {type: 'line', point: {size: 36, filled: true}, strokeWidth: 2, clip: true},
      encoding: {
        x,
        y,
        color: {field: 'policy', type: 'nominal', title: 'Policy', scale: colourScale(policies), sort: policies},
        order: {field: 'load', type: 'quantitative'},
      },
    },
  ]
  const sat = pts.filter((p) => p.saturated).map((p) => ({load: p.load, latency: p.latencyUs, label: 'saturated'}))
  if (sat.length > 0) {
    layers.push({
      name: 'saturated',
      data: {values: sat},
      layer: [
        {mark: {type: 'point', shape: 'circle', size: 160, filled: false, color: 'black', strokeWidth: 2}, encoding: {x, y}},
        {mark: {type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 10, color: 'black'}, encoding: {x, y, text: {field: 'label', type: 'nominal'}}},
      ],
    })
  }
  if (slo !== undefined) {
    const label = input.sloLabel ?? `SLO: ${pct} ≤ ${fmtUs(slo)} µs`
    layers.push({
      name: 'slo',
      data: {values: [{slo, label}]},
      layer: [
        {
          mark: {type: 'rule', color: '#b00020', strokeDash: [6, 4], strokeWidth: 1.5},
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
            ...(halo ? {stroke: 'white', strokeWidth: 8, strokeJoin: 'round', color: 'white'} : {color: '#b00020'}),
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
    ...(input.title !== undefined ? {title: input.title} : {}),
    width: input.width ?? 560,
    height: input.height ?? 320,
    config: baseConfig(),
    layer: layers,
  } as TopLevelSpec
}

/** The Vega-Lite spec of the max-load-at-SLO bar chart (horizontal bars, x from 0 to 1). */
export function maxLoadChartSpec(input: MaxLoadChartInput): TopLevelSpec {
  const bars = input.bars.filter((b) => Number.isFinite(b.maxLoad))
  const policies = order(
    bars.map((b) => b.policy),
    input.policies,
  ).filter((p) => bars.some((b) => b.policy === p))
  const values = bars.map((b) => ({
    policy: b.policy,
    maxLoad: b.maxLoad,
    label:
      (b.status === 'unmet' ? 'SLO unmet at the lowest load' : (b.status === 'at_upper_bound' ? '≥ ' : '') + b.maxLoad.toFixed(3)) +
      (b.efficiency !== undefined && Number.isFinite(b.efficiency) ? ` (${Math.round(b.efficiency * 100)}% of mgn-fcfs)` : ''),
  }))
  const xTitle = 'Max load at SLO ρ (fraction of cores/E[S])' + (input.sloLabel !== undefined ? `, ${input.sloLabel}` : '')
  const y = {field: 'policy', type: 'nominal' as const, title: null, sort: policies, axis: {labelLimit: 220}}
  const x = {field: 'maxLoad', type: 'quantitative' as const, title: xTitle, scale: {domain: [0, 1]}, axis: {format: '.1f'}}
  const bandHeight = 28
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(input.title !== undefined ? {title: input.title} : {}),
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
      {
        mark: {type: 'text', align: 'left', baseline: 'middle', dx: 4, fontSize: 12},
        encoding: {x: {field: 'maxLoad', type: 'quantitative'}, text: {field: 'label', type: 'nominal'}},
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

// ---------------------------------------------------------------------------------------------
// PNG

export interface PngOptions {
  /** Pixel density: 2 renders a 560-px-wide plot as ~1400 px [2]. */
  scale?: number
  /** Extra font files (TTF/OTF) to use, e.g. when the system has none [none]. */
  fontFiles?: string[]
  /** Also load the system's fonts [true]. */
  loadSystemFonts?: boolean
}

export interface PngResult {
  png: Uint8Array
  width: number
  height: number
  /**
   * Set when no usable font was found: the PNG is still a valid image but its text is missing.
   * (The SVG is unaffected: a browser draws its text with its own sans-serif font.)
   */
  warning?: string
}

/** Directories searched for fonts, as resvg's font database does. */
function fontDirs(): string[] {
  return [
    '/usr/share/fonts',
    '/usr/local/share/fonts',
    join(homedir(), '.fonts'),
    join(homedir(), '.local/share/fonts'),
    '/System/Library/Fonts',
    '/Library/Fonts',
    join(homedir(), 'Library/Fonts'),
    'C:\\Windows\\Fonts',
  ]
}

/** Font file names (lower-case, no directory) under the system font directories, depth ≤ 4. */
function systemFontFiles(): string[] {
  const out: string[] = []
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || out.length > 5000) return
    let entries
    try {
      entries = readdirSync(dir, {withFileTypes: true})
    } catch {
      return
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(dir, e.name), depth + 1)
      else if (/\.(ttf|otf|ttc)$/i.test(e.name)) out.push(e.name.toLowerCase())
    }
  }
  for (const d of fontDirs()) if (existsSync(d)) walk(d, 0)
  return out
}

/**
 * Sans-serif families we know by their file names, best first. resvg maps the SVG's generic
 * `sans-serif` to one named family (default "Arial"); when Arial is absent its fallback picks any
 * font, often a serif one, so we name an installed sans family explicitly.
 */
const SANS: [RegExp, string][] = [
  [/^dejavusans\.ttf$/, 'DejaVu Sans'],
  [/^liberationsans-regular\.ttf$/, 'Liberation Sans'],
  [/^arial\.ttf$/, 'Arial'],
  [/^helvetica/, 'Helvetica'],
  [/^notosans-regular\.(ttf|otf)$/, 'Noto Sans'],
  [/^freesans\.(ttf|otf)$/, 'FreeSans'],
  [/^roboto-regular\.ttf$/, 'Roboto'],
]

let fontCache: {files: number; sans?: string} | undefined

/** Rasterise an SVG (from `renderSvg`) to PNG with resvg, white background. */
export function svgToPng(svg: string, opts: PngOptions = {}): PngResult {
  const scale = opts.scale ?? 2
  if (!(scale > 0 && scale <= 16)) throw new ConfigError(`Expected \`scale\` to be a number in (0, 16], got ${show(scale)}`)
  const loadSystemFonts = opts.loadSystemFonts ?? true
  if (loadSystemFonts && fontCache === undefined) {
    const files = systemFontFiles()
    const sans = SANS.find(([re]) => files.some((f) => re.test(f)))?.[1]
    fontCache = {files: files.length, sans}
  }
  const extra = opts.fontFiles ?? []
  for (const f of extra) if (!existsSync(f)) throw new ConfigError(`Expected a font file, got ${show(f)} (not found)`)
  const sans = loadSystemFonts ? fontCache?.sans : undefined
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: {mode: 'zoom', value: scale},
    font: {
      loadSystemFonts,
      fontFiles: extra,
      ...(sans !== undefined ? {sansSerifFamily: sans, defaultFontFamily: sans} : {}),
    },
  })
  const img = resvg.render()
  const png = new Uint8Array(img.asPng())
  const haveFonts = extra.length > 0 || (loadSystemFonts && (fontCache?.files ?? 0) > 0)
  return {
    png,
    width: img.width,
    height: img.height,
    ...(haveFonts
      ? {}
      : {warning: 'No font files found (searched the system font directories): the PNG charts have no text. Install a TTF font (e.g. fonts-dejavu-core) to fix.'}),
  }
}
