/**
 * The machine of the dispatcher-based designs (shinjuku, concord, darc, c-fcfs, d-fcfs, jbsq):
 *
 *   NIC ──► networker core ──► dispatcher core ──hand-off──► worker mailboxes (JBSQ(k)) ──► reply
 *           (net_packet per     (dispatch_cost per event,          ▲ completion / preemption
 *            packet, FIFO)       FIFO single server)               └─ reports back to the dispatcher
 *
 * - The networker and the dispatcher are single servers: an item submitted at t is done at
 *   max(t, busy-until) + cost, in FIFO order, and its cost is charged to that core (`usage.net`).
 *   With a zero cost and nothing queued the item is handled at once (same cycle, no event).
 * - Dispatcher events: a new request, a completion report, a preemption report. Each is charged
 *   `dispatch_cost`; after each, the policy's dispatch pass sends queue heads to workers (the pass
 *   itself is included in the event's cost). Reports travel to the dispatcher without delay;
 *   requests travel to workers in `handoff_latency` (a delay, not busy time). A request sent to
 *   an idle worker is started at once for the cycle it arrives (no hand-off event); one sent to a
 *   busy worker (k >= 2) joins its mailbox when it arrives.
 * - A worker runs its mailbox in FIFO order. Without preemption a request runs to completion;
 *   with it, in slices of the quantum (see preemption.ts). Service time already run is tracked in
 *   `requests.work` (remaining cycles), and each slice's cycles are charged to the core that runs
 *   it when the slice starts, so `usage.app` sums to the service times exactly.
 * - The reply leaves when the worker finishes the request (workers transmit directly; no TX cost).
 *
 * A policy subclasses this and supplies its queues: `enqueue` (new and preempted requests),
 * `waiting`, and `dispatchPass` (which calls `send(worker, slot)`).
 */
import {type Engine, EventClass} from '../engine/engine.js'
import {IntQueue} from '../machine/int-queue.js'
import type {RequestTable} from '../machine/requests.js'
import type {Policy, SimContext} from '../policy.js'
import {type CoreLayout, coreLayout} from './layout.js'
import {AheadSends} from './ahead-sends.js'
import {Mailboxes} from './jbsq.js'
import {drawQuantum, type Preemption} from './preemption.js'

/** Event kinds. Subclasses use kinds >= FIRST_EXTRA_KIND for their own events. */
const NET_DONE = 0
const D_NEW = 1
const D_DONE = 2
const D_PREEMPT = 3
const RECV = 4
const SLICE_END = 5
const YIELDED = 6
export const FIRST_EXTRA_KIND = 16

/** Fold modes (see `toDispatcher`). */
const FOLD_NONE = 0
const FOLD_ALWAYS = 1
const FOLD_CLEAR = 2
const FOLD_UNTIED = 3

export interface DispatchedOptions {
  /** Policy name, for messages. */
  name: string
  /** A dedicated networker core (core 0). */
  networker: boolean
  /** A dedicated dispatcher core; without one, dispatching is free and instantaneous. */
  dispatcher: boolean
  /** Mailbox bound per worker (JBSQ(k)); Infinity = unbounded. */
  k: number
  /** Workers report completions to the dispatcher (each report is a dispatcher event). */
  reportCompletions: boolean
  /** Preemption settings, or null for run to completion. */
  preemption: Preemption | null
  /** Instrumentation overhead added to every service time (fraction, e.g. 0.02). */
  probeOverhead?: number
  /**
   * Handle dispatcher events when they are submitted instead of as engine events where that is
   * exact (see `toDispatcher`; k = 1 with a dispatcher only). Default true; false: the event form.
   */
  fold?: boolean
}

