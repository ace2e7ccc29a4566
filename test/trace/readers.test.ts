import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Dictionary, Int32, Table, Uint8, Utf8, makeVector, tableToIPC, vectorFromArray} from 'apache-arrow'
import {describe, expect, it} from 'vitest'

import {LimitError, TailsimError, TraceError} from '../../src/errors.js'
import {openTrace} from '../../src/trace/open.js'
import {parquetWasm} from '../../src/trace/parquet.js'
import {scanTrace} from '../../src/trace/scan.js'
import type {TraceOptions, TraceSource} from '../../src/trace/types.js'
import {writeCorpus} from './corpus.js'

const dir = mkdtempSync(join(tmpdir(), 'tailsim-readers-'))

async function rows(src: TraceSource) {
  const out: {a: number; c: number; s: number; t?: string}[] = []
  for await (const b of src.batches()) {
    for (let i = 0; i < b.length; i++) {
      out.push({a: b.arrival[i], c: b.conn[i], s: b.service[i], ...(b.type ? {t: src.typeNames[b.type[i]]} : {})})
    }
  }
  return out
}

function put(name: string, data: string | Uint8Array): string {
  const p = join(dir, name)
  writeFileSync(p, data)
  return p
}

const opts: TraceOptions = {ghz: 2.4}

describe('bad-trace corpus (library)', async () => {
  const corpus = await writeCorpus(join(dir, 'bad'))
  it.each(corpus.map((b) => [b.file, b] as const))('%s', async (_, bad) => {
    const o: TraceOptions = {...opts}
    const f = bad.flags ?? []
    if (f.includes('--sort')) Object.assign(o, {sort: true, maxSortRows: Number(f[f.indexOf('--max-sort-rows') + 1])})
    if (f.includes('--arrival-column')) o.columns = {arrival: f[f.indexOf('--arrival-column') + 1]}
    for (const csvParser of ['auto', 'csv-parse'] as const) {
      let error: unknown
      try {
        await rows(openTrace(join(dir, 'bad', bad.file), {...o, csvParser}))
      } catch (e) {
        error = e
      }
      expect(error, `${bad.file} with ${csvParser}`).toBeInstanceOf(TailsimError)
      expect((error as Error).message).toMatch(bad.message)
      if (bad.exitCode === undefined) expect(error).toBeInstanceOf(TraceError)
      expect((error as TraceError).where.file).toBe(join(dir, 'bad', bad.file))
    }
  })
})

describe('Arrow reader', () => {
  it('accepts integer, int64, float32 and dictionary / string columns', async () => {
    const table = new Table({
      arrival_us: makeVector(BigInt64Array.from([0n, 1n, 1n, 5n])),
      conn: vectorFromArray(['x', 'y', 'x', 'z'], new Dictionary(new Utf8(), new Int32())),
      service_ns: makeVector(Float32Array.from([1000, 2000.5, 3000, 4000])),
      type: vectorFromArray(['get', 'set', 'get', 'get'], new Utf8()),
    })
    for (const format of ['file', 'stream'] as const) {
      const p = put(`types-${format}.arrow`, tableToIPC(table, format))
      const src = openTrace(p, opts)
      expect(await rows(src)).toEqual([
        {a: 0, c: 0, s: 2400, t: 'get'},
        {a: 2400, c: 1, s: 4801, t: 'set'},
        {a: 2400, c: 0, s: 7200, t: 'get'},
        {a: 12000, c: 2, s: 9600, t: 'get'},
      ])
      expect(src.typeNames).toEqual(['get', 'set'])
    }
  })

  it('gives dense connection ids in order of first appearance, for small, large and negative ids', async () => {
    const ids = [500_000_000, 3, -2, 3, 10_000_000, 500_000_000, 0]
    const table = new Table({
      arrival_ns: makeVector(Float64Array.from(ids.map((_, i) => i))),
      conn: makeVector(BigInt64Array.from(ids.map(BigInt))),
      service_ns: makeVector(Int32Array.from(ids.map(() => 100))),
    })
    const got = await rows(openTrace(put('ids.arrow', tableToIPC(table)), opts))
    expect(got.map((r) => r.c)).toEqual([0, 1, 2, 1, 3, 0, 4])
  })

  it('re-reads from the start on each pass and reuses its batch arrays', async () => {
    const n = 200_000
    const table = new Table({
      arrival_ns: makeVector(Float64Array.from({length: n}, (_, i) => i * 100)),
      conn: makeVector(Uint8Array.from({length: n}, (_, i) => i % 256)),
      service_ns: makeVector(Float64Array.from({length: n}, () => 5000)),
    })
    const src = openTrace(put('big.arrow', tableToIPC(table)), {...opts, batchSize: 65536})
    const seen = new Set<Float64Array>()
    let total = 0
    for await (const b of src.batches()) {
      seen.add(b.arrival)
      total += b.length
      expect(b.length).toBeLessThanOrEqual(65536)
    }
    expect(total).toBe(n)
    expect(seen.size).toBe(1)
    const st = await scanTrace(src)
    expect(st.requests).toBe(n)
    expect(st.connections).toBe(256)
    expect(st.serviceMean).toBe(12_000)
    expect(st.serviceP50).toBe(12_000)
    expect(st.serviceCv).toBe(0)
  })

  it('rejects a float16 or boolean time column with a typed error', async () => {
    const table = new Table({
      arrival_ns: makeVector(Float64Array.from([0, 1])),
      conn: makeVector(Uint8Array.from([0, 1])),
      service_ns: vectorFromArray([true, false]),
    })
    await expect(rows(openTrace(put('bool.arrow', tableToIPC(table)), opts))).rejects.toThrow(/column `service_ns`: Expected a numeric column, got Bool/)
  })
})

