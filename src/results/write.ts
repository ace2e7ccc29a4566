/**
 * Writing result files. Every write is atomic: the bytes go to a temporary name in the same
 * directory (`.NAME.tmp-PID-N`), are fsynced, and renamed over the destination, so a reader (or a
 * `--resume`) never sees a half-written part under its final name.
 *
 * Formats by extension: `.parquet` (parquet-wasm, Snappy; key-value metadata holds tool version,
 * schema version, sweep id and trace SHA-256s), `.arrow` / `.feather` / `.ipc` (Arrow IPC file;
 * the same keys as schema metadata), `.json` (`{tailsim_results: {...metadata}, rows: [...]}`).
 */
import {closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {basename, dirname, extname, join} from 'node:path'

import {tableToIPC} from '../arrow-lib.js'

import {OutputError} from '../errors.js'
import {META, rowsToTable} from './arrow.js'
import {toRecord} from './file-columns.js'
import {SCHEMA_VERSION, type ResultRow} from './schema.js'

export type ResultsFormat = 'parquet' | 'arrow' | 'json'

export interface ResultsMeta {
  toolVersion: string
  sweepId: string
  /** SHA-256 of every trace of the rows. */
  traceSha256: readonly string[]
  /** Cells the whole sweep plans (all shards): its cells are indexes 0 … cellsPlanned − 1. */
  cellsPlanned?: number
  /** The shard that wrote the file, `i/n` (`1/1` unsharded). */
  shard?: string
}

export function formatOfPath(path: string): ResultsFormat | undefined {
  const ext = extname(path).toLowerCase()
  if (ext === '.parquet' || ext === '.pq') return 'parquet'
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc' || ext === '.arrows') return 'arrow'
  if (ext === '.json') return 'json'
  return undefined
}

function metaMap(meta: ResultsMeta): Map<string, string> {
  return new Map([
    [META.schemaVersion, String(SCHEMA_VERSION)],
    [META.toolVersion, meta.toolVersion],
    [META.sweepId, meta.sweepId],
    [META.traceSha256, meta.traceSha256.join(',')],
    ...(meta.cellsPlanned !== undefined ? [[META.cellsPlanned, String(meta.cellsPlanned)] as [string, string]] : []),
    ...(meta.shard !== undefined ? [[META.shard, meta.shard] as [string, string]] : []),
  ])
}

type ParquetWasm = typeof import('parquet-wasm')
let wasm: Promise<ParquetWasm> | undefined
const parquetWasm = (): Promise<ParquetWasm> => (wasm ??= import('parquet-wasm'))

/** Encode rows in a format (no I/O). */
export async function encodeResults(rows: readonly ResultRow[], meta: ResultsMeta, format: ResultsFormat): Promise<Uint8Array> {
  if (format === 'json') {
    const doc = {
      tailsim_results: {
        schema_version: SCHEMA_VERSION,
        tool_version: meta.toolVersion,
        sweep_id: meta.sweepId,
        trace_sha256: meta.traceSha256,
        ...(meta.cellsPlanned !== undefined ? {cells_planned: meta.cellsPlanned} : {}),
        ...(meta.shard !== undefined ? {shard: meta.shard} : {}),
      },
      rows: rows.map(toRecord),
    }
    return new TextEncoder().encode(JSON.stringify(doc, null, 1) + '\n')
  }
  const table = rowsToTable(rows, metaMap(meta))
  if (format === 'arrow') return tableToIPC(table, 'file')
  const pq = await parquetWasm()
  const wasmTable = pq.Table.fromIPCStream(tableToIPC(table, 'stream'))
  const props = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.SNAPPY)
    .setCreatedBy(`tailsim ${meta.toolVersion}`)
    .setKeyValueMetadata(metaMap(meta))
    .build()
  return pq.writeParquet(wasmTable, props)
}

let tmpCounter = 0

/** Write bytes to `path` atomically (temp file in the same directory, fsync, rename). */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${tmpCounter++}`)
  try {
    const fd = openSync(tmp, 'wx')
    try {
      let off = 0
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (error) {
    rmSync(tmp, {force: true})
    throw new OutputError(`Cannot write ${path}: ${(error as Error).message}`, {file: path})
  }
}

/** True for the temporary names `writeAtomic` uses (readers skip them). */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.includes('.tmp-')
}

/** Encode and atomically write rows to `path`, the format chosen by its extension. */
export async function writeResults(path: string, rows: readonly ResultRow[], meta: ResultsMeta): Promise<void> {
  const format = formatOfPath(path)
  if (format === undefined) {
    throw new OutputError(`Expected a results path ending in .parquet, .arrow or .json, got ${JSON.stringify(path)}`, {file: path})
  }
  writeAtomic(path, await encodeResults(rows, meta, format))
}
