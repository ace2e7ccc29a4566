/**
 * `n-mg1-fcfs` — n×M/G/1: one FIFO per core, no sharing (docs/model.md §4), zero overhead, no
 * network. Which queue a request joins is the `assignment` (src/sim/mechanisms/assignment.ts):
 * `rss` (default: by connection, the connection's home core), `random` (as in the paper's model
 * figure: schedsim sends every request to a random queue), `rr`, `jsq`, `jsq` with `d=D` (power
 * of D choices), `jsq-work` (an oracle: least unfinished work) and `jbsq` with `k=K` (a central
 * queue behind per-core queues bounded at K; the JBSQ mechanism shared with the dispatcher
 * policies).
 *
 * Two implementations: `method=events` (one engine event per request, the reference) and
 * `method=recursion` (the default, Lindley's recursion per queue, no events). The recursion is
 * exact for every assignment but jbsq, which always runs on events.
 */
import {EventClass} from '../engine/engine.js'
import {IntQueue} from '../machine/int-queue.js'
import {Assignment, type AssignmentChoice, JBSQ, JSQ, JSQ_D, type QueueState, assignmentChoice, assignmentOptionDefs} from '../mechanisms/assignment.js'
import {CentralFifoServer} from '../mechanisms/central-fifo.js'
import {type Policy, type PolicyDef, type SimContext, arriveFromSlot} from '../policy.js'

const NAME = 'n-mg1-fcfs'
const DONE = 0

class NMg1Fcfs implements Policy, QueueState {
  private readonly queues: IntQueue[] = []
  private readonly running: Int32Array
  /** Cycle at which each queue will be empty (for jsq-work). */
  private readonly free: Float64Array
  private readonly assign: Assignment

  constructor(
    private readonly ctx: SimContext,
    choice: AssignmentChoice,
  ) {
    const n = ctx.machine.cores
    for (let c = 0; c < n; c++) this.queues.push(new IntQueue(64))
    this.running = new Int32Array(n).fill(-1)
    this.free = new Float64Array(n)
    this.assign = new Assignment(choice, ctx.machine, ctx.rng)
  }

  held(q: number): number {
    return this.queues[q].size + (this.running[q] >= 0 ? 1 : 0)
  }

  work(q: number): number {
    const left = this.free[q] - this.ctx.engine.now
    return left > 0 ? left : 0
  }

  arrive(slot: number): void {
    const ctx = this.ctx
    const r = ctx.requests
    const q = this.assign.pick(r.conn[slot], this)
    r.queue[slot] = q
    const now = ctx.engine.now
    this.free[q] = (this.free[q] > now ? this.free[q] : now) + r.service[slot]
    if (this.running[q] === -1) this.start(q, slot)
    else this.queues[q].push(slot)
  }

  handle(kind: number, core: number): void {
    const ctx = this.ctx
    ctx.recorder.complete(this.running[core], ctx.engine.now)
    this.running[core] = -1
    const q = this.queues[core]
    if (q.size > 0) this.start(core, q.shift())
  }

  private start(core: number, slot: number): void {
    const ctx = this.ctx
    const r = ctx.requests
    const now = ctx.engine.now
    const s = r.service[slot]
    r.core[slot] = core
    r.start[slot] = now
    ctx.usage.app[core] += s
    this.running[core] = slot
    ctx.engine.schedule(now + s, EventClass.FINISH, DONE, core, 0)
  }

  finish(): void {
    for (let c = 0; c < this.queues.length; c++) {
      if (this.queues[c].size !== 0 || this.running[c] !== -1) throw new Error(`n-mg1-fcfs: queue ${c} not empty after the drain`)
    }
  }
}

/**
 * The completion cycles of the requests each queue accepted, oldest first, for jsq by count in
 * the recursion: a queue holds the requests whose completion is later than now (a completion at
 * the arrival's own cycle has left: the event path handles completions before arrivals). The
 * ends of one queue increase, so the finished ones are dropped from the front when the queue is
 * looked at; a queue is only pushed to when it is looked at, so each ring stays within the
 * queue's length plus one.
 */
class EndRings {
  /** Queue q's ring is buf[q·cap, (q + 1)·cap); cap is a power of two, doubled for all when one is full. */
  private buf: Float64Array
  private cap = 16
  private readonly head: Int32Array
  private readonly size: Int32Array

  constructor(private readonly n: number) {
    this.buf = new Float64Array(n * this.cap)
    this.head = new Int32Array(n)
    this.size = new Int32Array(n)
  }

