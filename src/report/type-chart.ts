/**
 * Grouped bar charts: one group of bars per policy, one bar per series in each group (a request
 * type, or a workload), each labelled with its value. Two uses:
 * - by type: a statistic of each request type (e.g. slowdown p99.9) per policy, on a log axis
 *   (the types of a bimodal workload differ by orders of magnitude);
 * - max load at an SLO per policy and workload (linear axis from 0 to 1), as the demo draws it.
 * A missing value (n/a) is left out and said so in the caption.
 */
import type {TopLevelSpec} from 'vega-lite'

import {fmtUs, renderSvg} from './charts.js'
import {baseConfig, colourScale, logTicks} from './chart-style.js'

export interface GroupedBar {
  /** The group (x axis), e.g. a policy. */
  group: string
  /** The bar within its group (colour), e.g. a request type. */
  series: string
  /** NaN or null: n/a (not drawn). */
  value: number | null
  /** Text above the bar [the value, 3 significant digits]. */
  label?: string
}

export interface GroupedBarChartInput {
  bars: GroupedBar[]
  /** Axis title of the values. */
  valueTitle: string
  /** Legend title of the series, e.g. `type`. */
  seriesTitle: string
  /** Order of the groups [first appearance]. */
  groups?: string[]
  /** Logarithmic value axis [false]; falls back to linear when a value is <= 0. */
  logY?: boolean
  /** Fixed value domain, e.g. [0, 1] [automatic]. */
  domain?: [number, number]
  title?: string
  /** Text under the chart. */
  caption?: string
}

export function groupedBarChartSpec(input: GroupedBarChartInput): TopLevelSpec {
  const drawn = input.bars.filter((b) => b.value !== null && Number.isFinite(b.value))
  const groups = [...new Set([...(input.groups ?? []), ...input.bars.map((b) => b.group)])].filter((g) => drawn.some((b) => b.group === g))
  const series = [...new Set(input.bars.map((b) => b.series))]
  const missing = input.bars.filter((b) => !(b.value !== null && Number.isFinite(b.value)))
  const logY = (input.logY ?? false) && drawn.length > 0 && drawn.every((b) => (b.value as number) > 0)
  // A bar on a log axis needs a positive base: the 1-2-5 tick below the smallest value.
  const ticks = logY ? logTicks(Math.min(...drawn.map((b) => b.value as number)), Math.max(...drawn.map((b) => b.value as number))) : undefined
  const base = ticks !== undefined ? ticks.domain[0] : 0
  const values = drawn.map((b) => ({group: b.group, series: b.series, value: b.value, base, label: b.label ?? fmtUs(b.value as number)}))
  const caption = [input.caption, missing.length > 0 ? `n/a (too few samples or no result), not drawn: ${missing.map((b) => `${b.group} ${b.series}`).join(', ')}` : undefined]
    .filter((x) => x !== undefined && x !== '')
    .join('. ')
  const x = {field: 'group', type: 'nominal' as const, title: null, sort: groups, axis: {labelAngle: -30, labelLimit: 200}}
  const xOffset = {field: 'series', type: 'nominal' as const, sort: series}
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: input.valueTitle,
    scale: ticks !== undefined ? {type: 'log' as const, domain: ticks.domain, nice: false} : input.domain !== undefined ? {domain: input.domain} : {zero: true},
    ...(ticks !== undefined ? {axis: {values: ticks.values, format: ',~r', labelOverlap: 'greedy'}} : {}),
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(input.title !== undefined || caption !== '' ? {title: {text: input.title ?? '', ...(caption !== '' ? {subtitle: caption} : {})}} : {}),
    width: Math.max(320, groups.length * Math.max(2, series.length) * 32),
    height: 300,
    config: baseConfig(),
    data: {values},
    encoding: {x, xOffset, y},
    layer: [
      {
        mark: {type: 'bar'},
        encoding: {
          ...(logY ? {y2: {field: 'base'}} : {}),
          color: {field: 'series', type: 'nominal', title: input.seriesTitle, sort: series, scale: colourScale(series)},
        },
      },
      {
        mark: {type: 'text', baseline: 'bottom', dy: -2, fontSize: 9},
        encoding: {text: {field: 'label', type: 'nominal'}},
      },
    ],
  } as TopLevelSpec
}

export async function groupedBarChartSvg(input: GroupedBarChartInput): Promise<string> {
  return renderSvg(groupedBarChartSpec(input))
}
