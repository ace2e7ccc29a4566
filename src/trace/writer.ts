/**
 * Trace writer (used by `tailsim generate`): Arrow IPC file or stream, Parquet, or CSV, streamed
 * batch by batch with bounded memory. Output goes to a temporary name in the destination folder
 * and is renamed into place at the end, so a failure never leaves a half-written trace.
 *
 * Columns written: `arrival_ns` (float64), `conn` (uint32), `service_ns` (float64) and, when the
 * source has request types, `type` (dictionary-encoded string). Times are written in nanoseconds
 * rounded to `nsDecimals(ghz)` decimals (1 decimal at 2.4 GHz): exactly enough that reading the
 * file back at the same clock, `Math.round(ns * ghz)`, gives back the source's cycle counts, in
 * every format (CSV prints the same float64 values in their shortest exact decimal form).
 */
import {randomBytes} from 'node:crypto'
import {existsSync, statSync} from 'node:fs'
import {type FileHandle, open, rename, unlink} from 'node:fs/promises'
import {basename, dirname, extname, join} from 'node:path'
import type {Writable} from 'node:stream'

import {
  type Data,
  Dictionary,
  Field,
  Float64,
  Int16,
  Int32,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  Uint32,
  Utf8,
  type Vector,
  makeData,
  tableToIPC,
  vectorFromArray,
} from '../arrow-lib.js'

import {ConfigError, OutputError, TailsimError, show} from '../errors.js'
import {pipeArrowBatches} from './arrow-pipe.js'
import {STATS_METADATA_KEY, StatsAccumulator} from './fast-stats.js'
import {parquetWasm} from './parquet.js'
import type {TraceBatch, TraceSource} from './types.js'
import {DEFAULT_GHZ, checkGhz, nsDecimals} from './units.js'

/** Output formats: Arrow IPC file (`.arrow`), Arrow IPC stream (`.arrows`), Parquet, CSV. */
export type OutputFormat = 'arrow' | 'arrow-stream' | 'parquet' | 'csv'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['arrow', 'arrow-stream', 'parquet', 'csv']

export interface WriteOptions {
  /** Format; default from the extension (.arrow/.feather/.ipc, .arrows, .parquet/.pq, .csv). `-` is always an Arrow IPC stream. */
  format?: OutputFormat
  /** Overwrite an existing file (default false: OutputError). */
  force?: boolean
  /** Clock of the source's cycle values, GHz (default 2.4). */
  ghz?: number
  /** Where `-` writes (the CLI passes process.stdout). Required when `out` is `-`. */
  stdout?: Writable
  /** Extra key/value metadata stored in Arrow/Parquet schemas (e.g. the generator spec). */
  metadata?: Record<string, string>
  /**
   * Store the trace's statistics (rows, arrival span, service sum; key `tailsim.stats`) in the
   * metadata of Arrow IPC and Parquet files, so that a run reads them instead of a column
   * (fast-stats.ts). Arrow IPC files get them in their footer; Parquet, whose metadata is
   * fixed before the first row, costs a first pass over the source (which must be re-readable).
   * Arrow IPC streams and CSV have no place for them.
   */
  stats?: boolean
}

export interface WriteResult {
  path: string
  format: OutputFormat
  rows: number
  /** Bytes written. */
  bytes: number
}

/** Output format for a path, from `--format` or the extension. */
export function outputFormat(out: string, format?: OutputFormat): OutputFormat {
  if (format !== undefined) {
    if (!OUTPUT_FORMATS.includes(format)) {
      throw new ConfigError(`Expected \`format\` to be one of ${OUTPUT_FORMATS.join(', ')}, got ${show(format)}`, {flag: 'format'})
    }
    return format
  }
  if (out === '-') return 'arrow-stream'
  const ext = extname(out).toLowerCase()
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return 'arrow'
  if (ext === '.arrows') return 'arrow-stream'
  if (ext === '.parquet' || ext === '.pq') return 'parquet'
  if (ext === '.csv') return 'csv'
  throw new ConfigError(
    `Expected OUT to end in .arrow, .arrows, .parquet or .csv (or pass --format), got ${show(out)}`,
    {flag: 'format'},
  )
}

/** A byte sink with backpressure: a temp file, or stdout. */
interface Sink {
  write(chunk: Uint8Array | string): Promise<void>
  bytes: number
}

function fileSink(fh: FileHandle): Sink {
  const sink: Sink = {
    bytes: 0,
    async write(chunk) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      let off = 0
      while (off < buf.length) {
        const {bytesWritten} = await fh.write(buf, off, buf.length - off)
        off += bytesWritten
      }
      sink.bytes += buf.length
    },
  }
  return sink
}

function streamSink(w: Writable): Sink {
  const sink: Sink = {
    bytes: 0,
    write(chunk) {
      sink.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
      return new Promise((resolve, reject) => {
        // Settle when this chunk is flushed (its callback), so the one-shot error listener is
        // removed before the next write adds its own: no listeners pile up on a fast producer.
        const onError = (e: Error) => reject(new OutputError(`Expected stdout to accept the trace, got ${e.message}`))
        w.once('error', onError)
        w.write(chunk, (e) => {
          w.off('error', onError)
          if (e) reject(new OutputError(`Expected stdout to accept the trace, got ${e.message}`))
          else resolve()
        })
      })
    },
  }
  return sink
}

