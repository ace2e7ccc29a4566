/**
 * Quick statistics of an Arrow IPC *file* (fast-stats.ts): the footer lists the record batches;
 * each batch's header (a few hundred bytes) gives its row count and where its buffers lie, so the
 * service mean needs only the service column's value buffers, and the first and last arrival come
 * from decoding the first and last batch with the ordinary reader (ArrowIngest). Statistics
 * written by `tailsim generate` spare the service column too. Arrow IPC streams have no footer:
 * undefined (the caller makes a full pass).
 */
import {type FileHandle, open} from 'node:fs/promises'

import {RecordBatchReader, type RecordBatch, type Schema, Type} from '../arrow-lib.js'
import {ByteBuffer} from 'flatbuffers'

import {ArrowIngest} from './arrow.js'
import {TypeIndexer, resolveColumns} from './columns.js'
import {type Edges, STATS_METADATA_KEY, fastStatsCounts, StatsAccumulator, addRawService, fromMetadata} from './fast-stats.js'
import type {QuickStats, TraceOptions} from './types.js'

const MAGIC = 'ARROW1'

interface Block {
  offset: number
  metaDataLength: number
}

/**
 * The record-batch blocks of an Arrow IPC file footer (a `Footer` flatbuffer table: version,
 * schema, dictionaries, recordBatches, custom_metadata; a block is the struct {offset: int64,
 * metaDataLength: int32, pad, bodyLength: int64}). Read with the flatbuffers library directly
 * because apache-arrow's single-file build (src/arrow-lib.ts) does not export its footer reader;
 * the schema comes from the file reader, which decodes the same footer.
 */
function footerBlocks(bytes: Uint8Array): Block[] {
  const bb = new ByteBuffer(bytes)
  const table = bb.readInt32(0)
  const field = bb.__offset(table, 4 + 2 * 3) // recordBatches
  if (field === 0) return []
  const at = table + field
  const start = bb.__vector(at)
  const n = bb.__vector_len(at)
  const out: Block[] = []
  for (let i = 0; i < n; i++) {
    const b = start + i * 24
    out.push({offset: Number(bb.readInt64(b)), metaDataLength: bb.readInt32(b + 8)})
  }
  return out
}

interface BatchHeader {
  rows: number
  compressed: boolean
  /** Per field node: null count. */
  nulls: number[]
  /** Body buffers: offset and length. */
  buffers: {offset: number; length: number}[]
}

/**
 * The header of a record-batch message (a `Message` table: version, header_type, header,
 * bodyLength, custom_metadata; header_type 3 is a `RecordBatch` table: length, nodes [{length:
 * int64, null_count: int64}], buffers [{offset: int64, length: int64}], compression), or
 * undefined for another message type. Same reason as footerBlocks for reading it here.
 */
function batchHeader(bytes: Uint8Array): BatchHeader | undefined {
  const bb = new ByteBuffer(bytes)
  const msg = bb.readInt32(0)
  const typeAt = bb.__offset(msg, 4 + 2 * 1)
  if (typeAt === 0 || bb.readUint8(msg + typeAt) !== 3) return undefined
  const headerAt = bb.__offset(msg, 4 + 2 * 2)
  if (headerAt === 0) return undefined
  const rb = bb.__indirect(msg + headerAt)
  const lengthAt = bb.__offset(rb, 4)
  const rows = lengthAt === 0 ? 0 : Number(bb.readInt64(rb + lengthAt))
  const vec = (field: number, read: (at: number) => void) => {
    const at = bb.__offset(rb, 4 + 2 * field)
    if (at === 0) return
    const start = bb.__vector(rb + at)
    const n = bb.__vector_len(rb + at)
    for (let i = 0; i < n; i++) read(start + i * 16)
  }
  const nulls: number[] = []
  vec(1, (at) => nulls.push(Number(bb.readInt64(at + 8))))
  const buffers: {offset: number; length: number}[] = []
  vec(2, (at) => buffers.push({offset: Number(bb.readInt64(at)), length: Number(bb.readInt64(at + 8))}))
  return {rows, compressed: bb.__offset(rb, 4 + 2 * 3) !== 0, nulls, buffers}
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length)
  let off = 0
  while (off < length) {
    const {bytesRead} = await fh.read(buf, off, length - off, position + off)
    if (bytesRead === 0) throw new Error('short read')
    off += bytesRead
  }
  return buf
}

/** Buffers per field of a flat schema, or undefined for a layout this module does not walk. */
function buffersOf(typeId: Type): number | undefined {
  switch (typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Bool:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Interval:
    case Type.Duration:
    case Type.Decimal:
    case Type.FixedSizeBinary:
    case Type.Dictionary:
      return 2
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return 3
    default:
      return undefined
  }
}

/** A typed view of the service column's values (little-endian, as Arrow files are here). */
function valuesView(schema: Schema, index: number, bytes: Buffer, rows: number): ArrayLike<number> | undefined {
  const t = schema.fields[index].type as {typeId: Type; precision?: number; bitWidth?: number; isSigned?: boolean}
  // Copy into an aligned buffer (a Buffer may start at any offset of its pool).
  const ab = new ArrayBuffer(bytes.length)
  new Uint8Array(ab).set(bytes)
  if (t.typeId === Type.Float) {
    if (t.precision === 2) return new Float64Array(ab, 0, rows)
    if (t.precision === 1) return new Float32Array(ab, 0, rows)
    return undefined
  }
  if (t.typeId === Type.Int) {
    const {bitWidth, isSigned} = t
    if (bitWidth === 8) return isSigned ? new Int8Array(ab, 0, rows) : new Uint8Array(ab, 0, rows)
    if (bitWidth === 16) return isSigned ? new Int16Array(ab, 0, rows) : new Uint16Array(ab, 0, rows)
    if (bitWidth === 32) return isSigned ? new Int32Array(ab, 0, rows) : new Uint32Array(ab, 0, rows)
    if (bitWidth === 64) {
      const big = isSigned ? new BigInt64Array(ab, 0, rows) : new BigUint64Array(ab, 0, rows)
      const out = new Float64Array(rows)
      for (let i = 0; i < rows; i++) out[i] = Number(big[i])
      return out
    }
  }
  return undefined
}

