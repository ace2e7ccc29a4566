/**
 * The discrete-event engine: an integer-cycle clock and two event stores. It knows nothing of
 * policies: it calls one `EventHandler` with (kind, a, b) for each event, in (time, class,
 * sequence) order. Arrivals are not queued as events: the run loop (src/sim/simulate.ts) feeds them
 * from the trace in order and calls `advanceTo(t)` first, which runs every event that precedes an
 * arrival at t.
 *
 * The two stores:
 *  - the general heap (`schedule`, `cancel`): any number of events with any payload;
 *  - per-lane timers (`useLanes`, `setTimer`, `clearTimer`; lane-timers.ts): for models made of
 *    per-owner state machines (a lane is an integer owner id, e.g. a core) with a fixed number of
 *    pending events per owner. Timer (lane, slot) holds at most one event, dispatched as
 *    handle(kind, lane, b); re-arming replaces it and clearing is O(1), no search. A winner tree
 *    over the lanes names the earliest timer; it is repaired once per changed lane before the
 *    next dispatch.
 *
 * Order contract (exact, across both stores): every event is keyed (time, class, sequence), where
 * `sequence` is one counter shared by `schedule` and `setTimer` (incremented by each call, not by
 * `cancel`/`clearTimer`). The engine always dispatches the event with the least key of either
 * store, so the dispatch order is exactly the one a single heap holding every event would give:
 *  - earlier time first;
 *  - at equal time, lower class first; events of class < ARRIVAL run before an arrival at the
 *    same cycle, events of class > ARRIVAL after it (class ARRIVAL itself is reserved);
 *  - at equal time and class, in scheduling order (the order of the `schedule`/`setTimer` calls);
 *  - arrivals among themselves in trace order.
 * A cleared timer, a replaced timer event and a cancelled heap event are never dispatched and do
 * not count in `events`. Moving a model's events from the heap to timers therefore changes
 * nothing but `events` when it drops events the model would have ignored (stale completions).
 */
import {CLASS_SHIFT, EventQueue, MAX_CLASS} from './event-queue.js'
import {LaneTimers} from './lane-timers.js'

/** Event classes. Lower runs first at equal time. */
export const EventClass = {
  /** A core finishes a piece of work (completion, end of a cost). */
  FINISH: 1,
  /** Delivered interrupts (IPIs) and timers. */
  INTERRUPT: 3,
  /** Arrival of a request at the NIC (not a queued event; the boundary). */
  ARRIVAL: 8,
  /** Work started in reaction to the state at this instant (polls, dispatch). */
  DISPATCH: 12,
} as const

export interface EventHandler {
  handle(kind: number, a: number, b: number): void
}

export class Engine {
  /** Current simulated time, cycles. */
  now = 0
  /** Events executed so far. */
  events = 0
  readonly queue = new EventQueue(256)
  /** Per-lane timers (none until `useLanes`). */
  timers = new LaneTimers(0, 1)
  private slots = 1
  private handler: EventHandler | undefined
  /**
   * True while the event being handled still sits at the top of the heap (read, not removed):
   * the handler's first `schedule` overwrites it in place; otherwise it is removed afterwards.
   */
  private topPending = false
  private static readonly ARRIVAL_TIE = EventClass.ARRIVAL * CLASS_SHIFT

  bind(handler: EventHandler): void {
    this.handler = handler
  }

  /**
   * Give the engine `lanes` x `slots` timers (all disarmed), replacing any it had. Called by a
   * policy when it is created, before any event is scheduled.
   */
  useLanes(lanes: number, slots: number): void {
    if (this.timers.armed > 0) throw new Error('useLanes: timers are armed')
    this.timers = new LaneTimers(lanes, slots)
    this.slots = slots
  }

  /**
   * Arm timer `slot` of lane `lane`: an event at absolute time `at` (cycles, >= now) of class
   * `cls`, dispatched as handle(kind, lane, b). A pending event of that timer is replaced (never
   * dispatched). Takes a sequence number like `schedule`.
   */
  setTimer(lane: number, slot: number, at: number, cls: number, kind: number, b: number): void {
    const lt = this.timers
    if (!(at >= this.now) || cls === EventClass.ARRIVAL || !(cls >= 0 && cls <= MAX_CLASS) || !(slot >= 0 && slot < this.slots) || !(lane >= 0 && lane < lt.lanes)) {
      this.badTimer(lane, slot, at, cls)
    }
    // LaneTimers.arm, written out: this is the hot path of every timer-driven model.
    const i = lane * this.slots + slot
    lt.time[i] = at
    lt.tie[i] = cls * CLASS_SHIFT + this.queue.seq++
    lt.kind[i] = kind
    lt.arg[i] = b
    if (lt.dirtyMark[lane] === 0) {
      lt.dirtyMark[lane] = 1
      lt.dirty[lt.dirtyCount++] = lane
    }
  }

  private badTimer(lane: number, slot: number, at: number, cls: number): never {
    if (!(at >= this.now)) throw new RangeError(`event scheduled in the past: ${at} < ${this.now}`)
    if (!(slot >= 0 && slot < this.slots) || !(lane >= 0 && lane < this.timers.lanes)) throw new RangeError(`no timer ${lane}/${slot}`)
    throw new RangeError(`bad event class ${cls}`)
  }

