/**
 * Arrow ingest: turns Arrow record batches (from Arrow IPC files/streams, or from Parquet via
 * parquet-wasm) into validated TraceBatches. Columns are read as whole typed arrays per batch
 * (`Data.values`), never value by value.
 */
import type {FileHandle} from 'node:fs/promises'

import {
  type Data,
  type RecordBatch,
  RecordBatchReader,
  type Schema,
  Type,
  type Vector,
} from '../arrow-lib.js'

import {TailsimError, TraceError, show} from '../errors.js'
import type {ArrivalClock} from './clock.js'
import {BatchBuilder, type ResolvedColumns, TypeIndexer, connSource, resolveColumns} from './columns.js'
import {ConnIndexer, drawnConn, seedMix} from './conn-map.js'
import type {TimeUnit, TraceBatch, TraceIngest, TraceOptions} from './types.js'

const NUMERIC = new Set([Type.Int, Type.Float])
/** Arrow TimeUnit (SECOND, MILLISECOND, MICROSECOND, NANOSECOND) → trace unit. */
const TIMESTAMP_UNITS: readonly TimeUnit[] = ['s', 'ms', 'us', 'ns']
const STRINGS = new Set([Type.Utf8, Type.LargeUtf8])
const decoder = new TextDecoder()

function typeName(v: Vector | Data): string {
  return String(v.type)
}

/** Converts Arrow record batches of one schema into TraceBatches. */
export class ArrowIngest {
  readonly cols: ResolvedColumns
  readonly builder: BatchBuilder
  readonly clock: ArrivalClock
  private readonly conns: ConnIndexer
  /** No connection column: ids drawn from this many (0 = one per request), salted by `mix`. */
  private readonly drawn: number = -1
  private readonly mix: number = 0
  private arrivalScratch = new Float64Array(0)
  /** Rows consumed so far (the next row is rowsSeen + 1). */
  rowsSeen = 0
  private f64 = new Float64Array(0)
  private f64b = new Float64Array(0)
  private connScratch = new Uint32Array(0)
  private typeScratch = new Uint16Array(0)
  private dictCache = new WeakMap<object, Int32Array>()

  constructor(
    readonly file: string,
    schema: Schema,
    private readonly opts: TraceOptions,
    private readonly types: TypeIndexer,
  ) {
    this.cols = resolveColumns(
      schema.fields.map((f) => f.name),
      opts,
      file,
    )
    const check = (index: number, name: string, ok: (t: number) => boolean, expected: string) => {
      const f = schema.fields[index]
      const t = f.type.typeId === Type.Dictionary ? (f.type as {dictionary: {typeId: number}}).dictionary.typeId : f.type.typeId
      if (!ok(t) || (f.type.typeId === Type.Dictionary && expected.startsWith('numeric'))) {
        throw new TraceError(`Expected a ${expected} column, got ${String(f.type)}`, {file, column: name})
      }
    }
    const c = this.cols
    check(c.arrival.index, c.arrival.name, (t) => NUMERIC.has(t) || t === Type.Timestamp, 'numeric or timestamp')
    check(c.service.index, c.service.name, (t) => NUMERIC.has(t), 'numeric')
    if (c.conn) check(c.conn.index, c.conn.name, (t) => t === Type.Int || t === Type.Float || STRINGS.has(t), 'integer or string')
    if (c.type) check(c.type.index, c.type.name, (t) => t === Type.Int || STRINGS.has(t), 'string or integer')
    this.builder = new BatchBuilder(file, c, opts, c.type !== undefined)
    this.clock = this.builder.clock
    const at = schema.fields[c.arrival.index].type
    if (at.typeId === Type.Timestamp) this.clock.useKind('timestamp', TIMESTAMP_UNITS[(at as {unit: number}).unit])
    else this.clock.useKind('number')
    this.conns = ConnIndexer.take(opts.maxConnections, file)
    if (c.conn === undefined) {
      this.drawn = opts.connPerRequest ? 0 : opts.connections!
      this.mix = seedMix(opts.connSeed ?? 1)
    }
  }

  get connections(): number {
    return this.conns.count
  }

