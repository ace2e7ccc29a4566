/**
 * Shared ingest machinery of every trace reader: column resolution (names, units), dense
 * connection and type indexing, per-row validation and conversion to cycles, and the reusable
 * output batch.
 */
import {roundHalfUp} from '../round.js'
import {ConfigError, TraceError, show} from '../errors.js'
import type {TraceColumns} from './memory.js'
import type {ConnSource, TimeUnit, TraceBatch, TraceOptions} from './types.js'
import {ArrivalClock, MAX_CYCLES, UNITS_PER_SECOND, arrivalProblem, literalText} from './clock.js'
import {cyclesPerUnit} from './units.js'

export const DEFAULT_BATCH_SIZE = 65536
export const DEFAULT_MAX_SORT_ROWS = 20_000_000

/** A resolved time column: its name, position and unit (the arrival unit may come from the data). */
export interface TimeColumn {
  name: string
  index: number
  unit: TimeUnit | undefined
  /** Where the unit came from: the `--arrival-unit`/`--service-unit` flag, or the name's suffix. */
  unitFlag: string
  /** cycles = Math.round(value * toCycles) (computed by roundHalfUp, the same value); NaN until the unit is known. */
  toCycles: number
}

export interface ResolvedColumns {
  arrival: TimeColumn
  /** Absent when connections are drawn (`connections`) or one per request (`connPerRequest`). */
  conn?: {name: string; index: number}
  service: TimeColumn
  type?: {name: string; index: number}
}

const UNIT_SUFFIXES: readonly TimeUnit[] = ['ns', 'us', 'ms', 's']

/** The unit a column name's suffix gives (`_s`, `_ms`, `_us`, `_ns`), if any. */
export function unitOf(name: string): TimeUnit | undefined {
  for (const u of UNIT_SUFFIXES) if (name.endsWith('_' + u)) return u
  return undefined
}

/**
 * Find the trace columns among `names` (a header row or a schema).
 * Defaults: `arrival_ns|_us|_ms|_s`, `conn`, `service_ns|_us|_ms|_s`, optional `type`;
 * `opts.columns` overrides names, `opts.arrivalUnit`/`serviceUnit` give (or override) units.
 * A name the trace uses may appear only once, and only one default candidate may be present.
 */
export function resolveColumns(names: readonly string[], opts: TraceOptions, file: string, row?: number): ResolvedColumns {
  const where = row === undefined ? {file} : {file, row}
  const listed = names.length === 0 ? 'no columns' : 'columns ' + names.map((n) => show(n)).join(', ')
  const unique = (name: string, index: number) => {
    const again = names.indexOf(name, index + 1)
    if (again >= 0) {
      throw new TraceError(
        `Expected one column named \`${name}\`, got two: columns ${index + 1} and ${again + 1} (rename one)`,
        where,
      )
    }
  }
  const find = (candidates: string[], flag: string, given: string | undefined, hint?: string): {name: string; index: number} => {
    const found = candidates.map((c) => ({name: c, index: names.indexOf(c)})).filter((c) => c.index >= 0)
    if (found.length > 1) {
      const both = found.map((c) => `\`${c.name}\` (column ${c.index + 1})`).join(' and ')
      throw new TraceError(`Expected one ${flag.replace('-column', '')} column, got ${both}; choose one with --${flag}`, where)
    }
    if (found.length === 1) {
      unique(found[0].name, found[0].index)
      return found[0]
    }
    const want = candidates.map((c) => `\`${c}\``).join(' or ')
    const how = given === undefined ? ` (map another name with --${flag}${hint ?? ''})` : ` (from --${flag})`
    throw new TraceError(`Expected a column named ${want}${how}, got ${listed}`, where)
  }
  const time = (kind: 'arrival' | 'service'): TimeColumn => {
    const given = opts.columns?.[kind]
    const flag = `${kind}-column`
    const col = find(given !== undefined ? [given] : UNIT_SUFFIXES.map((u) => `${kind}_${u}`), flag, given)
    const flagged = kind === 'arrival' ? opts.arrivalUnit : opts.serviceUnit
    const unit = flagged ?? unitOf(col.name)
    if (unit === undefined && kind === 'service') {
      throw new ConfigError(
        `Expected a unit for column \`${col.name}\` (name it *_s, *_ms, *_us or *_ns, or pass --service-unit s|ms|us|ns), got none`,
        {flag: 'service-unit', file},
      )
    }
    return {
      ...col,
      unit,
      unitFlag: flagged !== undefined ? `${kind}-unit` : 'suffix',
      toCycles: unit === undefined ? Number.NaN : cyclesPerUnit(unit, opts.ghz),
    }
  }
  const arrival = time('arrival')
  const drawn = opts.connections !== undefined || opts.connPerRequest === true
  let conn: {name: string; index: number} | undefined
  const connName = opts.columns?.conn ?? 'conn'
  if (drawn) {
    if (names.includes(connName)) {
      const how = opts.connPerRequest ? '--conn-per-request' : '--connections'
      throw new ConfigError(
        `Expected ${how} only for a trace without a connection column, got one: \`${connName}\` (column ${names.indexOf(connName) + 1})`,
        {flag: opts.connPerRequest ? 'conn-per-request' : 'connections', file},
      )
    }
  } else {
    conn = find([connName], 'conn-column', opts.columns?.conn, ', or pass --connections N or --conn-per-request for a log without connection ids')
  }
  const service = time('service')
  let type: {name: string; index: number} | undefined
  if (opts.columns?.type !== undefined) type = find([opts.columns.type], 'type-column', opts.columns.type)
  else if (names.includes('type')) {
    type = {name: 'type', index: names.indexOf('type')}
    unique('type', type.index)
  }
  return {arrival, ...(conn ? {conn} : {}), service, ...(type ? {type} : {})}
}

