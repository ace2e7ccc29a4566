/**
 * The Arrow and Parquet encoding of a records spool (see records.ts for the spool's layout and the
 * columns). Kept apart so that apache-arrow (about 150 modules, a third of a second to load) is
 * imported only by runs that write records, not by every command start-up.
 */
import {closeSync, openSync, readSync, statSync} from 'node:fs'
import type {FileHandle} from 'node:fs/promises'

import {
  type Data,
  Field,
  Float64,
  Int32,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Table,
  Uint32,
  makeData,
  tableToIPC,
} from '../arrow-lib.js'

import {pipeArrowBatches} from '../trace/arrow-pipe.js'
import {parquetWasm} from '../trace/parquet.js'
import {nsDecimals} from '../trace/units.js'
import {ARROW_ROW_BYTES, OUT_BATCH, ROW_BYTES, type RecordFormat} from './records.js'

const SCHEMA_FIELDS = [
  new Field('seq', new Uint32(), false),
  new Field('arrival_ns', new Float64(), false),
  new Field('conn', new Uint32(), false),
  new Field('queue', new Int32(), false),
  new Field('core', new Int32(), false),
  new Field('start_ns', new Float64(), false),
  new Field('end_ns', new Float64(), false),
  new Field('latency_ns', new Float64(), false),
]

function readFully(fd: number, into: Uint8Array, position: number): void {
  let off = 0
  while (off < into.length) {
    const n = readSync(fd, into, off, into.length - off, position + off)
    if (n === 0) throw new Error(`internal: records spool ended early at byte ${position + off}`)
    off += n
  }
}

/** Write the spool's rows to `fh` in `format`, with `meta` as the file's key-value metadata. */
export async function encodeRecords(
  format: RecordFormat,
  fh: FileHandle,
  spool: string,
  ghz: number,
  meta: Map<string, string>,
): Promise<number> {
  const schema = new Schema(SCHEMA_FIELDS, meta)
  return format === 'parquet' ? toParquet(fh, spool, ghz, schema, meta) : toArrow(fh, spool, ghz, schema)
}

/** Yield Arrow record batches (ns, rounded) from the spool, in order. */
function* batches(spool: string, ghz: number, schema: Schema): Generator<RecordBatch> {
  const fd = openSync(spool, 'r')
  const dec = nsDecimals(ghz)
  const scale = Math.pow(10, dec)
  const perCycle = 1 / ghz
  const ns = (c: number) => Math.round(c * perCycle * scale) / scale
  try {
    let pos = 0
    const size = statSync(spool).size
    // Pending output columns, filled from one or more spool chunks up to OUT_BATCH rows.
    while (pos < size) {
      const head = new Uint8Array(4)
      readFully(fd, head, pos)
      const n = new Uint32Array(head.buffer)[0]
      pos += 4
      const raw = new Uint8Array(n * ROW_BYTES)
      readFully(fd, raw, pos)
      pos += raw.length
      let off = 0
      const f64 = () => {
        const a = new Float64Array(raw.buffer.slice(off, off + n * 8))
        off += n * 8
        return a
      }
      const u32 = () => {
        const a = new Uint32Array(raw.buffer.slice(off, off + n * 4))
        off += n * 4
        return a
      }
      const i32 = () => {
        const a = new Int32Array(raw.buffer.slice(off, off + n * 4))
        off += n * 4
        return a
      }
      const seqF = f64()
      const arrival = f64()
      const conn = u32()
      const queue = i32()
      const core = i32()
      const start = f64()
      const end = f64()
      const latency = f64()
      const seq = new Uint32Array(n)
      for (let i = 0; i < n; i++) {
        seq[i] = seqF[i]
        arrival[i] = ns(arrival[i])
        start[i] = ns(start[i])
        end[i] = ns(end[i])
        latency[i] = ns(latency[i])
      }
      for (let s = 0; s < n; s += OUT_BATCH) {
        const e = Math.min(n, s + OUT_BATCH)
        const len = e - s
        const col = (type: Uint32 | Int32 | Float64, data: Float64Array | Uint32Array | Int32Array): Data =>
          makeData({type, length: len, nullCount: 0, data: data.subarray(s, e)} as never)
        const children = [
          col(new Uint32(), seq),
          col(new Float64(), arrival),
          col(new Uint32(), conn),
          col(new Int32(), queue),
          col(new Int32(), core),
          col(new Float64(), start),
          col(new Float64(), end),
          col(new Float64(), latency),
        ]
        yield new RecordBatch(schema, makeData({type: new Struct(schema.fields), length: len, nullCount: 0, children}))
      }
    }
  } finally {
    closeSync(fd)
  }
}

async function toArrow(fh: FileHandle, spool: string, ghz: number, schema: Schema): Promise<number> {
  const write = async (chunk: Uint8Array) => {
    let off = 0
    while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten
  }
  const {bytes} = await pipeArrowBatches(new RecordBatchFileWriter(), batches(spool, ghz, schema), write, {
    bytesPerRow: ARROW_ROW_BYTES,
    limitBytes: 32 << 20, // wait while more than 32 MB are queued but not yet on disk
    emptySchema: schema,
  })
  return bytes
}

async function toParquet(fh: FileHandle, spool: string, ghz: number, schema: Schema, meta: Map<string, string>): Promise<number> {
  const pq = await parquetWasm()
  const it = batches(spool, ghz, schema)
  let empty = true
  const stream = new ReadableStream({
    pull(controller) {
      try {
        const r = it.next()
        if (r.done) {
          if (empty) {
            // A records file with no rows still carries its schema.
            const t = pq.Table.fromIPCStream(tableToIPC(new Table(schema), 'stream'))
            for (const w of t.recordBatches()) controller.enqueue(w)
            empty = false
          }
          controller.close()
          return
        }
        empty = false
        const t = pq.Table.fromIPCStream(tableToIPC(new Table(r.value), 'stream'))
        for (const w of t.recordBatches()) controller.enqueue(w)
      } catch (error) {
        controller.error(error)
      }
    },
  })
  const props = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.ZSTD)
    .setMaxRowGroupSize(1 << 20)
    .setKeyValueMetadata(meta)
    .setCreatedBy('tailsim')
    .build()
  const out = (await pq.transformParquetStream(stream, props)).getReader()
  let bytes = 0
  for (;;) {
    const r = await out.read()
    if (r.done) break
    const chunk = r.value as Uint8Array
    let off = 0
    while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten
    bytes += chunk.length
  }
  return bytes
}
