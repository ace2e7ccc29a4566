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

import {TraceError, show} from '../errors.js'
import type {ArrivalClock} from './clock.js'
import {BAD_ARRIVAL, BatchBuilder, ROW_OK, type ResolvedColumns, type TypeIndexer, connSource, parseNumeric, resolveColumns} from './columns.js'
import {ConnIndexer, csvConn, drawnConn, seedMix} from './conn-map.js'
import type {TraceBatch, TraceIngest, TraceOptions} from './types.js'

/** Longest accepted line (record), bytes. A longer line is a TraceError, not a memory blow-up. */
export const MAX_LINE_BYTES = 1 << 20

/** Bytes handed to csv-parse at a time. */
const SLICE = 64 << 10
const POW10 = Array.from({length: 23}, (_, i) => Math.pow(10, i))
const NL = 10
const CR = 13
const QUOTE = 34

/** Which parser to use: `auto` (fast path, csv-parse from the first quoted line) or csv-parse only. */
export type CsvParser = 'auto' | 'csv-parse'

/** The field delimiter of a CSV trace: `opts.delimiter`, else tab for `.tsv`/`.tab` names, else comma. */
export function delimiterOf(file: string, opts: TraceOptions): number {
  const d = opts.delimiter ?? (/\.(tsv|tab)(\.gz)?$/i.test(file) ? '\t' : ',')
  return d.charCodeAt(0)
}

const ISO_START = /^\s*\d{4}-\d{2}-\d{2}[T ]/

class CsvState {
  cols!: ResolvedColumns
  builder!: BatchBuilder
  clock!: ArrivalClock
  nFields = 0
  /** Data rows seen. */
  rows = 0
  readonly conns: ConnIndexer
  private fieldStarts = new Int32Array(64)
  /** Connections drawn per row (no connection column): how many, or 0 = one per request. */
  private drawn = -1
  private mix = 0
  readonly delim: number
  readonly delimText: string

  constructor(
    readonly file: string,
    readonly opts: TraceOptions,
    readonly types: TypeIndexer,
  ) {
    this.conns = ConnIndexer.take(opts.maxConnections, file)
    this.delim = delimiterOf(file, opts)
    this.delimText = String.fromCharCode(this.delim)
  }

  get hasHeader(): boolean {
    return this.nFields > 0
  }

  header(names: string[], row: number): void {
    const trimmed = names.map((n) => n.trim())
    if (trimmed.length === 1 && trimmed[0] === '') {
      throw new TraceError('Expected a header row naming the columns, got an empty line', {file: this.file, row})
    }
    this.cols = resolveColumns(trimmed, this.opts, this.file, row)
    this.nFields = trimmed.length
    this.builder = new BatchBuilder(this.file, this.cols, this.opts, this.cols.type !== undefined)
    this.clock = this.builder.clock
    if (this.cols.conn === undefined) {
      this.drawn = this.opts.connPerRequest ? 0 : this.opts.connections!
      this.mix = seedMix(this.opts.connSeed ?? 1)
    }
    if (this.fieldStarts.length < this.nFields + 1) this.fieldStarts = new Int32Array(this.nFields + 1)
  }

  fieldCountError(got: number, row: number): TraceError {
    return new TraceError(`Expected ${this.nFields} fields (as in the header), got ${got}`, {file: this.file, row})
  }

  number(text: string, column: string, row: number): number {
    if (text.trim() === '') throw new TraceError('Expected a number, got an empty field', {file: this.file, row, column})
    const v = parseNumeric(text)
    if (v === undefined) throw new TraceError(`Expected a number, got ${show(text)}`, {file: this.file, row, column})
    return v
  }

