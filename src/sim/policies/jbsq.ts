/**
 * `jbsq` — join-bounded-shortest-queue, the theoretical model (a dispatch discipline for per-core
 * queues): one central FIFO; each core holds at most k requests (the running one
 * included); the head goes to an idle core if there is one, else to the core holding fewest
 * (< k), lowest index first; a core runs its own requests in FIFO order. Zero overhead, no network,
 * no dedicated cores. k = 1 is M/G/n.
 */
import {CentralFifoServer} from '../mechanisms/central-fifo.js'
import type {PolicyDef, SimContext} from '../policy.js'

class Jbsq extends CentralFifoServer {
  constructor(ctx: SimContext, k: number) {
    super(ctx, {name: 'jbsq', networker: false, dispatcher: false, k, reportCompletions: true, preemption: null})
  }
}

export const jbsq: PolicyDef = {
  name: 'jbsq',
  summary: 'JBSQ(k): central FIFO, each core holds at most k requests (zero overhead; k = 1 is M/G/n)',
  family: 'theory',
  options: [{name: 'k', description: 'requests a core may hold, the running one included (integer >= 1)', default: 1, min: 1, integer: true}],
  create: (ctx, o) => new Jbsq(ctx, o.k as number),
}
