/**
 * CSV ingest. A header row names the columns; rows are numbered from 1 = the header.
 *
 * Two parsers give identical values: a hand-written fast path over raw bytes for unquoted CSV
 * (the plain numeric form written by `tailsim generate`), and csv-parse for everything else.
 * The fast path hands over to csv-parse at the first line that contains a double quote, so a
 * file is read once either way. Numbers are converted the same way in both: the fast path only
 * converts decimals it can convert exactly (at most 15 significant digits, an exact integer
 * divided by an exact power of ten is correctly rounded, like `Number()`), and defers the rest
 * to `parseNumeric`, which the csv-parse path uses for every field.
 */
import {CsvError, Parser} from 'csv-parse'

import {TraceError} from '../errors.js'
import {type TypeIndexer, connSource} from './columns.js'
import {CsvState, MAX_LINE_BYTES, NL, QUOTE, tooLong} from './csv-state.js'
import type {TraceBatch, TraceIngest, TraceOptions} from './types.js'

export {MAX_LINE_BYTES, delimiterOf} from './csv-state.js'

/** Bytes handed to csv-parse at a time. */
const SLICE = 64 << 10

/** Which parser to use: `auto` (fast path, csv-parse from the first quoted line) or csv-parse only. */
export type CsvParser = 'auto' | 'csv-parse'

/** The part of a csv-parse Parser used here: its synchronous core and live counters. */
interface CsvCore {
  api: {parse(chunk: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): Error | undefined}
  info: {lines: number}
}

function csvError(error: Error, file: string, base: number): Error {
  const e = error as Error & {code?: string; lines?: number}
  const row = e.lines !== undefined ? base + e.lines : base + 1
  if (e.code === 'CSV_MAX_RECORD_SIZE') return tooLong(file, row)
  if (error instanceof CsvError || (e.code !== undefined && /^(CSV_|INVALID_)/.test(e.code))) {
    return new TraceError(`Expected valid CSV, got ${e.message.replace(/ at line \d+/g, '')}`, {file, row})
  }
  return error
}

/**
 * Stream a CSV trace from byte chunks. `file` names it in messages.
 */
export async function* readCsv(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  opts: TraceOptions,
  types: TypeIndexer,
  parser: CsvParser = opts.csvParser ?? 'auto',
  ingest?: TraceIngest,
): AsyncGenerator<TraceBatch> {
  const st = new CsvState(file, opts, types)
  const it = chunks[Symbol.asyncIterator]()
  let carry: Buffer | undefined
  let sawBytes = false
  let first = true
  let handOver: Buffer | undefined // bytes from the start of the first line csv-parse must read

  /** The fast path over buf from `from`, handing on each full batch; returns where it stopped. */
  const fast = function* (buf: Buffer, from: number): Generator<TraceBatch, number> {
    const quote = buf.indexOf(QUOTE, from)
    let pos = st.lines(buf, from, quote)
    while (st.hasHeader && st.builder.full) {
      yield st.builder.batch
      st.builder.reset()
      pos = st.lines(buf, pos, quote)
    }
    return pos
  }

  if (parser === 'auto') {
    for (;;) {
      const r = await it.next()
      if (r.done) break
      let chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
      if (chunk.length === 0) continue
      sawBytes = true
      if (first) {
        first = false
        if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3)
      }
      let from = 0
      if (carry !== undefined) {
        // The line split between chunks, on its own: the chunk itself is not copied.
        const nl = chunk.indexOf(NL)
        if (nl < 0) {
          carry = Buffer.concat([carry, chunk])
          if (carry.length > MAX_LINE_BYTES) throw tooLong(file, st.lineNo + 1)
          continue
        }
        const head = Buffer.concat([carry, chunk.subarray(0, nl + 1)])
        carry = undefined
        const pos = yield* fast(head, 0)
        if (st.quoted) {
          handOver = Buffer.concat([head.subarray(pos), chunk.subarray(nl + 1)])
          break
        }
        from = nl + 1
      }
      const pos = yield* fast(chunk, from)
      if (st.quoted) {
        handOver = chunk.subarray(pos)
        break
      }
      if (pos < chunk.length) {
        carry = Buffer.from(chunk.subarray(pos)) // copy: the chunk may be reused by the stream
        if (carry.length > MAX_LINE_BYTES) throw tooLong(file, st.lineNo + 1)
      }
    }
    if (handOver === undefined && carry !== undefined) {
      // Last line without a newline: read as if it had one.
      if (carry.indexOf(QUOTE) >= 0) handOver = carry
      else yield* fast(Buffer.concat([carry, Buffer.from([NL])]), 0)
    }
  }

  if (parser === 'csv-parse' || handOver !== undefined) {
    // csv-parse's synchronous core (the engine behind its stream and sync APIs), fed chunk by
    // chunk: records come out with the live line count, so rows are exact even when a quoted
    // field spans lines, and nothing is buffered beyond one chunk.
    const base = st.lineNo
    const csv = new Parser({
      bom: base === 0,
      relax_column_count: true,
      skip_empty_lines: true,
      delimiter: st.delimText,
      max_record_size: MAX_LINE_BYTES,
    }) as unknown as CsvCore
    const records: string[][] = []
    const rows: number[] = []
    const push = (record: string[]) => {
      records.push(record)
      rows.push(base + csv.info.lines)
    }
    const feed = function* (chunk: Buffer | undefined, end: boolean): Generator<TraceBatch> {
      const error = csv.api.parse(chunk, end, push, () => {})
      for (let i = 0; i < records.length; i++) {
        if (!st.hasHeader) st.header(records[i], rows[i])
        else {
          st.record(records[i], rows[i])
          if (st.builder.full) {
            yield st.builder.batch
            st.builder.reset()
          }
        }
      }
      records.length = 0
      rows.length = 0
      if (error !== undefined) throw csvError(error, file, base)
    }
    if (handOver !== undefined) for (let i = 0; i < handOver.length; i += SLICE) yield* feed(handOver.subarray(i, i + SLICE), false)
    for (;;) {
      const r = await it.next()
      if (r.done) break
      if (r.value.length === 0) continue
      sawBytes = true
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
      // Small slices keep the records of one slice in the young generation (much less GC).
      for (let i = 0; i < chunk.length; i += SLICE) yield* feed(chunk.subarray(i, i + SLICE), false)
    }
    yield* feed(undefined, true)
  }

  if (!sawBytes || !st.hasHeader) {
    throw new TraceError('Expected a CSV header row (e.g. arrival_ns, conn, service_ns), got an empty file', {file})
  }
  if (st.rows === 0) throw new TraceError('Expected at least one data row after the header, got none', {file})
  st.conns.release()
  if (ingest !== undefined) {
    ingest.clock = st.clock.info()
    ingest.connections = connSource(st.cols, opts)
  }
  if (st.builder.batch.length > 0) {
    yield st.builder.batch
    st.builder.reset()
  }
}
