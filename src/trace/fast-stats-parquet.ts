/**
 * Quick statistics of a Parquet file (fast-stats.ts): the row count from the row-group metadata,
 * the first and last arrival from the first and last rows (decoded with the ordinary reader,
 * ArrowIngest), and the service mean from the service column alone (one column read), or from
 * the statistics `tailsim generate` writes into the file's key-value metadata.
 */
import {openAsBlob} from 'node:fs'

import {RecordBatchReader, type RecordBatch, type Schema} from '../arrow-lib.js'

import {ArrowIngest} from './arrow.js'
import {TypeIndexer, resolveColumns} from './columns.js'
import {type Edges, STATS_METADATA_KEY, fastStatsCounts, StatsAccumulator, addRawService, fromMetadata} from './fast-stats.js'
import {guardWasm, parquetWasm} from './parquet.js'
import type {QuickStats, TraceOptions} from './types.js'

type ParquetFile = import('parquet-wasm').ParquetFile

/** Record batches of a parquet-wasm stream (each item is an Arrow IPC stream of one or more batches). */
async function* batchesOf(file: ParquetFile, options: import('parquet-wasm').ReaderOptions): AsyncGenerator<RecordBatch> {
  const stream = await guardWasm(file.stream(options))
  const reader = stream.getReader()
  try {
    for (;;) {
      const next = (await guardWasm(reader.read())) as {done: boolean; value?: {intoIPCStream(): Uint8Array}}
      if (next.done) break
      yield* RecordBatchReader.from(next.value!.intoIPCStream()).readAll()
    }
  } finally {
    try {
      reader.releaseLock()
    } catch {
      // a failed stream may refuse; it is dropped either way
    }
  }
}

/** Quick statistics of a Parquet file, or undefined. */
export async function parquetQuickStats(path: string, opts: TraceOptions): Promise<QuickStats | undefined> {
  const pq = await parquetWasm()
  const file = await guardWasm(pq.ParquetFile.fromFile(await openAsBlob(path)))
  try {
    const meta = file.metadata()
    const fileMeta = meta.fileMetadata()
    const rows = fileMeta.numRows()
    if (!(rows > 0)) return undefined
    let counted = 0
    for (let g = 0; g < meta.numRowGroups(); g++) counted += meta.rowGroup(g).numRows()
    if (counted !== rows) return undefined
    const schema: Schema = RecordBatchReader.from(file.schema().intoIPCStream()).open().schema
    const cols = resolveColumns(
      schema.fields.map((f) => f.name),
      opts,
      path,
    )
    const columns = [cols.arrival.name, ...(cols.conn ? [cols.conn.name] : []), cols.service.name, ...(cols.type ? [cols.type.name] : [])]
    const wanted = schema.fields.filter((f) => columns.includes(f.name))
    const ingest = new ArrowIngest(path, schema.select(wanted.map((f) => f.name)), opts, new TypeIndexer([]))
    let e: Edges | undefined
    const take = (b: {length: number; arrival: Float64Array; service: Float64Array}) => {
      if (b.length === 0) return
      if (e === undefined) e = {firstArrival: b.arrival[0], lastArrival: b.arrival[b.length - 1], serviceFirst: b.service[0]}
      else e.lastArrival = b.arrival[b.length - 1]
    }
    // The first row of the first non-empty row group, the last of the last one (parquet-wasm
    // applies `offset` and `limit` within each row group read).
    const groups: number[] = []
    for (let g = 0; g < meta.numRowGroups(); g++) if (meta.rowGroup(g).numRows() > 0) groups.push(g)
    const firstGroup = groups[0]
    const lastGroup = groups[groups.length - 1]
    for await (const rb of batchesOf(file, {columns, rowGroups: [firstGroup], limit: 1, batchSize: 1})) for (const b of ingest.consume(rb)) take(b)
    if (rows > 1) {
      const offset = lastGroup === firstGroup ? rows - 1 : meta.rowGroup(lastGroup).numRows() - 1
      for await (const rb of batchesOf(file, {columns, rowGroups: [lastGroup], offset, limit: 1, batchSize: 1})) for (const b of ingest.consume(rb)) take(b)
    }
    for (const b of ingest.finish()) take(b)
    if (e === undefined) return undefined

    const kv = fileMeta.keyValueMetadata() as Map<string, string>
    const q = fromMetadata(kv.get(STATS_METADATA_KEY), opts, {arrival: cols.arrival.name, service: cols.service.name}, rows, e)
    if (q !== undefined) return q

    const acc = new StatsAccumulator()
    let scratch = new Float64Array(0)
    for await (const rb of batchesOf(file, {columns: [cols.service.name], batchSize: opts.batchSize ?? 65536})) {
      const v = rb.getChildAt(0)
      if (v === null || v.nullCount > 0) return undefined
      for (const d of v.data) {
        const vals = d.values as ArrayLike<number> | BigInt64Array | BigUint64Array
        let raw: ArrayLike<number>
        if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) {
          const out = new Float64Array(d.length)
          for (let i = 0; i < d.length; i++) out[i] = Number(vals[i])
          raw = out
        } else if (vals instanceof Uint16Array && String(d.type) === 'Float16') return undefined
        else raw = vals as ArrayLike<number>
        if (scratch.length < d.length) scratch = new Float64Array(d.length)
        if (!addRawService(acc, raw, d.length, cols.service.toCycles, scratch)) return undefined
      }
    }
    if (acc.requests !== rows || acc.serviceFirst !== e.serviceFirst) return undefined
    fastStatsCounts.columns++
    return {requests: rows, firstArrival: e.firstArrival, lastArrival: e.lastArrival, serviceMean: acc.serviceMean}
  } finally {
    try {
      file.free()
    } catch {
      // nothing to release after a trap
    }
  }
}