export abstract class DispatchedServer implements Policy {
  protected readonly layout: CoreLayout
  /** Number of workers. */
  protected readonly workers: number
  protected readonly boxes: Mailboxes
  /** Slot running on each worker, -1 = none. */
  protected readonly running: Int32Array
  /** Cycle the current slice of each worker ends. */
  protected readonly sliceEnd: Float64Array
  private readonly sliceLen: Float64Array
  /** 1 while a worker pays a preemption cost. */
  private readonly yielding: Uint8Array
  /** Requests handed to a worker, not yet started (FIFO; the running one excluded). */
  private readonly mailbox: IntQueue[] = []
  private readonly netCost: number
  protected readonly dispCost: number
  private readonly handoff: number
  private netBusy = 0
  private netPending = 0
  /** Cycle the dispatcher finishes what it has been given so far. */
  protected dispBusy = 0
  /** Dispatcher events scheduled and not yet handled. */
  protected dispPending = 0
  /** Time of the dispatcher event being handled (engine.now, or its folded time). */
  protected dNow = 0
  /** FOLD_NONE, FOLD_ALWAYS, FOLD_UNTIED or FOLD_CLEAR (see `toDispatcher`). */
  private readonly fold: number
  /** Completions scheduled ahead of their dispatcher event's time (null without fold). */
  private readonly ahead: AheadSends | null
  private readonly probe: number
  private readonly cPreempt: number
  private readonly cDispEvents: number
  // Read per event: kept as own fields (one load each, not two through `opts`/`layout`/`ctx`).
  private readonly preemption: Preemption | null
  private readonly reportCompletions: boolean
  private readonly hasNetworker: boolean
  private readonly hasDispatcher: boolean
  private readonly firstWorker: number
  private readonly engine: Engine
  private readonly req: RequestTable
  private readonly useApp: Float64Array
  private readonly useNet: Float64Array

  constructor(
    protected readonly ctx: SimContext,
    protected readonly opts: DispatchedOptions,
  ) {
    const m = ctx.machine
    this.layout = coreLayout(opts.name, m.cores, opts.networker, opts.dispatcher)
    const W = (this.workers = this.layout.workers)
    this.boxes = new Mailboxes(W, opts.k)
    this.running = new Int32Array(W).fill(-1)
    this.sliceEnd = new Float64Array(W)
    this.sliceLen = new Float64Array(W)
    this.yielding = new Uint8Array(W)
    for (let w = 0; w < W; w++) this.mailbox.push(new IntQueue(opts.k === Infinity ? 64 : 4))
    this.netCost = opts.networker ? (m.costs.net_packet ?? 0) : 0
    this.dispCost = opts.dispatcher ? (m.costs.dispatch_cost ?? 0) : 0
    this.handoff = opts.dispatcher ? (m.costs.handoff_latency ?? 0) : 0
    this.probe = opts.probeOverhead ?? 0
    this.cPreempt = opts.preemption !== null ? ctx.counters.define('preemptions') : -1
    this.cDispEvents = ctx.counters.define('dispatcher_events')
    this.preemption = opts.preemption
    this.reportCompletions = opts.reportCompletions
    this.hasNetworker = opts.networker
    this.hasDispatcher = opts.dispatcher
    this.firstWorker = this.layout.firstWorker
    this.engine = ctx.engine
    this.req = ctx.requests
    this.useApp = ctx.usage.app
    this.useNet = ctx.usage.net
    const foldable = opts.fold !== false && opts.dispatcher && opts.k === 1
    this.fold = !foldable ? FOLD_NONE : opts.preemption === null ? FOLD_ALWAYS : opts.preemption.pendingOnly ? FOLD_CLEAR : FOLD_UNTIED
    this.ahead = foldable ? new AheadSends(W, ctx.engine, SLICE_END, this.running, this.sliceEnd) : null
  }

  /** Put a new or preempted request (with its original arrival time) into the central queues. */
  protected abstract enqueue(slot: number): void
  /** Requests in the central queues. */
  protected abstract waiting(): number
  /** Send queue heads to workers while some can take them (call `send`). */
  protected abstract dispatchPass(): void
  /** Called after each dispatcher event and its dispatch pass (concord's self-work). */
  protected afterDispatch(): void {}
  /** Events of kind >= FIRST_EXTRA_KIND. */
  protected handleExtra(kind: number, _a: number, _b: number): void {
    throw new Error(`${this.opts.name}: unknown event kind ${kind}`)
  }

