/**
 * Shared ingest machinery of every trace reader: column resolution (names, units), dense
 * connection and type indexing, per-row validation and conversion to cycles, and the reusable
 * output batch.
 */
import {roundHalfUp} from '../round.js'
import {ConfigError, TraceError, show} from '../errors.js'
import type {TraceColumns} from './memory.js'
import type {TimeUnit, TraceBatch, TraceOptions} from './types.js'
import {cyclesPerUnit} from './units.js'

export const DEFAULT_BATCH_SIZE = 65536
export const DEFAULT_MAX_SORT_ROWS = 20_000_000

/** A resolved time column: its name, position and the multiplier from its values to cycles. */
export interface TimeColumn {
  name: string
  index: number
  unit: TimeUnit
  /** cycles = Math.round(value * toCycles) (computed by roundHalfUp, the same value). */
  toCycles: number
}

export interface ResolvedColumns {
  arrival: TimeColumn
  conn: {name: string; index: number}
  service: TimeColumn
  type?: {name: string; index: number}
}

function unitOf(name: string): TimeUnit | undefined {
  if (name.endsWith('_ns')) return 'ns'
  if (name.endsWith('_us')) return 'us'
  return undefined
}

/**
 * Find the trace columns among `names` (a header row or a schema).
 * Defaults: `arrival_ns`|`arrival_us`, `conn`, `service_ns`|`service_us`, optional `type`;
 * `opts.columns` overrides names, `opts.arrivalUnit`/`serviceUnit` give (or override) units.
 */
export function resolveColumns(names: readonly string[], opts: TraceOptions, file: string, row?: number): ResolvedColumns {
  const where = row === undefined ? {file} : {file, row}
  const listed = names.length === 0 ? 'no columns' : 'columns ' + names.map((n) => show(n)).join(', ')
  const find = (candidates: string[], flag: string, given: string | undefined): {name: string; index: number} => {
    for (const c of candidates) {
      const index = names.indexOf(c)
      if (index >= 0) return {name: c, index}
    }
    const want = candidates.map((c) => `\`${c}\``).join(' or ')
    const hint = given === undefined ? ` (map another name with --${flag})` : ` (from --${flag})`
    throw new TraceError(`Expected a column named ${want}${hint}, got ${listed}`, where)
  }
  const time = (kind: 'arrival' | 'service'): TimeColumn => {
    const given = opts.columns?.[kind]
    const flag = `${kind}-column`
    const col = find(given !== undefined ? [given] : [`${kind}_ns`, `${kind}_us`], flag, given)
    const unit = (kind === 'arrival' ? opts.arrivalUnit : opts.serviceUnit) ?? unitOf(col.name)
    if (unit === undefined) {
      throw new ConfigError(
        `Expected a unit for column \`${col.name}\` (name it *_ns or *_us, or pass --${kind}-unit ns|us), got none`,
        {flag: `${kind}-unit`, file},
      )
    }
    return {...col, unit, toCycles: cyclesPerUnit(unit, opts.ghz)}
  }
  const arrival = time('arrival')
  const conn = find([opts.columns?.conn ?? 'conn'], 'conn-column', opts.columns?.conn)
  const service = time('service')
  let type: {name: string; index: number} | undefined
  if (opts.columns?.type !== undefined) type = find([opts.columns.type], 'type-column', opts.columns.type)
  else if (names.includes('type')) type = {name: 'type', index: names.indexOf('type')}
  return {arrival, conn, service, ...(type ? {type} : {})}
}

const TABLE_LIMIT = 1 << 22

/**
 * Dense connection ids in order of first appearance. Small non-negative integer ids go through a
 * typed lookup table; other integers and strings through a Map. An integer id and a string id
 * are never equal.
 */
export class ConnIndexer {
  count = 0
  private table = new Int32Array(1024).fill(-1)
  private map = new Map<number | string, number>()

  /** Dense index of integer id `id` (caller checked it is an integer). */
  num(id: number): number {
    if (id >= 0 && id < TABLE_LIMIT) {
      let t = this.table
      if (id >= t.length) {
        const grown = new Int32Array(Math.min(TABLE_LIMIT, Math.max(t.length * 2, id + 1))).fill(-1)
        grown.set(t)
        this.table = t = grown
      }
      const d = t[id]
      if (d >= 0) return d
      return (t[id] = this.count++)
    }
    const d = this.map.get(id)
    if (d !== undefined) return d
    this.map.set(id, this.count)
    return this.count++
  }

