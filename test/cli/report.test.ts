/**
 * `tailsim report` end to end, through the real (built) commands: `compare --out DIR/` writes the
 * parts, `report` reads them back. Needs `npm run build` first (npm test does it).
 */
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCommand} from '@oclif/test'
import {beforeAll, describe, expect, it} from 'vitest'

import {readResults} from '../../src/results/read.js'
import {writeResults} from '../../src/results/write.js'
import {decodePng, parseXml} from '../report/checks.js'

const root = process.cwd()

async function tailsim(args: string[], env: Record<string, string> = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  const r = await runCommand(args, {root}, {disableConsoleIntercept: true, testNodeEnv: 'production'} as never).finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  const exit = (r.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit ?? (r.error ? 1 : 0)
  return {...r, exit}
}

const BASE = ['synthetic:exp:10us', '--requests', '3000', '--policies', 'mgn-fcfs,n-mg1-fcfs', '--cores', '4', '--jobs', '0']
const COMPARE = [...BASE, '--loads', '0.3,0.6']

let dir: string
let parts: string
const compareOut: Record<string, string> = {}

beforeAll(async () => {
  for (const f of ['dist/commands/report.js', 'dist/commands/compare.js']) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`)
  }
  if (statSync('dist/src/report/report.js').mtimeMs < statSync('src/report/report.ts').mtimeMs) {
    throw new Error('dist/ is older than src/report: run `npm run build` first')
  }
  dir = mkdtempSync(join(tmpdir(), 'tailsim-cli-report-'))
  parts = join(dir, 'parts')
  const first = await tailsim(['compare', ...COMPARE, '--out', parts + '/', '--format', 'csv'])
  expect(first.error?.message).toBeUndefined()
  compareOut.csv = first.stdout
  // The same sweep again, every cell resumed from the parts: the other formats at no cost.
  for (const format of ['table', 'markdown', 'json']) {
    const r = await tailsim(['compare', ...COMPARE, '--out', parts + '/', '--resume', '--format', format])
    expect(r.error?.message).toBeUndefined()
    compareOut[format] = r.stdout
  }
})

describe('tailsim report', () => {
  it('prints exactly the tables compare printed, in every format', async () => {
    for (const format of ['table', 'csv', 'markdown', 'json']) {
      const r = await tailsim(['report', parts, '--format', format])
      expect(r.exit).toBe(0)
      expect(compareOut[format].length).toBeGreaterThan(100)
      expect(r.stdout).toBe(compareOut[format])
    }
  })

  it('merges parts given as files in any order like the directory', async () => {
    const files = readdirSync(parts)
      .filter((n) => n.endsWith('.parquet'))
      .map((n) => join(parts, n))
      .reverse()
    expect(files.length).toBeGreaterThanOrEqual(6) // 2 policies × 2 loads + 2 searches
    const r = await tailsim(['report', ...files, '--format', 'csv'])
    expect(r.stdout).toBe(compareOut.csv)
  })

  it('merges the parts of --shard 1/3, 2/3, 3/3 into exactly the unsharded tables', async () => {
    const shards = join(dir, 'shards')
    for (const i of [1, 2, 3]) {
      const r = await tailsim(['compare', ...COMPARE, '--shard', `${i}/3`, '--out', shards + '/', '--format', 'csv'])
      expect(r.exit).toBe(0)
    }
    const r = await tailsim(['report', shards, '--format', 'csv'])
    expect(r.stdout).toBe(compareOut.csv)
    // Two shards of three are not the whole sweep: the tables differ.
    const partial = join(dir, 'partial')
    mkdirSync(partial)
    const names = readdirSync(shards).filter((n) => n.endsWith('.parquet'))
    for (const n of names.slice(0, Math.ceil((names.length * 2) / 3))) copyFileSync(join(shards, n), join(partial, n))
    expect((await tailsim(['report', partial, '--format', 'csv'])).stdout).not.toBe(compareOut.csv)
  })

  it('refuses parts of different sweeps, naming both files', async () => {
    const other = join(dir, 'other')
    const o = await tailsim(['compare', ...BASE, '--loads', '0.3,0.5', '--no-max-load', '--out', other + '/'])
    expect(o.exit).toBe(0)
    const mixed = join(dir, 'mixed')
    mkdirSync(mixed)
    copyFileSync(join(parts, readdirSync(parts).find((n) => n.endsWith('.parquet'))!), join(mixed, 'a.parquet'))
    copyFileSync(join(other, readdirSync(other).find((n) => n.endsWith('.parquet'))!), join(mixed, 'b.parquet'))
    const r = await tailsim(['report', mixed])
    expect(r.exit).toBe(65)
    expect(r.stderr).toMatch(/Error: Expected parts of one sweep, got two: .*a\.parquet .*and .*b\.parquet/)
    expect(r.stdout).toBe('')
  })

  it('refuses a results file of a newer schema version', async () => {
    const rows = await readResults([parts])
    const file = join(dir, 'future.json')
    await writeResults(join(dir, 'now.json'), rows, {toolVersion: '0.1.0', sweepId: rows[0].sweep_id, traceSha256: [rows[0].trace_sha256]})
    const doc = JSON.parse(readFileSync(join(dir, 'now.json'), 'utf8')) as {tailsim_results: {schema_version: number}; rows: {schema_version: number}[]}
    doc.tailsim_results.schema_version = 99
    for (const r of doc.rows) r.schema_version = 99
    writeFileSync(file, JSON.stringify(doc))
    const ok = await tailsim(['report', join(dir, 'now.json'), '--format', 'csv'])
    expect(ok.stdout).toBe(compareOut.csv)
    const r = await tailsim(['report', file])
    expect(r.exit).toBe(65)
    expect(r.stderr).toMatch(/future\.json: Expected schema_version <= 4 .*got 99.*newer tailsim/)
  })

  it('writes SVG, PNG and PDF charts and a self-contained page, and never clobbers without --force', async () => {
    const charts = join(dir, 'charts')
    const page = join(dir, 'report.html')
    const r = await tailsim(['report', parts, '--charts', charts, '--png', '--pdf', '--html', page, '--png-scale', '1', '--title', 'Figure-2'], {SOURCE_DATE_EPOCH: '0'})
    expect(r.error?.message).toBeUndefined()
    expect(r.exit).toBe(0)
    expect(r.stdout).toBe(await tailsim(['report', parts]).then((x) => x.stdout)) // tables still printed
    expect(readdirSync(charts).sort()).toEqual(['latency.pdf', 'latency.png', 'latency.svg', 'max-load.pdf', 'max-load.png', 'max-load.svg'])
    for (const n of ['latency', 'max-load']) {
      expect(readFileSync(join(charts, `${n}.svg`), 'utf8')).toContain('>Figure-2</text>')
      parseXml(readFileSync(join(charts, `${n}.svg`), 'utf8'))
      const img = decodePng(readFileSync(join(charts, `${n}.png`)))
      expect(img.width).toBeGreaterThan(0)
      const pdf = readFileSync(join(charts, `${n}.pdf`)).toString('latin1')
      expect(pdf.startsWith('%PDF-')).toBe(true)
      expect(pdf.match(/\/Type \/Page\b/g)).toHaveLength(1)
    }
    const html = readFileSync(page, 'utf8')
    expect(html).not.toMatch(/https?:/)
    expect(html.match(/<table>/g)).toHaveLength(4)
    expect(html.match(/<svg /g)).toHaveLength(2)
    expect(html).toContain('<dt>generated at</dt><dd>1970-01-01T00:00:00.000Z</dd>')
    expect(html).toMatch(/<dt>command line<\/dt><dd>tailsim report \S+ --charts \S+ --png --pdf --html \S+ --png-scale 1 --title Figure-2<\/dd>/)
    expect(r.stderr).toContain(`Wrote ${page}`)

    const again = await tailsim(['report', parts, '--html', page])
    expect(again.exit).toBe(73)
    expect(again.stderr).toContain(`Error: ${page} already exists; pass --force to replace it`)
    const forced = await tailsim(['report', parts, '--charts', charts, '--html', page, '--force'])
    expect(forced.exit).toBe(0)
  })

  it('--png needs --charts; --json returns the table model and the files written', async () => {
    const bad = await tailsim(['report', parts, '--png'])
    expect(bad.exit).toBe(64)
    expect(bad.stderr).toContain('--png: Expected --charts DIR')
    const badPdf = await tailsim(['report', parts, '--pdf'])
    expect(badPdf.exit).toBe(64)
    expect(badPdf.stderr).toContain('--pdf: Expected --charts DIR')
    const page = join(dir, 'j.html')
    const r = await tailsim(['report', parts, '--html', page, '--json'])
    expect(r.exit).toBe(0)
    // (--json prints through console.log, which this harness does not capture: check the returned value.)
    const out = r.result as {tables: {traces: {latency: {columns: string[]}}[]}; written: string[]}
    expect(out.tables.traces[0].latency.columns).toEqual(['load', 'mgn-fcfs', 'n-mg1-fcfs'])
    expect(out.written).toEqual([page])
  })
})