  arrive(slot: number): void {
    const now = this.engine.now
    if (!this.hasNetworker || (this.netCost === 0 && this.netPending === 0 && this.netBusy <= now)) {
      this.toDispatcher(D_NEW, slot, 0, now)
      return
    }
    const t = (this.netBusy > now ? this.netBusy : now) + this.netCost
    this.netBusy = t
    this.useNet[this.layout.networker] += this.netCost
    if (this.fold === FOLD_ALWAYS && this.netPending === 0 && this.engine.nextTime() > t) {
      // No pending event precedes the networker's hand-off at t, and none can be created before
      // it (what this request starts ends after t, later arrivals queue behind it): nothing
      // reaches the dispatcher before it, so it is handled now, as of t (no NET_DONE event).
      this.toDispatcher(D_NEW, slot, 0, t)
      return
    }
    this.netPending++
    this.schedule(t, NET_DONE, slot, 0)
  }

  /** Schedule a FINISH event at the current instant (through AheadSends under fold). */
  private schedule(t: number, kind: number, a: number, b: number): void {
    if (this.ahead !== null) this.ahead.schedule(t, kind, a, b)
    else this.engine.schedule(t, EventClass.FINISH, kind, a, b)
  }

  handle(kind: number, a: number, b: number): void {
    switch (kind) {
      case NET_DONE:
        this.netPending--
        this.toDispatcher(D_NEW, a, 0, this.engine.now)
        return
      case D_NEW:
      case D_DONE:
      case D_PREEMPT:
        this.dispPending--
        this.dispatcherEvent(kind, a, b, this.engine.now)
        return
      case RECV:
        this.recv(a, b)
        return
      case SLICE_END:
        this.sliceDone(a)
        return
      case YIELDED:
        this.yielded(a, b)
        return
      default:
        this.handleExtra(kind, a, b)
    }
  }

  /**
   * Submit an event to the dispatcher (FIFO single server) at `now` (>= engine.now). Folded, the
   * dispatcher handles it at once, as of the time t it would be done. With k = 1 and no
   * preemption (FOLD_ALWAYS) that is exact: its state (queues, mailbox counts) changes only
   * through its own events, which it handles in submission order either way, and a worker it
   * sends to is idle from its report until then. With preemption at every quantum (FOLD_UNTIED),
   * where nothing but the dispatcher reads its state either, when no other dispatcher event is
   * pending and no event is pending at exactly t (one would run before the dispatcher event in
   * the event form, scheduled earlier at the same cycle: see AheadSends). With preempt=pending
   * (FOLD_CLEAR), where a slice end reads the queues, only when no event is pending before t:
   * then nothing but the networker runs until t. What it starts is scheduled ahead of t;
   * AheadSends keeps those completions in the event form's order.
   */
  private toDispatcher(kind: number, a: number, b: number, now: number): void {
    this.ctx.counters.values[this.cDispEvents]++
    if (!this.hasDispatcher || (this.dispCost === 0 && this.dispPending === 0 && this.dispBusy <= now)) {
      this.dispatcherEvent(kind, a, b, now)
      return
    }
    const t = (this.dispBusy > now ? this.dispBusy : now) + this.dispCost
    this.dispBusy = t
    this.useNet[this.layout.dispatcher] += this.dispCost
    const fold = this.fold
    if (
      fold === FOLD_ALWAYS ||
      (fold === FOLD_UNTIED && this.dispPending === 0 && !this.engine.pendingAt(t)) ||
      (fold === FOLD_CLEAR && this.dispPending === 0 && this.engine.nextTime() > t)
    ) {
      this.dispatcherEvent(kind, a, b, t)
      return
    }
    this.dispPending++
    this.schedule(t, kind, a, b)
  }

  private dispatcherEvent(kind: number, a: number, b: number, now: number): void {
    this.dNow = now
    if (kind === D_NEW) {
      this.enqueue(a)
    } else {
      this.boxes.release(a)
      if (kind === D_PREEMPT) this.enqueue(b)
    }
    this.dispatchPass()
    this.afterDispatch()
  }

