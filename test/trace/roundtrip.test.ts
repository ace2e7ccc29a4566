import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parquetReadObjects} from 'hyparquet'
import {compressors} from 'hyparquet-compressors'
import {describe, expect, it} from 'vitest'

import {openTrace} from '../../src/trace/open.js'
import {scanTrace} from '../../src/trace/scan.js'
import {syntheticTrace} from '../../src/trace/synthetic.js'
import type {TraceSource} from '../../src/trace/types.js'
import {cyclesToNs} from '../../src/trace/units.js'
import {writeTrace} from '../../src/trace/writer.js'

interface Flat {
  arrival: Float64Array
  conn: Uint32Array
  service: Float64Array
  type: string[]
}

async function flatten(src: TraceSource): Promise<Flat> {
  const a: number[] = []
  const c: number[] = []
  const s: number[] = []
  const t: string[] = []
  for await (const b of src.batches()) {
    for (let i = 0; i < b.length; i++) {
      a.push(b.arrival[i])
      c.push(b.conn[i])
      s.push(b.service[i])
      if (b.type) t.push(src.typeNames[b.type[i]])
    }
  }
  return {arrival: Float64Array.from(a), conn: Uint32Array.from(c), service: Float64Array.from(s), type: t}
}

/** Bit-identical typed arrays (toEqual is slow on 100k-element arrays). */
function sameBytes(x: Float64Array | Uint32Array, y: Float64Array | Uint32Array): boolean {
  return x.length === y.length && Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))
}

/** The synthetic trace as a reader sees it: connections renumbered by first appearance. */
function dense(f: Flat): Flat {
  const map = new Map<number, number>()
  const conn = f.conn.map((c) => {
    let d = map.get(c)
    if (d === undefined) map.set(c, (d = map.size))
    return d
  })
  return {...f, conn}
}

const dir = mkdtempSync(join(tmpdir(), 'tailsim-rt-'))
const ROWS = 100_000
const specs = {
  exp: 'exp:10us',
  bimodal2: 'bimodal2:10us',
  typed: 'mix:new_order=0.45*exp:20us;payment=0.43*fixed:6us;"odd, name"=0.12*lognormal:30us,1',
}

describe.each(Object.entries(specs))('round trip of %s', (label, service) => {
  // 100k rows: three written batches (40k, 40k and a partial 20k) and two read batches (readers
  // yield 65 536 rows at a time), so batch boundaries on both sides are crossed.
  const src = syntheticTrace({requests: ROWS, service, load: 0.7, cores: 16, seed: 17, batchSize: 40_000})
  // Computed once for the file's tests: the trace as generated (and as a reader numbers its
  // connections), its summary, and each format written once (the Parquet file also serves the
  // independent reader below).
  const once = <T>(f: () => Promise<T>): (() => Promise<T>) => {
    let p: Promise<T> | undefined
    return () => (p ??= f())
  }
  const generated = once(() => flatten(src))
  const expectedDense = once(async () => dense(await generated()))
  const summary = once(() => scanTrace(src))
  const files = new Map<string, () => Promise<string>>()
  const written = (ext: string): Promise<string> => {
    if (!files.has(ext)) {
      files.set(
        ext,
        once(async () => {
          const out = join(dir, `${label}.${ext}`)
          const w = await writeTrace(src, out)
          expect(w.rows).toBe(ROWS)
          return out
        }),
      )
    }
    return files.get(ext)!()
  }

  it.each(['arrow', 'arrows', 'parquet', 'csv'])('.%s reads back to identical cycle values', async (ext) => {
    const expected = await expectedDense()
    const out = await written(ext)
    const back = await flatten(openTrace(out, {ghz: 2.4}))
    expect(sameBytes(back.arrival, expected.arrival)).toBe(true)
    expect(sameBytes(back.conn, expected.conn)).toBe(true)
    expect(sameBytes(back.service, expected.service)).toBe(true)
    expect(back.type.length).toBe(expected.type.length)
    expect(back.type.every((t, i) => t === expected.type[i])).toBe(true)
    // And via stats: the same summary whatever the format.
    const st = await scanTrace(openTrace(out, {ghz: 2.4}))
    const ref = await summary()
    expect({...st, sha256: '', name: ''}).toEqual({...ref, sha256: '', name: ''})
  })

  it('Parquet values agree with an independent reader (hyparquet)', async () => {
    const out = await written('parquet')
    const buf = readFileSync(out)
    const rows = (await parquetReadObjects({
      file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
      compressors,
    })) as {arrival_ns: number; conn: number; service_ns: number; type?: string}[]
    const expected = await generated()
    expect(rows.length).toBe(expected.arrival.length)
    let bad = 0
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].arrival_ns !== cyclesToNs(expected.arrival[i], 2.4)) bad++
      if (rows[i].service_ns !== cyclesToNs(expected.service[i], 2.4)) bad++
      if (rows[i].conn !== expected.conn[i]) bad++
      if (label === 'typed' && rows[i].type !== expected.type[i]) bad++
    }
    expect(bad).toBe(0)
  })
})

describe('cycles → ns → cycles', () => {
  it.each([2.4, 1, 3.1, 0.5, 2.6666])('is exact at %s GHz', (ghz) => {
    let bad = 0
    for (let c = 1; c < 200_000; c += 1) if (Math.round(cyclesToNs(c, ghz) * ghz) !== c) bad++
    for (let c = 2 ** 40; c < 2 ** 40 + 10_000; c++) if (Math.round(cyclesToNs(c, ghz) * ghz) !== c) bad++
    expect(bad).toBe(0)
  })
})

describe('writeTrace', () => {
  const src = syntheticTrace({requests: 1000, service: 'exp:10us', load: 0.5, seed: 1})

  it('refuses to clobber without force, and leaves no temporary file', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tailsim-w-'))
    const out = join(d, 't.csv')
    await writeTrace(src, out)
    await expect(writeTrace(src, out)).rejects.toThrow(/Expected OUT not to exist, got an existing file .* \(pass --force to overwrite\)/)
    await writeTrace(src, out, {force: true})
    const {readdirSync} = await import('node:fs')
    expect(readdirSync(d)).toEqual(['t.csv'])
  })

  it('rejects unknown extensions and missing folders', async () => {
    await expect(writeTrace(src, join(dir, 'x.txt'))).rejects.toThrow(/Expected OUT to end in .arrow, .arrows, .parquet or .csv/)
    await expect(writeTrace(src, join(dir, 'no', 'such', 'x.csv'))).rejects.toThrow(/Expected the folder of OUT to exist/)
  })

  it('removes the temporary file when the source fails midway', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tailsim-w-'))
    const failing: TraceSource = {
      name: 'failing',
      typeNames: [],
      async *batches() {
        yield* src.batches()
        throw new Error('boom')
      },
    }
    for (const ext of ['csv', 'arrow', 'parquet']) {
      await expect(writeTrace(failing, join(d, `f.${ext}`))).rejects.toThrow(/boom/)
    }
    const {readdirSync} = await import('node:fs')
    expect(readdirSync(d)).toEqual([])
  })
})
