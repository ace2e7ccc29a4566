/**
 * Quick statistics (fast-stats*.ts, stats-cache.ts, preScan) against the full pass (scanTrace):
 * the same count, first/last arrival and service mean, bit for bit, on every format and path.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {Rng} from '../../src/rng.js'
import {resolveCosts} from '../../src/sim/machine/costs.js'
import {DEFAULT_CONFIG, simulate} from '../../src/sim/simulate.js'
import {fastStatsCounts, quickStatsOf} from '../../src/trace/fast-stats.js'
import {memoryTrace, type TraceColumns} from '../../src/trace/memory.js'
import {openTrace} from '../../src/trace/open.js'
import {preScan, scanTrace} from '../../src/trace/scan.js'
import {cachedStats, storeStats} from '../../src/trace/stats-cache.js'
import type {QuickStats, TraceOptions} from '../../src/trace/types.js'
import {writeTrace} from '../../src/trace/writer.js'

const dir = mkdtempSync(join(tmpdir(), 'tailsim-fast-stats-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const GHZ = 2.4

/** Cycles that survive the ns round trip of the writer (multiples of 1/GHZ ns at 0.1 ns). */
function columns(n: number, seed: number, typed: boolean): TraceColumns {
  const rng = new Rng(seed)
  const arrival = new Float64Array(n)
  const conn = new Uint32Array(n)
  const service = new Float64Array(n)
  const type = new Uint16Array(n)
  let t = 1000 + rng.int(5000)
  for (let i = 0; i < n; i++) {
    // Ties included: a gap of 0 now and then.
    t += rng.float() < 0.05 ? 0 : 1 + Math.round(-Math.log(1 - rng.float()) * 3000)
    arrival[i] = t
    conn[i] = rng.int(300)
    service[i] = 1 + Math.round(-Math.log(1 - rng.float()) * 24000)
    type[i] = rng.int(3)
  }
  return typed ? {arrival, conn, service, type, typeNames: ['get', 'set', 'scan']} : {arrival, conn, service}
}

function quick(s: QuickStats): QuickStats {
  return {requests: s.requests, firstArrival: s.firstArrival, lastArrival: s.lastArrival, serviceMean: s.serviceMean}
}

async function write(name: string, cols: TraceColumns, stats: boolean, batchSize = 4096): Promise<string> {
  const path = join(dir, name)
  await writeTrace(memoryTrace('mem', cols, batchSize), path, {ghz: GHZ, stats, force: true})
  return path
}

async function full(path: string, opts: Partial<TraceOptions> = {}): Promise<QuickStats> {
  return quick(await scanTrace(openTrace(path, {ghz: GHZ, statsCache: false, ...opts})))
}