  /** Disarm timer `slot` of lane `lane` (its event is never dispatched); returns whether it was armed. */
  clearTimer(lane: number, slot: number): boolean {
    if (slot < 0 || slot >= this.slots || lane < 0 || lane >= this.timers.lanes) throw new RangeError(`no timer ${lane}/${slot}`)
    return this.timers.disarm(lane, lane * this.slots + slot)
  }

  /** Whether timer `slot` of lane `lane` holds a pending event (the one being dispatched does not). */
  timerArmed(lane: number, slot: number): boolean {
    return this.timers.time[lane * this.slots + slot] !== Infinity
  }

  /** Events pending in either store. */
  get pending(): number {
    return this.queue.size + this.timers.armed
  }

  /**
   * Time of the earliest pending event in either store, the one being handled excluded (Infinity
   * if none). Lets a model settle work ahead when it knows that no event can come in between.
   */
  nextTime(): number {
    const q = this.queue
    const h = this.topPending ? q.peekTimeBelowTop() : q.size > 0 ? q.peekTime() : Infinity
    const lt = this.timers
    if (lt.lanes === 0) return h
    if (lt.stale) lt.flush()
    const wt = lt.time[lt.win[1]]
    return wt < h ? wt : h
  }

  /** Whether an event is pending at exactly time t > now (a scan of both stores: small models). */
  pendingAt(t: number): boolean {
    if (this.queue.hasTime(t)) return true
    const time = this.timers.time
    for (let i = 0; i < time.length; i++) if (time[i] === t) return true
    return false
  }

  /** Schedule an event at absolute time `at` (cycles, >= now). */
  schedule(at: number, cls: number, kind: number, a: number, b: number): void {
    if (at < this.now) throw new RangeError(`event scheduled in the past: ${at} < ${this.now}`)
    if (cls < 0 || cls > MAX_CLASS || cls === EventClass.ARRIVAL) throw new RangeError(`bad event class ${cls}`)
    if (this.topPending) {
      this.topPending = false
      this.queue.replaceTop(at, cls, kind, a, b)
    } else {
      this.queue.push(at, cls, kind, a, b)
    }
  }

  /**
   * Cancel a queued event, identified by its payload (kind, a, b), so that it is never dispatched;
   * returns whether one was found (the first match, in heap order: callers make payloads unique).
   * The event being handled is never matched. Nothing else changes: the other events keep their
   * (time, class, sequence) order and `events` does not count the cancelled one. O(queue size):
   * for a few obsolete events; per-core events are cheaper as per-lane timers (`clearTimer`).
   */
  cancel(kind: number, a: number, b: number): boolean {
    return this.queue.remove(kind, a, b, this.topPending ? 1 : 0)
  }

  /**
   * Run every event that precedes an arrival at time t, then set now = t.
   * Caller ensures t >= now.
   */
  advanceTo(t: number): void {
    const q = this.queue
    const h = this.handler!
    const lt = this.timers
    const time = lt.time
    const tie = lt.tie
    for (;;) {
      if (lt.dirtyCount > 0) lt.flush()
      const w = lt.win[1]
      const wt = time[w]
      if (q.size > 0) {
        const et = q.peekTime()
        if (et < wt || (et === wt && q.peekTie() < tie[w])) {
          if (et > t || (et === t && q.peekTie() > Engine.ARRIVAL_TIE)) break
          this.dispatchTop(q, h)
          continue
        }
      }
      if (wt > t || (wt === t && tie[w] > Engine.ARRIVAL_TIE)) break
      this.dispatchTimer(lt, w, h)
    }
    this.now = t
  }

  /** Run events until none is pending or the next event is later than `limit`. */
  drain(limit = Infinity): void {
    const q = this.queue
    const h = this.handler!
    const lt = this.timers
    for (;;) {
      if (lt.dirtyCount > 0) lt.flush()
      const w = lt.win[1]
      const wt = lt.time[w]
      if (q.size > 0) {
        const et = q.peekTime()
        if (et < wt || (et === wt && q.peekTie() < lt.tie[w])) {
          if (et > limit) break
          this.dispatchTop(q, h)
          continue
        }
      }
      if (wt === Infinity || wt > limit) break
      this.dispatchTimer(lt, w, h)
    }
  }

  /** Run timer w (the earliest event): disarm it, then call the handler. */
  private dispatchTimer(lt: LaneTimers, w: number, h: EventHandler): void {
    this.now = lt.time[w]
    this.events++
    const kind = lt.kind[w]
    const b = lt.arg[w]
    const lane = lt.laneOf[w]
    // LaneTimers.take, written out.
    lt.time[w] = Infinity
    if (lt.dirtyMark[lane] === 0) {
      lt.dirtyMark[lane] = 1
      lt.dirty[lt.dirtyCount++] = lane
    }
    h.handle(kind, lane, b)
  }

  /** Run the earliest event; its heap entry is reused by the handler's first schedule(). */
  private dispatchTop(q: EventQueue, h: EventHandler): void {
    q.readTop()
    this.now = q.poppedTime
    this.events++
    this.topPending = true
    h.handle(q.poppedKind, q.poppedA, q.poppedB)
    if (this.topPending) {
      this.topPending = false
      q.pop()
    }
  }
}
