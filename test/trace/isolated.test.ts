// Reading trace files in a worker thread (src/trace/isolated.ts). The isolation is only active
// when the library runs from its compiled form, so these tests import dist/ (npm test builds
// first). Fixtures in test/fixtures/fuzz/ are files found by the fuzzer (bench/lib/fuzz.js).
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, test} from 'vitest'

const dist = new URL('../../dist/src/trace/index.js', import.meta.url)
const lib = (await import(dist.href)) as typeof import('../../src/trace/index.js')
const errs = (await import(new URL('../../dist/src/errors.js', import.meta.url).href)) as typeof import('../../src/errors.js')
const iso = (await import(new URL('../../dist/src/trace/isolated.js', import.meta.url).href)) as typeof import('../../src/trace/isolated.js')

const fixture = (name: string) => new URL(`../fixtures/fuzz/${name}`, import.meta.url).pathname

type Source = ReturnType<typeof lib.openTrace>

/** Every row of one pass over `source`, column by column, and its type names after the pass. */
async function rowsOf(source: Source) {
  const arrival: number[] = []
  const conn: number[] = []
  const service: number[] = []
  const type: number[] = []
  for await (const b of source.batches()) {
    for (let i = 0; i < b.length; i++) {
      arrival.push(b.arrival[i])
      conn.push(b.conn[i])
      service.push(b.service[i])
      if (b.type) type.push(b.type[i])
    }
  }
  return {arrival, conn, service, type, typeNames: [...source.typeNames]}
}

async function collect(path: string, isolate: boolean) {
  return rowsOf(lib.openTrace(path, {ghz: 2.4, isolate, batchSize: 4096}))
}

describe('isolated reading', () => {
  test('the compiled worker is there', () => {
    expect(iso.isolationAvailable()).toBe(true)
  })

  for (const file of ['traces/sample.csv', 'traces/exp-10us.parquet', 'traces/tpcc-like.parquet']) {
    test(`${file}: the worker yields exactly the in-thread values`, async () => {
      expect(existsSync(file)).toBe(true)
      const a = await collect(file, true)
      const b = await collect(file, false)
      expect(a.arrival.length).toBe(50_000)
      expect(a).toEqual(b)
    })
  }

  test('a second pass reuses the idle worker and yields the same values and type names', async () => {
    const file = 'traces/tpcc-like.parquet'
    const expected = await collect(file, false)
    const source = lib.openTrace(file, {ghz: 2.4, isolate: true, batchSize: 4096})
    const first = await rowsOf(source)
    const before = {...iso.readerWorkerCounts}
    const second = await rowsOf(source)
    expect(iso.readerWorkerCounts.reused).toBe(before.reused + 1)
    expect(first).toEqual(expected)
    expect(second).toEqual(first)
    expect(source.typeNames).toEqual(expected.typeNames)
    // A new source for the same file and options also reuses the worker, and gets every type name.
    const again = await collect(file, true)
    expect(iso.readerWorkerCounts.reused).toBe(before.reused + 2)
    expect(again).toEqual(expected)
  })

  test('a pass stopped early is not reused; the next pass starts a fresh worker and reads everything', async () => {
    const file = 'traces/exp-10us.parquet'
    const source = lib.openTrace(file, {ghz: 2.4, isolate: true, batchSize: 4096})
    for await (const b of source.batches()) {
      expect(b.length).toBe(4096)
      break
    }
    const before = {...iso.readerWorkerCounts}
    let rows = 0
    for await (const b of source.batches()) rows += b.length
    expect(rows).toBe(50_000)
    expect(iso.readerWorkerCounts.started).toBe(before.started + 1)
    await iso.closeIdleReader()
  })

  test('an idle worker that died is not reused: the next pass starts a fresh one at once', async () => {
    const file = 'traces/exp-10us.parquet'
    const source = lib.openTrace(file, {ghz: 2.4, isolate: true, batchSize: 4096, stallTimeoutMs: 5000})
    let rows = 0
    for await (const b of source.batches()) rows += b.length
    const w = iso.idleReaderForTests()
    expect(w).toBeDefined()
    await w!.terminate()
    expect(iso.idleReaderForTests()).toBeUndefined()
    const before = {...iso.readerWorkerCounts}
    let again = 0
    for await (const b of source.batches()) again += b.length
    expect(again).toBe(rows)
    expect(iso.readerWorkerCounts.started).toBe(before.started + 1)
    await iso.closeIdleReader()
    expect(iso.idleReaderForTests()).toBeUndefined()
  })

  test('--sort through the worker: the worker only reads (rows sorted once, by the caller), same rows as in-thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-iso-sort-'))
    try {
      const p = join(dir, 'unsorted.csv')
      const lines = ['arrival_ns,conn,service_ns']
      let x = 7
      for (let i = 0; i < 20_000; i++) {
        x = (x * 1103515245 + 12345) >>> 0
        lines.push(`${x % 1_000_000},c${x % 97},${1 + (x % 5000)}`)
      }
      writeFileSync(p, lines.join('\n') + '\n')
      const read = (isolate: boolean) => rowsOf(lib.openTrace(p, {ghz: 2.4, isolate, sort: true, batchSize: 4096}))
      const a = await read(true)
      const b = await read(false)
      expect(a.arrival.length).toBe(20_000)
      expect(a).toEqual(b)
      for (let i = 1; i < a.arrival.length; i++) expect(a.arrival[i]).toBeGreaterThanOrEqual(a.arrival[i - 1])
      // Without --sort the same file is refused, naming the row.
      await expect(
        (async () => {
          for await (const _ of lib.openTrace(p, {ghz: 2.4, isolate: true}).batches());
        })(),
      ).rejects.toThrow(/non-decreasing/)
      // The sort bound is enforced by the caller, with its own error class.
      await expect(
        (async () => {
          for await (const _ of lib.openTrace(p, {ghz: 2.4, isolate: true, sort: true, maxSortRows: 1000}).batches());
        })(),
      ).rejects.toBeInstanceOf(errs.LimitError)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  test('a typed error inside the worker keeps its class, message and exit code', async () => {
    const source = lib.openTrace('README.md', {ghz: 2.4})
    const err = await lib.scanTrace(source).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(errs.TraceError)
    expect((err as Error).message).toMatch(/README\.md/)
    expect((err as InstanceType<typeof errs.TraceError>).exitCode).toBe(65)
  })

  // The spinning worker runs (it is not starved), so its time counts towards the stall timeout
  // (src/trace/stall.ts); on a busy machine it gets less CPU and ends later in wall time.
  test('an Arrow stream on which apache-arrow spins for ever ends as a TraceError after the stall timeout', async () => {
    const source = lib.openTrace(fixture('schema-flatbuffer-hang.arrows'), {ghz: 2.4, stallTimeoutMs: 1500})
    await expect(lib.scanTrace(source)).rejects.toThrow(/got none for 1.5 s .*corrupt/)
  })

  test('a Parquet file that traps parquet-wasm ends as a TraceError', async () => {
    const source = lib.openTrace(fixture('parquet-wasm-trap.parquet'), {ghz: 2.4})
    const err = await lib.scanTrace(source).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(errs.TraceError)
    expect((err as Error).message).toMatch(/parquet-wasm-trap\.parquet/)
  })
})
