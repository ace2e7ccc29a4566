/**
 * The row logic of CSV ingest (csv.ts): the header, one record from csv-parse, and the fast path
 * over raw bytes for unquoted lines. Both give identical values (see csv.ts).
 */
import {TraceError, show} from '../errors.js'
import type {ArrivalClock} from './clock.js'
import {BAD_ARRIVAL, BatchBuilder, ROW_OK, type ResolvedColumns, type TypeIndexer, parseNumeric, resolveColumns} from './columns.js'
import {ConnIndexer, csvConn, drawnConn, seedMix} from './conn-map.js'
import type {TraceOptions} from './types.js'

/** Longest accepted line (record), bytes. A longer line is a TraceError, not a memory blow-up. */
export const MAX_LINE_BYTES = 1 << 20

const POW10 = Array.from({length: 23}, (_, i) => Math.pow(10, i))
const TWO52 = 2 ** 52
export const NL = 10
export const CR = 13
export const QUOTE = 34

/** The field delimiter of a CSV trace: `opts.delimiter`, else tab for `.tsv`/`.tab` names, else comma. */
export function delimiterOf(file: string, opts: TraceOptions): number {
  const d = opts.delimiter ?? (/\.(tsv|tab)(\.gz)?$/i.test(file) ? '\t' : ',')
  return d.charCodeAt(0)
}

const ISO_START = /^\s*\d{4}-\d{2}-\d{2}[T ]/

export function tooLong(file: string, row: number): TraceError {
  return new TraceError(
    `Expected lines of at most ${MAX_LINE_BYTES} bytes, got a longer line (no newline within ${MAX_LINE_BYTES} bytes)`,
    {file, row},
  )
}

export class CsvState {
  cols!: ResolvedColumns
  builder!: BatchBuilder
  clock!: ArrivalClock
  nFields = 0
  /** Data rows seen. */
  rows = 0
  /** Lines fully consumed (header and empty lines included). */
  lineNo = 0
  /** Set by `lines` when it stopped at a line with a double quote (csv-parse reads from there). */
  quoted = false
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