  /**
   * Dense indices of `n` integer-valued ids into `out`; returns the index of the first id that is
   * not an integer (or n when all are).
   */
  mapInts(ids: ArrayLike<number>, out: Uint32Array, n: number): number {
    let t = this.table
    for (let i = 0; i < n; i++) {
      const id = ids[i]
      if (id >= 0 && id < t.length && (id | 0) === id) {
        const d = t[id]
        out[i] = d >= 0 ? d : (t[id] = this.count++)
      } else {
        if (!Number.isInteger(id)) return i
        out[i] = this.num(id)
        t = this.table
      }
    }
    return n
  }

  str(id: string): number {
    const d = this.map.get(id)
    if (d !== undefined) return d
    this.map.set(id, this.count)
    return this.count++
  }
}

/** Request class names → dense Uint16 indices, in order of first appearance. */
export class TypeIndexer {
  private map = new Map<string, number>()
  constructor(readonly names: string[]) {
    for (let i = 0; i < names.length; i++) this.map.set(names[i], i)
  }

  index(name: string, file: string, row: number, column: string): number {
    const d = this.map.get(name)
    if (d !== undefined) return d
    if (this.names.length >= 65535) {
      throw new TraceError(`Expected at most 65535 distinct request types, got more (${show(name)})`, {file, row, column})
    }
    this.map.set(name, this.names.length)
    this.names.push(name)
    return this.names.length - 1
  }
}

/** Largest arrival accepted, cycles (integers stay exact in float64 below 2^53). */
const MAX_CYCLES = 2 ** 53

/**
 * Fills reusable output batches with validated rows. Values arrive raw (in the column's unit);
 * the builder checks them, converts to cycles and tracks non-decreasing arrivals.
 * In `sort` mode, ordering is not checked; rows are collected by `SortBuffer` instead.
 */
export class BatchBuilder {
  readonly batch: TraceBatch
  readonly capacity: number
  /** Previous raw arrival value (for the ordering check and its message). */
  private prevArrival = 0
  private prevRow = 0
  private readonly checkOrder: boolean

  constructor(
    readonly file: string,
    readonly cols: ResolvedColumns,
    opts: TraceOptions,
    typed: boolean,
  ) {
    const cap = opts.batchSize ?? DEFAULT_BATCH_SIZE
    if (!Number.isInteger(cap) || cap < 1) {
      throw new ConfigError(`Expected \`batchSize\` to be an integer >= 1, got ${show(cap)}`)
    }
    this.capacity = cap
    this.checkOrder = opts.sort !== true && opts.unordered !== true
    this.batch = {
      length: 0,
      arrival: new Float64Array(cap),
      conn: new Uint32Array(cap),
      service: new Float64Array(cap),
      ...(typed ? {type: new Uint16Array(cap)} : {}),
    }
  }

  get full(): boolean {
    return this.batch.length >= this.capacity
  }

  /** Start a new batch (the consumer is done with the previous one). */
  reset(): void {
    this.batch.length = 0
  }

  /** Explain why a raw arrival was rejected. */
  arrivalError(a: number, row: number): TraceError {
    const where = {file: this.file, row, column: this.cols.arrival.name}
    if (Number.isNaN(a) || !Number.isFinite(a)) {
      return new TraceError(`Expected a finite number >= 0, got ${show(a)}`, where)
    }
    if (a < 0) return new TraceError(`Expected a number >= 0, got ${show(a)}`, where)
    if (a * this.cols.arrival.toCycles >= MAX_CYCLES) {
      return new TraceError(`Expected an arrival below 2^53 cycles, got ${show(a)}`, where)
    }
    return new TraceError(
      `Expected arrivals to be non-decreasing (>= ${show(this.prevArrival)} from row ${this.prevRow}), got ${show(a)}; ` +
        'pass --sort to sort the trace in memory',
      where,
    )
  }

  serviceError(s: number, row: number): TraceError {
    const where = {file: this.file, row, column: this.cols.service.name}
    return new TraceError(`Expected a finite number > 0, got ${show(s)}`, where)
  }

