import {existsSync, readdirSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {CHART_FONT, latencyChartSvg, type LatencyPoint, maxLoadChartSvg, PALETTE, svgToPng} from '../../src/report/charts.js'
import {byClass, countColour, decodePng, parseXml, textOf, walk} from './checks.js'

const POLICIES = ['zygos', 'ix', 'linux-floating', 'mgn-fcfs']

/** M/M/1-shaped curves, one per policy, scaled apart. */
function points(policies = POLICIES): LatencyPoint[] {
  const out: LatencyPoint[] = []
  policies.forEach((policy, k) => {
    for (let l = 1; l <= 9; l++) out.push({policy, load: l / 10, latencyUs: (46 * (1 + k / 2)) / (1 - l / 10)})
  })
  return out
}

/** The `<path>` of each line mark in the latency layer (Vega: one path per series). */
function linePaths(svg: string) {
  const root = parseXml(svg)
  const groups = byClass(root, 'mark-line', 'role-mark', 'latency_marks')
  return groups.flatMap((g) => g.children.filter((c) => c.name === 'path' && c.attrs['aria-roledescription'] === 'line mark'))
}

describe('latency chart', () => {
  it('is well-formed SVG with exactly one line per policy, a legend, axis titles with units and the SLO label', async () => {
    const svg = await latencyChartSvg({points: points(), sloUs: 100, percentile: 'p99'})
    const root = parseXml(svg)
    expect(root.name).toBe('svg')
    const lines = linePaths(svg)
    expect(lines).toHaveLength(POLICIES.length)
    // Each line is drawn in its policy's colour, through its 9 points (M + 8 L).
    expect(lines.map((p) => p.attrs.stroke)).toEqual(PALETTE.slice(0, POLICIES.length))
    for (const p of lines) expect(p.attrs.d.match(/[ML]/g)).toHaveLength(9)
    const legend = byClass(root, 'role-legend-label').map(textOf).join('|')
    for (const p of POLICIES) expect(legend).toContain(p)
    const titles = byClass(root, 'role-axis-title').map(textOf)
    expect(titles).toContain('Offered load ρ (λ·E[S]/cores)')
    expect(titles).toContain('p99 latency (µs, log scale)')
    expect(svg).toMatch(/Y-axis titled [^>]* for a log scale/)
    // One SLO rule, and its label.
    expect(byClass(root, 'mark-rule', 'role-mark', 'slo_layer_0_marks')[0].children.filter((c) => c.name === 'line')).toHaveLength(1)
    expect(textOf(root)).toContain('SLO: p99 ≤ 100 µs')
  })

  it('uses only the generic sans-serif font family and references nothing outside the document', async () => {
    const svg = await latencyChartSvg({points: points(), sloUs: 100})
    const fonts = new Set([...walk(parseXml(svg))].map((e) => e.attrs['font-family']).filter((f) => f !== undefined))
    expect([...fonts]).toEqual([CHART_FONT])
    expect(svg).not.toMatch(/@font-face|@import|<image|href="http/)
  })

  it('is deterministic', async () => {
    const a = await latencyChartSvg({points: points(), sloUs: 100})
    await maxLoadChartSvg({bars: [{policy: 'x', maxLoad: 0.5}]})
    expect(await latencyChartSvg({points: points(), sloUs: 100})).toBe(a)
    expect(a).toContain('clip-path="url(#clip1)"')
  })

  it('draws policies in the given order, and no SLO rule when none is given', async () => {
    const order = ['mgn-fcfs', 'zygos', 'linux-floating', 'ix']
    const svg = await latencyChartSvg({points: points(), policies: order})
    const lines = linePaths(svg)
    expect(lines.map((p) => p.attrs['aria-label'].match(/Policy: ([\w-]+)/)?.[1])).toEqual(order)
    expect(svg).not.toContain('slo_layer')
    expect(svg).not.toContain('SLO:')
  })

  it('falls back to a linear axis when a latency is not positive', async () => {
    const pts = points()
    pts[0].latencyUs = 0
    const svg = await latencyChartSvg({points: pts, sloUs: 100})
    expect(svg).toMatch(/Y-axis titled 'p99 latency \(µs\)' for a linear scale/)
    expect(linePaths(svg)).toHaveLength(POLICIES.length)
  })
})

describe('max-load chart', () => {
  it('has one bar per policy with its value and efficiency', async () => {
    const svg = await maxLoadChartSvg({
      bars: [
        {policy: 'zygos', maxLoad: 0.6, efficiency: 0.6 / 0.8},
        {policy: 'ix', maxLoad: 0, status: 'unmet'},
        {policy: 'mgn-fcfs', maxLoad: 0.8, efficiency: 1},
        {policy: 'mgn-ps', maxLoad: 0.95, status: 'at_upper_bound'},
      ],
      sloLabel: 'p99 ≤ 100 µs',
    })
    const root = parseXml(svg)
    const bars = byClass(root, 'mark-rect', 'role-mark', 'maxload_marks').flatMap((g) => g.children.filter((c) => c.attrs['aria-roledescription'] === 'bar'))
    expect(bars).toHaveLength(4)
    const text = textOf(root)
    expect(text).toContain('0.600 (75% of mgn-fcfs)')
    expect(text).toContain('SLO unmet at the lowest load')
    expect(text).toContain('≥ 0.950')
    expect(byClass(root, 'role-axis-title').map(textOf)).toContain('Max load at SLO ρ (fraction of cores/E[S]), p99 ≤ 100 µs')
  })
})

function systemHasFonts(): boolean {
  const walkDir = (d: string, depth: number): boolean => {
    if (depth > 4 || !existsSync(d)) return false
    try {
      return readdirSync(d, {withFileTypes: true}).some((e) => (e.isDirectory() ? walkDir(`${d}/${e.name}`, depth + 1) : /\.(ttf|otf|ttc)$/i.test(e.name)))
    } catch {
      return false
    }
  }
  return ['/usr/share/fonts', '/usr/local/share/fonts'].some((d) => walkDir(d, 0))
}

describe('PNG', () => {
  it('is a real image: signature, chunk CRCs, IHDR size, decodable pixels in the policy colours', async () => {
    const svg = await latencyChartSvg({points: points(), sloUs: 100, title: 'p99 vs load'})
    const r = svgToPng(svg, {scale: 1})
    const img = decodePng(r.png)
    expect(img.width).toBe(r.width)
    expect(img.height).toBe(r.height)
    const w = Number(svg.match(/<svg[^>]* width="(\d+)"/)?.[1])
    const h = Number(svg.match(/<svg[^>]* height="(\d+)"/)?.[1])
    expect(img.width).toBe(w)
    expect(img.height).toBe(h)
    // White background, and every policy's line colour drawn.
    expect(countColour(img, '#ffffff', 0)).toBeGreaterThan(img.width * img.height * 0.5)
    for (const c of PALETTE.slice(0, POLICIES.length)) expect(countColour(img, c)).toBeGreaterThan(50)
    // Scale 2 doubles both sides.
    const r2 = svgToPng(svg, {scale: 2})
    expect([r2.width, r2.height]).toEqual([2 * w, 2 * h])
  })

  it('draws the text when the system has fonts, and says so when it has none', async () => {
    const svg = await latencyChartSvg({points: points(), sloUs: 100, title: 'p99 vs load'})
    const withFonts = svgToPng(svg, {scale: 1})
    const noFonts = svgToPng(svg, {scale: 1, loadSystemFonts: false})
    expect(noFonts.warning).toMatch(/no text/)
    decodePng(noFonts.png) // still a valid image
    if (systemHasFonts()) {
      expect(withFonts.warning).toBeUndefined()
      // Text pixels: the image with fonts has more dark pixels than the one without.
      const dark = (png: Uint8Array) => {
        const img = decodePng(png)
        let n = 0
        for (let i = 0; i < img.pixels.length; i += img.channels) if (img.pixels[i] + img.pixels[i + 1] + img.pixels[i + 2] < 200) n++
        return n
      }
      expect(dark(withFonts.png)).toBeGreaterThan(dark(noFonts.png) + 1000)
    } else {
      expect(withFonts.warning).toMatch(/no text/)
    }
  })
})