  /**
   * The fast path over one buffer: consumes the complete lines of `buf` from `pos` and returns the
   * position after the last one consumed. It stops early when the batch is full (the caller hands
   * it on and calls again) or at the line holding the buffer's first double quote `quote` (-1:
   * none), setting `quoted`; otherwise at the first incomplete line (the caller carries it over).
   *
   * Each line is read once, field by field: the arrival, the service and the connection id are
   * converted while they are scanned when they have the common shape (an unsigned integer arrival
   * once the clock has its base, a plain decimal service, a canonical integer id); any other line
   * goes through `line`, which gives the same values and the errors. Nothing is allocated per row.
   */
  lines(buf: Buffer, pos: number, quote: number): number {
    while (this.nFields === 0) {
      const nl = buf.indexOf(NL, pos)
      if (nl < 0) return pos
      if (quote >= 0 && quote < nl) {
        this.quoted = true
        return pos
      }
      const row = this.lineNo + 1
      if (nl - pos > MAX_LINE_BYTES) throw tooLong(this.file, row)
      let e = nl
      if (e > pos && buf[e - 1] === CR) e--
      if (e > pos) this.header(buf.toString('utf8', pos, e).split(this.delimText), row)
      this.lineNo = row
      pos = nl + 1
    }
    // Every line from `pos` up to `last` ends with a newline within the buffer: the loops below
    // stop at it without testing the buffer's end.
    const last = buf.lastIndexOf(NL)
    const nf = this.nFields
    const delim = this.delim
    const c = this.cols
    const ai = c.arrival.index
    const si = c.service.index
    const ci = c.conn === undefined ? -1 : c.conn.index
    const ti = c.type === undefined ? -1 : c.type.index
    const clock = this.clock
    const conns = this.conns
    const builder = this.builder
    const batch = builder.batch
    const capacity = builder.capacity
    while (pos <= last && batch.length < capacity) {
      const row = this.lineNo + 1
      let p = pos
      let ch = buf[p]
      if (ch === NL || (ch === CR && buf[p + 1] === NL)) {
        // An empty line.
        if (ch === CR) p++
        this.lineNo = row
        pos = p + 1
        continue
      }
      let a = Number.NaN
      let s = Number.NaN
      let cs = 0
      let ce = 0
      let ts = 0
      let te = 0
      let id = 0
      let idDigits = -1
      let good = clock.started && clock.kind === 'number'
      for (let f = 0; good; f++) {
        const fs = p
        if (f === ai) {
          // Up to 15 digits in x, the rest (at most `dps`) in y: exact integers.
          let x = 0
          let d = ch - 48
          while (d >= 0 && d <= 9 && p - fs < 15) {
            x = x * 10 + d
            d = buf[++p] - 48
          }
          const ys = p
          let y = 0
          while (d >= 0 && d <= 9) {
            y = y * 10 + d
            d = buf[++p] - 48
          }
          ch = d + 48
          const cy = p - ys
          if (p > fs && cy <= clock.dps) {
            // x·10^cy + y − base·ups, exactly (every term an integer below 2^52), as `intBytes`.
            const b = clock.baseSeconds * POW10[clock.dps - cy]
            const v = (x - b) * POW10[cy]
            if (b < TWO52 && v > -TWO52 && v < TWO52) a = v + y
          }
        } else if (f === si) {
          let m = 0
          let dot = -1
          for (;;) {
            if (ch >= 48 && ch <= 57) m = m * 10 + (ch - 48)
            else if (ch === 46 && dot < 0) dot = p
            else break
            ch = buf[++p]
          }
          const digits = p - fs - (dot < 0 ? 0 : 1)
          if (digits > 0 && digits <= 15) s = dot < 0 ? m : m / POW10[p - dot - 1]
        } else if (f === ci) {
          // Leading digits as an integer id while they are scanned, then the rest of the field.
          let d = ch - 48
          while (d >= 0 && d <= 9) {
            id = id * 10 + d
            d = buf[++p] - 48
          }
          ch = d + 48
          idDigits = p - fs
          while (ch !== delim && ch !== NL) ch = buf[++p]
          cs = fs
          ce = p
        } else {
          while (ch !== delim && ch !== NL) ch = buf[++p]
          if (f === ti) {
            ts = fs
            te = p
          }
        }
        if (ch === delim) {
          if (f + 1 === nf) good = false // too many fields
          ch = buf[++p]
        } else {
          if (ch === CR && buf[p + 1] === NL) ch = buf[++p]
          if (ch !== NL || f + 1 !== nf) good = false // another character, or too few fields
          break
        }
      }
      const nl = good ? p : buf.indexOf(NL, p)
      if (quote >= 0 && quote < nl) {
        this.quoted = true
        break
      }
      if (nl - pos > MAX_LINE_BYTES) throw tooLong(this.file, row)
      const e = buf[nl - 1] === CR ? nl - 1 : nl
      if (!good || a !== a || s !== s) this.line(buf, pos, e, row)
      else {
        if (ce > e) ce = e // the last field: without the CR
        if (te > e) te = e
        let k = -1
        if (ci < 0) k = this.drawnConn()
        else {
          // A canonical integer id (as `csvConn`: all digits, at most 15, no leading zero) here,
          // anything else through `csvConn`.
          if (idDigits === ce - cs && idDigits > 0 && idDigits <= 15 && (buf[cs] !== 48 || idDigits === 1)) k = conns.num(id)
          else {
            k = csvConn(conns, buf, cs, ce)
            if (k < 0) throw new TraceError('Expected a connection id, got an empty field', {file: this.file, row, column: c.conn!.name})
          }
        }
        const t = ti < 0 ? 0 : this.type(buf.toString('utf8', ts, te), row)
        const code = builder.addRow(a, k, s, t, row)
        if (code !== ROW_OK) this.refuse(code, a, s, row, this.field(buf, pos, e, ai), this.field(buf, pos, e, si))
        this.rows++
      }
      this.lineNo = row
      pos = nl + 1
    }
    return pos
  }

  /** The text of field `index` of the line [s, e) (for messages). */
  private field(buf: Buffer, s: number, e: number, index: number): string {
    let f = 0
    let from = s
    for (let i = s; i < e; i++) {
      if (buf[i] === this.delim) {
        if (f === index) return buf.toString('utf8', from, i)
        f++
        from = i + 1
      }
    }
    return buf.toString('utf8', from, e)
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
