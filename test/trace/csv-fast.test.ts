import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import type {CsvParser} from '../../src/trace/csv.js'
import type {TraceOptions} from '../../src/trace/types.js'
import {readCsvText} from './csv-read.js'

/**
 * The fast path's inline conversions (epoch arrivals rebased as they are scanned, services and
 * integer ids converted field by field, in any column order, CSV or TSV) against csv-parse with
 * the general conversions: the same values, and the same error for a bad row.
 */

const COLUMNS = {arrival: 'timestamp_ns', conn: 'client', service: 'latency_us', type: 'kind'}

function read(text: string, parser: CsvParser, chunk: number, opts: Partial<TraceOptions>) {
  return readCsvText(text, parser, chunk, {batchSize: 5, ...opts}, 'log.csv')
}

const BASE = 1732700000n * 1_000_000_000n

/** Arrival text for an offset (ns) from BASE: mostly the plain 19 digits, sometimes another shape. */
const arrivalShape = fc.oneof(
  {weight: 60, arbitrary: fc.constant('plain')},
  {weight: 6, arbitrary: fc.constantFrom('frac', 'zeros', 'space')},
  {weight: 1, arbitrary: fc.constantFrom('short', 'early', 'bad')},
)
function arrivalText(offset: bigint, shape: string): string {
  const v = BASE + offset
  switch (shape) {
    case 'frac':
      return `${v}.25`
    case 'zeros':
      return `00${v}`
    case 'space':
      return ` ${v}`
    case 'short':
      return String(offset) // a small number after an epoch one: refused as decreasing
    case 'early':
      return String(v - 5_000_000_000n) // before the previous rows
    case 'bad':
      return `${v}x`
    default:
      return String(v)
  }
}

const serviceText = fc.oneof(
  {weight: 60, arbitrary: fc.tuple(fc.nat({max: 20000}), fc.nat({max: 9})).map(([a, b]) => `${a}.${b}`)},
  {weight: 6, arbitrary: fc.constantFrom('3', '0.0001', '1e3', '5.', '.5', '1234567890123456.5', ' 7')},
  {weight: 1, arbitrary: fc.constantFrom('-1', '', '1.2.3')},
)
const connText = fc.oneof(
  {weight: 60, arbitrary: fc.nat({max: 3000}).map(String)},
  {weight: 6, arbitrary: fc.constantFrom('007', 'web-3', ' 12', String(2 ** 40), '1234567890123456789')},
  {weight: 1, arbitrary: fc.constant('')},
)

describe('CSV fast path', () => {
  it('gives the values and errors of csv-parse for epoch-ns logs in any column order (property)', async () => {
    let clean = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({max: 3_000_000_000}), arrivalShape, connText, serviceText, fc.constantFrom('a', 'b')), {minLength: 1, maxLength: 40}),
        fc.constantFrom([0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 3, 1, 2], [3, 2, 1, 0]),
        fc.constantFrom(',', '\t'),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom(7, 64, 4096),
        async (rows, order, delimiter, eol, chunk) => {
          const sorted = [...rows].sort((x, y) => x[0] - y[0])
          const names = ['timestamp_ns', 'client', 'latency_us', 'kind']
          const cells = (r: (typeof rows)[number]) => [arrivalText(BigInt(r[0]), r[1]), r[2], r[3], r[4]]
          const text = [order.map((i) => names[i]), ...sorted.map((r) => order.map((i) => cells(r)[i]))].map((l) => l.join(delimiter)).join(eol) + eol
          const opts = {delimiter, columns: order.includes(3) ? COLUMNS : {...COLUMNS, type: undefined}}
          const fast = await read(text, 'auto', chunk, opts)
          const slow = await read(text, 'csv-parse', chunk, opts)
          expect(fast).toEqual(slow)
          if (fast.error === undefined) clean++
        },
      ),
      {numRuns: 200, seed: 20261128},
    )
    expect(clean).toBeGreaterThan(50) // most cases read to the end
  })

  it('converts a plain epoch-ns log exactly, rebased to the first row\'s second', async () => {
    const text = 'timestamp_ns,client,latency_us\n1732700000123456789,7,12.5\n1732700001000000001,9,0.5\n'
    const fast = await read(text, 'auto', 4096, {columns: {...COLUMNS, type: undefined}})
    expect(fast.error).toBeUndefined()
    // 123456789 ns and 1000000001 ns after 1732700000 s, at 2.4 GHz (half-up).
    expect(fast.arrival).toEqual([Math.round(123456789 * 2.4), Math.round(1000000001 * 2.4)])
    expect(fast.conn).toEqual([0, 1])
    expect(fast.service).toEqual([30000, 1200])
  })
})
