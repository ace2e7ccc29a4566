/**
 * Production-log ingest: absolute clocks rebased exactly, units, logs without connection ids,
 * TSV and gzip, duplicated columns, 64-bit connection ids, one-pass inputs.
 */
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {
  Dictionary,
  Field,
  Float64,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampNanosecond,
  Uint32,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow'
import {describe, expect, it} from 'vitest'

import {ConfigError, TraceError} from '../../src/errors.js'
import {openTrace} from '../../src/trace/open.js'
import {parquetWasm} from '../../src/trace/parquet.js'
import {scanTrace} from '../../src/trace/scan.js'
import type {TraceOptions, TraceSource} from '../../src/trace/types.js'

const dir = mkdtempSync(join(tmpdir(), 'tailsim-ingest-'))
const opts: TraceOptions = {ghz: 2.4, isolate: false}

function put(name: string, data: string | Uint8Array): string {
  const p = join(dir, name)
  writeFileSync(p, data)
  return p
}

async function rows(src: TraceSource) {
  const out: {a: number; c: number; s: number}[] = []
  for await (const b of src.batches()) for (let i = 0; i < b.length; i++) out.push({a: b.arrival[i], c: b.conn[i], s: b.service[i]})
  return out
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

async function parquetOf(table: Table): Promise<Uint8Array> {
  const pq = await parquetWasm()
  return pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(table, 'stream')))
}

// Four instants 1 ns, 1 ns and 0.9 s apart, beyond 2^53 as epoch nanoseconds.
const NS = [1732700000123456789n, 1732700000123456790n, 1732700000123456791n, 1732700001023456791n]
const EXPECTED = NS.map((v) => Math.round(Number(v - 1732700000000000000n) * 2.4))

