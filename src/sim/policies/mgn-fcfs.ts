/**
 * `mgn-fcfs` — M/G/n: one central FIFO; the first free core takes the head (MODEL.md §4).
 * Zero overhead, no network: a request is served as soon as a core is free, and its reply leaves
 * at the end of service. Free cores are kept on a stack and the most recently freed core is taken
 * first (deterministic, O(1); with zero overhead the choice of core does not affect latency).
 *
 * Invariant (work conservation): no core is idle while the queue is non-empty.
 */
import {EventClass} from '../engine/engine.js'
import {IntQueue} from '../machine/int-queue.js'
import type {Policy, PolicyDef, SimContext} from '../policy.js'

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

export const mgnFcfs: PolicyDef = {
  name: 'mgn-fcfs',
  summary: 'M/G/n: one central FIFO, first free core takes the head (zero overhead)',
  family: 'theory',
  options: [],
  create: (ctx) => new MgnFcfs(ctx),
}
