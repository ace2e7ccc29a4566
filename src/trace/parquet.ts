/**
 * Parquet ingest through parquet-wasm: the file is opened as a file-backed Blob (ranges are read
 * on demand, never the whole file), record batches are streamed from WebAssembly memory as Arrow
 * IPC and go through the same Arrow ingest as .arrow files.
 */
import {openAsBlob} from 'node:fs'

import {RecordBatchReader, type Schema} from 'apache-arrow'

import {TraceError} from '../errors.js'
import {ArrowIngest, wrapReadError} from './arrow.js'
import {type TypeIndexer, resolveColumns} from './columns.js'
import type {TraceBatch, TraceOptions} from './types.js'

type ParquetWasm = typeof import('parquet-wasm')
let wasm: Promise<ParquetWasm> | undefined

/** parquet-wasm, loaded on first use (its WebAssembly module takes a moment to compile). */
export function parquetWasm(): Promise<ParquetWasm> {
  wasm ??= import('parquet-wasm')
  return wasm
}

const WHAT = 'a valid Parquet file'

/** Row count from the Parquet footer (cheap: reads only the footer). */
export async function parquetRows(path: string): Promise<number> {
  const pq = await parquetWasm()
  try {
    const f = await pq.ParquetFile.fromFile(await openAsBlob(path))
    const n = f.metadata().fileMetadata().numRows()
    f.free()
    return n
  } catch (error) {
    throw wrapReadError(error, path, WHAT)
  }
}

function schemaOf(ipc: Uint8Array): Schema {
  return RecordBatchReader.from(ipc).open().schema
}

export async function* readParquet(
  path: string,
  opts: TraceOptions,
  types: TypeIndexer,
): AsyncGenerator<TraceBatch> {
  const pq = await parquetWasm()
  let file: import('parquet-wasm').ParquetFile
  let schema: Schema
  try {
    file = await pq.ParquetFile.fromFile(await openAsBlob(path))
    schema = schemaOf(file.schema().intoIPCStream())
  } catch (error) {
    throw wrapReadError(error, path, WHAT)
  }
  try {
    const c = resolveColumns(
      schema.fields.map((f) => f.name),
      opts,
      path,
    )
    const columns = [c.arrival.name, c.conn.name, c.service.name, ...(c.type ? [c.type.name] : [])]
    // The stream carries only the needed columns, in file order; re-resolve against its schema.
    const wanted = schema.fields.filter((f) => columns.includes(f.name))
    const narrow = new ArrowIngest(path, schema.select(wanted.map((f) => f.name)), opts, types)
    let stream: ReadableStream
    try {
      stream = await file.stream({batchSize: opts.batchSize ?? 65536, columns})
    } catch (error) {
      throw wrapReadError(error, path, WHAT)
    }
    const reader = stream.getReader()
    try {
      for (;;) {
        let next: {done: boolean; value?: {intoIPCStream(): Uint8Array}}
        try {
          next = await reader.read()
        } catch (error) {
          throw wrapReadError(error, path, WHAT)
        }
        if (next.done) break
        let batches
        try {
          batches = RecordBatchReader.from(next.value!.intoIPCStream()).readAll()
        } catch (error) {
          throw wrapReadError(error, path, WHAT)
        }
        for (const rb of batches) yield* narrow.consume(rb)
      }
    } finally {
      reader.releaseLock()
    }
    if (narrow.rowsSeen === 0) throw new TraceError('Expected at least one row, got none', {file: path})
    yield* narrow.finish()
  } finally {
    file.free()
  }
}
