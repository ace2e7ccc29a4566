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
   * Each line is scanned once for its delimiters and newline; the common shape (an integer arrival
   * once the clock has its base, a plain decimal service) is converted here, anything else goes
   * through `line`, which gives the same values and the errors.
   */
  lines(buf: Buffer, pos: number, quote: number): number {
    const end = buf.length
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
    const starts = this.fieldStarts
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
    while (pos < end && batch.length < capacity) {
      let i = pos
      let f = 0
      starts[0] = pos
      for (; i < end; i++) {
        const ch = buf[i]
        if (ch === NL) break
        if (ch === delim && ++f < nf) starts[f] = i + 1
      }
      if (i >= end) break // incomplete line
      if (quote >= 0 && quote < i) {
        this.quoted = true
        break
      }
      const row = this.lineNo + 1
      if (i - pos > MAX_LINE_BYTES) throw tooLong(this.file, row)
      let e = i
      if (e > pos && buf[e - 1] === CR) e--
      if (e > pos) {
        starts[nf] = e + 1
        // The common shape, converted inline (a call per field would not be inlined here): the
        // arrival as `clock.intBytes`, the service as `decimal`; NaN sends the line to `line`.
        let a = Number.NaN
        let s = Number.NaN
        if (f + 1 === nf && clock.started && clock.kind === 'number') {
          const as = starts[ai]
          const ae = starts[ai + 1] - 1
          const split = ae - clock.dps
          if (ae > as && split - as <= 15) {
            let q = 0
            let j = as
            for (; j < split; j++) {
              const d = buf[j] - 48
              if (d < 0 || d > 9) break
              q = q * 10 + d
            }
            if (j >= split) {
              let r = 0
              for (j = split > as ? split : as; j < ae; j++) {
                const d = buf[j] - 48
                if (d < 0 || d > 9) break
                r = r * 10 + d
              }
              if (j === ae) a = (q - clock.baseSeconds) * clock.ups + r
            }
          }
          const ss = starts[si]
          const se = starts[si + 1] - 1
          let m = 0
          let digits = 0
          let dot = -1
          let j = ss
          for (; j < se; j++) {
            const ch = buf[j]
            if (ch >= 48 && ch <= 57) {
              m = m * 10 + (ch - 48)
              digits++
            } else if (ch === 46 && dot < 0) dot = j
            else break
          }
          if (j === se && digits > 0 && digits <= 15) s = dot < 0 || dot === se - 1 ? m : m / POW10[se - dot - 1]
        }
        if (a !== a || s !== s) {
          this.line(buf, pos, e, row)
        } else {
          let k = -1
          if (ci < 0) k = this.drawnConn()
          else {
            // A canonical integer id inline (as `csvConn`), anything else through `csvConn`.
            const cs = starts[ci]
            const ce = starts[ci + 1] - 1
            const len = ce - cs
            if (len > 0 && len <= 15 && (buf[cs] !== 48 || len === 1)) {
              let id = 0
              let j = cs
              for (; j < ce; j++) {
                const d = buf[j] - 48
                if (d < 0 || d > 9) break
                id = id * 10 + d
              }
              if (j === ce) k = conns.num(id)
            }
            if (k < 0) {
              k = csvConn(conns, buf, cs, ce)
              if (k < 0) throw new TraceError('Expected a connection id, got an empty field', {file: this.file, row, column: c.conn!.name})
            }
          }
          const t = ti < 0 ? 0 : this.type(buf.toString('utf8', starts[ti], starts[ti + 1] - 1), row)
          const code = builder.addRow(a, k, s, t, row)
          if (code !== ROW_OK) {
            const at = buf.toString('utf8', starts[ai], starts[ai + 1] - 1)
            this.refuse(code, a, s, row, at, buf.toString('utf8', starts[si], starts[si + 1] - 1))
          }
          this.rows++
        }
      }
      this.lineNo = row
      pos = i + 1
    }
    return pos
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