  /** Requests of queue q not finished at `now`. */
  held(q: number, now: number): number {
    const b = this.buf
    const base = q * this.cap
    const mask = this.cap - 1
    let h = this.head[q]
    let k = this.size[q]
    while (k > 0 && b[base + h] <= now) {
      h = (h + 1) & mask
      k--
    }
    this.head[q] = h
    this.size[q] = k
    return k
  }

  push(q: number, end: number): void {
    const k = this.size[q]
    if (k === this.cap) this.grow()
    this.buf[q * this.cap + ((this.head[q] + k) & (this.cap - 1))] = end
    this.size[q] = k + 1
  }

  private grow(): void {
    const old = this.buf
    const c = this.cap
    this.buf = new Float64Array(this.n * 2 * c)
    for (let q = 0; q < this.n; q++) {
      for (let i = 0; i < this.size[q]; i++) this.buf[q * 2 * c + i] = old[q * c + ((this.head[q] + i) & (c - 1))]
      this.head[q] = 0
    }
    this.cap = 2 * c
  }
}

/**
 * The same model by Lindley's recursion: with one FIFO per core and zero overhead, a request
 * starts at max(its arrival, the end of the previous request of its queue), so its completion is
 * known at its arrival and no event is needed. Identical results to `NMg1Fcfs` (the tests compare
 * them request by request); per-request records come out in arrival order instead of completion
 * order. The queue state jsq reads is exact here too: a queue's unfinished work at t is
 * max(0, its end − t) and it holds the requests it accepted that end after t.
 */
class NMg1FcfsRecursion implements Policy, QueueState {
  /** Cycle at which each queue's core finishes the last request it accepted. */
  private readonly free: Float64Array
  private readonly assign: Assignment
  private readonly ends: EndRings | null
  /** The current arrival's cycle, for `held` and `work`. */
  private now = 0

  constructor(
    private readonly ctx: SimContext,
    choice: AssignmentChoice,
  ) {
    this.free = new Float64Array(ctx.machine.cores)
    this.assign = new Assignment(choice, ctx.machine, ctx.rng)
    this.ends = choice.mode === JSQ || choice.mode === JSQ_D ? new EndRings(ctx.machine.cores) : null
  }

  held(q: number): number {
    return this.ends!.held(q, this.now)
  }

  work(q: number): number {
    const left = this.free[q] - this.now
    return left > 0 ? left : 0
  }

  arrive(slot: number): void {
    arriveFromSlot(this, this.ctx.requests, slot)
  }

  arriveDirect(seq: number, now: number, s: number, conn: number, type: number): void {
    const ctx = this.ctx
    this.now = now
    const q = this.assign.pick(conn, this)
    const f = this.free[q]
    const start = f > now ? f : now
    const end = start + s
    this.free[q] = end
    if (this.ends !== null) this.ends.push(q, end)
    ctx.usage.app[q] += s
    ctx.recorder.completeRequest(seq, now, conn, type, q, q, start, end, s)
  }

  handle(): void {
    throw new Error('n-mg1-fcfs (recursion) schedules no events')
  }
}

/** assignment=jbsq:k=K: the JBSQ mechanism with no dedicated cores and zero overhead. */
class NMg1Jbsq extends CentralFifoServer {
  constructor(ctx: SimContext, k: number) {
    super(ctx, {name: NAME, networker: false, dispatcher: false, k, reportCompletions: true, preemption: null})
  }
}

export const nMg1Fcfs: PolicyDef = {
  name: NAME,
  summary: 'n×M/G/1: one FIFO per core, requests assigned by connection (rss), at random, round robin, JSQ, power of d, least work or JBSQ(k) (zero overhead)',
  family: 'theory',
  options: [
    ...assignmentOptionDefs(
      ['rss', 'random', 'rr', 'jsq', 'jsq-work', 'jbsq'],
      'rss: by connection hash; random: uniformly random queue; rr: round robin; jsq: fewest requests (d=D: of D sampled queues); jsq-work: least unfinished work (an oracle: knows service times at dispatch); jbsq (k=K): central queue, per-core bound K',
    ),
    {name: 'method', description: 'recursion: Lindley recursion per queue (fast; jbsq always runs on events); events: one engine event per request (reference)', default: 'recursion', choices: ['recursion', 'events']},
  ],
  create: (ctx, o) => {
    const choice = assignmentChoice(NAME, o, ctx.machine.cores)
    if (choice.mode === JBSQ) return new NMg1Jbsq(ctx, choice.k)
    return o.method === 'events' ? new NMg1Fcfs(ctx, choice) : new NMg1FcfsRecursion(ctx, choice)
  },
}
