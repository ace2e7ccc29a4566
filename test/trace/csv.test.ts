import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import type {CsvParser} from '../../src/trace/csv.js'
import type {TraceOptions} from '../../src/trace/types.js'
import {type Read, readCsvText as read} from './csv-read.js'

async function both(text: string | Buffer, chunk?: number, opts?: Partial<TraceOptions>): Promise<[Read, Read]> {
  return [await read(text, 'auto', chunk, opts), await read(text, 'csv-parse', chunk, opts)]
}

describe('CSV reader', () => {
  it('reads the plain numeric form, converting to cycles', async () => {
    const [fast, slow] = await both('arrival_ns,conn,service_ns\n0,7,1000\n10.5,3,2500.25\n10.5,7,1e3\n')
    expect(fast).toEqual(slow)
    expect(fast.arrival).toEqual([0, 25, 25])
    expect(fast.conn).toEqual([0, 1, 0]) // dense, by first appearance
    expect(fast.service).toEqual([2400, 6001, 2400])
  })

  it('handles microseconds, CRLF, a BOM, blank lines and no final newline', async () => {
    const text = '\ufeffarrival_us,conn,service_us\r\n\r\n1,a,2\r\n1.5,b,0.5\r\n\r\n3,a,1'
    const [fast, slow] = await both(text)
    expect(fast).toEqual(slow)
    expect(fast.arrival).toEqual([2400, 3600, 7200])
    expect(fast.conn).toEqual([0, 1, 0])
    expect(fast.service).toEqual([4800, 1200, 2400])
  })

  it('maps other column names and units', async () => {
    const text = 'svc,flow,t,kind\n5,x,0,get\n7,y,1,set\n'
    const opts = {columns: {arrival: 't', conn: 'flow', service: 'svc', type: 'kind'}, arrivalUnit: 'us', serviceUnit: 'us'} as const
    const [fast, slow] = await both(text, undefined, opts)
    expect(fast).toEqual(slow)
    expect(fast).toMatchObject({arrival: [0, 2400], service: [12_000, 16_800], type: ['get', 'set']})
  })

  it('switches to csv-parse at the first quoted line, keeping values and row numbers', async () => {
    const lines = ['arrival_ns,conn,service_ns,type']
    for (let i = 0; i < 50; i++) lines.push(`${i * 10},${i % 4},${1000 + i},t${i % 3}`)
    lines.push('600,"quoted, conn",1000,"multi\nline"')
    lines.push('610,5,1000,t1')
    const good = lines.join('\n') + '\n'
    const bad = good + '620,5,-1,t1\n'
    for (const chunk of [7, 64, 1 << 20]) {
      const [fast, slow] = await both(good, chunk)
      expect(fast).toEqual(slow)
      expect(fast.error).toBeUndefined()
      expect(fast.arrival.length).toBe(52)
      expect(fast.type[50]).toBe('multi\nline')
      const [fastBad, slowBad] = await both(bad, chunk)
      expect(fastBad.error).toBe(slowBad.error)
      // The quoted record spans lines 52-53, so the bad row is line 55.
      expect(fastBad.error).toBe('mem.csv, row 55, column `service_ns`: Expected a finite number > 0, got -1')
    }
  })

  it('keeps integer ids and string ids apart, and treats 007 as a string', async () => {
    const [fast, slow] = await both('arrival_ns,conn,service_ns\n0,7,1\n1,007,1\n2, 7 ,1\n3,x,1\n4,7,1\n5,9007199254740993,1\n')
    expect(fast).toEqual(slow)
    expect(fast.conn).toEqual([0, 1, 0, 2, 0, 3])
  })

  it('reports the same error row whatever the parser and chunking', async () => {
    const cases = [
      'arrival_ns,conn,service_ns\n0,1,1\n1,2,x\n',
      'arrival_ns,conn,service_ns\n0,1,1\n\n\n1,2,0\n',
      'arrival_ns,conn,service_ns\n5,1,1\n1,2,1\n',
      'arrival_ns,conn,service_ns\n0,1,1\n1,2\n',
      'arrival_ns,conn,service_ns\n0,1,1,4\n',
      'arrival_ns,conn,service_ns\n0,1,\n',
      'arrival_ns,conn,service_ns\n',
      '',
    ]
    for (const text of cases) {
      for (const chunk of [3, 1 << 20]) {
        const [fast, slow] = await both(text, chunk)
        expect(fast.error, text).toBeDefined()
        expect(fast.error, text).toBe(slow.error)
      }
    }
  })

  it('rejects a multi-megabyte line without reading it all', async () => {
    const text = Buffer.concat([Buffer.from('arrival_ns,conn,service_ns\n0,1,'), Buffer.alloc(4 << 20, 0x31)])
    const [fast, slow] = await both(text, 1 << 16)
    expect(fast.error).toMatch(/row 2: Expected lines of at most 1048576 bytes/)
    expect(slow.error).toMatch(/row 2: Expected lines of at most 1048576 bytes/)
  })

  /** A numeric field in many spellings, all valid. */
  const numberText = fc.oneof(
    fc.nat({max: 10 ** 9}).map(String),
    fc.double({min: 0, max: 1e9, noNaN: true}).map(String),
    fc.tuple(fc.nat({max: 10 ** 7}), fc.nat({max: 999999})).map(([a, b]) => `${a}.${b}`),
    fc.tuple(fc.nat({max: 99999}), fc.integer({min: -3, max: 4})).map(([a, e]) => `${a}e${e}`),
    fc.nat({max: 10 ** 6}).map((v) => ` ${v} `),
    fc.constantFrom('0', '0.0', '.5', '5.', '000123', '1234567890123456789', '0.30000000000000004', '9007199254740993'),
  )
  const connText = fc.oneof(
    fc.nat({max: 50}).map(String),
    fc.nat({max: 2 ** 40}).map(String),
    fc.constantFrom('007', 'a', 'b', 'conn-1', ' 3', 'é', '-4'),
  )

  it('fast path and csv-parse give identical values (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(numberText, connText, numberText, fc.constantFrom('get', 'set', 'scan')), {minLength: 1, maxLength: 60}),
        fc.boolean(),
        fc.constantFrom(5, 17, 4096),
        fc.boolean(),
        async (rows, typed, chunk, crlf) => {
          // Arrivals must not decrease: sort by numeric value.
          const sorted = rows.map((r) => [...r] as string[]).sort((x, y) => Number(x[0]) - Number(y[0]))
          const header = typed ? 'arrival_ns,conn,service_ns,type' : 'arrival_ns,conn,service_ns'
          const eol = crlf ? '\r\n' : '\n'
          const text = [header, ...sorted.map((r) => (typed ? r : r.slice(0, 3)).join(','))].join(eol) + eol
          const [fast, slow] = await both(text, chunk)
          expect(fast).toEqual(slow)
        },
      ),
      {numRuns: 300, seed: 20261127},
    )
  })
})
