/** Test helpers: seeded in-memory traces built directly in cycles. */
import {expect} from 'vitest'

import {Rng} from '../src/rng.js'
import {memoryStats, memoryTrace, type TraceColumns} from '../src/trace/memory.js'
import {resolveCosts} from '../src/sim/machine/costs.js'
import {DEFAULT_CONFIG, simulate, type SimConfig} from '../src/sim/simulate.js'
import type {RecordSink, RequestRecordBatch} from '../src/stats/recorder.js'
import type {TraceSource} from '../src/trace/types.js'

export type ServiceDraw = (rng: Rng) => number

export const expService = (mean: number): ServiceDraw => (rng) => Math.max(1, Math.round(-Math.log(1 - rng.float()) * mean))
export const fixedService = (mean: number): ServiceDraw => () => mean

/** A trace from (gap, conn, service) triples (property tests): arrival i = start + gaps 0..i. Times in cycles. */
export function gapColumns(reqs: readonly (readonly [number, number, number])[], start: number): TraceColumns {
  const n = reqs.length
  const cols: TraceColumns = {arrival: new Float64Array(n), conn: new Uint32Array(n), service: new Float64Array(n)}
  let t = start
  reqs.forEach(([gap, conn, svc], i) => {
    t += gap
    cols.arrival[i] = t
    cols.conn[i] = conn
    cols.service[i] = svc
  })
  return cols
}

/** Poisson arrivals at `load` for `cores` cores, uniform connections. Times in cycles. */
export function poissonColumns(opts: {
  n: number
  load: number
  cores: number
  mean: number
  service: ServiceDraw
  connections?: number
  seed?: number
}): TraceColumns {
  const rng = new Rng(opts.seed ?? 7)
  const rate = (opts.load * opts.cores) / opts.mean // per cycle
  const arrival = new Float64Array(opts.n)
  const conn = new Uint32Array(opts.n)
  const service = new Float64Array(opts.n)
  let t = 0
  const conns = opts.connections ?? 2720
  for (let i = 0; i < opts.n; i++) {
    t += -Math.log(1 - rng.float()) / rate
    arrival[i] = Math.round(t)
    conn[i] = rng.int(conns)
    service[i] = opts.service(rng)
  }
  return {arrival, conn, service}
}

export async function run(cols: TraceColumns, config: Partial<SimConfig> & {policy: string; cores: number}, records?: RecordSink) {
  const full: SimConfig = {...DEFAULT_CONFIG, costs: resolveCosts(config.costPreset ?? 'zero'), ...config}
  return simulate(memoryTrace('test', cols), memoryStats(cols), full, {records})
}

/** A RecordSink that keeps every row (tests only). */
export class CollectSink implements RecordSink {
  rows: {seq: number; arrival: number; conn: number; queue: number; core: number; start: number; end: number; latency: number}[] = []
  write(b: RequestRecordBatch): void {
    for (let i = 0; i < b.length; i++) {
      this.rows.push({
        seq: b.seq[i],
        arrival: b.arrival[i],
        conn: b.conn[i],
        queue: b.queue[i],
        core: b.core[i],
        start: b.start[i],
        end: b.end[i],
        latency: b.latency[i],
      })
    }
  }
}

/**
 * Two collectRows() results hold the same rows, value for value (Object.is, as toEqual compares
 * numbers). A plain loop: toEqual walks 100k-element arrays element by element through its
 * generic equality, seconds of CPU per call; it runs only on a mismatch, for its message.
 */
export function expectSameRows(got: Awaited<ReturnType<typeof collectRows>>, want: Awaited<ReturnType<typeof collectRows>>): void {
  for (const k of ['a', 'c', 's', 't'] as const) {
    const x = got[k]
    const y = want[k]
    let same = x.length === y.length
    for (let i = 0; same && i < x.length; i++) same = Object.is(x[i], y[i])
    if (!same) expect(got).toEqual(want)
  }
}

/**
 * Two lists of flat records (per-request rows) are equal, row by row: each row's fields compared
 * with Object.is in a plain loop, and toEqual (its semantics decide) only for a row that differs,
 * with the row's index in the message. toEqual over 20k-row lists costs about a second of CPU.
 */
export function expectSameRecords<T extends object>(got: readonly T[], want: readonly T[], what = 'records'): void {
  expect(got.length, `${what}: number of rows`).toBe(want.length)
  for (let i = 0; i < got.length; i++) {
    const g = got[i] as Record<string, unknown>
    const w = want[i] as Record<string, unknown>
    const keys = Object.keys(g)
    let same = keys.length === Object.keys(w).length
    for (let j = 0; same && j < keys.length; j++) same = Object.hasOwn(w, keys[j]) && Object.is(g[keys[j]], w[keys[j]])
    if (!same) expect(g, `${what}: row ${i}`).toEqual(w)
  }
}

/** A trace's rows as plain arrays: arrivals, connections, services and (when present) type indices. */
export async function collectRows(src: Pick<TraceSource, 'batches'>): Promise<{a: number[]; c: number[]; s: number[]; t: number[]}> {
  const a: number[] = []
  const c: number[] = []
  const s: number[] = []
  const t: number[] = []
  for await (const b of src.batches()) {
    for (let i = 0; i < b.length; i++) {
      a.push(b.arrival[i])
      c.push(b.conn[i])
      s.push(b.service[i])
      if (b.type) t.push(b.type[i])
    }
  }
  return {a, c, s, t}
}
