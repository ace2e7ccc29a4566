/**
 * A binary min-heap of events in parallel typed arrays: no allocation per event.
 *
 * Order: (time, class, sequence). `time` is in cycles; `class` is a small integer priority
 * (lower runs first at equal time); `sequence` is the insertion counter, so events of the same
 * time and class run in the order they were scheduled. The two tie-breakers are packed into one
 * float64 key: class * 2^44 + sequence (exact while sequence < 2^44 and class < 2^8).
 *
 * Payload: `kind` (policy-defined event type) and two int32 arguments `a`, `b`.
 */
export const CLASS_SHIFT = 2 ** 44
export const MAX_CLASS = 255

export class EventQueue {
  size = 0
  /**
   * Sequence counter: the next event's sequence number. Shared with the engine's lane timers
   * (engine.ts), which draw from it so that both stores' events form one order.
   */
  seq = 0
  private time: Float64Array
  private tie: Float64Array
  private kind: Int32Array
  private argA: Int32Array
  private argB: Int32Array

  /** Fields of the most recently popped event (valid until the next pop). */
  poppedTime = 0
  poppedKind = 0
  poppedA = 0
  poppedB = 0

  constructor(capacity = 64) {
    this.time = new Float64Array(capacity)
    this.tie = new Float64Array(capacity)
    this.kind = new Int32Array(capacity)
    this.argA = new Int32Array(capacity)
    this.argB = new Int32Array(capacity)
  }

  /** Time of the earliest event; only valid when size > 0. */
  peekTime(): number {
    return this.time[0]
  }

  /** Earliest time among the events other than the root (Infinity if none). */
  peekTimeBelowTop(): number {
    const n = this.size
    if (n <= 1) return Infinity
    const a = this.time[1]
    if (n === 2) return a
    const b = this.time[2]
    return a < b ? a : b
  }

  /** Whether some queued event is at time t (a scan: for small heaps). */
  hasTime(t: number): boolean {
    const time_ = this.time
    for (let i = 0; i < this.size; i++) if (time_[i] === t) return true
    return false
  }

  /** Tie key (class * 2^44 + sequence) of the earliest event; only valid when size > 0. */
  peekTie(): number {
    return this.tie[0]
  }

  push(time: number, cls: number, kind: number, a: number, b: number): void {
    if (this.size === this.time.length) this.grow()
    const tie = cls * CLASS_SHIFT + this.seq++
    this.place(this.siftUp(this.size++, time, tie), time, tie, kind, a, b)
  }

  /**
   * Copy the earliest event into the `popped*` fields without removing it. The caller must then
   * either `pop()` it or overwrite it with `replaceTop()` (one sift-down instead of a sift-down
   * for the removal plus a sift-up for the next push: the common "finish one thing, schedule the
   * next" pattern).
   */
  readTop(): void {
    this.poppedTime = this.time[0]
    this.poppedKind = this.kind[0]
    this.poppedA = this.argA[0]
    this.poppedB = this.argB[0]
  }

  /** Replace the earliest event (already read with readTop) by a new one. Caller ensures size > 0. */
  replaceTop(time: number, cls: number, kind: number, a: number, b: number): void {
    const tie = cls * CLASS_SHIFT + this.seq++
    this.place(this.siftDown(0, time, tie, this.size), time, tie, kind, a, b)
  }

  /** Remove the earliest event into the `popped*` fields. Caller ensures size > 0. */
  pop(): void {
    const time_ = this.time
    const tie_ = this.tie
    const kind_ = this.kind
    const a_ = this.argA
    const b_ = this.argB
    this.poppedTime = time_[0]
    this.poppedKind = kind_[0]
    this.poppedA = a_[0]
    this.poppedB = b_[0]
    const n = --this.size
    if (n === 0) return
    // The last event fills the hole at the root.
    const t = time_[n]
    const k = tie_[n]
    this.place(this.siftDown(0, t, k, n), t, k, kind_[n], a_[n], b_[n])
  }

  /**
   * Move the hole at index i up past every ancestor that (t, k) precedes, shifting those
   * ancestors down; returns the index where an event keyed (t, k) belongs.
   */
  private siftUp(i: number, t: number, k: number): number {
    const time_ = this.time
    const tie_ = this.tie
    const kind_ = this.kind
    const a_ = this.argA
    const b_ = this.argB
    while (i > 0) {
      const p = (i - 1) >> 1
      const pt = time_[p]
      if (pt < t || (pt === t && tie_[p] < k)) break
      time_[i] = pt
      tie_[i] = tie_[p]
      kind_[i] = kind_[p]
      a_[i] = a_[p]
      b_[i] = b_[p]
      i = p
    }
    return i
  }

  /**
   * Move the hole at index i down (in a heap of n events) past every child that precedes (t, k),
   * shifting those children up; returns the index where an event keyed (t, k) belongs.
   */
  private siftDown(i: number, t: number, k: number, n: number): number {
    const time_ = this.time
    const tie_ = this.tie
    const kind_ = this.kind
    const a_ = this.argA
    const b_ = this.argB
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      const r = c + 1
      if (r < n && (time_[r] < time_[c] || (time_[r] === time_[c] && tie_[r] < tie_[c]))) c = r
      const ct = time_[c]
      if (t < ct || (t === ct && k < tie_[c])) break
      time_[i] = ct
      tie_[i] = tie_[c]
      kind_[i] = kind_[c]
      a_[i] = a_[c]
      b_[i] = b_[c]
      i = c
    }
    return i
  }

  private place(i: number, t: number, k: number, kd: number, av: number, bv: number): void {
    this.time[i] = t
    this.tie[i] = k
    this.kind[i] = kd
    this.argA[i] = av
    this.argB[i] = bv
  }

  /**
   * Remove the event with payload (kind, a, b) found first at a heap index >= `from`; returns
   * whether one was found. O(size) search plus one sift: meant for small heaps (a few events per
   * core) where an event is known to be obsolete, so that it is never dispatched. The order of the
   * remaining events is unchanged ((time, class, sequence) keys are kept) and no sequence number is
   * consumed.
   */
  remove(kind: number, a: number, b: number, from = 0): boolean {
    const kind_ = this.kind
    const a_ = this.argA
    const b_ = this.argB
    const n = this.size
    for (let i = from; i < n; i++) {
      if (kind_[i] === kind && a_[i] === a && b_[i] === b) {
        this.removeAt(i)
        return true
      }
    }
    return false
  }

  /** Remove the event at heap index i (< size): the last event takes its place and is re-sifted. */
  private removeAt(i: number): void {
    const n = --this.size
    if (i === n) return
    const t = this.time[n]
    const k = this.tie[n]
    const kd = this.kind[n]
    const av = this.argA[n]
    const bv = this.argB[n]
    // Up if the moved event precedes its new parent, otherwise down.
    let j = this.siftUp(i, t, k)
    if (j === i) j = this.siftDown(i, t, k, n)
    this.place(j, t, k, kd, av, bv)
  }

  clear(): void {
    this.size = 0
  }

  private grow(): void {
    const cap = this.time.length * 2
    const grow64 = (x: Float64Array) => {
      const y = new Float64Array(cap)
      y.set(x)
      return y
    }
    const grow32 = (x: Int32Array) => {
      const y = new Int32Array(cap)
      y.set(x)
      return y
    }
    this.time = grow64(this.time)
    this.tie = grow64(this.tie)
    this.kind = grow32(this.kind)
    this.argA = grow32(this.argA)
    this.argB = grow32(this.argB)
  }
}