describe('absolute clocks', () => {
  it('epoch ns, µs, s with a fraction, ISO-8601 and Arrow/Parquet timestamps give the same exact cycles', async () => {
    const svc = [5, 6, 7, 8]
    const csv = (header: string, values: string[]) => put(`${header}.csv`, `${header},conn,service_us\n` + values.map((v, i) => `${v},${i},${svc[i]}`).join('\n') + '\n')
    const frac = (v: bigint, unitDigits: number) => {
      const s = v.toString()
      return s.slice(0, s.length - unitDigits) + '.' + s.slice(s.length - unitDigits)
    }
    const files = [
      csv('arrival_ns', NS.map(String)),
      csv('arrival_us', NS.map((v) => frac(v, 3))),
      csv('arrival_ms', NS.map((v) => frac(v, 6))),
      csv('arrival_s', NS.map((v) => frac(v, 9))),
      put('iso.csv', 'when,conn,service_us\n' + ['2024-11-27T09:33:20.123456789Z', '2024-11-27 10:33:20.12345679+01:00', '2024-11-27T09:33:20.123456791', '2024-11-27T04:33:21.023456791-05:00'].map((v, i) => `${v},${i},${svc[i]}`).join('\n')),
    ]
    const ts = makeVector(makeData({type: new TimestampNanosecond('UTC'), length: 4, data: BigInt64Array.from(NS)}))
    const table = new Table({when: ts, conn: makeVector(Int32Array.from([0, 1, 2, 3])), service_us: makeVector(Float64Array.from(svc))})
    const int64 = new Table({arrival_ns: makeVector(BigInt64Array.from(NS)), conn: makeVector(Int32Array.from([0, 1, 2, 3])), service_us: makeVector(Float64Array.from(svc))})
    files.push(put('ts.arrow', tableToIPC(table, 'file')), put('ts.parquet', await parquetOf(table)), put('i64.arrow', tableToIPC(int64, 'file')), put('i64.parquet', await parquetOf(int64)))
    const want = EXPECTED.map((a, i) => ({a, c: i, s: svc[i] * 2400}))
    for (const f of files) {
      const o = /iso|ts\./.test(f) ? {...opts, columns: {arrival: 'when'}} : opts
      const src = openTrace(f, o)
      expect(await rows(src), f).toEqual(want)
      expect(src.ingest?.clock, f).toMatchObject({baseSeconds: 1732700000, rebased: true, epoch: true})
    }
    // Exactness: 1 ns apart stays 1 ns apart (2 or 3 cycles at 2.4 GHz), far beyond 2^53.
    expect(EXPECTED[1] - EXPECTED[0]).toBeGreaterThanOrEqual(2)
  })

  it('--sort of a shuffled epoch log gives exactly the sorted file, with the same clock', async () => {
    const sorted = ['1732700000999999999', '1732700001000000000', '1732700003000000001', '1732700003500000000']
    const order = [2, 0, 3, 1]
    const text = (xs: string[]) => 'arrival_ns,conn,service_ns\n' + xs.map((v) => `${v},c${v.slice(-3)},100`).join('\n') + '\n'
    const a = openTrace(put('sorted.csv', text(sorted)), opts)
    const b = openTrace(put('shuffled.csv', text(order.map((i) => sorted[i]))), {...opts, sort: true})
    expect(await rows(b)).toEqual(await rows(a))
    expect(b.ingest?.clock?.baseSeconds).toBe(a.ingest?.clock?.baseSeconds)
    const e = await failure(rows(openTrace(put('shuffled2.csv', text(order.map((i) => sorted[i]))), opts)))
    expect(e.message).toBe(`${join(dir, 'shuffled2.csv')}, row 3, column \`arrival_ns\`: Expected arrivals to be non-decreasing (>= 1732700003000000001 from row 2), got 1732700000999999999; pass --sort to sort the trace in memory`)
  })

  it('keeps relative clocks as they are, and quotes the literal of a bad field', async () => {
    const src = openTrace(put('rel.csv', 'arrival_ns,conn,service_ns\n1000,1,5\n2000.5,1,5\n'), opts)
    expect((await rows(src)).map((r) => r.a)).toEqual([2400, 4801])
    expect(src.ingest?.clock).toMatchObject({baseSeconds: 0, rebased: false})
    const cases: [string, string][] = [
      ['arrival_ns,conn,service_ns\n1732700000000000000,1,5\n1732700000000000000.5e3,1,5\n', 'row 3, column `arrival_ns`: Expected an arrival below 2^53 cycles (43.4 days at 2.4 GHz)'],
      ['arrival_ns,conn,service_ns\n1732700000000000000,1,5\n-1732700000000000000,1,5\n', 'row 3, column `arrival_ns`: Expected a number >= 0, got -1732700000000000000'],
      ['arrival_ns,conn,service_ns\n1732700000000000000,1,5\n17327000000000000x0,1,5\n', 'row 3, column `arrival_ns`: Expected a number, got "17327000000000000x0"'],
      ['t,conn,service_ns\n2024-11-27T09:33:20Z,1,5\n2024-11-31T09:33:20Z,1,5\n', 'row 3, column `t`: Expected an ISO-8601 time such as 2024-11-27T09:33:20.123456789Z (as in the first row), got "2024-11-31T09:33:20Z"'],
      ['arrival_s,conn,service_ns\n1732700000.5,1,0\n', 'row 2, column `service_ns`: Expected a finite number > 0, got 0'],
    ]
    for (const [i, [text, msg]] of cases.entries()) {
      for (const csvParser of ['auto', 'csv-parse'] as const) {
        const e = await failure(rows(openTrace(put(`bad${i}.csv`, text), {...opts, csvParser, columns: text.startsWith('t,') ? {arrival: 't'} : undefined})))
        expect(e).toBeInstanceOf(TraceError)
        expect(e.message).toContain(`bad${i}.csv, ${msg}`)
      }
    }
  })

  it('accepts the s, ms, us and ns suffixes and flags, and refuses a timestamp column given another unit', async () => {
    const text = 'arrival_ms,conn,service_s\n1,1,0.00001\n2,1,0.00002\n'
    expect(await rows(openTrace(put('units.csv', text), opts))).toEqual([
      {a: 2.4e6, c: 0, s: 24000},
      {a: 4.8e6, c: 0, s: 48000},
    ])
    expect((await rows(openTrace(put('units2.csv', 'at,conn,svc\n1,1,10\n'), {...opts, columns: {arrival: 'at', service: 'svc'}, arrivalUnit: 's', serviceUnit: 'ns'})))[0]).toEqual({a: 2.4e9, c: 0, s: 24})
    const ts = makeVector(makeData({type: new TimestampNanosecond(), length: 1, data: BigInt64Array.from([NS[0]])}))
    const table = new Table({t: ts, conn: makeVector(Int32Array.from([0])), service_us: makeVector(Float64Array.from([1]))})
    const e = await failure(rows(openTrace(put('tsunit.arrow', tableToIPC(table, 'file')), {...opts, columns: {arrival: 't'}, arrivalUnit: 'ms'})))
    expect(e).toBeInstanceOf(ConfigError)
    expect(e.message).toContain('a timestamp column carries its own unit')
  })
})

