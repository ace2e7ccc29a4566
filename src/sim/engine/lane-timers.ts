/**
 * Per-lane timers: the engine's second event store, for models made of per-owner state machines
 * (a *lane* is an integer owner id, e.g. a core) that each keep a small, fixed number of pending
 * events. Every lane has `slots` timers; a timer holds at most one pending event, so arming an
 * armed timer replaces its event and disarming is O(1): no search, no stale events left behind.
 *
 * Structure: a winner (tournament) tree over the lanes, in typed arrays. Timer i = lane * slots +
 * slot keeps its event in place (time, tie, kind, arg); lane l is leaf P + l of a complete binary
 * tree with P (a power of two) leaves, holding the lane's earliest timer, and every inner node k
 * holds the earliest timer below it, so node 1 names the earliest armed timer of all. A disarmed
 * or unused timer has time +Infinity.
 *
 * Deferred repair: arming or disarming only writes the timer and marks its lane *dirty*; `flush()`
 * recomputes each dirty lane's earliest timer (`slots` - 1 comparisons) and the log2(P) nodes
 * above it, once per lane however many of its timers changed. The engine flushes before it reads
 * the tree (before each dispatch), so a handler that clears a core's completion, arms its
 * handler's end and leaves its IPI slot disarmed repairs that core's path once.
 *
 * Order: the same key as the heap, (time, class * 2^44 + sequence), with the sequence number
 * drawn from the heap's counter (`EventQueue.seq`) by the engine, so that events of both stores
 * form one total order, exactly as if they all were in the heap (see engine.ts).
 *
 * The engine owns an instance and is the only caller; policies use `Engine.setTimer`,
 * `Engine.clearTimer` and `Engine.timerArmed`.
 */
export class LaneTimers {
  readonly lanes: number
  readonly slots: number
  /** Number of leaves (lanes), a power of two >= lanes. */
  private readonly leaves: number
  /** Per timer: event time (cycles; +Infinity when disarmed). Index lanes * slots is a sentinel. */
  readonly time: Float64Array
  /** Per timer: class * 2^44 + sequence of its event. */
  readonly tie: Float64Array
  /** Per timer: event kind and second argument (the first is the lane). */
  readonly kind: Int32Array
  readonly arg: Int32Array
  /** Per timer: its lane (constant). */
  readonly laneOf: Int32Array
  /** Winner tree: node k < P holds the earliest timer below it; leaf P + l the lane's earliest. */
  readonly win: Int32Array
  /**
   * Lanes changed since the last flush (a stack) and their marks. Written by `arm`, `disarm`,
   * `take`, and by the engine's copies of `arm` and `take` on its hot path (engine.ts).
   */
  readonly dirty: Int32Array
  readonly dirtyMark: Uint8Array
  dirtyCount = 0

  constructor(lanes: number, slots: number) {
    if (!(Number.isInteger(lanes) && lanes >= 0 && Number.isInteger(slots) && slots >= 1)) {
      throw new RangeError(`bad lane timers: ${lanes} lanes x ${slots} slots`)
    }
    this.lanes = lanes
    this.slots = slots
    let p = 1
    while (p < lanes) p *= 2
    this.leaves = p
    const n = lanes * slots + 1
    const sentinel = lanes * slots
    this.time = new Float64Array(n).fill(Infinity)
    this.tie = new Float64Array(n)
    this.kind = new Int32Array(n)
    this.arg = new Int32Array(n)
    this.laneOf = new Int32Array(n)
    for (let i = 0; i < n; i++) this.laneOf[i] = Math.floor(i / slots)
    // Leaves of lanes hold their first timer; unused leaves the sentinel (never armed).
    this.win = new Int32Array(2 * p)
    for (let l = 0; l < p; l++) this.win[p + l] = l < lanes ? l * slots : sentinel
    // All timers are at +Infinity: the left child wins every node.
    for (let k = p - 1; k >= 1; k--) this.win[k] = this.win[2 * k]
    this.dirty = new Int32Array(Math.max(1, lanes))
    this.dirtyMark = new Uint8Array(Math.max(1, lanes))
  }

  /** The earliest timer (its time is +Infinity when none is armed). Valid after `flush()`. */
  top(): number {
    return this.win[1]
  }

  /** Arm timer i (of lane `lane`) with an event keyed (at, tie); replaces a pending one. */
  arm(lane: number, i: number, at: number, tie: number, kind: number, b: number): void {
    this.time[i] = at
    this.tie[i] = tie
    this.kind[i] = kind
    this.arg[i] = b
    if (this.dirtyMark[lane] === 0) {
      this.dirtyMark[lane] = 1
      this.dirty[this.dirtyCount++] = lane
    }
  }

  /** Disarm timer i (of lane `lane`); returns whether it was armed. */
  disarm(lane: number, i: number): boolean {
    if (this.time[i] === Infinity) return false
    this.time[i] = Infinity
    if (this.dirtyMark[lane] === 0) {
      this.dirtyMark[lane] = 1
      this.dirty[this.dirtyCount++] = lane
    }
    return true
  }

  /** Disarm timer i (of lane `lane`), known to be armed: the engine dispatches its event. */
  take(lane: number, i: number): void {
    this.time[i] = Infinity
    if (this.dirtyMark[lane] === 0) {
      this.dirtyMark[lane] = 1
      this.dirty[this.dirtyCount++] = lane
    }
  }

  /** Armed timers (a scan: for the end of a run and for checks, not the hot path). */
  get armed(): number {
    let n = 0
    for (let i = 0; i < this.time.length; i++) if (this.time[i] !== Infinity) n++
    return n
  }

  /** Whether a lane changed since the last flush. */
  get stale(): boolean {
    return this.dirtyCount > 0
  }

  /** Repair the tree above every dirty lane. */
  flush(): void {
    const time = this.time
    const tie = this.tie
    const win = this.win
    const slots = this.slots
    const dirty = this.dirty
    const mark = this.dirtyMark
    const leaves = this.leaves
    let n = this.dirtyCount
    this.dirtyCount = 0
    while (n > 0) {
      const lane = dirty[--n]
      mark[lane] = 0
      // The lane's earliest timer.
      let best = lane * slots
      if (slots > 1) {
        let bt = time[best]
        for (let i = best + 1, end = best + slots; i < end; i++) {
          const ti = time[i]
          if (ti < bt || (ti === bt && tie[i] < tie[best])) {
            best = i
            bt = ti
          }
        }
      }
      let k = leaves + lane
      win[k] = best
      // Up the tree: the sibling's winner against the winner so far.
      let w = best
      let wt = time[w]
      while (k > 1) {
        const y = win[k ^ 1]
        const ty = time[y]
        if (ty < wt || (ty === wt && tie[y] < tie[w])) {
          w = y
          wt = ty
        }
        k >>= 1
        win[k] = w
      }
    }
  }
}