describe('Parquet reader', () => {
  it('reads string connections and a type column written by parquet-wasm directly', async () => {
    const pq = await parquetWasm()
    const table = new Table({
      arrival_ns: makeVector(Float64Array.from([0, 10, 20])),
      conn: vectorFromArray(['a', 'b', 'a'], new Utf8()),
      service_ns: makeVector(Int32Array.from([100, 200, 300])),
      type: vectorFromArray(['q', 'q', 'r'], new Dictionary(new Utf8(), new Uint8())),
      extra: makeVector(Float32Array.from([1, 2, 3])),
    })
    const bytes = pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(table, 'stream')))
    const got = await rows(openTrace(put('direct.parquet', bytes), opts))
    expect(got).toEqual([
      {a: 0, c: 0, s: 240, t: 'q'},
      {a: 24, c: 1, s: 480, t: 'q'},
      {a: 48, c: 0, s: 720, t: 'r'},
    ])
  })
})

describe('options', () => {
  it('--sort sorts in memory, stably, renumbering connections', async () => {
    const p = put('unsorted.csv', 'arrival_ns,conn,service_ns\n30,c,1\n10,a,2\n20,b,3\n10,d,4\n')
    await expect(rows(openTrace(p, opts))).rejects.toThrow(/Expected arrivals to be non-decreasing/)
    const src = openTrace(p, {...opts, sort: true})
    const expected = [
      {a: 24, c: 0, s: 5},
      {a: 24, c: 1, s: 10},
      {a: 48, c: 2, s: 7},
      {a: 72, c: 3, s: 2},
    ]
    expect(await rows(src)).toEqual(expected)
    expect(await rows(src)).toEqual(expected) // second pass from memory
    await expect(rows(openTrace(p, {...opts, sort: true, maxSortRows: 3}))).rejects.toThrow(LimitError)
  })

  it('forces a format, and names a missing file', async () => {
    const p = put('csv-with-odd-ext.dat', 'arrival_ns,conn,service_ns\n0,1,5\n')
    expect(await rows(openTrace(p, {...opts, format: 'csv'}))).toHaveLength(1)
    expect(await rows(openTrace(p, opts))).toHaveLength(1) // text without magic → CSV
    await expect(rows(openTrace(p, {...opts, format: 'arrow'}))).rejects.toThrow(/Expected an Arrow IPC file/)
    expect(() => openTrace(join(dir, 'nope.csv'), opts)).toThrow(/Expected a readable trace file, got ENOENT/)
    expect(() => openTrace(dir, opts)).toThrow(/got a directory/)
  })

  it('a Float32 arrival column works too', async () => {
    const table = new Table({
      arrival_ns: makeVector(Float32Array.from([0, 1.5])),
      conn: makeVector(Int32Array.from([1, 1])),
      service_ns: makeVector(Float32Array.from([1, 2])),
    })
    expect((await rows(openTrace(put('f32.arrows', tableToIPC(table, 'stream')), opts))).map((r) => r.a)).toEqual([0, 4])
  })
})
