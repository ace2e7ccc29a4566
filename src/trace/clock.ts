/**
 * Arrival clocks: exact rebasing of absolute times (epoch seconds, ms, µs or ns, Arrow/Parquet
 * timestamps, ISO-8601 text) to small numbers before they become cycles.
 *
 * An epoch time in nanoseconds (~1.7e18) has more digits than a float64 holds (2^53 ≈ 9e15), so
 * parsing it as a number loses the low digits. Instead every arrival is split into a whole-second
 * count `q`, the whole units within that second `r` and a fraction of a unit `f` (all exact), and
 * the reader hands on `(q − baseSeconds)·unitsPerSecond + r + f`: the time since a base second,
 * exact in float64 for any span below 2^53 units.
 *
 * The base second: for a timestamp column or ISO-8601 text, the whole second of the first row;
 * for plain numbers, 0 (the numbers are used as they are) unless the first row is at or beyond
 * 2^50 cycles (every epoch clock is), in which case it is rebased the same way. Since the base is
 * a whole second and a second is a whole number of cycles, the cycles of two rows differ by the
 * same amount whatever the base (this keeps `--sort` of a shuffled file identical to the sorted
 * file: see `sortColumns`). The simulation measures everything from the first arrival anyway.
 */
import {ConfigError, show} from '../errors.js'
import type {TimeUnit, TraceClock} from './types.js'
import {NS_PER} from './units.js'

/** A numeric clock whose first value is at least this many cycles is rebased. */
export const REBASE_CYCLES = 2 ** 50
/** Largest arrival accepted, cycles from the base (integers stay exact in float64 below 2^53). */
export const MAX_CYCLES = 2 ** 53

export const UNITS_PER_SECOND: Readonly<Record<TimeUnit, number>> = {s: 1, ms: 1e3, us: 1e6, ns: 1e9}
const DIGITS_PER_SECOND: Readonly<Record<TimeUnit, number>> = {s: 0, ms: 3, us: 6, ns: 9}
/** Numbers from this many seconds on are taken to count from the Unix epoch (2000-01-01) when shown. */
const EPOCH_FROM_S = 946_684_800
const POW10 = Array.from({length: 23}, (_, i) => Math.pow(10, i))

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

/** Days since 1970-01-01 of a proleptic Gregorian date (the standard civil-from-days inverse). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
  return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
}

/**
 * Parse ISO-8601 `YYYY-MM-DD[T ]hh:mm:ss[.fffffffff][Z|±hh[:mm]]` to whole epoch seconds and
 * nanoseconds, or undefined. Without an offset the time is read as UTC.
 */
export function parseIso(text: string): {seconds: number; nanos: number} | undefined {
  const m = ISO.exec(text.trim())
  if (!m) return undefined
  const y = +m[1]
  const mo = +m[2]
  const d = +m[3]
  const h = +m[4]
  const mi = +m[5]
  const s = +m[6]
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined
  let offset = 0
  const z = m[8]
  if (z !== undefined && z !== 'Z' && z !== 'z') {
    const digits = z.slice(1).replace(':', '')
    const oh = +digits.slice(0, 2)
    const om = digits.length > 2 ? +digits.slice(2, 4) : 0
    if (oh > 23 || om > 59) return undefined
    offset = (z[0] === '-' ? -1 : 1) * (oh * 3600 + om * 60)
  }
  const frac = m[7] ?? ''
  return {
    seconds: daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset,
    nanos: frac === '' ? 0 : Number(frac) * POW10[9 - frac.length],
  }
}

/** An instant as ISO-8601 UTC with nanoseconds: whole epoch seconds + nanoseconds in [0, 1e9). */
export function formatIso(seconds: number, nanos: number): string {
  const days = Math.floor(seconds / 86400)
  const sod = seconds - days * 86400
  const date = new Date(days * 86400_000).toISOString().slice(0, 10)
  const hh = String(Math.floor(sod / 3600)).padStart(2, '0')
  const mm = String(Math.floor((sod % 3600) / 60)).padStart(2, '0')
  const ss = String(sod % 60).padStart(2, '0')
  return `${date}T${hh}:${mm}:${ss}.${String(nanos).padStart(9, '0')}Z`
}

