/**
 * The chart of a `--vary` sweep: max load at the SLO against the varied parameter, one line per
 * policy, with the 95% interval over replications as error bars when there is one. A value given
 * as a multiple (`x0.5`) is plotted at that multiple.
 */
import type {TopLevelSpec} from 'vega-lite'

import {renderSvg} from './charts.js'
import {baseConfig, chartTitle, seriesEncoding} from './chart-style.js'

export interface VaryPoint {
  policy: string
  /** The varied parameter's value, as a number (a multiple `xF` as F). */
  value: number
  maxLoad: number
  /** Bounds of the 95% interval over replications (the table's, clamped), when known. */
  lo?: number
  hi?: number
}

export interface VaryChartInput {
  points: VaryPoint[]
  /** The varied parameter, e.g. `rx_packet` or `ix:batch`. */
  name: string
  /** Whether the values are multiples of the preset's (`xF`). */
  multiples: boolean
  policies?: string[]
  title?: string
  subtitle?: string
  sloLabel?: string
}

/** A --vary value as a number: `x0.5` → 0.5, `1200` → 1200; NaN otherwise. */
export function varyNumber(v: string): number {
  return Number(v.startsWith('x') ? v.slice(1) : v)
}

export function varyChartSpec(input: VaryChartInput): TopLevelSpec {
  const pts = input.points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.maxLoad))
  const policies = (input.policies ?? [...new Set(pts.map((p) => p.policy))]).filter((p) => pts.some((q) => q.policy === p))
  const values = pts
    .map((p) => ({policy: p.policy, value: p.value, max: p.maxLoad, lo: p.lo ?? p.maxLoad, hi: p.hi ?? p.maxLoad}))
    .sort((a, b) => policies.indexOf(a.policy) - policies.indexOf(b.policy) || a.value - b.value)
  const x = {
    field: 'value',
    type: 'quantitative' as const,
    title: input.multiples ? `${input.name} (multiple of the preset's value)` : input.name,
    scale: {zero: false, nice: false, padding: 12},
  }
  const {color, shape, strokeDash} = seriesEncoding(policies)
  const y = {field: 'max', type: 'quantitative' as const, title: `Max load at SLO${input.sloLabel ? ` (${input.sloLabel})` : ''}`, scale: {domain: [0, 1]}}
  const layers: object[] = [
    {
      name: 'maxload',
      data: {values},
      mark: {type: 'line', strokeWidth: 2},
      encoding: {x, y, color, strokeDash, order: {field: 'value', type: 'quantitative'}},
    },
    {name: 'points', data: {values}, mark: {type: 'point', filled: true, size: 50}, encoding: {x, y, color, shape}},
  ]
  if (pts.some((p) => p.lo !== undefined && p.hi !== undefined && p.hi > p.lo)) {
    layers.push({name: 'errorbar', data: {values}, mark: {type: 'rule', strokeWidth: 1.5}, encoding: {x, y: {field: 'lo', type: 'quantitative'}, y2: {field: 'hi'}, color}})
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(input.title !== undefined ? {title: chartTitle(input.title, input.subtitle)} : {}),
    width: 560,
    height: 320,
    config: baseConfig(),
    layer: layers,
  } as TopLevelSpec
}

export async function varyChartSvg(input: VaryChartInput): Promise<string> {
  return renderSvg(varyChartSpec(input))
}