describe('connection ids', () => {
  it('keep 64-bit ids apart and number string, dictionary and integer ids identically in CSV, Arrow and Parquet', async () => {
    const big = [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n + 5n, 2n ** 53n, 7n, 2n ** 63n + 5n]
    const n = big.length
    const arrival = Float64Array.from({length: n}, (_, i) => i * 10)
    const service = Float64Array.from({length: n}, () => 100)
    const u64 = new Table({arrival_ns: makeVector(arrival), conn: makeVector(BigUint64Array.from(big)), service_ns: makeVector(service)})
    const csv = 'arrival_ns,conn,service_ns\n' + big.map((c, i) => `${i * 10},${c},100`).join('\n')
    const want = [0, 1, 2, 0, 3, 2]
    for (const f of [put('u64.arrow', tableToIPC(u64, 'file')), put('u64.parquet', await parquetOf(u64)), put('u64.csv', csv)]) {
      expect((await rows(openTrace(f, opts))).map((r) => r.c), f).toEqual(want)
    }
    const names = ['a', 'b', 'a', 'ü', 'b', 'c']
    const dict = new Table({arrival_ns: makeVector(arrival), conn: vectorFromArray(names, new Dictionary(new Utf8(), new Int32())), service_ns: makeVector(service)})
    const plain = new Table({arrival_ns: makeVector(arrival), conn: vectorFromArray(names, new Utf8()), service_ns: makeVector(service)})
    const want2 = [0, 1, 0, 2, 1, 3]
    const csv2 = 'arrival_ns,conn,service_ns\n' + names.map((c, i) => `${i * 10},${c},100`).join('\n')
    for (const f of [put('dict.arrow', tableToIPC(dict, 'file')), put('str.arrow', tableToIPC(plain, 'file')), put('dict.parquet', await parquetOf(dict)), put('str.csv', csv2)]) {
      expect((await rows(openTrace(f, opts))).map((r) => r.c), f).toEqual(want2)
    }
  })

  it('refuses a log without connection ids with a hint; --connections draws them (seeded), --conn-per-request gives one each', async () => {
    const n = 20000
    const text = 'arrival_ns,service_ns\n' + Array.from({length: n}, (_, i) => `${i},100`).join('\n')
    const f = put('noconn.csv', text)
    const e = await failure(rows(openTrace(f, opts)))
    expect(e.message).toContain('Expected a column named `conn` (map another name with --conn-column, or pass --connections N or --conn-per-request')
    const a = await rows(openTrace(f, {...opts, connections: 10}))
    const b = await rows(openTrace(f, {...opts, connections: 10}))
    const c = await rows(openTrace(f, {...opts, connections: 10, connSeed: 2}))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    const counts = new Array(10).fill(0)
    for (const r of a) counts[r.c]++
    // Uniform: each of the 10 ids gets 2000 ± 5 standard deviations (√(n·0.1·0.9) ≈ 42).
    for (const k of counts) expect(Math.abs(k - n / 10)).toBeLessThan(5 * 42.5)
    const per = await rows(openTrace(f, {...opts, connPerRequest: true}))
    expect(per.map((r) => r.c)).toEqual(Array.from({length: n}, (_, i) => i))
    // The same drawn ids from Arrow.
    const t = new Table({arrival_ns: makeVector(Float64Array.from({length: n}, (_, i) => i)), service_ns: makeVector(Float64Array.from({length: n}, () => 100))})
    expect(await rows(openTrace(put('noconn.arrow', tableToIPC(t, 'file')), {...opts, connections: 10}))).toEqual(a)
    const src = openTrace(f, {...opts, connections: 10})
    await rows(src)
    expect(src.ingest?.connections).toEqual({mode: 'uniform', connections: 10, seed: 1})
    const both = await failure(rows(openTrace(put('withconn.csv', 'arrival_ns,conn,service_ns\n1,1,1\n'), {...opts, connections: 10})))
    expect(both).toBeInstanceOf(ConfigError)
  })
})

