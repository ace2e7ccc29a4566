/**
 * `concord` — Concord (Iyer et al., SOSP'23): Shinjuku's structure (networker and dispatcher cores,
 * one central FIFO, preemption every q) with three changes:
 *  1. JBSQ(2) mailboxes: a worker holds up to two requests and starts its second one without a
 *     round trip to the dispatcher;
 *  2. cooperative preemption: the worker yields at its next probe after q, costing `preempt_yield`
 *     (0.1 µs), with an optional jitter |N(0, σ)| on the slice; `probe` adds an instrumentation
 *     overhead to every service time (a fraction, default 0);
 *  3. the dispatcher works: when it has nothing to handle, requests wait that no worker can take,
 *     and the slack until the next worker deadline (the earliest end of a running slice) exceeds
 *     q/10, it runs the head request itself in a slice ending at that deadline. Events that reach
 *     the dispatcher meanwhile wait for the slice to end (and for its yield, if the request did
 *     not finish: it goes back to the tail of the queue).
 */
import {EventClass} from '../engine/engine.js'
import {CentralFifoServer} from '../mechanisms/central-fifo.js'
import {FIRST_EXTRA_KIND} from '../mechanisms/dispatched.js'
import {type Preemption, preemptionFrom, preemptionOptions} from '../mechanisms/preemption.js'
import type {PolicyDef, PolicyOptionValue, SimContext} from '../policy.js'

const SELF_END = FIRST_EXTRA_KIND
const SELF_YIELDED = FIRST_EXTRA_KIND + 1

class Concord extends CentralFifoServer {
  private readonly pre: Preemption
  private readonly selfWork: boolean
  /** Request the dispatcher runs itself, -1 = none; length of its current slice. */
  private selfSlot = -1
  private selfLen = 0
  private readonly cSelf: number

  constructor(ctx: SimContext, o: Readonly<Record<string, PolicyOptionValue>>) {
    const preemption = preemptionFrom('concord', ctx.machine, o, 'preempt_yield')
    super(ctx, {
      name: 'concord',
      networker: true,
      dispatcher: true,
      k: 2,
      reportCompletions: true,
      preemption,
      probeOverhead: o.probe as number,
    })
    this.pre = preemption
    this.selfWork = o.self === 'on'
    this.cSelf = ctx.counters.define('dispatcher_slices')
  }

  protected override afterDispatch(): void {
    if (!this.selfWork || this.selfSlot >= 0 || this.queue.size === 0 || this.boxes.room > 0) return
    const ctx = this.ctx
    const now = ctx.engine.now
    if (this.dispPending > 0 || this.dispBusy > now) return
    let deadline = Infinity
    for (let w = 0; w < this.workers; w++) if (this.running[w] >= 0 && this.sliceEnd[w] < deadline) deadline = this.sliceEnd[w]
    const slack = deadline - now
    if (!(slack > this.pre.quantum / 10) || slack === Infinity) return
    const r = ctx.requests
    const slot = this.queue.shift()
    const core = this.layout.dispatcher
    if (r.start[slot] < 0) {
      r.start[slot] = now
      const probe = this.opts.probeOverhead ?? 0
      if (probe > 0) r.work[slot] = Math.max(1, Math.round(r.service[slot] * (1 + probe)))
    }
    r.core[slot] = core
    const work = r.work[slot]
    const len = work < slack ? work : slack
    const done = len === work
    this.selfSlot = slot
    this.selfLen = len
    ctx.usage.app[core] += len
    ctx.counters.values[this.cSelf]++
    // The dispatcher is busy for the slice, and for the yield if the request does not finish.
    const cost = done ? 0 : this.pre.cost
    ctx.usage.net[core] += cost
    this.dispBusy = now + len + cost
    ctx.engine.schedule(now + len, EventClass.FINISH, SELF_END, slot, done ? 1 : 0)
  }

  protected override handleExtra(kind: number, slot: number, done: number): void {
    const ctx = this.ctx
    if (kind === SELF_END) {
      ctx.requests.work[slot] -= this.selfLen
      if (done === 1) {
        this.selfSlot = -1
        ctx.recorder.complete(slot, ctx.engine.now)
      } else if (this.pre.cost > 0) {
        ctx.engine.schedule(ctx.engine.now + this.pre.cost, EventClass.FINISH, SELF_YIELDED, slot, 0)
        return
      } else {
        this.selfSlot = -1
        this.enqueue(slot)
      }
    } else if (kind === SELF_YIELDED) {
      this.selfSlot = -1
      this.enqueue(slot)
    } else {
      super.handleExtra(kind, slot, done)
    }
    // Back to dispatching, unless events queued up meanwhile (they will run the pass).
    if (this.dispPending === 0) {
      this.dispatchPass()
      this.afterDispatch()
    }
  }

  override finish(): void {
    if (this.selfSlot >= 0) throw new Error('concord: the dispatcher still runs a request after the drain')
    super.finish()
  }
}

export const concord: PolicyDef = {
  name: 'concord',
  summary: 'Concord: Shinjuku with JBSQ(2) mailboxes, cheap cooperative preemption, and a dispatcher that runs requests when it has slack',
  family: 'system',
  options: [
    ...preemptionOptions(5, 'always'),
    {name: 'probe', description: 'instrumentation overhead of the preemption probes, a fraction added to every service time', default: 0, min: 0, max: 1},
    {name: 'self', description: 'on: the dispatcher runs requests itself when its slack to the next worker deadline exceeds q/10', default: 'on', choices: ['on', 'off']},
  ],
  create: (ctx, o) => new Concord(ctx, o),
}
