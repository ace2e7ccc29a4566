/**
 * Per-lane timers: the engine's second event store, for models made of per-owner state machines
 * (a *lane* is an integer owner id, e.g. a core) that each keep a small, fixed number of pending
 * events. Every lane has `slots` timers; a timer holds at most one pending event, so arming an
 * armed timer replaces its event and disarming is O(1) plus the path update below: no search, no
 * stale events left behind.
 *
 * Structure: a winner (tournament) tree over all lanes × slots timers, in typed arrays. Timer i
 * is leaf `P + i` of a complete binary tree with P (a power of two) leaves; every inner node k
 * holds the index of the earliest timer below it, so node 1 names the earliest armed timer.
 * Arming, re-arming or disarming timer i recomputes the log2(P) nodes on its path; the event
 * payload never moves. A disarmed or unused timer has time +Infinity.
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
  /** Number of leaves, a power of two >= lanes * slots. */
  private readonly leaves: number
  /** Per timer: event time (cycles; +Infinity when disarmed). */
  readonly time: Float64Array
  /** Per timer: class * 2^44 + sequence of its event. */
  readonly tie: Float64Array
  /** Per timer: event kind and second argument (the first is the lane). */
  readonly kind: Int32Array
  readonly arg: Int32Array
  /** Per timer: its lane (constant). */
  readonly laneOf: Int32Array
  /** Winner tree: node k (1 <= k < P) holds the earliest timer below it; node P + i holds i. */
  readonly win: Int32Array
  /** Armed timers. */
  armed = 0

  constructor(lanes: number, slots: number) {
    if (!(Number.isInteger(lanes) && lanes >= 0 && Number.isInteger(slots) && slots >= 1)) {
      throw new RangeError(`bad lane timers: ${lanes} lanes x ${slots} slots`)
    }
    this.lanes = lanes
    this.slots = slots
    let p = 1
    while (p < lanes * slots) p *= 2
    this.leaves = p
    this.time = new Float64Array(p).fill(Infinity)
    this.tie = new Float64Array(p)
    this.kind = new Int32Array(p)
    this.arg = new Int32Array(p)
    this.laneOf = new Int32Array(p)
    for (let i = 0; i < p; i++) this.laneOf[i] = Math.floor(i / slots)
    this.win = new Int32Array(2 * p)
    for (let i = 0; i < p; i++) this.win[p + i] = i
    // All leaves are at +Infinity: the left child wins every node.
    for (let k = p - 1; k >= 1; k--) this.win[k] = this.win[2 * k]
  }

  /** The earliest timer (its time is +Infinity when none is armed). */
  top(): number {
    return this.win[1]
  }

  /** Arm timer i with an event keyed (at, tie); replaces a pending one. */
  arm(i: number, at: number, tie: number, kind: number, b: number): void {
    if (this.time[i] === Infinity) this.armed++
    this.time[i] = at
    this.tie[i] = tie
    this.kind[i] = kind
    this.arg[i] = b
    this.update(i)
  }

  /** Disarm timer i; returns whether it was armed. */
  disarm(i: number): boolean {
    if (this.time[i] === Infinity) return false
    this.time[i] = Infinity
    this.armed--
    this.update(i)
    return true
  }

  /**
   * Disarm timer i without updating its path (the engine does this for the timer it dispatches
   * and calls `update(i)` afterwards unless the handler re-armed it; meanwhile the tree may name
   * i at nodes it no longer wins, which only `update(i)` corrects and nothing reads).
   */
  disarmLazy(i: number): void {
    this.time[i] = Infinity
    this.armed--
  }

  /** Recompute the nodes on timer i's path to the root. */
  update(i: number): void {
    const time = this.time
    const tie = this.tie
    const win = this.win
    let k = (this.leaves + i) >> 1
    while (k >= 1) {
      const x = win[2 * k]
      const y = win[2 * k + 1]
      const tx = time[x]
      const ty = time[y]
      win[k] = tx < ty || (tx === ty && tie[x] < tie[y]) ? x : y
      k >>= 1
    }
  }
}
