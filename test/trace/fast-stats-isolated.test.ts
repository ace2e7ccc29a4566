// Quick statistics through the reader worker and the fingerprint from the hashing thread: both
// exist only in the compiled library, so this file imports dist/ (npm test builds first).
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, test} from 'vitest'

const lib = (await import(new URL('../../dist/src/trace/index.js', import.meta.url).href)) as typeof import('../../src/trace/index.js')
const iso = (await import(new URL('../../dist/src/trace/isolated.js', import.meta.url).href)) as typeof import('../../src/trace/isolated.js')
const scan = (await import(new URL('../../dist/src/trace/scan.js', import.meta.url).href)) as typeof import('../../src/trace/scan.js')

const dir = mkdtempSync(join(tmpdir(), 'tailsim-fast-iso-'))
afterAll(async () => {
  await iso.closeIdleReader()
  rmSync(dir, {recursive: true, force: true})
})

describe('quick statistics in the reader worker', () => {
  test('a generated Arrow file: the statistics of the full pass, the same fingerprint, and the worker kept for the pass', async () => {
    const path = join(dir, 'gen.arrow')
    const syn = lib.syntheticTrace({requests: 30_000, service: 'exp:10us', connections: 500, seed: 3, ghz: 2.4, load: 0.7, cores: 16})
    await lib.writeTrace(syn, path, {ghz: 2.4, stats: true})
    const opts = {ghz: 2.4, statsCache: false as const}
    const full = await lib.scanTrace(lib.openTrace(path, {...opts, isolate: false}))
    const source = lib.openTrace(path, opts)
    const before = {...iso.readerWorkerCounts}
    const pre = await scan.preScan(source, {ghz: 2.4})
    expect(typeof pre.sha256).not.toBe('string') // computed alongside, not before
    expect(await pre.sha256).toBe(full.sha256)
    expect(pre.sha256).toBeInstanceOf(Promise)
    const {requests, firstArrival, lastArrival, serviceMean, ratePerCycle} = pre
    expect({requests, firstArrival, lastArrival, serviceMean, ratePerCycle}).toEqual({
      requests: full.requests,
      firstArrival: full.firstArrival,
      lastArrival: full.lastArrival,
      serviceMean: full.serviceMean,
      ratePerCycle: full.ratePerCycle,
    })
    expect(iso.readerWorkerCounts.started).toBe(before.started + 1)
    let rows = 0
    for await (const b of source.batches()) rows += b.length
    expect(rows).toBe(30_000)
    // The pass ran in the worker that computed the statistics.
    expect(iso.readerWorkerCounts.started).toBe(before.started + 1)
    expect(iso.readerWorkerCounts.reused).toBe(before.reused + 1)
  })

  test('a CSV: no quick path, so a full pass, with the same results', async () => {
    const path = join(dir, 'plain.csv')
    const syn = lib.syntheticTrace({requests: 5000, service: 'fixed:5us', connections: 50, seed: 4, ghz: 2.4, load: 0.5, cores: 4})
    await lib.writeTrace(syn, path, {ghz: 2.4})
    const pre = await scan.preScan(lib.openTrace(path, {ghz: 2.4, statsCache: false}), {ghz: 2.4})
    const full = await lib.scanTrace(lib.openTrace(path, {ghz: 2.4, isolate: false}))
    expect(pre).toEqual(full)
  })
})
