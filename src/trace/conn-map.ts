/**
 * Dense connection ids: every distinct connection id of a trace gets 0, 1, 2… in order of first
 * appearance, so relabelling connections never changes a result.
 *
 * Ids are integers (up to 64 bits, compared exactly) or strings (compared by their UTF-8 bytes);
 * an integer id never equals a string id. Memory stays in typed arrays: small non-negative
 * integers (< 2^22) index a direct table; other ids go to open-addressing hash tables (linear
 * probing, load factor <= 0.7) over entry arrays (64-bit keys as two 32-bit halves; string bytes in
 * one arena). About 20 bytes per hashed id, so no JavaScript object per connection and no Map.
 * At most `max` distinct ids (default DEFAULT_MAX_CONNECTIONS): one more is a LimitError naming
 * `--max-connections`.
 */
import {LimitError} from '../errors.js'

/** Default cap on distinct connections (`--max-connections`). */
export const DEFAULT_MAX_CONNECTIONS = 1 << 23
/** Integer ids in [0, DIRECT) use the direct table. */
const DIRECT = 1 << 22
const TWO32 = 4294967296
const encoder = new TextEncoder()

function hashInt(lo: number, hi: number): number {
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((hi + 0x7f4a7c15) | 0, 0xc2b2ae35)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  h = Math.imul(h, 0x297a2d39)
  return h ^ (h >>> 15)
}

function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  return h ^ (h >>> 13)
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13)
}

/** The tables of the last finished pass in this thread, kept for the next pass (see `ConnIndexer.take`). */
let spare: ConnIndexer | undefined

export class ConnIndexer {
  /**
   * An empty indexer, reusing the tables of this thread's last finished pass when there is one: a
   * run reads its trace twice (scan, then simulation), and millions of connections would otherwise
   * hold two sets of tables until the garbage collector frees the first.
   */
  static take(max = DEFAULT_MAX_CONNECTIONS, file = ''): ConnIndexer {
    const s = spare
    spare = undefined
    if (s === undefined) return new ConnIndexer(max, file)
    s.reset(max, file)
    return s
  }

  /** Hand the tables back for the next `take` (the caller uses this indexer no more). */
  release(): void {
    spare = this
  }

  private reset(max: number, file: string): void {
    ;(this as {max: number}).max = max
    ;(this as {file: string}).file = file
    this.count = 0
    this.direct.fill(-1)
    this.intSlots.fill(0)
    this.strSlots.fill(0)
    this.intUsed = 0
    this.strUsed = 0
    this.entries = 0
    this.arenaUsed = 0
  }

  /** Distinct ids seen. */
  count = 0
  private direct = new Int32Array(1024).fill(-1)
  /** Hashed entries: key halves (ints) or arena offset and length (strings), and the dense id. */
  private eLo = new Uint32Array(1024)
  private eHi = new Uint32Array(1024)
  private eDense = new Uint32Array(1024)
  private entries = 0
  /** Slots hold entry + 1 (0 = empty). */
  private intSlots = new Int32Array(1024)
  private intUsed = 0
  private strSlots = new Int32Array(1024)
  private strUsed = 0
  private arena = new Uint8Array(1 << 16)
  private arenaUsed = 0
  private scratch = new Uint8Array(256)

  constructor(
    readonly max = DEFAULT_MAX_CONNECTIONS,
    readonly file = '',
  ) {}

  private fresh(): number {
    if (this.count >= this.max) {
      throw new LimitError(
        `${this.file}: Expected at most ${this.max} distinct connection ids (--max-connections), got more; ` +
          'raise --max-connections (each costs about 20 bytes while reading, plus the simulator\'s per-connection state)',
        {file: this.file, flag: 'max-connections'},
      )
    }
    return this.count++
  }

  private addEntry(lo: number, hi: number): number {
    const k = this.entries
    if (k >= this.eLo.length) {
      const n = k * 2
      const grow = (a: Uint32Array) => {
        const b = new Uint32Array(n)
        b.set(a)
        return b
      }
      this.eLo = grow(this.eLo)
      this.eHi = grow(this.eHi)
      this.eDense = grow(this.eDense)
    }
    this.eLo[k] = lo
    this.eHi[k] = hi
    this.eDense[k] = this.fresh()
    this.entries = k + 1
    return k
  }

  /** Dense index of an integer id held in a float64 (exact below 2^53; may be negative). */
  num(id: number): number {
    if (id >= 0 && id < DIRECT) return this.small(id)
    const hi = Math.floor(id / TWO32)
    return this.int64(id - hi * TWO32, hi >>> 0)
  }

  private small(id: number): number {
    let t = this.direct
    if (id >= t.length) {
      const grown = new Int32Array(Math.min(DIRECT, Math.max(t.length * 2, id + 1))).fill(-1)
      grown.set(t)
      this.direct = t = grown
    }
    const d = t[id]
    if (d >= 0) return d
    return (t[id] = this.fresh())
  }

  /** Dense index of a 64-bit integer id given as its low and high 32 bits (two's complement). */
  int64(lo: number, hi: number): number {
    if (hi === 0 && lo < DIRECT) return this.small(lo)
    let slots = this.intSlots
    let mask = slots.length - 1
    let i = hashInt(lo, hi) & mask
    for (;;) {
      const s = slots[i]
      if (s === 0) break
      const e = s - 1
      if (this.eLo[e] === lo && this.eHi[e] === hi) return this.eDense[e]
      i = (i + 1) & mask
    }
    if ((this.intUsed + 1) * 10 > slots.length * 7) {
      this.intSlots = slots = this.rehash(slots, false)
      mask = slots.length - 1
      i = hashInt(lo, hi) & mask
      while (slots[i] !== 0) i = (i + 1) & mask
    }
    const e = this.addEntry(lo, hi)
    slots[i] = e + 1
    this.intUsed++
    return this.eDense[e]
  }

