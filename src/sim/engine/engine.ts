/**
 * The discrete-event engine: an integer-cycle clock and an event queue. It knows nothing of
 * policies: it calls one `EventHandler` with (kind, a, b) for each event, in (time, class,
 * sequence) order. Arrivals are not queued as events: the run loop (src/sim/simulate.ts) feeds them
 * from the trace in order and calls `advanceTo(t)` first, which runs every event that precedes an
 * arrival at t.
 *
 * Equal-time order (documented contract): events of class < ARRIVAL_CLASS run before an arrival
 * at the same cycle, events of class > ARRIVAL_CLASS after it; within a class, in scheduling order;
 * arrivals among themselves in trace order.
 */
import {CLASS_SHIFT, EventQueue, MAX_CLASS} from './event-queue.js'

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
   * for policies with a few events per core that would otherwise dispatch no-op stale events.
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
    while (q.size > 0) {
      const et = q.peekTime()
      if (et > t || (et === t && q.peekTie() > Engine.ARRIVAL_TIE)) break
      this.dispatchTop(q, h)
    }
    this.now = t
  }

  /** Run events until the queue is empty or the next event is later than `limit`. */
  drain(limit = Infinity): void {
    const q = this.queue
    const h = this.handler!
    while (q.size > 0 && q.peekTime() <= limit) this.dispatchTop(q, h)
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
