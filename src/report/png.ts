/**
 * PNG of a chart: its SVG (from `renderSvg`) rasterised with resvg, and the look-up of an
 * installed sans-serif font that the PNG and PDF renderers share.
 */
import {existsSync, readdirSync} from 'node:fs'
import {homedir} from 'node:os'
import {basename, join} from 'node:path'

import {Resvg} from '@resvg/resvg-js'

import {ConfigError, show} from '../errors.js'

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

/** Font file paths under the system font directories, depth ≤ 4. */
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
      else if (/\.(ttf|otf|ttc)$/i.test(e.name)) out.push(join(dir, e.name))
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

/**
 * The file of the first installed sans-serif family of `SANS` (regular, and bold when its file
 * sits beside it with a `-Bold` / `-bold` name), for renderers that embed fonts (PDF).
 */
export function sansFontFiles(): {family: string; regular: string; bold?: string} | undefined {
  const files = systemFontFiles()
  for (const [re, family] of SANS) {
    const regular = files.find((f) => re.test(basename(f).toLowerCase()) && /\.(ttf|otf)$/i.test(f))
    if (regular === undefined) continue
    const stem = basename(regular).replace(/(-regular)?\.(ttf|otf)$/i, '').toLowerCase()
    const bold = files.find((f) => basename(f).toLowerCase().startsWith(`${stem}-bold.`))
    return {family, regular, ...(bold !== undefined ? {bold} : {})}
  }
  return undefined
}

/** Rasterise an SVG (from `renderSvg`) to PNG with resvg, white background. */
export function svgToPng(svg: string, opts: PngOptions = {}): PngResult {
  const scale = opts.scale ?? 2
  if (!(scale > 0 && scale <= 16)) throw new ConfigError(`Expected \`scale\` to be a number in (0, 16], got ${show(scale)}`)
  const loadSystemFonts = opts.loadSystemFonts ?? true
  if (loadSystemFonts && fontCache === undefined) {
    const files = systemFontFiles()
    const sans = SANS.find(([re]) => files.some((f) => re.test(basename(f).toLowerCase())))?.[1]
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
