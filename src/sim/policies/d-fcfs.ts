/**
 * `d-fcfs` — distributed FCFS behind a dispatcher (Perséphone's baseline): a networker core, a
 * dispatcher core that pushes each new request round robin to per-worker FIFOs (unbounded
 * mailboxes), workers that run their own FIFO to completion. Workers never report back (the
 * dispatcher needs no completion to decide), so the dispatcher handles one event per request.
 * With zero costs it is n×M/G/1 with round-robin assignment on the worker count.
 */
import {IntQueue} from '../machine/int-queue.js'
import {DispatchedServer} from '../mechanisms/dispatched.js'
import type {PolicyDef, SimContext} from '../policy.js'

class DFcfs extends DispatchedServer {
  private readonly queue = new IntQueue(16)
  private nextWorker = 0

  constructor(ctx: SimContext) {
    super(ctx, {name: 'd-fcfs', networker: true, dispatcher: true, k: Infinity, reportCompletions: false, preemption: null})
  }

  protected enqueue(slot: number): void {
    this.queue.push(slot)
  }

  protected waiting(): number {
    return this.queue.size
  }

  protected dispatchPass(): void {
    const q = this.queue
    while (q.size > 0) {
      const slot = q.shift()
      const w = this.nextWorker
      this.nextWorker = w + 1 === this.workers ? 0 : w + 1
      this.ctx.requests.queue[slot] = w
      this.send(w, slot)
    }
  }
}

export const dFcfs: PolicyDef = {
  name: 'd-fcfs',
  summary: 'distributed FCFS: networker + dispatcher cores, round robin to per-worker FIFOs (Perséphone baseline)',
  family: 'system',
  options: [],
  create: (ctx) => new DFcfs(ctx),
}