export {ConnIndexer, DEFAULT_MAX_CONNECTIONS} from './conn-map.js'

/** Where a trace's connections came from, for `inspect`. */
export function connSource(cols: ResolvedColumns, opts: TraceOptions): ConnSource {
  if (cols.conn !== undefined) return {mode: 'column', column: cols.conn.name}
  if (opts.connPerRequest) return {mode: 'per-request'}
  return {mode: 'uniform', connections: opts.connections!, seed: opts.connSeed ?? 1}
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

/** `addRow` results. */
export const ROW_OK = 0
export const BAD_ARRIVAL = 1
export const BAD_SERVICE = 2

/**
 * Fills reusable output batches with validated rows. Arrivals arrive as times since the clock's
 * base (see clock.ts) in the column's unit, services raw in theirs; the builder checks them,
 * converts to cycles and tracks non-decreasing arrivals. In unordered mode (the caller sorts)
 * ordering is not checked.
 */
export class BatchBuilder {
  readonly batch: TraceBatch
  readonly capacity: number
  readonly clock: ArrivalClock
  /** Lowest arrival accepted next: the previous one (ordered), or the clock's floor (unordered). */
  private lower = 0
  private prevRow = 0
  private readonly checkOrder: boolean
  private ready = false
  private am = 0
  private maxRaw = 0

  constructor(
    readonly file: string,
    readonly cols: ResolvedColumns,
    readonly opts: TraceOptions,
    typed: boolean,
  ) {
    const cap = opts.batchSize ?? DEFAULT_BATCH_SIZE
    if (!Number.isInteger(cap) || cap < 1) {
      throw new ConfigError(`Expected \`batchSize\` to be an integer >= 1, got ${show(cap)}`)
    }
    this.capacity = cap
    this.checkOrder = opts.sort !== true && opts.unordered !== true
    this.clock = new ArrivalClock(cols.arrival.name, cols.arrival.unit, opts.ghz, file, cols.arrival.unitFlag)
    this.batch = {
      length: 0,
      arrival: new Float64Array(cap),
      conn: new Uint32Array(cap),
      service: new Float64Array(cap),
      ...(typed ? {type: new Uint16Array(cap)} : {}),
    }
  }

  /** Called once the clock has seen its first row: fixes the conversion and the bounds. */
  private prepare(): void {
    this.ready = true
    this.am = this.clock.toCycles
    this.maxRaw = this.clock.maxValue
    this.lower = this.checkOrder ? 0 : this.clock.minValue
  }

  get full(): boolean {
    return this.batch.length >= this.capacity
  }

  /** Start a new batch (the consumer is done with the previous one). */
  reset(): void {
    this.batch.length = 0
  }

  /** Explain why an arrival (time since the base) was rejected; `literal` is the field's text. */
  arrivalError(a: number, row: number, literal?: string): TraceError {
    const where = {file: this.file, row, column: this.cols.arrival.name}
    const clock = this.clock
    const lit = literal !== undefined ? literalText(literal) : clock.showValue(a)
    const problem = literal !== undefined ? arrivalProblem(literal, clock.kind) : undefined
    if (problem !== undefined) return new TraceError(problem, where)
    if (Number.isNaN(a) || (a === Infinity && literal === undefined)) {
      return new TraceError(`Expected a finite number >= 0, got ${lit}`, where)
    }
    if (!this.ready) this.prepare()
    const days = (MAX_CYCLES / this.opts.ghz / 1e9 / 86400).toFixed(1)
    if (a >= this.maxRaw) {
      const from = clock.baseSeconds === 0 ? '' : ` after the first row's second (${clock.showValue(0)})`
      return new TraceError(`Expected an arrival below 2^53 cycles (${days} days at ${this.opts.ghz} GHz)${from}, got ${lit}`, where)
    }
    if (a < 0 && (clock.baseSeconds === 0 || (clock.kind === 'number' && a < -clock.baseSeconds * UNITS_PER_SECOND[clock.unit ?? 'ns']))) {
      return new TraceError(`Expected a number >= 0, got ${lit}`, where)
    }
    if (!this.checkOrder) {
      return new TraceError(`Expected an arrival within 2^53 cycles (${days} days) of the first row's, got ${lit}`, where)
    }
    return new TraceError(
      `Expected arrivals to be non-decreasing (>= ${clock.showValue(this.lower)} from row ${this.prevRow}), got ${lit}; ` +
        'pass --sort to sort the trace in memory',
      where,
    )
  }

  serviceError(s: number, row: number, literal?: string): TraceError {
    const where = {file: this.file, row, column: this.cols.service.name}
    return new TraceError(`Expected a finite number > 0, got ${literal !== undefined ? literalText(literal) : show(s)}`, where)
  }

  /**
   * Add rows [from, to) of column arrays until the batch is full; returns the index of the first
   * row not added. `firstRow` is the 1-based row number of index 0 (for messages).
   * `arrival` holds times since the clock's base, `conn` dense connection indices, `type` class indices.
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
    if (!this.ready) this.prepare()
    const b = this.batch
    let k = b.length
    const end = Math.min(to, from + (this.capacity - k))
    const am = this.am
    const sm = this.cols.service.toCycles
    const maxRaw = this.maxRaw
    const outA = b.arrival
    const outC = b.conn
    const outS = b.service
    const outT = b.type
    const checkOrder = this.checkOrder
    let prev = this.lower
    for (let i = from; i < end; i++, k++) {
      const a = arrival[i]
      if (!(a >= prev && a < maxRaw)) {
        if (checkOrder && i > from) {
          this.lower = prev
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
    if (checkOrder && end > from) {
      this.lower = prev
      this.prevRow = firstRow + end - 1
    }
    b.length = k
    return end
  }

  /** Add one row (CSV); returns ROW_OK, or BAD_ARRIVAL / BAD_SERVICE for the caller to report. */
  addRow(a: number, conn: number, s: number, type: number, row: number): number {
    if (!this.ready) this.prepare()
    const b = this.batch
    const k = b.length
    if (!(a >= this.lower && a < this.maxRaw)) return BAD_ARRIVAL
    if (!(s > 0 && s < Infinity)) return BAD_SERVICE
    if (this.checkOrder) {
      this.lower = a
      this.prevRow = row
    }
    b.arrival[k] = roundHalfUp(a * this.am)
    b.conn[k] = conn
    const sc = roundHalfUp(s * this.cols.service.toCycles)
    b.service[k] = sc >= 1 ? sc : 1
    if (b.type !== undefined) b.type[k] = type
    b.length = k + 1
    return ROW_OK
  }
}

/**
 * Sort columns by arrival, stably (equal arrivals keep file order), and renumber connections by
 * first appearance in the sorted order. Columns already sorted are returned as they are.
 *
 * Rows of a rebased clock (see clock.ts) that precede the first row's second arrive negative; the
 * sorted trace is then shifted by the whole number of seconds `shiftSeconds` that brings its first
 * arrival into [0, 1 s) (`cyclesPerSecond` = ghz·1e9, an integer for any clock given to 9 decimals),
 * so the result equals what reading the sorted file gives.
 */
export function sortColumns(
  cols: Pick<TraceColumns, 'arrival' | 'conn' | 'service' | 'type'>,
  cyclesPerSecond = 2.4e9,
): {
  arrival: Float64Array
  conn: Uint32Array
  service: Float64Array
  type?: Uint16Array
  shiftSeconds: number
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
  let shiftSeconds = 0
  if (n > 0 && arrival[0] < 0) {
    shiftSeconds = Math.ceil(-arrival[0] / cyclesPerSecond)
    const shift = shiftSeconds * cyclesPerSecond
    if (arrival === arr) arrival = new Float64Array(arr)
    for (let i = 0; i < n; i++) arrival[i] += shift
  }
  return {arrival, conn, service, ...(type ? {type} : {}), shiftSeconds}
}

/** Parse a CSV numeric field: decimal (optionally signed, with exponent), NaN or Infinity. */
export function parseNumeric(text: string): number | undefined {
  const t = text.trim()
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return Number(t)
  if (/^[+-]?(?:inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity
  if (/^nan$/i.test(t)) return Number.NaN
  return undefined
}
