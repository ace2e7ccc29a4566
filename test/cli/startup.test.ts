// The start-up path of a small command: a small CSV trace is read and fingerprinted in the main
// thread (no reader worker, no hashing thread), with the same rows and the same SHA-256 as the
// worker path, which stays for larger files and for Arrow and Parquet (src/trace/open.ts,
// INLINE_MAX_BYTES; src/trace/hash.ts, HASH_INLINE_MAX_BYTES). Workers exist only in the compiled
// library, so this file imports dist/ (npm test builds first).
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {gzipSync} from 'node:zlib'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, test} from 'vitest'

import {collectRows} from '../helpers.js'

const load = async <T>(p: string) => (await import(new URL(`../../dist/src/${p}`, import.meta.url).href)) as T
const lib = await load<typeof import('../../src/trace/index.js')>('trace/index.js')
const open = await load<typeof import('../../src/trace/open.js')>('trace/open.js')
const hash = await load<typeof import('../../src/trace/hash.js')>('trace/hash.js')
const iso = await load<typeof import('../../src/trace/isolated.js')>('trace/isolated.js')

const dir = mkdtempSync(join(tmpdir(), 'tailsim-startup-'))
afterAll(async () => {
  await iso.closeIdleReader()
  rmSync(dir, {recursive: true, force: true})
})

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex')
const opts = {ghz: 2.4, statsCache: false as const, batchSize: 1000}

describe('a small CSV trace is read and hashed in the main thread', () => {
  test('no worker is started; rows, types and fingerprint equal those of the worker path', async () => {
    const path = join(dir, 'typed.csv')
    const lines = ['arrival_ns,conn,service_ns,type']
    for (let i = 0; i < 3000; i++) lines.push(`${i * 1700 + (i % 7)},${(i * 31) % 97},${5000 + ((i * 7919) % 9000)},${i % 5 === 0 ? 'scan' : 'get'}`)
    writeFileSync(path, lines.join('\n') + '\n')
    expect(readFileSync(path).length).toBeLessThanOrEqual(open.INLINE_MAX_BYTES)
    const before = {...iso.readerWorkerCounts}
    const inline = lib.openTrace(path, opts)
    const stats = await inline.quickStats() // a CSV has none: undefined, and no worker either
    expect(stats).toBeUndefined()
    const a = await collectRows(inline)
    const a2 = await collectRows(inline) // the second pass (a run reads twice) is the same
    const digest = await inline.digest()
    expect(iso.readerWorkerCounts).toEqual(before)
    const worker = lib.openTrace(path, {...opts, isolate: true})
    const b = await collectRows(worker)
    expect(iso.readerWorkerCounts.started + iso.readerWorkerCounts.reused).toBe(before.started + before.reused + 1)
    expect(a.a.length).toBe(3000)
    expect(a).toEqual(b)
    expect(a2).toEqual(a)
    expect(inline.typeNames).toEqual(worker.typeNames)
    expect(inline.typeNames).toEqual(['scan', 'get'])
    // The same fingerprint from the main thread, the hashing thread (forced: -1) and a plain hash.
    expect(digest).toBe(sha256(path))
    expect(await hash.hashFile(path, -1)).toBe(digest)
    expect(await worker.digest()).toBe(digest)
  })

  test('gzip: a small one is read in the main thread; above an eighth of the limit, in the worker', async () => {
    const plain = join(dir, 'typed.csv') // from the first test
    const small = join(dir, 'small.csv.gz')
    writeFileSync(small, gzipSync(readFileSync(plain)))
    const before = {...iso.readerWorkerCounts}
    const rows = await collectRows(lib.openTrace(small, opts))
    expect(iso.readerWorkerCounts).toEqual(before)
    expect(rows).toEqual(await collectRows(lib.openTrace(plain, opts)))
    // Pseudo-random rows compress about 2–3×: 120 000 of them are well above INLINE_MAX_BYTES / 8.
    const lines = ['arrival_ns,conn,service_ns']
    let x = 12345
    for (let i = 0; i < 120_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648
      lines.push(`${i * 1000 + (x % 997)},${x % 4093},${1000 + (x % 99991)}`)
    }
    const large = join(dir, 'large.csv.gz')
    writeFileSync(large, gzipSync(lines.join('\n') + '\n'))
    expect(readFileSync(large).length).toBeGreaterThan(open.INLINE_MAX_BYTES / 8)
    await iso.closeIdleReader()
    const at = {...iso.readerWorkerCounts}
    for await (const b of lib.openTrace(large, opts).batches()) {
      expect(b.length).toBe(1000)
      break
    }
    expect(iso.readerWorkerCounts.started).toBe(at.started + 1)
  })

  test('a small Arrow file still goes to the reader worker (its decoder can hang on a corrupt file)', async () => {
    const path = join(dir, 'small.arrow')
    const syn = lib.syntheticTrace({requests: 2000, service: 'exp:10us', connections: 50, seed: 3, ghz: 2.4, load: 0.5, cores: 4})
    await lib.writeTrace(syn, path, {ghz: 2.4})
    await iso.closeIdleReader()
    const before = {...iso.readerWorkerCounts}
    const rows = await collectRows(lib.openTrace(path, opts))
    expect(iso.readerWorkerCounts.started).toBe(before.started + 1)
    expect(rows).toEqual(await collectRows(lib.openTrace(path, {...opts, isolate: false})))
  })

  test('a CSV larger than INLINE_MAX_BYTES goes to the reader worker', async () => {
    const path = join(dir, 'large.csv')
    const rows: string[] = ['arrival_ns,conn,service_ns']
    // 18–21 bytes a row: enough rows to pass the limit.
    const n = Math.ceil((open.INLINE_MAX_BYTES * 1.05) / 18)
    for (let i = 0; i < n; i++) rows.push(`${1_000_000_000 + i * 1000},${i % 1000},10000`)
    writeFileSync(path, rows.join('\n') + '\n')
    expect(readFileSync(path).length).toBeGreaterThan(open.INLINE_MAX_BYTES)
    await iso.closeIdleReader()
    const before = {...iso.readerWorkerCounts}
    // The first batch is enough to see where it was read (a pass stopped early ends its worker).
    for await (const b of lib.openTrace(path, opts).batches()) {
      expect(b.arrival[0]).toBe(2.4e9)
      break
    }
    expect(iso.readerWorkerCounts.started).toBe(before.started + 1)
  })
})
