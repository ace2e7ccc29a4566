/**
 * `n-mg1-fcfs` — n×M/G/1: one FIFO per core, no sharing (docs/model.md §4). Assignment:
 *  - `rss` (default): by connection, through the machine's RSS hash (the connection's home core);
 *  - `random`: each request to a uniformly random queue, as in the paper's model figure
 *    (schedsim sends every request to a random queue).
 * Zero overhead, no network.
 */
import {EventClass} from '../engine/engine.js'
import {IntQueue} from '../machine/int-queue.js'
import {type Policy, type PolicyDef, type SimContext, arriveFromSlot} from '../policy.js'

const DONE = 0

class NMg1Fcfs implements Policy {
  private readonly queues: IntQueue[] = []
  private readonly running: Int32Array
  private readonly random: boolean

  constructor(
    private readonly ctx: SimContext,
    assignment: string,
  ) {
    const n = ctx.machine.cores
    for (let c = 0; c < n; c++) this.queues.push(new IntQueue(64))
    this.running = new Int32Array(n).fill(-1)
    this.random = assignment === 'random'
  }

  arrive(slot: number): void {
    const ctx = this.ctx
    const q = this.random ? ctx.rng.int(ctx.machine.cores) : ctx.machine.homeQueue(ctx.requests.conn[slot])
    ctx.requests.queue[slot] = q
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
 * The same model by Lindley's recursion: with one FIFO per core and zero overhead, a request
 * starts at max(its arrival, the end of the previous request of its queue), so its completion is
 * known at its arrival and no event is needed. Identical results to `Events` (the tests compare
 * them request by request); per-request records come out in arrival order instead of completion
 * order.
 */
class NMg1FcfsRecursion implements Policy {
  /** Cycle at which each queue's core finishes the last request it accepted. */
  private readonly free: Float64Array
  private readonly random: boolean

  constructor(
    private readonly ctx: SimContext,
    assignment: string,
  ) {
    this.free = new Float64Array(ctx.machine.cores)
    this.random = assignment === 'random'
  }

  arrive(slot: number): void {
    arriveFromSlot(this, this.ctx.requests, slot)
  }

  arriveDirect(seq: number, now: number, s: number, conn: number, type: number): void {
    const ctx = this.ctx
    const q = this.random ? ctx.rng.int(ctx.machine.cores) : ctx.machine.homeQueue(conn)
    const f = this.free[q]
    const start = f > now ? f : now
    const end = start + s
    this.free[q] = end
    ctx.usage.app[q] += s
    ctx.recorder.completeRequest(seq, now, conn, type, q, q, start, end, s)
  }

  handle(): void {
    throw new Error('n-mg1-fcfs (recursion) schedules no events')
  }
}

export const nMg1Fcfs: PolicyDef = {
  name: 'n-mg1-fcfs',
  summary: 'n×M/G/1: one FIFO per core, requests assigned by connection (rss) or at random (zero overhead)',
  family: 'theory',
  options: [
    {name: 'assignment', description: 'rss: by connection hash; random: uniformly random queue per request', default: 'rss', choices: ['rss', 'random']},
    {name: 'method', description: 'recursion: Lindley recursion per queue (fast); events: one engine event per request (reference)', default: 'recursion', choices: ['recursion', 'events']},
  ],
  create: (ctx, o) => (o.method === 'events' ? new NMg1Fcfs(ctx, String(o.assignment)) : new NMg1FcfsRecursion(ctx, String(o.assignment))),
}