/**
 * The instant of cycle `cycles` of a trace read with `clock` at `ghz`: whole seconds on the trace's
 * clock and nanoseconds (rounded to the nearest ns).
 */
export function instantOf(clock: TraceClock, cycles: number, ghz: number): {seconds: number; nanos: number} {
  const ns = Math.round(cycles / ghz)
  const whole = Math.floor(ns / 1e9)
  return {seconds: clock.baseSeconds + whole, nanos: ns - whole * 1e9}
}

/** An instant on the trace's clock as text: ISO-8601 for epoch clocks, else seconds with 9 decimals. */
export function showInstant(clock: TraceClock, cycles: number, ghz: number): string {
  const {seconds, nanos} = instantOf(clock, cycles, ghz)
  if (clock.epoch) return formatIso(seconds, nanos)
  return `${seconds}.${String(nanos).padStart(9, '0')} s`
}

/**
 * Turns the arrival values of one pass into times since the base second, in the column's unit.
 * One instance per pass: the base is chosen from the first row seen.
 */
export class ArrivalClock {
  kind: TraceClock['kind'] = 'number'
  unit: TimeUnit | undefined
  /** Units per second and decimal digits per second of `unit` (read by the CSV hot loop). */
  ups = 1
  dps = 0
  baseSeconds = 0
  started = false
  /** Set by `bytes` when a field needs the general parser (`text`). */
  slow = false
  /** Base in units as 32-bit halves, for 64-bit integer columns. */
  private bLo = 0
  private bHi = 0

  constructor(
    readonly column: string,
    unit: TimeUnit | undefined,
    /** Cycles per unit. */
    private toCyclesPerNs: number,
    private readonly file: string,
    /** The flag or suffix the unit came from (for messages). */
    private readonly unitFlag: string,
  ) {
    if (unit !== undefined) this.setUnit(unit)
  }

  private setUnit(unit: TimeUnit): void {
    this.unit = unit
    this.ups = UNITS_PER_SECOND[unit]
    this.dps = DIGITS_PER_SECOND[unit]
  }

  /** Cycles per unit of the column (valid once the unit is known). */
  get toCycles(): number {
    return NS_PER[this.unit ?? 'ns'] * this.toCyclesPerNs
  }

  /** Largest value accepted from `arrival`, units after the base. */
  get maxValue(): number {
    return MAX_CYCLES / this.toCycles
  }

  /**
   * Smallest value accepted in unordered reading (--sort): a negative arrival is refused, and a
   * rebased one may lie up to 2^53 cycles before the base.
   */
  get minValue(): number {
    if (!this.started || this.baseSeconds === 0) return 0
    const limit = -this.maxValue
    return this.kind === 'number' ? Math.max(limit, -this.baseSeconds * this.ups) : limit
  }

  /** Declare the column's kind (timestamp columns: with their unit). */
  useKind(kind: TraceClock['kind'], unit?: TimeUnit, row?: number): void {
    this.kind = kind
    if (unit !== undefined) {
      if (this.unit !== undefined && this.unit !== unit && this.unitFlag === 'arrival-unit') {
        throw new ConfigError(
          `Expected no --arrival-unit for column \`${this.column}\` (a timestamp column carries its own unit, ${unit}), got ${this.unit}`,
          {flag: 'arrival-unit', file: this.file},
        )
      }
      this.setUnit(unit)
    }
    if (kind === 'iso') this.setUnit('ns')
    if (kind === 'number' && this.unit === undefined) {
      throw new ConfigError(
        `Expected a unit for column \`${this.column}\` (name it *_s, *_ms, *_us or *_ns, or pass --arrival-unit s|ms|us|ns), got none`,
        {flag: 'arrival-unit', file: this.file, ...(row !== undefined ? {row} : {})},
      )
    }
  }

  private start(q: number, units: number): void {
    this.started = true
    if (this.kind !== 'number' || (q * this.ups + units) * this.toCycles >= REBASE_CYCLES) this.baseSeconds = q
  }

  /** Time since the base from whole seconds q, whole units r < ups and a fraction f of a unit. */
  combine(q: number, r: number, f: number): number {
    if (!this.started) this.start(q, r + f)
    return (q - this.baseSeconds) * this.ups + r + f
  }