  private firstNull(v: Vector, column: string): void {
    if (v.nullCount === 0) return
    for (let i = 0; i < v.length; i++) {
      if (!v.isValid(i)) {
        throw new TraceError(`Expected a value, got null`, {file: this.file, row: this.rowsSeen + i + 1, column})
      }
    }
  }

  /**
   * Numeric column → Float64Array (zero copy for a single float64 chunk, else converted into a
   * scratch buffer). Note: Arrow JS slices value buffers, so `values[i]` is logical row i;
   * `Data.offset` only applies to the validity bitmap.
   */
  private numbers(v: Vector, column: string, second: boolean): Float64Array {
    this.firstNull(v, column)
    const n = v.length
    if (v.data.length === 1 && v.data[0].values instanceof Float64Array) return v.data[0].values.subarray(0, n)
    if ((second ? this.f64b : this.f64).length < n) {
      if (second) this.f64b = new Float64Array(n)
      else this.f64 = new Float64Array(n)
    }
    const dst = second ? this.f64b : this.f64
    let k = 0
    for (const d of v.data) {
      const vals = d.values as ArrayLike<number> | BigInt64Array | BigUint64Array
      if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) {
        for (let i = 0; i < d.length; i++) dst[k++] = Number(vals[i])
      } else if (vals instanceof Uint16Array && d.type.typeId === Type.Float) {
        throw new TraceError('Expected a float32, float64 or integer column, got float16', {file: this.file, column})
      } else {
        for (let i = 0; i < d.length; i++) dst[k++] = vals[i]
      }
    }
    return dst.subarray(0, n)
  }

  /** The arrival column → times since the clock's base (see clock.ts), exactly for 64-bit integers. */
  private arrivals(v: Vector, column: string): Float64Array {
    this.firstNull(v, column)
    const n = v.length
    const clock = this.clock
    if (clock.started && clock.baseSeconds === 0 && v.data.length === 1 && v.data[0].values instanceof Float64Array) {
      return v.data[0].values.subarray(0, n)
    }
    if (this.arrivalScratch.length < n) this.arrivalScratch = new Float64Array(n)
    const dst = this.arrivalScratch
    let k = 0
    for (const d of v.data) {
      const vals = d.values as ArrayLike<number> | BigInt64Array | BigUint64Array
      if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) {
        clock.int64(vals.length === d.length ? vals : (vals.subarray(0, d.length) as BigInt64Array), dst, k)
      } else if (vals instanceof Uint16Array && d.type.typeId === Type.Float) {
        throw new TraceError('Expected a float32, float64 or integer column, got float16', {file: this.file, column})
      } else {
        clock.numbers(vals, d.length, dst, k)
      }
      k += d.length
    }
    return dst.subarray(0, n)
  }

  /** A string-ish column (Utf8 or Dictionary) → value at i, decoded. */
  private stringAt(d: Data, i: number): string {
    const offs = d.valueOffsets as Int32Array | BigInt64Array
    const s = Number(offs[i])
    const e = Number(offs[i + 1])
    return decoder.decode((d.values as Uint8Array).subarray(s, e))
  }

  /** Dense ids (connections or types) for one column of a batch. */
  private dense(
    v: Vector,
    column: string,
    out: Uint32Array | Uint16Array,
    num: (x: number, row: number) => number,
    str: (x: string, row: number) => number,
    conns?: ConnIndexer,
  ): void {
    this.firstNull(v, column)
    let k = 0
    for (const d of v.data) {
      const t = d.type.typeId
      if (t === Type.Dictionary) {
        const dict = d.dictionary as Vector
        let cache = this.dictCache.get(dict)
        if (cache === undefined) {
          cache = new Int32Array(dict.length).fill(-1)
          this.dictCache.set(dict, cache)
        }
        const idx = d.values as ArrayLike<number>
        for (let i = 0; i < d.length; i++, k++) {
          const di = idx[i]
          let dense = cache[di]
          if (dense < 0) {
            const dv = dict.get(di) as unknown
            const row = this.rowsSeen + k + 1
            if (dv === null) throw new TraceError('Expected a value, got null', {file: this.file, row, column})
            if (typeof dv === 'bigint' && conns !== undefined) {
              dense = cache[di] = conns.int64(Number(dv & 0xffffffffn), Number((dv >> 32n) & 0xffffffffn))
            } else dense = cache[di] = typeof dv === 'string' ? str(dv, row) : num(Number(dv), row)
          }
          out[k] = dense
        }
      } else if (STRINGS.has(t)) {
        if (conns !== undefined && d.valueOffsets instanceof Int32Array) {
          // UTF-8 bytes straight from the column: no string per row.
          const offs = d.valueOffsets
          const bytes = d.values as Uint8Array
          for (let i = 0; i < d.length; i++, k++) out[k] = conns.bytes(bytes, offs[i], offs[i + 1])
        } else {
          for (let i = 0; i < d.length; i++, k++) out[k] = str(this.stringAt(d, i), this.rowsSeen + k + 1)
        }
      } else if (conns !== undefined && (d.values instanceof BigInt64Array || d.values instanceof BigUint64Array)) {
        const vals = d.values.length === d.length ? d.values : (d.values.subarray(0, d.length) as BigInt64Array)
        conns.mapInt64(vals, out as Uint32Array, k)
        k += d.length
      } else if (conns !== undefined) {
        const sub = k === 0 ? out : out.subarray(k)
        const stop = conns.mapInts(d.values as ArrayLike<number>, sub as Uint32Array, d.length)
        if (stop < d.length) num((d.values as ArrayLike<number>)[stop], this.rowsSeen + k + stop + 1) // throws
        k += d.length
      } else {
        const vals = d.values as ArrayLike<number | bigint>
        const big = vals instanceof BigInt64Array || vals instanceof BigUint64Array
        for (let i = 0; i < d.length; i++, k++) {
          const x = big ? (vals[i] as bigint).toString() : String(vals[i] as number)
          out[k] = str(x, this.rowsSeen + k + 1)
        }
      }
    }
  }

  /** Consume one Arrow record batch; yields the output batch each time it fills up. */
  *consume(rb: RecordBatch): Generator<TraceBatch> {
    const n = rb.numRows
    if (n === 0) return
    const c = this.cols
    const file = this.file
    const arrival = this.arrivals(rb.getChildAt(c.arrival.index)!, c.arrival.name)
    const service = this.numbers(rb.getChildAt(c.service.index)!, c.service.name, true)
    if (this.connScratch.length < n) this.connScratch = new Uint32Array(n)
    const conns = this.conns
    if (c.conn === undefined) {
      const out = this.connScratch
      const first = this.rowsSeen
      if (this.drawn === 0) for (let i = 0; i < n; i++) out[i] = conns.num(first + i)
      else for (let i = 0; i < n; i++) out[i] = conns.num(drawnConn(first + i, this.drawn, this.mix))
    } else {
      const connCol = c.conn.name
      this.dense(
        rb.getChildAt(c.conn.index)!,
        connCol,
        this.connScratch,
        (x, row) => {
          if (!Number.isInteger(x)) {
            throw new TraceError(`Expected an integer or string connection id, got ${show(x)}`, {file, row, column: connCol})
          }
          return conns.num(x)
        },
        (s) => conns.str(s),
        conns,
      )
    }
    let types: Uint16Array | undefined
    if (c.type) {
      if (this.typeScratch.length < n) this.typeScratch = new Uint16Array(n)
      types = this.typeScratch
      const tcol = c.type.name
      this.dense(
        rb.getChildAt(c.type.index)!,
        tcol,
        types,
        (x, row) => this.types.index(String(x), file, row, tcol),
        (s, row) => this.types.index(s, file, row, tcol),
      )
    }
    const b = this.builder
    let pos = 0
    while (pos < n) {
      pos = b.addColumns(arrival, this.connScratch, service, types, pos, n, this.rowsSeen + 1)
      if (b.full) {
        yield b.batch
        b.reset()
      }
    }
    this.rowsSeen += n
  }

  /** Yield the last partial batch; a trace without rows is an error. */
  *finish(ingest?: TraceIngest): Generator<TraceBatch> {
    if (this.rowsSeen === 0) throw new TraceError('Expected at least one row, got none', {file: this.file})
    this.conns.release()
    if (ingest !== undefined) {
      ingest.clock = this.clock.info()
      ingest.connections = connSource(this.cols, this.opts)
    }
    if (this.builder.batch.length > 0) {
      yield this.builder.batch
      this.builder.reset()
    }
  }
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array> {
  return typeof (x as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function'
}

/** Wrap anything a third-party reader throws as a TraceError naming the file. */
export function wrapReadError(error: unknown, file: string, what: string): Error {
  if (error instanceof TailsimError) return error
  const trap = (error as Error | undefined)?.constructor?.name === 'RuntimeError' // a WebAssembly trap (decoder panic)
  const msg = trap ? 'the decoder failed on corrupt data' : error instanceof Error ? error.message : String(error)
  return new TraceError(`Expected ${what}, got an unreadable or truncated file (${msg.split('\n')[0]})`, {file})
}

/** A read step (open, next batch) that takes longer than this is taken to be stuck, ms. */
const DEFAULT_STALL_MS = 30_000

/**
 * Await `p`, or fail with a TraceError when it stays pending for `ms`: apache-arrow can wait for
 * ever on some corrupt inputs (an idle wait, so a timer still fires).
 */
function stall<T>(p: Promise<T>, ms: number, file: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new TraceError(`Expected the reader to make progress, got none for ${ms / 1000} s (the file is probably corrupt)`, {file}))
    }, ms)
    p.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}