/** Converts TraceBatches (cycles) to Arrow record batches (ns), copying (sources reuse arrays). */
class ArrowBatcher {
  readonly schema: Schema
  private readonly scale: number
  private readonly dictType?: Dictionary
  private dict?: Vector<Utf8>
  /** Statistics of the batches converted so far (in cycles, as a reader gets them back). */
  readonly stats = new StatsAccumulator()

  constructor(
    private readonly source: TraceSource,
    private readonly ghz: number,
    typed: boolean,
    metadata: Map<string, string>,
  ) {
    this.scale = Math.pow(10, nsDecimals(ghz))
    const fields: Field[] = [
      new Field('arrival_ns', new Float64(), false),
      new Field('conn', new Uint32(), false),
      new Field('service_ns', new Float64(), false),
    ]
    if (typed) {
      this.dictType = new Dictionary(new Utf8(), source.typeNames.length > 32767 ? new Int32() : new Int16(), 0)
      fields.push(new Field('type', this.dictType, false))
    }
    this.schema = new Schema(fields, metadata)
  }

  private ns(cycles: Float64Array, n: number): Float64Array {
    const out = new Float64Array(n)
    const g = this.ghz
    const sc = this.scale
    for (let i = 0; i < n; i++) out[i] = Math.round((cycles[i] / g) * sc) / sc
    return out
  }

  batch(b: TraceBatch): RecordBatch {
    const n = b.length
    this.stats.add(b)
    const children: Data[] = [
      makeData({type: new Float64(), length: n, nullCount: 0, data: this.ns(b.arrival, n)}),
      makeData({type: new Uint32(), length: n, nullCount: 0, data: b.conn.slice(0, n)}),
      makeData({type: new Float64(), length: n, nullCount: 0, data: this.ns(b.service, n)}),
    ]
    if (this.dictType) {
      const names = this.source.typeNames
      if (this.dict === undefined || this.dict.length !== names.length) this.dict = vectorFromArray(names.slice(), new Utf8())
      const idx = this.dictType.indices instanceof Int32 ? Int32Array.from(b.type!.subarray(0, n)) : Int16Array.from(b.type!.subarray(0, n))
      children.push(makeData({type: this.dictType, length: n, nullCount: 0, data: idx, dictionary: this.dict as never}))
    }
    const struct = makeData({type: new Struct(this.schema.fields), length: n, nullCount: 0, children})
    return new RecordBatch(this.schema, struct)
  }
}