  /**
   * A plain decimal `digits[.digits]` from bytes [s, e) (the CSV fast path). Anything else sets
   * `slow` (the caller then uses `text`).
   */
  bytes(buf: Uint8Array, s: number, e: number): number {
    // One pass for the commonest shape, an integer (epoch ns, µs…) after the base is set.
    if (this.started) {
      const v = this.intBytes(buf, s, e)
      if (v === v) return v
    }
    let ip = e
    for (let i = s; i < e; i++) {
      const c = buf[i]
      if (c === 46) {
        ip = i
        break
      }
      if (c < 48 || c > 57) return this.fallback()
    }
    const n = ip - s
    const k = n - this.dps
    if (k > 15) return this.fallback()
    let q = 0
    let j = s
    for (; j < s + k; j++) q = q * 10 + (buf[j] - 48)
    let r = 0
    for (; j < ip; j++) r = r * 10 + (buf[j] - 48)
    let f = 0
    if (ip < e) {
      const m = e - ip - 1
      if (m > 15 || (m === 0 && n === 0)) return this.fallback()
      let F = 0
      for (j = ip + 1; j < e; j++) {
        const c = buf[j]
        if (c < 48 || c > 57) return this.fallback()
        F = F * 10 + (c - 48)
      }
      if (m > 0) f = F / POW10[m]
    } else if (n === 0) return this.fallback()
    return this.combine(q, r, f)
  }

  /**
   * The commonest shape alone, for the CSV hot loop: an unsigned integer `digits` from bytes [s, e)
   * with at most 15 digits before the last `dps` (whole seconds, then units), once the base is set;
   * NaN for anything else (the caller then uses `bytes`). The same value as `bytes`.
   */
  intBytes(buf: Uint8Array, s: number, e: number): number {
    const k0 = e - s - this.dps
    if (e <= s || k0 > 15) return Number.NaN
    const split = s + k0
    let q = 0
    let i = s
    for (; i < split; i++) {
      const c = buf[i] - 48
      if (c < 0 || c > 9) return Number.NaN
      q = q * 10 + c
    }
    let r = 0
    for (i = split > s ? split : s; i < e; i++) {
      const c = buf[i] - 48
      if (c < 0 || c > 9) return Number.NaN
      r = r * 10 + c
    }
    return (q - this.baseSeconds) * this.ups + r
  }

  private fallback(): number {
    this.slow = true
    return 0
  }

