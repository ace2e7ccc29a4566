/**
 * `jbsq` — join-bounded-shortest-queue, the theoretical model (POLICIES: a dispatch discipline for
 * per-core queues): one central FIFO; each core holds at most k requests (the running one
 * included); the head goes to an idle core if there is one, else to the core holding fewest
 * (< k), lowest index first; a core runs its own requests in FIFO order. Zero overhead, no network,
 * no dedicated cores. k = 1 is M/G/n.
 */
import {IntQueue} from '../machine/int-queue.js'
import {DispatchedServer} from '../mechanisms/dispatched.js'
import type {PolicyDef, SimContext} from '../policy.js'

class Jbsq extends DispatchedServer {
  private readonly queue = new IntQueue(1024)

  constructor(ctx: SimContext, k: number) {
    super(ctx, {name: 'jbsq', networker: false, dispatcher: false, k, reportCompletions: true, preemption: null})
  }

  protected enqueue(slot: number): void {
    this.ctx.requests.queue[slot] = 0
    this.queue.push(slot)
  }

  protected waiting(): number {
    return this.queue.size
  }

  protected dispatchPass(): void {
    const q = this.queue
    while (q.size > 0) {
      const w = this.boxes.pick()
      if (w < 0) return
      this.send(w, q.shift())
    }
  }
}

export const jbsq: PolicyDef = {
  name: 'jbsq',
  summary: 'JBSQ(k): central FIFO, each core holds at most k requests (zero overhead; k = 1 is M/G/n)',
  family: 'theory',
  options: [{name: 'k', description: 'requests a core may hold, the running one included (integer >= 1)', default: 1, min: 1, integer: true}],
  create: (ctx, o) => new Jbsq(ctx, o.k as number),
}