  /** The arrival field's text as a time since the clock's base (see clock.ts). */
  arrival(text: string, row: number): number {
    const clock = this.clock
    const column = this.cols.arrival.name
    if (!clock.started) clock.useKind(ISO_START.test(text) ? 'iso' : 'number', undefined, row)
    if (clock.kind === 'iso') {
      const v = clock.iso(text)
      if (Number.isNaN(v)) {
        throw new TraceError(`Expected an ISO-8601 time such as 2024-11-27T09:33:20.123456789Z (as in the first row), got ${show(text)}`, {file: this.file, row, column})
      }
      return v
    }
    if (text.trim() === '') throw new TraceError('Expected a number, got an empty field', {file: this.file, row, column})
    const v = clock.text(text)
    if (Number.isNaN(v) && !/^\s*[+-]?nan\s*$/i.test(text)) {
      throw new TraceError(`Expected a number, got ${show(text)}`, {file: this.file, row, column})
    }
    return v
  }

  /** Dense connection of the current data row. */
  private drawnConn(): number {
    return this.drawn === 0 ? this.conns.num(this.rows) : this.conns.num(drawnConn(this.rows, this.drawn, this.mix))
  }

  conn(text: string, row: number): number {
    if (this.cols.conn === undefined) return this.drawnConn()
    const bytes = Buffer.from(text, 'utf8')
    const k = csvConn(this.conns, bytes, 0, bytes.length)
    if (k < 0) {
      throw new TraceError('Expected a connection id, got an empty field', {file: this.file, row, column: this.cols.conn.name})
    }
    return k
  }

  type(text: string, row: number): number {
    const t = text.trim()
    const column = this.cols.type!.name
    if (t === '') throw new TraceError('Expected a request type, got an empty field', {file: this.file, row, column})
    return this.types.index(t, this.file, row, column)
  }

  /** Report a row addRow refused. */
  private refuse(code: number, a: number, s: number, row: number, arrivalText: string, serviceText: string): never {
    if (code === BAD_ARRIVAL) throw this.builder.arrivalError(a, row, arrivalText)
    throw this.builder.serviceError(s, row, serviceText)
  }

  /** One record from csv-parse (strings). */
  record(fields: string[], row: number): void {
    if (fields.length !== this.nFields) throw this.fieldCountError(fields.length, row)
    const c = this.cols
    const at = fields[c.arrival.index]
    const a = this.arrival(at, row)
    const k = this.conn(c.conn === undefined ? '' : fields[c.conn.index], row)
    const st = fields[c.service.index]
    const s = this.number(st, c.service.name, row)
    const t = c.type ? this.type(fields[c.type.index], row) : 0
    const code = this.builder.addRow(a, k, s, t, row)
    if (code !== ROW_OK) this.refuse(code, a, s, row, at, st)
    this.rows++
  }

  /** A number from bytes [s, e): exact fast conversion, else the shared string parser. */
  private fastNumber(buf: Buffer, s: number, e: number, column: string, row: number): number {
    let i = s
    let neg = false
    if (i < e && buf[i] === 45) {
      neg = true
      i++
    }
    let m = 0
    let digits = 0
    let dot = -1
    for (; i < e; i++) {
      const ch = buf[i]
      if (ch >= 48 && ch <= 57) {
        m = m * 10 + (ch - 48)
        digits++
      } else if (ch === 46 && dot < 0) {
        dot = i
      } else {
        digits = 99 // anything else: exponent, spaces, text
        break
      }
    }
    if (digits === 0 || digits > 15) return this.number(buf.toString('utf8', s, e), column, row)
    const frac = dot < 0 ? 0 : e - dot - 1
    const v = frac === 0 ? m : m / POW10[frac]
    return neg ? -v : v
  }