describe('more CSV shapes', () => {
  const text = 'arrival_ns,conn,service_ns\n10,a,100\n20,b,200\n\n30,"a",300\n'
  it('reads TSV by extension and by --delimiter, and gzip-compressed CSV/TSV by magic bytes', async () => {
    const want = await rows(openTrace(put('plain.csv', text), opts))
    const tsv = text.replaceAll(',', '\t')
    expect(await rows(openTrace(put('t.tsv', tsv), opts))).toEqual(want)
    expect(await rows(openTrace(put('t.txt', tsv), {...opts, delimiter: '\t'}))).toEqual(want)
    expect(await rows(openTrace(put('semi.csv', text.replaceAll(',', ';')), {...opts, delimiter: ';'}))).toEqual(want)
    expect(await rows(openTrace(put('g.csv.gz', gzipSync(text)), opts))).toEqual(want)
    expect(await rows(openTrace(put('g.tsv.gz', gzipSync(tsv)), opts))).toEqual(want)
    expect(await rows(openTrace(put('g.log', gzipSync(text)), opts))).toEqual(want)
    const cut = gzipSync(text + '40,c,400\n'.repeat(5000))
    const e = await failure(rows(openTrace(put('cut.csv.gz', cut.subarray(0, cut.length - 20)), opts)))
    expect(e).toBeInstanceOf(TraceError)
    expect(e.message).toContain('Expected a valid gzip stream, got a corrupt or truncated one')
  })

  it('refuses duplicated column names, naming both positions (CSV and Arrow)', async () => {
    const e = await failure(rows(openTrace(put('dup.csv', 'arrival_ns,conn,service_ns,conn\n1,1,1,2\n'), opts)))
    expect(e.message).toBe(`${join(dir, 'dup.csv')}, row 1: Expected one column named \`conn\`, got two: columns 2 and 4 (rename one)`)
    const e2 = await failure(rows(openTrace(put('two.csv', 'arrival_ns,conn,arrival_us,service_ns\n1,1,1,2\n'), opts)))
    expect(e2.message).toContain('Expected one arrival column, got `arrival_ns` (column 1) and `arrival_us` (column 3); choose one with --arrival-column')
    const fields = [new Field('arrival_ns', new Float64()), new Field('conn', new Uint32()), new Field('conn', new Uint32()), new Field('service_ns', new Float64())]
    const schema = new Schema(fields)
    const children = [Float64Array.from([1]), Uint32Array.from([1]), Uint32Array.from([2]), Float64Array.from([1])].map((data, i) =>
      makeData({type: fields[i].type, length: 1, data} as never),
    )
    const rb = new RecordBatch(schema, makeData({type: new Struct(fields), length: 1, children}))
    const e3 = await failure(rows(openTrace(put('dup.arrow', tableToIPC(new Table([rb]), 'file')), opts)))
    expect(e3.message).toBe(`${join(dir, 'dup.arrow')}: Expected one column named \`conn\`, got two: columns 2 and 3 (rename one)`)
  })
})

describe('one-pass inputs', () => {
  it('reads a named pipe once (inspect of a FIFO ends), and refuses a second pass clearly', async () => {
    const fifo = join(dir, 'pipe.csv')
    try {
      execFileSync('mkfifo', [fifo])
    } catch {
      return // no mkfifo on this system
    }
    const writer = spawn('sh', ['-c', `printf 'arrival_ns,conn,service_ns\\n1,1,10\\n2,2,10\\n' > '${fifo}'`])
    const exited = new Promise((r) => writer.on('exit', r))
    const src = openTrace(fifo, {ghz: 2.4})
    const stats = await scanTrace(src, {ghz: 2.4})
    expect(stats.requests).toBe(2)
    expect(stats.sha256).toMatch(/^[0-9a-f]{64}$/)
    await exited
    const e = await failure(rows(src))
    expect(e).toBeInstanceOf(ConfigError)
    expect(e.message).toContain('to be read once (it is a named pipe or device, not a regular file)')
  }, 30_000)
})

describe('Uint32 stays an integer id', () => {
  it('reads uint32 ids above 2^31', async () => {
    const t = new Table({arrival_ns: makeVector(Float64Array.from([1, 2, 3])), conn: vectorFromArray([4294967295, 1, 4294967295], new Uint32()), service_ns: makeVector(Float64Array.from([1, 1, 1]))})
    expect((await rows(openTrace(put('u32.arrow', tableToIPC(t, 'file')), opts))).map((r) => r.c)).toEqual([0, 1, 0])
  })
})