/** Consecutive empty reads after which a reader is taken to be stuck on corrupt lengths. */
const MAX_EMPTY_READS = 256

/**
 * A view of a file handle for apache-arrow that fails, instead of spinning forever, when the
 * reader keeps asking for bytes that are not there (a corrupt message length can make it loop on
 * empty reads).
 */
function watchdogHandle(fh: FileHandle, file: string): FileHandle {
  let empty = 0
  return {
    fd: fh.fd,
    stat: () => fh.stat(),
    close: async () => {}, // the caller owns and closes the real handle
    async read(buffer: Uint8Array, offset: number, length: number, position: number) {
      const r = await fh.read(buffer, offset, length, position)
      if (r.bytesRead > 0) empty = 0
      else if (++empty > MAX_EMPTY_READS) {
        throw new TraceError('Expected a valid Arrow IPC file or stream, got one whose message lengths point past its end', {file})
      }
      return r
    },
  } as unknown as FileHandle
}

/**
 * Stream an Arrow IPC file or stream. `input` is an open file handle (random access; the file
 * format reads its footer first) or an async iterable of bytes (stdin).
 */
export async function* readArrow(
  input: FileHandle | AsyncIterable<Uint8Array>,
  file: string,
  opts: TraceOptions,
  types: TypeIndexer,
  ingest?: TraceIngest,
): AsyncGenerator<TraceBatch> {
  const what = 'a valid Arrow IPC file or stream'
  const stallMs = (opts as {stallTimeoutMs?: number}).stallTimeoutMs ?? DEFAULT_STALL_MS
  let reader: RecordBatchReader
  try {
    const source = isAsyncIterable(input) ? input : watchdogHandle(input, file)
    reader = (await stall(RecordBatchReader.from(source as AsyncIterable<Uint8Array>), stallMs, file)) as RecordBatchReader
    await stall(Promise.resolve(reader.open()), stallMs, file)
  } catch (error) {
    throw wrapReadError(error, file, what)
  }
  if (reader.schema === undefined || reader.schema === null) {
    throw new TraceError(`Expected ${what}, got one without a schema`, {file})
  }
  const ingester = new ArrowIngest(file, reader.schema, opts, types)
  const it = reader[Symbol.asyncIterator]()
  for (;;) {
    let next: IteratorResult<RecordBatch>
    try {
      next = await stall(it.next(), stallMs, file)
    } catch (error) {
      throw wrapReadError(error, file, what)
    }
    if (next.done) break
    yield* ingester.consume(next.value)
  }
  yield* ingester.finish(ingest)
}