  /**
   * Any numeric text: signed decimals with an exponent, NaN, Infinity. Returns NaN for text that is
   * not a number (check with `isNumber`), -Infinity for a negative value (refused by the caller:
   * arrivals are never negative), and the same value as `bytes` for a plain decimal.
   */
  text(text: string): number {
    this.slow = false
    const t = text.trim()
    const m = DECIMAL.exec(t)
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) {
      if (/^[+]?(?:inf|infinity)$/i.test(t)) return Infinity
      if (/^-(?:inf|infinity)$/i.test(t)) return -Infinity
      return Number.NaN
    }
    const intDigits = m[2]
    const fracDigits = m[3] ?? ''
    const exp = m[4] === undefined ? 0 : Number(m[4])
    const all = (intDigits + fracDigits).replace(/^0+/, '')
    if (all === '') return this.combine(0, 0, 0) // any zero, signed or not
    if (m[1] === '-') return -Infinity
    // Move the decimal point by the exponent.
    const digits = intDigits + fracDigits
    let point = intDigits.length + exp
    if (point > 400) return Infinity
    let whole: string
    let frac: string
    if (point <= 0) {
      whole = ''
      frac = '0'.repeat(Math.min(-point, 400)) + digits
    } else if (point >= digits.length) {
      whole = digits + '0'.repeat(point - digits.length)
      frac = ''
    } else {
      whole = digits.slice(0, point)
      frac = digits.slice(point)
    }
    whole = whole.replace(/^0+/, '')
    point = whole.length - this.dps
    if (point > 15) return Infinity
    const q = point > 0 ? Number(whole.slice(0, point)) : 0
    const r = whole.length === 0 ? 0 : Number(whole.slice(Math.max(0, point)))
    const f = /[1-9]/.test(frac) ? Number('0.' + frac) : 0
    return this.combine(q, r, f)
  }

  /** ISO-8601 text: time since the base in ns, or NaN when the text is not ISO-8601. */
  iso(text: string): number {
    const t = parseIso(text)
    if (t === undefined) return Number.NaN
    return this.combine(t.seconds, t.nanos, 0)
  }

  /**
   * 64-bit integer values (an int64/uint64 or timestamp column) into `dst` from index `at`, exactly:
   * the base is subtracted on 32-bit halves (little-endian layout).
   */
  int64(vals: BigInt64Array | BigUint64Array, dst: Float64Array, at: number): void {
    const n = vals.length
    if (n === 0) return
    const signed = vals instanceof BigInt64Array
    if (!this.started) this.startBig(vals[0], signed)
    const u = new Uint32Array(vals.buffer, vals.byteOffset, n * 2)
    const bLo = this.bLo
    const bHi = this.bHi
    if (signed) {
      for (let i = 0; i < n; i++) dst[at + i] = ((u[2 * i + 1] | 0) - bHi) * 4294967296 + (u[2 * i] - bLo)
    } else {
      for (let i = 0; i < n; i++) dst[at + i] = (u[2 * i + 1] - bHi) * 4294967296 + (u[2 * i] - bLo)
    }
  }

  private startBig(v0: bigint, signed: boolean): void {
    const ups = BigInt(this.ups)
    let q = v0 / ups
    if (v0 < 0n && q * ups !== v0) q -= 1n // floor
    const r = Number(v0 - q * ups)
    if (this.kind === 'number' && v0 < 0n) {
      this.started = true // a negative first row: base 0 (the row is refused)
      return
    }
    this.start(Number(q), r)
    const base = BigInt(this.baseSeconds) * ups
    this.bLo = Number(base & 0xffffffffn)
    this.bHi = Number(signed ? BigInt.asIntN(32, base >> 32n) : BigInt.asUintN(32, base >> 32n))
  }

  /** Plain numbers (integer columns up to 32 bits, floats) into `dst` from index `at`. */
  numbers(vals: ArrayLike<number>, n: number, dst: Float64Array, at: number): void {
    if (n === 0) return
    if (!this.started) {
      const v0 = vals[0]
      if (v0 >= 0 && v0 < Infinity) {
        const q = Math.floor(v0 / this.ups)
        this.start(q, v0 - q * this.ups)
      } else this.started = true
    }
    const base = this.baseSeconds * this.ups
    for (let i = 0; i < n; i++) dst[at + i] = vals[i] - base
  }

  /** The literal of a 64-bit value for messages. */
  static literal(v: bigint | number): string {
    return typeof v === 'bigint' ? v.toString() : show(v)
  }

  /** What the batches' cycle 0 stands for. */
  info(): TraceClock {
    const unit = this.unit ?? 'ns'
    return {
      kind: this.kind,
      column: this.column,
      unit,
      baseSeconds: this.baseSeconds,
      rebased: this.baseSeconds !== 0,
      epoch: this.kind !== 'number' || this.baseSeconds >= EPOCH_FROM_S,
    }
  }

  /** A value handed on (time since the base, in units) back as text on the trace's clock, for messages. */
  showValue(v: number): string {
    if (this.kind === 'iso' || this.kind === 'timestamp') {
      const ns = Math.round(v * NS_PER[this.unit ?? 'ns'])
      const whole = Math.floor(ns / 1e9)
      return formatIso(this.baseSeconds + whole, ns - whole * 1e9)
    }
    if (this.baseSeconds === 0) return show(v)
    if (Number.isInteger(v)) return (BigInt(this.baseSeconds) * BigInt(this.ups) + BigInt(v)).toString()
    return show(this.baseSeconds * this.ups + v)
  }
}

/** A field's literal text for a message: as written when it is a plain token (a number, a time), else quoted. */
export function literalText(text: string): string {
  return /^[\w.:+-]{1,60}$/.test(text) ? text : show(text)
}

/** An error for an arrival field, choosing the message from its literal text. */
export function arrivalProblem(literal: string, kind: TraceClock['kind']): string | undefined {
  const t = literal.trim()
  if (kind === 'iso') return undefined
  if (/^-/.test(t) && !/^-0*\.?0*$/.test(t)) return `Expected a number >= 0, got ${literalText(literal)}`
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return `Expected a finite number >= 0, got ${literalText(literal)}`
  return undefined
}