  /**
   * Add rows [from, to) of column arrays until the batch is full; returns the index of the first
   * row not added. `firstRow` is the 1-based row number of index 0 (for messages).
   * `conn` holds dense connection indices, `type` class indices.
   */
  addColumns(
    arrival: ArrayLike<number>,
    conn: ArrayLike<number>,
    service: ArrayLike<number>,
    type: ArrayLike<number> | undefined,
    from: number,
    to: number,
    firstRow: number,
  ): number {
    const b = this.batch
    let k = b.length
    const end = Math.min(to, from + (this.capacity - k))
    const am = this.cols.arrival.toCycles
    const sm = this.cols.service.toCycles
    const maxRaw = MAX_CYCLES / am
    const outA = b.arrival
    const outC = b.conn
    const outS = b.service
    const outT = b.type
    const checkOrder = this.checkOrder
    let prev = checkOrder ? this.prevArrival : 0
    for (let i = from; i < end; i++, k++) {
      const a = arrival[i]
      if (!(a >= prev && a < maxRaw)) {
        if (i > from) {
          this.prevArrival = prev
          this.prevRow = firstRow + i - 1
        }
        throw this.arrivalError(a, firstRow + i)
      }
      if (checkOrder) prev = a
      const s = service[i]
      if (!(s > 0 && s < Infinity)) throw this.serviceError(s, firstRow + i)
      outA[k] = roundHalfUp(a * am)
      outC[k] = conn[i]
      const sc = roundHalfUp(s * sm)
      outS[k] = sc >= 1 ? sc : 1
    }
    // Types in a loop of their own: the row loop above stays free of a per-row type test.
    if (outT !== undefined && type !== undefined) for (let i = from, j = b.length; i < end; i++, j++) outT[j] = type[i]
    if (end > from) {
      this.prevArrival = prev
      this.prevRow = firstRow + end - 1
    }
    b.length = k
    return end
  }

  /** Add one row (CSV). */
  addRow(a: number, conn: number, s: number, type: number, row: number): void {
    const b = this.batch
    const k = b.length
    if (!(a >= (this.checkOrder ? this.prevArrival : 0) && a * this.cols.arrival.toCycles < MAX_CYCLES)) {
      throw this.arrivalError(a, row)
    }
    if (!(s > 0 && s < Infinity)) throw this.serviceError(s, row)
    if (this.checkOrder) {
      this.prevArrival = a
      this.prevRow = row
    }
    b.arrival[k] = roundHalfUp(a * this.cols.arrival.toCycles)
    b.conn[k] = conn
    const sc = roundHalfUp(s * this.cols.service.toCycles)
    b.service[k] = sc >= 1 ? sc : 1
    if (b.type !== undefined) b.type[k] = type
    b.length = k + 1
  }
}

/**
 * Sort columns by arrival, stably (equal arrivals keep file order), and renumber connections by
 * first appearance in the sorted order. Columns already sorted are returned as they are.
 */
export function sortColumns(cols: Pick<TraceColumns, 'arrival' | 'conn' | 'service' | 'type'>): {
  arrival: Float64Array
  conn: Uint32Array
  service: Float64Array
  type?: Uint16Array
} {
  const n = cols.arrival.length
  const arr = cols.arrival
  let sorted = true
  for (let i = 1; i < n; i++) {
    if (arr[i] < arr[i - 1]) {
      sorted = false
      break
    }
  }
  let arrival = arr
  let conn = cols.conn
  let service = cols.service
  let type = cols.type
  if (!sorted) {
    const idx = new Uint32Array(n)
    for (let i = 0; i < n; i++) idx[i] = i
    idx.sort((x, y) => arr[x] - arr[y] || x - y)
    const permute = <T extends Float64Array | Uint32Array | Uint16Array>(src: T, make: (n: number) => T): T => {
      const out = make(n)
      for (let i = 0; i < n; i++) out[i] = src[idx[i]]
      return out
    }
    arrival = permute(arrival, (m) => new Float64Array(m))
    conn = permute(conn, (m) => new Uint32Array(m))
    service = permute(service, (m) => new Float64Array(m))
    if (type) type = permute(type, (m) => new Uint16Array(m))
    // Renumber connections by first appearance in the sorted order.
    let connections = 0
    for (let i = 0; i < n; i++) if (conn[i] >= connections) connections = conn[i] + 1
    const remap = new Int32Array(connections).fill(-1)
    let next = 0
    for (let i = 0; i < n; i++) {
      const c = conn[i]
      let d = remap[c]
      if (d < 0) d = remap[c] = next++
      conn[i] = d
    }
  }
  return {arrival, conn, service, ...(type ? {type} : {})}
}

/** Parse a CSV numeric field: decimal (optionally signed, with exponent), NaN or Infinity. */
export function parseNumeric(text: string): number | undefined {
  const t = text.trim()
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return Number(t)
  if (/^[+-]?(?:inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity
  if (/^nan$/i.test(t)) return Number.NaN
  return undefined
}

/** A CSV `conn` field: a canonical non-negative decimal integer is an integer id, else a string id. */
export function isIntegerId(text: string): boolean {
  return /^(?:0|[1-9]\d{0,14})$/.test(text)
}
