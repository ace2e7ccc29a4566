/**
 * `c-fcfs` — centralised FCFS behind a dispatcher (Perséphone's baseline): a networker core, a
 * dispatcher core with one FIFO, workers with a one-request mailbox (k = 1). The lowest-index idle
 * worker takes the head; requests run to completion; each completion is reported to the
 * dispatcher (one `dispatch_cost` event). With zero costs it is M/G/n on the worker count.
 */
import {CentralFifoServer} from '../mechanisms/central-fifo.js'
import type {PolicyDef, SimContext} from '../policy.js'

export class CFcfs extends CentralFifoServer {
  /** `fold`: see DispatchedOptions (tests pass false for the event form). */
  constructor(ctx: SimContext, fold?: boolean) {
    super(ctx, {name: 'c-fcfs', networker: true, dispatcher: true, k: 1, reportCompletions: true, preemption: null, fold})
  }

  protected override pickWorker(): number {
    return this.boxes.idleIn(0, this.workers)
  }
}

export const cFcfs: PolicyDef = {
  name: 'c-fcfs',
  summary: 'centralised FCFS: networker + dispatcher cores, one FIFO, lowest idle worker takes the head (Perséphone baseline)',
  family: 'system',
  options: [],
  create: (ctx) => new CFcfs(ctx),
}
