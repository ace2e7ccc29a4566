/**
 * `mgn-fcfs` — M/G/n: one central FIFO; the first free core takes the head (docs/model.md §4).
 * Zero overhead, no network: a request is served as soon as a core is free, and its reply leaves
 * at the end of service. Free cores are kept on a stack and the most recently freed core is taken
 * first (deterministic, O(1); with zero overhead the choice of core does not affect latency).
 *
 * Invariant (work conservation): no core is idle while the queue is non-empty.
 */
import {EventClass} from '../engine/engine.js'
import {IntQueue} from '../machine/int-queue.js'
import {type Policy, type PolicyDef, type SimContext, arriveFromSlot} from '../policy.js'

const DONE = 0

class MgnFcfs implements Policy {
  private readonly waiting = new IntQueue(1024)
  /** Slot running on each core, -1 = idle. */
  private readonly running: Int32Array
  /** Stack of idle cores; `idle` is its height. */
  private readonly idleStack: Int32Array
  private idle: number

  constructor(private readonly ctx: SimContext) {
    const n = ctx.machine.cores
    this.running = new Int32Array(n).fill(-1)
    this.idleStack = new Int32Array(n)
    for (let i = 0; i < n; i++) this.idleStack[i] = n - 1 - i // core 0 on top
    this.idle = n
  }

  arrive(slot: number): void {
    if (this.idle > 0) {
      this.start(this.idleStack[--this.idle], slot)
    } else {
      this.waiting.push(slot)
    }
  }

  handle(kind: number, core: number): void {
    // kind === DONE: the request on `core` finishes.
    const ctx = this.ctx
    ctx.recorder.complete(this.running[core], ctx.engine.now)
    this.running[core] = -1
    if (this.waiting.size > 0) this.start(core, this.waiting.shift())
    else this.idleStack[this.idle++] = core
  }

  private start(core: number, slot: number): void {
    const ctx = this.ctx
    const r = ctx.requests
    const now = ctx.engine.now
    const s = r.service[slot]
    r.core[slot] = core
    r.queue[slot] = 0
    r.start[slot] = now
    ctx.usage.app[core] += s
    this.running[core] = slot
    ctx.engine.schedule(now + s, EventClass.FINISH, DONE, core, 0)
  }

  finish(): void {
    if (this.waiting.size !== 0 || this.idle !== this.ctx.machine.cores) {
      throw new Error(`mgn-fcfs: ${this.waiting.size} requests left waiting after the drain`)
    }
  }
}

/**
 * The same model without engine events (the Kiefer–Wolfowitz recursion): with one FIFO and zero
 * overhead, requests start in arrival order, each on the first core to become free, so a
 * request's core, start and completion are all known at its arrival.
 *
 * It reproduces `MgnFcfs` exactly, core choice included (the tests compare the two request by
 * request): cores whose work ends by `now` move onto the same idle stack, in the order the event
 * version dispatches their completions ((end, trace index of the request) ascending); an arrival
 * takes the top of that stack (the most recently freed core) or, when no core is idle, the core
 * that finishes first (start = its end). It takes requests through `arriveDirect` (no slot).
 *
 * Busy cores are kept sorted by (end, index) in an array window [head, head + busy): the earliest
 * leaves from the front; a new end is inserted by scanning from the back (for exponential service
 * it lands at a uniformly random rank, half the window on average; for low-variance service near
 * the back), and the window is moved back to 0 when it reaches the end of the array. Measured at
 * 16 cores, this beat a binary heap of busy cores (8.3 vs 6.9 M req/s), whose sift-down compares
 * branch unpredictably; its worst case is O(cores) per request, so on many cores `method=events`
 * (O(log cores)) may be faster.
 */
class MgnFcfsRecursion implements Policy {
  private readonly bEnd: Float64Array
  private readonly bCore: Int32Array
  private head = 0
  private busy = 0
  private readonly idleStack: Int32Array
  private idle: number

  constructor(private readonly ctx: SimContext) {
    const n = ctx.machine.cores
    const cap = 4 * n + 4
    this.bEnd = new Float64Array(cap)
    this.bCore = new Int32Array(cap)
    this.idleStack = new Int32Array(n)
    for (let i = 0; i < n; i++) this.idleStack[i] = n - 1 - i // core 0 on top, as in MgnFcfs
    this.idle = n
  }

  arrive(slot: number): void {
    arriveFromSlot(this, this.ctx.requests, slot)
  }

  arriveDirect(seq: number, now: number, s: number, conn: number, type: number): void {
    const bEnd = this.bEnd
    const bCore = this.bCore
    const stack = this.idleStack
    // The window and stack heights live in locals in the hot path and are written back once.
    let head = this.head
    let busy = this.busy
    let idle = this.idle
    // Work that ends by now (inclusive: a completion precedes an arrival at the same cycle)
    // frees its core.
    while (busy > 0 && bEnd[head] <= now) {
      stack[idle++] = bCore[head++]
      busy--
    }
    let core: number
    let start: number
    if (idle > 0) {
      core = stack[--idle]
      start = now
    } else {
      core = bCore[head]
      start = bEnd[head++]
      busy--
    }
    const end = start + s
    // Insert (end, core), keeping the window sorted by (end, trace index): the new request has
    // the largest trace index so far, so it goes after every core with the same end. First move
    // the window back to 0 when it reaches the end of the arrays.
    if (head + busy === bEnd.length) {
      bEnd.copyWithin(0, head, head + busy)
      bCore.copyWithin(0, head, head + busy)
      head = 0
    }
    let i = head + busy++
    while (i > head) {
      const pe = bEnd[i - 1]
      if (pe <= end) break
      bEnd[i] = pe
      bCore[i] = bCore[i - 1]
      i--
    }
    bEnd[i] = end
    bCore[i] = core
    this.head = head
    this.busy = busy
    this.idle = idle
    const ctx = this.ctx
    ctx.usage.app[core] += s
    ctx.recorder.completeRequest(seq, now, conn, type, 0, core, start, end, s)
  }

  handle(): void {
    throw new Error('mgn-fcfs (recursion) schedules no events')
  }
}

export const mgnFcfs: PolicyDef = {
  name: 'mgn-fcfs',
  summary: 'M/G/n: one central FIFO, first free core takes the head (zero overhead)',
  family: 'theory',
  options: [
    {name: 'method', description: 'recursion: Kiefer-Wolfowitz recursion, no engine events (fast; O(cores) worst case per request); events: one engine event per request (reference)', default: 'recursion', choices: ['recursion', 'events']},
  ],
  create: (ctx, o) => (o.method === 'events' ? new MgnFcfs(ctx) : new MgnFcfsRecursion(ctx)),
}