/** First and last arrival (cycles) and first service, from the first and last batch through the ordinary ingest. */
async function openFile(fh: FileHandle): Promise<RecordBatchReader | undefined> {
  const reader = await RecordBatchReader.from(fh)
  await reader.open()
  return reader.isFile() ? reader : undefined
}

async function edges(reader: RecordBatchReader, path: string, opts: TraceOptions, batches: number): Promise<Edges | undefined> {
  const file = reader as unknown as {readRecordBatch(i: number): Promise<RecordBatch | null>}
  const ingest = new ArrowIngest(path, reader.schema, opts, new TypeIndexer([]))
  let e: Edges | undefined
  const take = (b: {length: number; arrival: Float64Array; service: Float64Array}) => {
    if (b.length === 0) return
    if (e === undefined) e = {firstArrival: b.arrival[0], lastArrival: b.arrival[b.length - 1], serviceFirst: b.service[0]}
    else e.lastArrival = b.arrival[b.length - 1]
  }
  // The last non-empty batch is the last row's (empty batches can occur anywhere).
  let first = -1
  for (let i = 0; i < batches && first < 0; i++) {
    const rb = await file.readRecordBatch(i)
    if (rb !== null && rb.numRows > 0) {
      first = i
      for (const b of ingest.consume(rb)) take(b)
    }
  }
  if (first < 0) return undefined
  for (let i = batches - 1; i > first; i--) {
    const rb = await file.readRecordBatch(i)
    if (rb !== null && rb.numRows > 0) {
      for (const b of ingest.consume(rb)) take(b)
      break
    }
  }
  for (const b of ingest.finish()) take(b)
  return e
}

/** Quick statistics of an Arrow IPC file, or undefined (a stream, or a layout not handled here). */
export async function arrowQuickStats(path: string, opts: TraceOptions): Promise<QuickStats | undefined> {
  const fh = await open(path, 'r')
  try {
    const size = (await fh.stat()).size
    if (size < 2 * MAGIC.length + 4) return undefined
    if ((await readAt(fh, 0, 6)).toString('latin1') !== MAGIC) return undefined
    const tail = await readAt(fh, size - 10, 10)
    if (tail.toString('latin1', 4) !== MAGIC) return undefined
    const footerLength = tail.readInt32LE(0)
    if (!(footerLength > 0 && footerLength < size)) return undefined
    const blocks = footerBlocks(await readAt(fh, size - 10 - footerLength, footerLength))
    const reader = await openFile(fh)
    if (reader === undefined) return undefined
    const schema = reader.schema
    const names = schema.fields.map((f) => f.name)
    const cols = resolveColumns(names, opts, path)
    // The service column's value buffer: the second buffer of its field, fields laid out in order.
    let buffer = 0
    for (let i = 0; i < cols.service.index; i++) {
      const k = buffersOf(schema.fields[i].type.typeId)
      if (k === undefined) return undefined
      buffer += k
    }
    const svcType = schema.fields[cols.service.index].type.typeId
    if (svcType !== Type.Int && svcType !== Type.Float) return undefined
    const valueBuffer = buffer + 1

    const headers: {offset: number; rows: number; bodyStart: number; valuesAt: number; valuesLength: number; nulls: number}[] = []
    let rows = 0
    for (const block of blocks) {
      const meta = await readAt(fh, Number(block.offset), block.metaDataLength)
      // Message prefix: 0xFFFFFFFF continuation + int32 length (or, in old files, the length alone).
      const cont = meta.readUInt32LE(0) === 0xffffffff
      const len = meta.readInt32LE(cont ? 4 : 0)
      const start = cont ? 8 : 4
      const h = batchHeader(meta.subarray(start, start + len))
      if (h === undefined || h.compressed) return undefined
      const region = h.buffers[valueBuffer]
      const nulls = h.nulls[cols.service.index]
      if (region === undefined || nulls === undefined) return undefined
      headers.push({
        offset: Number(block.offset),
        rows: h.rows,
        bodyStart: Number(block.offset) + block.metaDataLength,
        valuesAt: region.offset,
        valuesLength: region.length,
        nulls,
      })
      rows += h.rows
    }
    if (rows === 0) return undefined
    const e = await edges(reader, path, opts, blocks.length)
    if (e === undefined) return undefined

    const q = fromMetadata(schema.metadata.get(STATS_METADATA_KEY), opts, {arrival: cols.arrival.name, service: cols.service.name}, rows, e)
    if (q !== undefined) return q

    const acc = new StatsAccumulator()
    let scratch = new Float64Array(0)
    for (const h of headers) {
      if (h.rows === 0) continue
      if (h.nulls > 0) return undefined
      const bytes = await readAt(fh, h.bodyStart + h.valuesAt, h.valuesLength)
      const values = valuesView(schema, cols.service.index, bytes, h.rows)
      if (values === undefined) return undefined
      if (scratch.length < h.rows) scratch = new Float64Array(h.rows)
      if (!addRawService(acc, values, h.rows, cols.service.toCycles, scratch)) return undefined
    }
    if (acc.serviceFirst !== e.serviceFirst) return undefined
    fastStatsCounts.columns++
    return {requests: acc.requests, firstArrival: e.firstArrival, lastArrival: e.lastArrival, serviceMean: acc.serviceMean}
  } finally {
    await fh.close()
  }
}