  /** Hand a request to worker w (counts against its JBSQ bound); it arrives after the hand-off. */
  protected send(w: number, slot: number): void {
    this.boxes.take(w)
    let now = this.engine.now
    if (this.ahead !== null) {
      now = this.dNow
      if (this.running[w] !== -1 || this.yielding[w] !== 0) throw new Error(`${this.opts.name}: folded dispatcher sent to busy worker ${w}`)
      this.ahead.sent(w, now)
    }
    if (this.running[w] === -1 && this.yielding[w] === 0) {
      // An idle worker (its mailbox is then empty) starts the request as it arrives: no event
      // for the hand-off itself. Anything sent to it meanwhile queues behind.
      this.runSlice(w, slot, now + this.handoff, now > this.engine.now)
    } else if (this.handoff === 0) {
      this.mailbox[w].push(slot)
    } else {
      this.schedule(now + this.handoff, RECV, w, slot)
    }
  }

  private recv(w: number, slot: number): void {
    if (this.running[w] === -1 && this.yielding[w] === 0) this.runSlice(w, slot, this.engine.now, false)
    else this.mailbox[w].push(slot)
  }

  /**
   * Start (or continue) `slot` on worker w for one slice, at cycle `now` (>= engine.now); `ahead`:
   * sent by a folded dispatcher event handled ahead of its time (see AheadSends).
   */
  private runSlice(w: number, slot: number, now: number, ahead: boolean): void {
    const r = this.req
    const core = this.firstWorker + w
    if (r.start[slot] < 0) {
      r.start[slot] = now
      if (this.probe > 0) r.work[slot] = Math.max(1, Math.round(r.service[slot] * (1 + this.probe)))
    }
    r.core[slot] = core
    let len = r.work[slot]
    const p = this.preemption
    if (p !== null && len > p.quantum) {
      const q = drawQuantum(p, this.ctx.rng)
      if (len > q) len = q
    }
    this.running[w] = slot
    this.sliceLen[w] = len
    this.sliceEnd[w] = now + len
    this.useApp[core] += len
    if (ahead) this.engine.schedule(now + len, EventClass.FINISH, SLICE_END, w, 0)
    else this.schedule(now + len, SLICE_END, w, 0)
  }

  private sliceDone(w: number): void {
    const r = this.req
    const now = this.engine.now
    const slot = this.running[w]
    const left = r.work[slot] - this.sliceLen[w]
    r.work[slot] = left
    if (left <= 0) {
      this.running[w] = -1
      this.ctx.recorder.complete(slot, now)
      this.startNext(w)
      if (this.reportCompletions) this.toDispatcher(D_DONE, w, 0, now)
      return
    }
    const p = this.preemption!
    if (p.pendingOnly && this.mailbox[w].size === 0 && this.waiting() === 0) {
      this.runSlice(w, slot, now, false) // nothing waits: keep running, no cost
      return
    }
    this.ctx.counters.values[this.cPreempt]++
    this.running[w] = -1
    if (p.cost > 0) {
      this.yielding[w] = 1
      this.useNet[this.firstWorker + w] += p.cost
      this.schedule(now + p.cost, YIELDED, w, slot)
    } else {
      this.yielded(w, slot)
    }
  }

  /** The preempted request's context is saved: report it, and run the next one in the mailbox. */
  private yielded(w: number, slot: number): void {
    this.yielding[w] = 0
    this.startNext(w)
    this.toDispatcher(D_PREEMPT, w, slot, this.engine.now)
  }

  /** Local mailbox first (a JBSQ worker starts its next request without the dispatcher). */
  private startNext(w: number): void {
    const mb = this.mailbox[w]
    if (this.running[w] === -1 && this.yielding[w] === 0 && mb.size > 0) this.runSlice(w, mb.shift(), this.engine.now, false)
  }

  metrics(): Record<string, number> {
    return {workers: this.workers}
  }

  finish(): void {
    let held = 0
    for (let w = 0; w < this.workers; w++) {
      if (this.running[w] !== -1 || this.yielding[w] !== 0 || this.mailbox[w].size !== 0) {
        throw new Error(`${this.opts.name}: worker ${w} still holds work after the drain`)
      }
      held += this.boxes.held[w]
    }
    if (this.waiting() !== 0 || (this.opts.reportCompletions && held !== 0)) {
      throw new Error(`${this.opts.name}: ${this.waiting()} requests queued and ${held} held after the drain`)
    }
  }
}