describe('quick statistics equal the full pass', () => {
  const cases: {name: string; stats: boolean; typed: boolean; via: 'metadata' | 'columns' | 'none'}[] = [
    {name: 'gen.arrow', stats: true, typed: false, via: 'metadata'},
    {name: 'gen-typed.arrow', stats: true, typed: true, via: 'metadata'},
    {name: 'plain.arrow', stats: false, typed: false, via: 'columns'},
    {name: 'plain-typed.arrow', stats: false, typed: true, via: 'columns'},
    {name: 'gen.parquet', stats: true, typed: false, via: 'metadata'},
    {name: 'plain-typed.parquet', stats: false, typed: true, via: 'columns'},
    {name: 'stream.arrows', stats: true, typed: false, via: 'none'},
    {name: 'plain.csv', stats: true, typed: true, via: 'none'},
  ]
  for (const [k, c] of cases.entries()) {
    it(`${c.name}: by ${c.via === 'none' ? 'no quick path (a full pass)' : c.via}`, async () => {
      const cols = columns(20_000 + 777 * k, 11 + k, c.typed)
      const path = await write(c.name, cols, c.stats)
      const before = {...fastStatsCounts}
      const q = await quickStatsOf(path, {ghz: GHZ})
      const ref = await full(path)
      expect(ref.requests).toBe(cols.arrival.length)
      if (c.via === 'none') {
        expect(q).toBeUndefined()
      } else {
        expect(q).toEqual(ref)
        expect(Object.is(q!.serviceMean, ref.serviceMean)).toBe(true)
        expect(fastStatsCounts[c.via]).toBe(before[c.via] + 1)
      }
      // preScan gives the same, with the file's fingerprint.
      const pre = await preScan(openTrace(path, {ghz: GHZ, statsCache: false}), {ghz: GHZ})
      expect(quick(pre)).toEqual(ref)
      expect(await pre.sha256).toBe((await scanTrace(openTrace(path, {ghz: GHZ, statsCache: false}))).sha256)
    })
  }

  it('written statistics are not trusted at another clock or through other columns', async () => {
    const cols = columns(5000, 3, false)
    const path = await write('clock.arrow', cols, true)
    for (const opts of [{ghz: 3}, {ghz: GHZ, columns: {service: 'arrival_ns'}}, {ghz: GHZ, serviceUnit: 'us' as const}]) {
      const before = fastStatsCounts.metadata
      const q = await quickStatsOf(path, opts)
      expect(fastStatsCounts.metadata).toBe(before)
      expect(q).toEqual(await full(path, opts))
    }
  })

  it('written statistics that do not match the rows are not trusted (a doctored footer)', async () => {
    const cols = columns(5000, 4, false)
    const path = await write('doctored.arrow', cols, true)
    const bytes = readFileSync(path)
    // Same length, another row count in the metadata: the footer's JSON "rows":5000 → "rows":5001.
    const text = bytes.toString('latin1')
    const at = text.lastIndexOf('"rows":5000')
    expect(at).toBeGreaterThan(0)
    bytes.write('"rows":5001', at, 'latin1')
    writeFileSync(path, bytes)
    const before = {...fastStatsCounts}
    const q = await quickStatsOf(path, {ghz: GHZ})
    expect(fastStatsCounts.metadata).toBe(before.metadata)
    expect(fastStatsCounts.columns).toBe(before.columns + 1)
    expect(q).toEqual(await full(path))
  })

  it('one batch, one row', async () => {
    const cols = columns(1, 5, false)
    for (const name of ['one.arrow', 'one.parquet']) {
      const path = await write(name, cols, false)
      expect(await quickStatsOf(path, {ghz: GHZ})).toEqual(await full(path))
    }
  })

  it('an unsorted trace: no quick path with --sort, and --sort statistics are those of the sorted rows', async () => {
    const path = join(dir, 'unsorted.csv')
    writeFileSync(path, 'arrival_ns,conn,service_ns\n500,1,1000\n100,2,2000\n900,1,3000\n300,3,500\n')
    const opts = {ghz: GHZ, sort: true, statsCache: join(dir, 'cache-sort')}
    expect(await quickStatsOf(path, opts)).toBeUndefined()
    const a = await preScan(openTrace(path, opts), {ghz: GHZ})
    expect(a.firstArrival).toBe(240)
    expect(a.lastArrival).toBe(2160)
    // From the cache the second time, the same.
    const src = openTrace(path, opts)
    expect(await src.quickStats!()).toEqual(quick(a))
    // An unsorted Arrow file without --sort: whatever the quick path says, the full pass refuses it.
    const cols = columns(3000, 6, false)
    cols.arrival.reverse()
    const arrow = await write('unsorted.arrow', cols, false)
    expect(await quickStatsOf(arrow, {ghz: GHZ})).toBeUndefined()
    await expect(full(arrow)).rejects.toThrow(/non-decreasing/)
  })
})