  /** Dense index of a string id given as UTF-8 bytes [s, e). */
  bytes(buf: Uint8Array, s: number, e: number): number {
    const len = e - s
    let slots = this.strSlots
    let mask = slots.length - 1
    const h = hashBytes(buf, s, e)
    let i = h & mask
    const arena = this.arena
    for (;;) {
      const slot = slots[i]
      if (slot === 0) break
      const k = slot - 1
      if (this.eHi[k] === len) {
        const off = this.eLo[k]
        let j = 0
        while (j < len && arena[off + j] === buf[s + j]) j++
        if (j === len) return this.eDense[k]
      }
      i = (i + 1) & mask
    }
    if ((this.strUsed + 1) * 10 > slots.length * 7) {
      this.strSlots = slots = this.rehash(slots, true)
      mask = slots.length - 1
      i = h & mask
      while (slots[i] !== 0) i = (i + 1) & mask
    }
    if (this.arenaUsed + len > this.arena.length) {
      let n = this.arena.length * 2
      while (n < this.arenaUsed + len) n *= 2
      const a = new Uint8Array(n)
      a.set(this.arena.subarray(0, this.arenaUsed))
      this.arena = a
    }
    this.arena.set(buf.subarray(s, e), this.arenaUsed)
    const k = this.addEntry(this.arenaUsed, len)
    this.arenaUsed += len
    slots[i] = k + 1
    this.strUsed++
    return this.eDense[k]
  }

  /** Dense index of a string id. */
  str(id: string): number {
    const need = id.length * 3
    if (this.scratch.length < need) this.scratch = new Uint8Array(Math.max(need, this.scratch.length * 2))
    const {written} = encoder.encodeInto(id, this.scratch)
    return this.bytes(this.scratch, 0, written)
  }

  private rehash(old: Int32Array, strings: boolean): Int32Array<ArrayBuffer> {
    const slots = new Int32Array(old.length * 2)
    const mask = slots.length - 1
    for (let j = 0; j < old.length; j++) {
      const s = old[j]
      if (s === 0) continue
      const k = s - 1
      const h = strings ? hashBytes(this.arena, this.eLo[k], this.eLo[k] + this.eHi[k]) : hashInt(this.eLo[k], this.eHi[k])
      let i = h & mask
      while (slots[i] !== 0) i = (i + 1) & mask
      slots[i] = s
    }
    return slots
  }

  /**
   * Dense indices of `n` integer-valued ids (a JavaScript number array) into `out`; returns the
   * index of the first id that is not an integer (or n when all are).
   */
  mapInts(ids: ArrayLike<number>, out: Uint32Array, n: number): number {
    let t = this.direct
    for (let i = 0; i < n; i++) {
      const id = ids[i]
      if (id >= 0 && id < t.length && (id | 0) === id) {
        const d = t[id]
        out[i] = d >= 0 ? d : (t[id] = this.fresh())
      } else {
        if (!Number.isInteger(id)) return i
        out[i] = this.num(id)
        t = this.direct
      }
    }
    return n
  }

  /** Dense indices of 64-bit integer ids (int64 or uint64 column) into `out` from index `at`. */
  mapInt64(vals: BigInt64Array | BigUint64Array, out: Uint32Array, at: number): void {
    const n = vals.length
    const u = new Uint32Array(vals.buffer, vals.byteOffset, n * 2)
    for (let i = 0; i < n; i++) out[at + i] = this.int64(u[2 * i], u[2 * i + 1])
  }
}

/**
 * A CSV connection field [s, e) of `buf` (surrounding ASCII whitespace ignored): an integer id when
 * it is a canonical non-negative decimal of at most 15 digits (`7`, not `007` or `7.0`), else a
 * string id. Returns -1 for an empty field.
 */
export function csvConn(conns: ConnIndexer, buf: Uint8Array, s: number, e: number): number {
  while (s < e && isSpace(buf[s])) s++
  while (e > s && isSpace(buf[e - 1])) e--
  const len = e - s
  if (len === 0) return -1
  if (len <= 15 && (buf[s] !== 48 || len === 1)) {
    let m = 0
    let i = s
    for (; i < e; i++) {
      const ch = buf[i]
      if (ch < 48 || ch > 57) break
      m = m * 10 + (ch - 48)
    }
    if (i === e) return conns.num(m)
  }
  return conns.bytes(buf, s, e)
}

/**
 * Connection of data row `row` (0-based, in file order) drawn uniformly from `n` ids with `seed`:
 * floor(h·n / 2^32) for h the murmur3 finaliser of the row number salted by the seed (a bijection
 * on 32 bits, so over 2^32 rows every id gets floor or ceil of 2^32/n of them).
 */
export function drawnConn(row: number, n: number, seedMix: number): number {
  let x = (row ^ seedMix) | 0
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return Math.floor(((x >>> 0) * n) / TWO32)
}

/** The salt `drawnConn` uses for a seed. */
export function seedMix(seed: number): number {
  return Math.imul((seed | 0) ^ 0x5bd1e995, 0x9e3779b1) | 0
}
