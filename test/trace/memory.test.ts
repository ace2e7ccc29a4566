// readColumns (src/trace/memory.ts): a whole trace into columns, bounded (stdin, compare's cache).
import {describe, expect, it} from 'vitest'

import {memoryTrace, readColumns} from '../../src/trace/memory.js'

function cols(n: number, typed: boolean) {
  return {
    arrival: Float64Array.from({length: n}, (_, i) => i * 10),
    conn: Uint32Array.from({length: n}, (_, i) => i % 7),
    service: Float64Array.from({length: n}, (_, i) => 1 + (i % 13)),
    ...(typed ? {type: Uint16Array.from({length: n}, (_, i) => i % 3), typeNames: ['a', 'b', 'c']} : {}),
  }
}

/** Same type, length and bytes (toEqual walks 200k-element typed arrays element by element, seconds of CPU). */
function expectSameArray(got: ArrayBufferView | undefined, want: ArrayBufferView | undefined): void {
  expect(got?.constructor).toBe(want?.constructor)
  if (got === undefined || want === undefined) return
  expect(got.byteLength).toBe(want.byteLength)
  expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true)
}

describe('readColumns', () => {
  it('reads every row, growing past its first allocation, types included', async () => {
    for (const typed of [false, true]) {
      const c = cols(200_000, typed)
      const got = await readColumns(memoryTrace('m', c, 30_000), {maxRows: 1e9, tooMany: () => new Error('no')})
      expectSameArray(got.arrival, c.arrival)
      expectSameArray(got.conn, c.conn)
      expectSameArray(got.service, c.service)
      expectSameArray(got.type, c.type)
    }
  })

  it('sized from expectedRows, and refusing more than maxRows with the caller’s error', async () => {
    const c = cols(5000, false)
    const got = await readColumns(memoryTrace('m', c, 1000), {maxRows: 5000, expectedRows: 5000, tooMany: () => new Error('no')})
    expect(got.arrival.length).toBe(5000)
    await expect(readColumns(memoryTrace('m', c, 1000), {maxRows: 4999, tooMany: () => new RangeError('too many')})).rejects.toThrow(RangeError)
  })
})
