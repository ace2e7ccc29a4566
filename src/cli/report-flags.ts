/**
 * The chart and page flags that `report` and `compare` share (`--charts`, `--png`, `--pdf`,
 * `--html`, `--title`, …), their checks, and the provenance of the command line that made a report.
 */
import {Flags} from '@oclif/core'

import {ConfigError} from '../errors.js'
import type {ReportOptions} from '../report/report.js'

export const reportFlags = {
  charts: Flags.string({description: 'Write the charts as SVG files into this directory (created if missing).'}),
  png: Flags.boolean({description: 'With --charts: also write each chart as PNG.', default: false}),
  pdf: Flags.boolean({description: 'With --charts: also write each chart as PDF (vector, fonts embedded).', default: false}),
  'png-scale': Flags.string({description: 'PNG pixel density (2 = twice the SVG size).', default: '2'}),
  'font-file': Flags.string({description: 'A TTF/OTF font for the PNG and PDF text, when the system has none (repeatable).', multiple: true}),
  html: Flags.string({description: 'Write one self-contained HTML page with the tables and charts to this file.'}),
  title: Flags.string({description: "Title of the charts and the HTML page. [default: charts: the trace's base name; page: tailsim report]"}),
}

export interface ReportFlagValues {
  charts?: string
  png: boolean
  pdf: boolean
  'png-scale': string
  'font-file'?: string[]
  html?: string
  title?: string
}

/** Checks the flags and gives the chart/page options of `buildReport`; `argv`: the command and its arguments, for the provenance. */
export function reportOptions(flags: ReportFlagValues, argv: readonly string[]): Pick<ReportOptions, 'charts' | 'png' | 'pdf' | 'pngScale' | 'fontFiles' | 'html' | 'title' | 'commandLine' | 'generatedAt'> {
  for (const f of ['png', 'pdf'] as const) {
    if (flags[f] && flags.charts === undefined) {
      throw new ConfigError(`Expected --charts DIR with --${f} (the ${f.toUpperCase()}s are written next to the SVGs), got no --charts`, {flag: f})
    }
  }
  const scale = Number(flags['png-scale'])
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 16)) {
    throw new ConfigError(`Expected a pixel density in (0, 16], got "${flags['png-scale']}"`, {flag: 'png-scale'})
  }
  return {
    charts: flags.charts !== undefined,
    png: flags.png,
    pdf: flags.pdf,
    pngScale: scale,
    fontFiles: flags['font-file'],
    html: flags.html !== undefined,
    ...(flags.title !== undefined ? {title: flags.title} : {}),
    commandLine: commandLine(argv),
    generatedAt: timestamp(),
  }
}

/** This process's command line as one could type it again (`tailsim ARGS`, arguments quoted when needed). */
export function commandLine(argv: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)
  return ['tailsim', ...argv.map(quote)].join(' ')
}

/**
 * When the report is made, ISO 8601 UTC. `SOURCE_DATE_EPOCH` (seconds, the reproducible-builds
 * convention) fixes it, so a page can be made byte-identical again.
 */
export function timestamp(env: NodeJS.ProcessEnv = process.env): string {
  const epoch = env.SOURCE_DATE_EPOCH
  if (epoch !== undefined && epoch !== '') {
    const s = Number(epoch)
    if (!(Number.isInteger(s) && s >= 0 && s < 253402300800)) {
      throw new ConfigError(`Expected SOURCE_DATE_EPOCH to be whole seconds since 1970, got "${epoch}"`)
    }
    return new Date(s * 1000).toISOString()
  }
  return new Date().toISOString()
}
