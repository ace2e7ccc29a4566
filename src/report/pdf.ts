/**
 * PDF of a chart, in pure JavaScript: the chart's SVG (from `renderSvg`) drawn as vector paths and
 * text onto one PDF page of the SVG's size with pdfkit and svg-to-pdfkit. No browser, no network.
 *
 * Text: the chart's generic `sans-serif` is mapped to an installed sans-serif TrueType font (the
 * one the PNG renderer uses; see `sansFontFiles`), embedded as a subset, so µ, ≤, ρ and λ print.
 * With no such font the PDF falls back to the standard Helvetica, which lacks those characters: the
 * result carries a warning. Output is deterministic (fixed creation date, no random ids).
 */
import {existsSync} from 'node:fs'

import PDFDocument from 'pdfkit'
import SVGtoPDF from 'svg-to-pdfkit'

import {ConfigError, show} from '../errors.js'
import {sansFontFiles} from './png.js'

export interface PdfOptions {
  /** A TTF/OTF font file to use for every text instead of the system's sans-serif [none]. */
  fontFile?: string
}

export interface PdfResult {
  pdf: Uint8Array
  /** Page size, PostScript points (CSS's 96 px per inch: 1 SVG px = 0.75 pt). */
  width: number
  height: number
  /** Set when no font could be embedded (Helvetica used: µ, ≤, ρ… are missing). */
  warning?: string
}

/** The SVG's width and height (px) from its root element. */
function svgSize(svg: string): {width: number; height: number} {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? ''
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1])
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1])
  if (!(width > 0 && height > 0)) throw new Error('internal: svgToPdf needs an SVG document with a width and height')
  return {width, height}
}

/** Draw an SVG document (from `renderSvg`) onto a one-page PDF. */
export async function svgToPdf(svg: string, opts: PdfOptions = {}): Promise<PdfResult> {
  if (opts.fontFile !== undefined && !existsSync(opts.fontFile)) throw new ConfigError(`Expected a font file, got ${show(opts.fontFile)} (not found)`)
  const px = svgSize(svg)
  const width = px.width * 0.75
  const height = px.height * 0.75
  const doc = new PDFDocument({
    size: [width, height],
    margin: 0,
    compress: true,
    // A fixed date: the same chart gives the same bytes.
    info: {Title: /<title>([^<]*)<\/title>/.exec(svg)?.[1] ?? 'tailsim chart', Producer: 'tailsim', Creator: 'tailsim', CreationDate: new Date(0)},
  })
  const chunks: Uint8Array[] = []
  doc.on('data', (c: Uint8Array) => chunks.push(c))
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve())
    doc.on('error', reject)
  })
  const sys = opts.fontFile === undefined ? sansFontFiles() : undefined
  const regular = opts.fontFile ?? sys?.regular
  if (regular !== undefined) doc.registerFont('chart-sans', regular)
  const bold = opts.fontFile === undefined ? sys?.bold : undefined
  if (bold !== undefined) doc.registerFont('chart-sans-bold', bold)
  const pick = (isBold: boolean) => (regular === undefined ? (isBold ? 'Helvetica-Bold' : 'Helvetica') : isBold && bold !== undefined ? 'chart-sans-bold' : 'chart-sans')
  // pdfkit refuses dash patterns with a zero length; Vega writes a solid line's dash as "1,0".
  const clean = svg.replace(/\sstroke-dasharray="[^"]*"/g, (a) => (/(^|[\s,"])0(\.0*)?([\s,"]|$)/.test(a.slice(a.indexOf('"'))) ? '' : a))
  SVGtoPDF(doc, clean, 0, 0, {width, height, assumePt: false, fontCallback: (_family: string, isBold: boolean) => pick(isBold), warningCallback: () => {}})
  doc.end()
  await ended
  const total = chunks.reduce((n, c) => n + c.length, 0)
  const pdf = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    pdf.set(c, at)
    at += c.length
  }
  return {
    pdf,
    width,
    height,
    ...(regular === undefined
      ? {warning: 'No sans-serif TTF font found: the PDF charts use Helvetica, which lacks µ, ≤, ρ and λ. Install a TTF font (e.g. fonts-dejavu-core) or pass --font-file.'}
      : {}),
  }
}