function csvWriter(ghz: number, typeNames: string[]): (b: TraceBatch) => string {
  const sc = Math.pow(10, nsDecimals(ghz))
  const quote = (s: string) => (/[",\r\n]/.test(s) || s.trim() !== s ? '"' + s.replace(/"/g, '""') + '"' : s)
  return (b) => {
    const parts: string[] = new Array(b.length)
    const t = b.type
    for (let i = 0; i < b.length; i++) {
      const a = Math.round((b.arrival[i] / ghz) * sc) / sc
      const s = Math.round((b.service[i] / ghz) * sc) / sc
      parts[i] = t ? `${a},${b.conn[i]},${s},${quote(typeNames[t[i]])}` : `${a},${b.conn[i]},${s}`
    }
    return parts.join('\n') + '\n'
  }
}

/** Pull batches from `source` one at a time (the peeked first batch decides whether types exist). */
async function peek(source: TraceSource): Promise<{first: TraceBatch | undefined; rest: AsyncIterator<TraceBatch>}> {
  const rest = source.batches()[Symbol.asyncIterator]()
  const r = await rest.next()
  return {first: r.done ? undefined : r.value, rest}
}

async function writeArrow(
  source: TraceSource,
  sink: Sink,
  ghz: number,
  stream: boolean,
  meta: Map<string, string>,
  withStats: boolean,
): Promise<number> {
  const {first, rest} = await peek(source)
  const batcher = new ArrowBatcher(source, ghz, first?.type !== undefined, meta)
  async function* batches(): AsyncGenerator<RecordBatch> {
    let schema: Schema | undefined
    for (let b: TraceBatch | undefined = first; b !== undefined; ) {
      const rb = batcher.batch(b)
      schema ??= rb.schema
      yield rb
      const r = await rest.next()
      b = r.done ? undefined : r.value
    }
    // The file format repeats the schema in its footer, written after the last batch from the
    // schema of the first (the writer keeps that object): its metadata can still take the
    // statistics of every row. (Tested: test/trace/fast-stats.test.ts.)
    if (!stream && withStats && schema !== undefined && batcher.stats.requests > 0) {
      schema.metadata.set(STATS_METADATA_KEY, batcher.stats.metadata(ghz))
    }
  }
  const writer = stream ? new RecordBatchStreamWriter() : new RecordBatchFileWriter()
  const {rows} = await pipeArrowBatches(writer, batches(), (chunk) => sink.write(chunk), {
    bytesPerRow: first?.type ? 22 : 20,
    limitBytes: 64 << 20,
  })
  return rows
}

async function writeParquetTo(source: TraceSource, sink: Sink, ghz: number, meta: Map<string, string>, withStats: boolean): Promise<number> {
  const pq = await parquetWasm()
  if (withStats) {
    // Parquet's key-value metadata is fixed before the first row: a first pass computes them.
    const acc = new StatsAccumulator()
    for await (const b of source.batches()) acc.add(b)
    if (acc.requests > 0) meta.set(STATS_METADATA_KEY, acc.metadata(ghz))
  }
  const {first, rest} = await peek(source)
  const batcher = new ArrowBatcher(source, ghz, first?.type !== undefined, meta)
  let rows = 0
  let next: TraceBatch | undefined = first
  let failure: unknown
  const batches = new ReadableStream({
    async pull(controller) {
      try {
        if (next === undefined) {
          controller.close()
          return
        }
        const rb = batcher.batch(next)
        rows += next.length
        const table = pq.Table.fromIPCStream(tableToIPC(new Table(rb), 'stream'))
        for (const w of table.recordBatches()) controller.enqueue(w)
        const r = await rest.next()
        next = r.done ? undefined : r.value
      } catch (error) {
        failure = error
        controller.error(error)
      }
    },
  })
  const props = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.ZSTD)
    .setColumnDictionaryEnabled('arrival_ns', false)
    .setColumnDictionaryEnabled('service_ns', false)
    .setMaxRowGroupSize(1 << 18)
    .setKeyValueMetadata(meta)
    .setCreatedBy('tailsim')
    .build()
  const bytes = await pq.transformParquetStream(batches, props)
  const reader = bytes.getReader()
  for (;;) {
    const r = await reader.read()
    if (r.done) break
    await sink.write(r.value as Uint8Array)
  }
  if (failure !== undefined) throw failure
  return rows
}

async function writeCsv(source: TraceSource, sink: Sink, ghz: number): Promise<number> {
  let rows = 0
  let format: ((b: TraceBatch) => string) | undefined
  for await (const b of source.batches()) {
    if (format === undefined) {
      await sink.write(b.type ? 'arrival_ns,conn,service_ns,type\n' : 'arrival_ns,conn,service_ns\n')
      format = csvWriter(ghz, source.typeNames)
    }
    await sink.write(format(b))
    rows += b.length
  }
  return rows
}

/**
 * Write `source` to `out` (a path, or `-` for an Arrow IPC stream on `opts.stdout`).
 * Refuses to replace an existing file unless `force`; writes to a temporary file next to `out`
 * and renames it at the end (the temporary file is removed on failure).
 */
export async function writeTrace(source: TraceSource, out: string, opts: WriteOptions = {}): Promise<WriteResult> {
  const ghz = checkGhz(opts.ghz ?? DEFAULT_GHZ)
  const format = outputFormat(out, opts.format)
  const meta = new Map(Object.entries({'tailsim.source': source.name, 'tailsim.ghz': String(ghz), ...opts.metadata}))
  const run = (sink: Sink): Promise<number> =>
    format === 'csv'
      ? writeCsv(source, sink, ghz)
      : format === 'parquet'
        ? writeParquetTo(source, sink, ghz, meta, opts.stats === true)
        : writeArrow(source, sink, ghz, format === 'arrow-stream', meta, opts.stats === true)

  if (out === '-') {
    if (opts.stdout === undefined) throw new ConfigError('Expected a stdout stream to write `-` to, got none')
    if (format !== 'arrow-stream' && format !== 'csv') {
      throw new ConfigError(`Expected --format arrow-stream or csv for stdout, got ${format}`, {flag: 'format'})
    }
    const sink = streamSink(opts.stdout)
    const rows = await run(sink)
    return {path: '-', format, rows, bytes: sink.bytes}
  }

  const dir = dirname(out)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new OutputError(`Expected the folder of OUT to exist, got ${show(dir)} (no such folder)`, {file: out})
  }
  if (existsSync(out)) {
    if (statSync(out).isDirectory()) throw new OutputError(`Expected OUT to be a file path, got a folder ${show(out)}`, {file: out})
    if (!opts.force) {
      throw new OutputError(`Expected OUT not to exist, got an existing file ${show(out)} (pass --force to overwrite)`, {file: out})
    }
  }
  const tmp = join(dir, `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  let fh: FileHandle
  try {
    fh = await open(tmp, 'wx')
  } catch (error) {
    throw new OutputError(`Expected to create a file in ${show(dir)}, got ${(error as Error).message}`, {file: out})
  }
  let rows: number
  let bytes: number
  try {
    const sink = fileSink(fh)
    rows = await run(sink)
    bytes = sink.bytes
    await fh.close()
    await rename(tmp, out)
  } catch (error) {
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    if (error instanceof TailsimError) throw error
    const e = error as NodeJS.ErrnoException
    if (e.code !== undefined && e.syscall !== undefined) {
      throw new OutputError(`Expected to write ${show(out)}, got ${e.code} (${e.message})`, {file: out})
    }
    throw error
  }
  return {path: out, format, rows, bytes}
}
