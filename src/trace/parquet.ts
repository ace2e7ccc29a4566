/**
 * Parquet ingest through parquet-wasm: the file is opened as a file-backed Blob (ranges are read
 * on demand, never the whole file), record batches are streamed from WebAssembly memory as Arrow
 * IPC and go through the same Arrow ingest as .arrow files.
 */
import {openAsBlob} from 'node:fs'
import {createRequire} from 'node:module'

import {RecordBatchReader, type Schema} from '../arrow-lib.js'

import {TraceError} from '../errors.js'
import {ArrowIngest, wrapReadError} from './arrow.js'
import {type TypeIndexer, resolveColumns} from './columns.js'
import type {TraceBatch, TraceIngest, TraceOptions} from './types.js'

type ParquetWasm = typeof import('parquet-wasm')
const require = createRequire(import.meta.url)
let wasm: ParquetWasm | undefined

/**
 * parquet-wasm, loaded on first use (its WebAssembly module takes a moment to compile). After a
 * WebAssembly trap (a Rust panic on corrupt input), the next call loads a fresh instance: the
 * trapped one may hold inconsistent state.
 */
export function parquetWasm(): Promise<ParquetWasm> {
  installTrapCatcher()
  if (wasm === undefined) {
    const id = require.resolve('parquet-wasm')
    delete require.cache[id]
    wasm = require('parquet-wasm') as ParquetWasm
  }
  return Promise.resolve(wasm)
}

/**
 * parquet-wasm's async API (file reads, streams) runs its Rust futures from microtasks queued with
 * `queueMicrotask`. A panic there (e.g. on a corrupt page) is a WebAssembly trap thrown from that
 * microtask, which no caller can catch: it would be an uncaught exception. So microtasks are
 * wrapped once, process-wide: a WebAssembly.RuntimeError thrown by one while a guarded Parquet call
 * is pending is routed to that call (which rejects) instead; everything else is rethrown unchanged.
 */
const trapHandlers = new Set<(error: Error) => void>()
let catcherInstalled = false

function installTrapCatcher(): void {
  if (catcherInstalled) return
  catcherInstalled = true
  const original = globalThis.queueMicrotask
  const Trap = (globalThis as unknown as {WebAssembly: {RuntimeError: new () => Error}}).WebAssembly.RuntimeError
  globalThis.queueMicrotask = function queueMicrotask(callback: () => void): void {
    original(() => {
      try {
        callback()
      } catch (error) {
        if (error instanceof Trap && trapHandlers.size > 0) {
          wasm = undefined
          for (const h of [...trapHandlers]) h(error as Error)
        } else {
          throw error
        }
      }
    })
  }
}

/** Await a parquet-wasm promise, rejecting (instead of crashing the process) on a WebAssembly trap. */
export function guardWasm<T>(promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onTrap = (error: Error) => {
      trapHandlers.delete(onTrap)
      reject(error)
    }
    trapHandlers.add(onTrap)
    promise.then(
      (v) => {
        trapHandlers.delete(onTrap)
        resolve(v)
      },
      (e) => {
        trapHandlers.delete(onTrap)
        reject(e)
      },
    )
  })
}

const WHAT = 'a valid Parquet file'

/** Row count from the Parquet footer (cheap: reads only the footer). */
export async function parquetRows(path: string): Promise<number> {
  const pq = await parquetWasm()
  try {
    const f = await guardWasm(pq.ParquetFile.fromFile(await openAsBlob(path)))
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
  ingest?: TraceIngest,
): AsyncGenerator<TraceBatch> {
  const pq = await parquetWasm()
  let file: import('parquet-wasm').ParquetFile
  let schema: Schema
  try {
    file = await guardWasm(pq.ParquetFile.fromFile(await openAsBlob(path)))
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
    const columns = [c.arrival.name, ...(c.conn ? [c.conn.name] : []), c.service.name, ...(c.type ? [c.type.name] : [])]
    // The stream carries only the needed columns, in file order; re-resolve against its schema.
    const wanted = schema.fields.filter((f) => columns.includes(f.name))
    const narrow = new ArrowIngest(path, schema.select(wanted.map((f) => f.name)), opts, types)
    let stream: ReadableStream
    try {
      stream = await guardWasm(file.stream({batchSize: opts.batchSize ?? 65536, columns}))
    } catch (error) {
      throw wrapReadError(error, path, WHAT)
    }
    const reader = stream.getReader()
    try {
      for (;;) {
        let next: {done: boolean; value?: {intoIPCStream(): Uint8Array}}
        try {
          next = await guardWasm(reader.read())
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
      try {
        reader.releaseLock()
      } catch {
        // a trapped stream may refuse; it is dropped either way
      }
    }
    if (narrow.rowsSeen === 0) throw new TraceError('Expected at least one row, got none', {file: path})
    yield* narrow.finish(ingest)
  } finally {
    try {
      file.free()
    } catch {
      // freeing into a trapped (replaced) instance may fail; nothing to release then
    }
  }
}