  /** One unquoted line, bytes [s, e) without the newline. */
  line(buf: Buffer, s: number, e: number, row: number): void {
    const starts = this.fieldStarts
    const nf = this.nFields
    const delim = this.delim
    let f = 0
    starts[0] = s
    for (let i = s; i < e; i++) {
      if (buf[i] === delim) {
        if (++f >= nf) throw this.fieldCountError(countFields(buf, s, e, delim), row)
        starts[f] = i + 1
      }
    }
    if (f + 1 !== nf) throw this.fieldCountError(f + 1, row)
    starts[nf] = e + 1
    const c = this.cols
    const ai = c.arrival.index
    const si = c.service.index
    const clock = this.clock
    const as = starts[ai]
    const ae = starts[ai + 1] - 1
    let a = clock.started && clock.kind === 'number' ? clock.bytes(buf, as, ae) : 0
    if (!clock.started || clock.kind !== 'number' || clock.slow) a = this.arrival(buf.toString('utf8', as, ae), row)
    let k: number
    if (c.conn === undefined) k = this.drawnConn()
    else {
      k = csvConn(this.conns, buf, starts[c.conn.index], starts[c.conn.index + 1] - 1)
      if (k < 0) throw new TraceError('Expected a connection id, got an empty field', {file: this.file, row, column: c.conn.name})
    }
    const sv = this.fastNumber(buf, starts[si], starts[si + 1] - 1, c.service.name, row)
    let t = 0
    if (c.type) t = this.type(buf.toString('utf8', starts[c.type.index], starts[c.type.index + 1] - 1), row)
    const code = this.builder.addRow(a, k, sv, t, row)
    if (code !== ROW_OK) {
      this.refuse(code, a, sv, row, buf.toString('utf8', as, ae), buf.toString('utf8', starts[si], starts[si + 1] - 1))
    }
    this.rows++
  }
}

function countFields(buf: Buffer, s: number, e: number, delim: number): number {
  let n = 1
  for (let i = s; i < e; i++) if (buf[i] === delim) n++
  return n
}

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

function tooLong(file: string, row: number): TraceError {
  return new TraceError(
    `Expected lines of at most ${MAX_LINE_BYTES} bytes, got a longer line (no newline within ${MAX_LINE_BYTES} bytes)`,
    {file, row},
  )
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
  let line = 0 // lines fully consumed
  let carry: Buffer | undefined
  let sawBytes = false
  let first = true
  let handOver: Buffer | undefined // bytes from the start of the first line csv-parse must read

  if (parser === 'auto') {
    outer: for (;;) {
      const r = await it.next()
      if (r.done) break
      let chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
      if (chunk.length === 0) continue
      sawBytes = true
      if (first) {
        first = false
        if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3)
      }
      const buf = carry === undefined ? chunk : Buffer.concat([carry, chunk])
      carry = undefined
      let pos = 0
      let quote = buf.indexOf(QUOTE)
      for (;;) {
        const nl = buf.indexOf(NL, pos)
        if (nl < 0) break
        if (quote >= 0 && quote < nl) {
          handOver = buf.subarray(pos)
          break outer
        }
        let e = nl
        if (e > pos && buf[e - 1] === CR) e--
        const row = line + 1
        if (nl - pos > MAX_LINE_BYTES) throw tooLong(file, row)
        if (!st.hasHeader) {
          if (e > pos) st.header(buf.toString('utf8', pos, e).split(st.delimText), row)
        } else if (e > pos) {
          st.line(buf, pos, e, row)
          if (st.builder.full) {
            yield st.builder.batch
            st.builder.reset()
          }
        }
        line++
        pos = nl + 1
      }
      if (pos < buf.length) {
        carry = Buffer.from(buf.subarray(pos)) // copy: the chunk may be reused by the stream
        if (carry.length > MAX_LINE_BYTES) throw tooLong(file, line + 1)
      }
    }
    if (handOver === undefined && carry !== undefined) {
      // Last line without a newline.
      if (carry.indexOf(QUOTE) >= 0) handOver = carry
      else {
        let e = carry.length
        if (e > 0 && carry[e - 1] === CR) e--
        const row = line + 1
        if (!st.hasHeader) {
          if (e > 0) st.header(carry.toString('utf8', 0, e).split(st.delimText), row)
        } else if (e > 0) st.line(carry, 0, e, row)
        line++
      }
    }
  }

  if (parser === 'csv-parse' || handOver !== undefined) {
    // csv-parse's synchronous core (the engine behind its stream and sync APIs), fed chunk by
    // chunk: records come out with the live line count, so rows are exact even when a quoted
    // field spans lines, and nothing is buffered beyond one chunk.
    const base = line
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
