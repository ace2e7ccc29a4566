/**
 * The folded dispatcher (dispatched.ts) handles a dispatcher event when it is submitted, as of
 * the time d it would be done, and schedules the completion of what it starts right away: ahead
 * of d. The engine orders events of equal time and class by when they were scheduled, so such a
 * completion would run before an event scheduled later but before d (in the event form, where
 * the completion is scheduled at d, it runs after). This keeps the event form's order: every
 * other event the model schedules goes through `schedule`, which first moves the ahead-scheduled
 * completions of the same cycle whose dispatcher time is still to come behind it, in their order
 * (cancel and schedule again). That needs an exact tie on the cycle: rare.
 */
import {type Engine, EventClass} from '../engine/engine.js'

export class AheadSends {
  /** Per worker: time of the dispatcher event that sent its current request, and the send's rank. */
  readonly at: Float64Array
  private readonly rank: Float64Array
  private sends = 0
  /**
   * Sends made ahead (dispatcher time > now), in sending order, hence by non-decreasing time: a
   * ring of (worker, time); dropped once their time has come. A worker sent to again meanwhile
   * appears twice: each entry is checked against the worker's current send.
   */
  private ringW = new Int32Array(16)
  private ringT = new Float64Array(16)
  private head = 0
  private size = 0
  private readonly moved: number[] = []

  constructor(
    workers: number,
    private readonly engine: Engine,
    /** Completion event kind, its payload (kind, w, 0), and each worker's running slot and slice end. */
    private readonly endKind: number,
    private readonly running: Int32Array,
    private readonly endAt: Float64Array,
  ) {
    this.at = new Float64Array(workers)
    this.rank = new Float64Array(workers)
  }

  /** A dispatcher event handled as of time d sent a request to worker w. */
  sent(w: number, d: number): void {
    this.at[w] = d
    this.rank[w] = this.sends++
    if (d > this.engine.now) {
      if (this.size === this.ringW.length) this.grow()
      const i = (this.head + this.size) & (this.ringW.length - 1)
      this.ringW[i] = w
      this.ringT[i] = d
      this.size++
    }
  }

  private grow(): void {
    const n = this.ringW.length
    const w = new Int32Array(2 * n)
    const t = new Float64Array(2 * n)
    for (let i = 0; i < this.size; i++) {
      w[i] = this.ringW[(this.head + i) & (n - 1)]
      t[i] = this.ringT[(this.head + i) & (n - 1)]
    }
    this.ringW = w
    this.ringT = t
    this.head = 0
  }

  /** Schedule (t, FINISH, kind, a, b) at the current instant, in the event form's order. */
  schedule(t: number, kind: number, a: number, b: number): void {
    const now = this.engine.now
    const mask = this.ringW.length - 1
    while (this.size > 0 && this.ringT[this.head] <= now) {
      this.head = (this.head + 1) & mask
      this.size--
    }
    if (this.size === 0 || !this.anyAt(t, now)) {
      this.engine.schedule(t, EventClass.FINISH, kind, a, b)
      return
    }
    const moved = this.moved
    moved.length = 0
    for (let i = 0; i < this.size; i++) {
      const w = this.ringW[(this.head + i) & mask]
      if (this.pendingAt(w, t, now) && !moved.includes(w)) moved.push(w)
    }
    moved.sort((x, y) => this.rank[x] - this.rank[y])
    for (const w of moved) if (!this.engine.cancel(this.endKind, w, 0)) throw new Error(`folded dispatcher: completion of worker ${w} not pending`)
    this.engine.schedule(t, EventClass.FINISH, kind, a, b)
    for (const w of moved) this.engine.schedule(t, EventClass.FINISH, this.endKind, w, 0)
  }

  private anyAt(t: number, now: number): boolean {
    const mask = this.ringW.length - 1
    for (let i = 0; i < this.size; i++) if (this.pendingAt(this.ringW[(this.head + i) & mask], t, now)) return true
    return false
  }

  /** Worker w's completion is pending at cycle t and was scheduled ahead of its dispatcher time. */
  private pendingAt(w: number, t: number, now: number): boolean {
    return this.running[w] >= 0 && this.endAt[w] === t && this.at[w] > now
  }
}
