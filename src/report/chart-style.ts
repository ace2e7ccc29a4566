/**
 * The look shared by every chart: series colours, markers and dash patterns, the colour of
 * reference rules (SLO), the base Vega-Lite config, log-axis ticks and titles.
 *
 * A chart meant for a paper is often printed in grayscale or read by someone with a colour-vision
 * deficiency, so a series is never told apart by colour alone: series i gets colour i (the
 * Okabe–Ito palette, which stays distinct under the common colour-vision deficiencies), marker i
 * and dash pattern i. Reference rules (the SLO) are black, a colour no series uses, and labelled.
 */

/** Okabe–Ito colours, black excluded (it is kept for reference rules); darker ones first. */
export const SERIES_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442']

/** Vega symbol shapes, one per series, told apart in grayscale and at small sizes. */
export const SERIES_SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'triangle-down', 'cross', 'triangle-right', 'triangle-left']

/** Dash patterns (px on, px off, …), one per series; the first is solid. */
export const SERIES_DASHES: number[][] = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [4, 2, 1, 2, 1, 2], [1, 3]]

/** Colour of reference rules (the SLO): no series uses it. */
export const RULE_COLOUR = '#000000'
/** Dash pattern of reference rules. */
export const RULE_DASH = [10, 4]

/** Opacity of interval bands. */
export const BAND_OPACITY = 0.2

/** One generic font family for every text (never a web font: nothing is downloaded). */
export const CHART_FONT = 'sans-serif'

export function baseConfig() {
  return {
    font: CHART_FONT,
    background: 'white',
    padding: 8,
    axis: {labelFontSize: 12, titleFontSize: 13, titlePadding: 8, labelFont: CHART_FONT, titleFont: CHART_FONT},
    // Legend symbols at full opacity (a band layer would otherwise lend them its transparency),
    // without outline (whose dash would garble the marker).
    legend: {labelFontSize: 12, titleFontSize: 13, labelFont: CHART_FONT, titleFont: CHART_FONT, symbolSize: 120, labelLimit: 260, symbolOpacity: 1, symbolStrokeWidth: 0},
    title: {fontSize: 15, font: CHART_FONT, anchor: 'start' as const, subtitleFontSize: 12, subtitleFont: CHART_FONT, subtitleColor: '#444'},
    text: {font: CHART_FONT},
    view: {stroke: '#ccc'},
  }
}

const cycle = <T>(xs: readonly T[], n: number): T[] => Array.from({length: n}, (_, i) => xs[i % xs.length])

/** The colour scale of a list of series (same list, same colours in every chart). */
export function colourScale(series: string[]) {
  return {domain: series, range: cycle(SERIES_COLOURS, series.length)}
}

/**
 * The encodings that tell series apart: colour, marker shape and dash, all on `field`, sharing
 * one title so Vega-Lite merges them into one legend.
 */
export function seriesEncoding(series: string[], field = 'policy', title = 'Policy') {
  const base = {field, type: 'nominal' as const, title, sort: series}
  return {
    color: {...base, scale: colourScale(series)},
    shape: {...base, scale: {domain: series, range: cycle(SERIES_SHAPES, series.length)}},
    strokeDash: {...base, scale: {domain: series, range: cycle(SERIES_DASHES, series.length)}},
  }
}

/**
 * Ticks of a log axis covering [min, max]: every decade and its 2× and 5× (1, 2, 5, 10, 20, …).
 * The domain is widened to the nearest such tick on each side, so both ends are labelled and
 * there are always at least two ticks.
 */
export function logTicks(min: number, max: number): {domain: [number, number]; values: number[]} {
  if (!(min > 0 && max > 0 && Number.isFinite(min) && Number.isFinite(max))) throw new Error(`internal: logTicks(${min}, ${max})`)
  if (max < min) [min, max] = [max, min]
  const all: number[] = []
  for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)) + 1; e++) {
    for (const m of [1, 2, 5]) all.push(Number((m * 10 ** e).toPrecision(12)))
  }
  let lo = 0
  while (lo + 1 < all.length && all[lo + 1] <= min * (1 + 1e-9)) lo++
  const hi = Math.max(lo + 1, all.findIndex((v) => v >= max * (1 - 1e-9)))
  return {domain: [all[lo], all[hi]], values: all.slice(lo, hi + 1)}
}

/** The title block of a chart: a main line and, when given, a smaller second line. */
export function chartTitle(text: string, subtitle?: string): {text: string; subtitle?: string} {
  return subtitle !== undefined && subtitle !== '' ? {text, subtitle} : {text}
}
