/**
 * An in-memory trace: columns already in cycles. Used by tests, by `compare` for small traces
 * that are re-simulated many times, and by library users who build traces programmatically.
 */
import {createHash} from 'node:crypto'

import type {TraceBatch, TraceSource, TraceStats} from './types.js'

export interface TraceColumns {
  /** Cycles, non-decreasing. */
  arrival: Float64Array
  /** Dense connection ids. */
  conn: Uint32Array
  /** Cycles, >= 1. */
  service: Float64Array
  /** Type index into `typeNames`. */
  type?: Uint16Array
  typeNames?: string[]
}

export function memoryTrace(name: string, cols: TraceColumns, batchSize = 65536): TraceSource {
  const typeNames = cols.typeNames ?? []
  return {
    name,
    typeNames,
    async *batches(): AsyncIterable<TraceBatch> {
      yield* sliceColumns(cols, batchSize)
    },
  }
}

/**
 * Read a whole trace into columns. `maxRows` bounds it: a source with more rows throws
 * `tooMany()`. `expectedRows` (when known, e.g. from a scan) sizes the arrays at once; otherwise
 * they start at 65 536 rows and double.
 */
export async function readColumns(
  source: TraceSource,
  opts: {maxRows: number; expectedRows?: number; tooMany: () => Error},
): Promise<TraceColumns> {
  let cap = Math.max(1, Math.min(opts.maxRows, opts.expectedRows ?? 1 << 16))
  let arrival = new Float64Array(cap)
  let conn = new Uint32Array(cap)
  let service = new Float64Array(cap)
  let type: Uint16Array | undefined
  let n = 0
  for await (const b of source.batches()) {
    const m = b.length
    if (n + m > opts.maxRows) throw opts.tooMany()
    if (n + m > cap) {
      while (n + m > cap) cap *= 2
      cap = Math.min(cap, opts.maxRows) // n + m <= maxRows here
      const a = new Float64Array(cap)
      a.set(arrival.subarray(0, n))
      arrival = a
      const s = new Float64Array(cap)
      s.set(service.subarray(0, n))
      service = s
      const c = new Uint32Array(cap)
      c.set(conn.subarray(0, n))
      conn = c
      if (type) {
        const t = new Uint16Array(cap)
        t.set(type.subarray(0, n))
        type = t
      }
    }
    arrival.set(b.arrival.subarray(0, m), n)
    conn.set(b.conn.subarray(0, m), n)
    service.set(b.service.subarray(0, m), n)
    if (b.type) {
      type ??= new Uint16Array(cap)
      type.set(b.type.subarray(0, m), n)
    }
    n += m
  }
  return {
    arrival: arrival.subarray(0, n),
    conn: conn.subarray(0, n),
    service: service.subarray(0, n),
    ...(type ? {type: type.subarray(0, n)} : {}),
    typeNames: source.typeNames,
  }
}

/** In-memory columns as consecutive batches of at most `size` rows (views, no copies). */
export function* sliceColumns(
  cols: Pick<TraceColumns, 'arrival' | 'conn' | 'service' | 'type'>,
  size: number,
): Generator<TraceBatch> {
  const n = cols.arrival.length
  for (let s = 0; s < n; s += size) {
    const e = Math.min(n, s + size)
    yield {
      length: e - s,
      arrival: cols.arrival.subarray(s, e),
      conn: cols.conn.subarray(s, e),
      service: cols.service.subarray(s, e),
      ...(cols.type ? {type: cols.type.subarray(s, e)} : {}),
    }
  }
}

/** One-pass statistics of in-memory columns (same definitions as scanTrace). */
export function memoryStats(cols: TraceColumns): TraceStats {
  const n = cols.arrival.length
  let sum = 0
  let sumSq = 0
  let min = Infinity
  let max = -Infinity
  const perConn = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const s = cols.service[i]
    sum += s
    sumSq += s * s
    if (s < min) min = s
    if (s > max) max = s
    perConn.set(cols.conn[i], (perConn.get(cols.conn[i]) ?? 0) + 1)
  }
  const mean = n > 0 ? sum / n : NaN
  const variance = n > 1 ? (sumSq - n * mean * mean) / (n - 1) : 0
  const typeCounts: Record<string, number> = {}
  if (cols.type) {
    for (let i = 0; i < n; i++) {
      const k = cols.typeNames?.[cols.type[i]] ?? String(cols.type[i])
      typeCounts[k] = (typeCounts[k] ?? 0) + 1
    }
  }
  const first = n > 0 ? cols.arrival[0] : 0
  const last = n > 0 ? cols.arrival[n - 1] : 0
  const hash = createHash('sha256')
  hash.update(new Uint8Array(cols.arrival.buffer, cols.arrival.byteOffset, cols.arrival.byteLength))
  hash.update(new Uint8Array(cols.conn.buffer, cols.conn.byteOffset, cols.conn.byteLength))
  hash.update(new Uint8Array(cols.service.buffer, cols.service.byteOffset, cols.service.byteLength))
  return {
    requests: n,
    connections: perConn.size,
    firstArrival: first,
    lastArrival: last,
    ratePerCycle: n > 1 && last > first ? (n - 1) / (last - first) : 0,
    serviceMean: mean,
    serviceMin: min,
    serviceMax: max,
    serviceCv: mean > 0 ? Math.sqrt(Math.max(0, variance)) / mean : 0,
    busiestConnShare: n > 0 ? maxOf(perConn.values()) / n : 0,
    typeCounts,
    sha256: hash.digest('hex'),
  }
}

/** Largest value of an iterable (no argument spreading: fine for millions of connections). */
function maxOf(values: Iterable<number>): number {
  let m = -Infinity
  for (const v of values) if (v > m) m = v
  return m
}