describe('stats cache', () => {
  it('a CSV is read once from the second run on; an entry is invalidated by changing the file', async () => {
    const cache = join(dir, 'cache')
    const cols = columns(3000, 8, true)
    const path = await write('cached.csv', cols, false)
    const opts = {ghz: GHZ, statsCache: cache}
    const src = openTrace(path, opts)
    expect(await src.quickStats!()).toBeUndefined()
    const first = await preScan(src, {ghz: GHZ})
    expect(readdirSync(cache).filter((f) => f.endsWith('.json'))).toHaveLength(1)
    expect(await openTrace(path, opts).quickStats!()).toEqual(quick(first))
    // Another clock is another entry.
    expect(await cachedStats(path, {...opts, ghz: 3})).toBeUndefined()
    // Change one byte of a service time, keeping size and modification time.
    const text = readFileSync(path, 'utf8')
    const lines = text.split('\n')
    const parts = lines[1].split(',')
    // The leading digit of the service time, +1 (9 → 8): same length, another mean.
    const d = Number(parts[2][0])
    parts[2] = String(d === 9 ? 8 : d + 1) + parts[2].slice(1)
    lines[1] = parts.join(',')
    writeFileSync(path, lines.join('\n'))
    const t = new Date('2024-01-01T00:00:00Z')
    utimesSync(path, t, t)
    expect(await cachedStats(path, opts)).toBeUndefined()
    const second = await preScan(openTrace(path, opts), {ghz: GHZ})
    expect(quick(second)).toEqual(await full(path))
    expect(second.serviceMean).not.toBe(first.serviceMean)
    // Touching the file (another modification time) invalidates too.
    utimesSync(path, t, new Date('2024-01-02T00:00:00Z'))
    expect(await cachedStats(path, opts)).toBeUndefined()
  })

  it('a corrupt entry is ignored and replaced; no cache with statsCache false', async () => {
    const cache = join(dir, 'cache-corrupt')
    const path = await write('corrupt.csv', columns(500, 9, false), false)
    const opts = {ghz: GHZ, statsCache: cache}
    const ref = await full(path)
    await storeStats(path, opts, ref)
    const [entry] = readdirSync(cache)
    writeFileSync(join(cache, entry), '{"key": 1, "stats": ')
    expect(await cachedStats(path, opts)).toBeUndefined()
    const again = await preScan(openTrace(path, opts), {ghz: GHZ})
    expect(quick(again)).toEqual(ref)
    expect(await cachedStats(path, opts)).toEqual(ref)
    // Turned off: nothing read, nothing written.
    const off = join(dir, 'cache-off')
    await preScan(openTrace(path, {ghz: GHZ, statsCache: false}), {ghz: GHZ})
    expect(await cachedStats(path, {ghz: GHZ, statsCache: false})).toBeUndefined()
    expect(() => readdirSync(off)).toThrow()
  })

  it('concurrent writers leave one valid entry', async () => {
    const cache = join(dir, 'cache-concurrent')
    const path = await write('concurrent.csv', columns(500, 10, false), false)
    const opts = {ghz: GHZ, statsCache: cache}
    const ref = await full(path)
    await Promise.all(Array.from({length: 8}, () => storeStats(path, opts, ref)))
    expect(readdirSync(cache)).toHaveLength(1)
    expect(await cachedStats(path, opts)).toEqual(ref)
  })
})

describe('a run from quick statistics', () => {
  it('gives the result of a run from the full pass: same rows, connections and fingerprint', async () => {
    // 40 distinct connection ids (spaced out; the reader renumbers them 0..39).
    const cols = columns(6000, 12, true)
    for (let i = 0; i < cols.conn.length; i++) cols.conn[i] = 3 * (cols.conn[i] % 40)
    const path = await write('run.arrow', cols, true)
    const config = {...DEFAULT_CONFIG, policy: 'n-mg1-fcfs', cores: 4, load: 0.7, costs: resolveCosts('zero')}
    const opts = {ghz: GHZ, statsCache: false as const}
    const fullSource = openTrace(path, opts)
    const viaFull = await simulate(fullSource, await scanTrace(fullSource, {ghz: GHZ}), config)
    const quickSource = openTrace(path, opts)
    const pre = await preScan(quickSource, {ghz: GHZ})
    expect(pre).not.toHaveProperty('connections')
    const viaQuick = await simulate(quickSource, pre, config)
    const strip = (r: typeof viaFull) => ({...r, wall_ms: 0, sim_rate_rps: 0})
    expect(strip(viaQuick)).toEqual(strip(viaFull))
    expect(viaQuick.connections).toBe(40)
  })
})
