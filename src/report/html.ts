/**
 * One self-contained HTML page: the report's tables and its charts as inline SVG, with inline CSS.
 * No scripts, no external URLs (not even XML namespace URIs: an HTML5 parser puts `<svg>` in the
 * SVG namespace by itself, so the `xmlns` attributes are dropped), no fonts (generic `sans-serif`).
 * The page opens offline and survives being mailed or archived as one file.
 *
 * Every text that comes from data is escaped. Several SVGs on one page would share Vega's element
 * ids (`clip1`…), and a `url(#clip1)` would then resolve to the first chart's clip path, so each
 * inlined SVG gets its ids prefixed.
 */

/** A table as data (not yet rendered). Cells are shown as given; null shows as an em dash. */
export interface HtmlTable {
  title: string
  columns: string[]
  rows: (string | number | null)[][]
  /** Columns (by index) right-aligned; default: every column whose cells are all numbers or null. */
  numeric?: number[]
  /** A line under the table (units, notes). */
  note?: string
}

export interface HtmlChart {
  title: string
  /** A standalone SVG document from `renderSvg`. */
  svg: string
  /** Alternative text for screen readers. */
  description?: string
}

export interface HtmlPage {
  title: string
  /** Lines under the title (sweep, traces, machine). */
  subtitle?: string[]
  /** Sections in order; each has tables and charts. */
  sections: {heading: string; intro?: string; tables?: HtmlTable[]; charts?: HtmlChart[]}[]
  /** Key/value provenance shown at the end. */
  provenance?: [string, string][]
}

/** Escape text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'))
}

/**
 * An SVG document made fit for inlining into HTML: no XML prolog, no namespace URIs, ids (and the
 * references to them) prefixed with `prefix`.
 */
export function inlineSvg(svg: string, prefix: string): string {
  let s = svg.replace(/^\s*<\?xml[^>]*>\s*/, '').replace(/\s+xmlns(:\w+)?="[^"]*"/g, '')
  const ids = new Set<string>()
  for (const m of s.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1])
  if (ids.size > 0) {
    s = s.replace(/(\sid=")([^"]+)(")/g, (all, a: string, id: string, b: string) => (ids.has(id) ? a + prefix + id + b : all))
    s = s.replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${prefix}${id})` : all))
    s = s.replace(/((?:xlink:)?href=")#([^"]+)"/g, (all, a: string, id: string) => (ids.has(id) ? `${a}#${prefix}${id}"` : all))
  }
  return s
}

function cell(v: string | number | null): string {
  if (v === null) return '—'
  return escapeHtml(String(v))
}

function renderTable(t: HtmlTable): string {
  const numeric = new Set(
    t.numeric ?? t.columns.map((_, i) => i).filter((i) => t.rows.length > 0 && t.rows.every((r) => r[i] === null || typeof r[i] === 'number')),
  )
  const head = t.columns.map((c, i) => `<th${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(c)}</th>`).join('')
  const body = t.rows
    .map((r) => '<tr>' + r.map((v, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${cell(v)}</td>`).join('') + '</tr>')
    .join('\n')
  return (
    `<figure class="table"><figcaption>${escapeHtml(t.title)}</figcaption>\n` +
    `<table><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>` +
    (t.note !== undefined ? `\n<p class="note">${escapeHtml(t.note)}</p>` : '') +
    '</figure>'
  )
}

const CSS = `
body{font-family:sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.subtitle{color:#555;margin:.1em 0}
figure{margin:1.2em 0}figure.table{overflow-x:auto}figcaption{font-weight:bold;margin-bottom:.4em}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;white-space:nowrap}
th{background:#f3f3f3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafafa}
.note{color:#555;font-size:.85em;margin:.3em 0}
.chart svg{max-width:100%;height:auto}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;font-size:.85em}dt{color:#555}dd{margin:0;font-family:monospace;word-break:break-all}
`

/** The page as one string. Deterministic: the same input gives the same bytes. */
export function renderHtml(page: HtmlPage): string {
  const out: string[] = []
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">')
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">')
  out.push(`<title>${escapeHtml(page.title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>')
  out.push(`<h1>${escapeHtml(page.title)}</h1>`)
  for (const line of page.subtitle ?? []) out.push(`<p class="subtitle">${escapeHtml(line)}</p>`)
  let chartNo = 0
  for (const sec of page.sections) {
    out.push(`<section>`, `<h2>${escapeHtml(sec.heading)}</h2>`)
    if (sec.intro !== undefined) out.push(`<p>${escapeHtml(sec.intro)}</p>`)
    for (const c of sec.charts ?? []) {
      chartNo++
      const label = escapeHtml(c.description ?? c.title)
      out.push(
        `<figure class="chart" role="img" aria-label="${label}"><figcaption>${escapeHtml(c.title)}</figcaption>`,
        inlineSvg(c.svg, `c${chartNo}-`),
        '</figure>',
      )
    }
    for (const t of sec.tables ?? []) out.push(renderTable(t))
    out.push('</section>')
  }
  if (page.provenance !== undefined && page.provenance.length > 0) {
    out.push('<section>', '<h2>Provenance</h2>', '<dl>')
    for (const [k, v] of page.provenance) out.push(`<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    out.push('</dl>', '</section>')
  }
  out.push('</body>', '</html>', '')
  return out.join('\n')
}
