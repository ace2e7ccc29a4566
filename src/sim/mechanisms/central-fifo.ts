/**
 * A dispatcher-based server with one central FIFO (c-fcfs, jbsq, concord): requests queue in
 * arrival order (a preempted request re-enters at the tail), and each dispatch pass hands the head
 * to the worker `pickWorker` names until none can take one. Which worker: the lowest-index idle one
 * (`idleIn`, k = 1 designs) or the JBSQ choice (`boxes.pick()`, the default).
 */
import {IntQueue} from '../machine/int-queue.js'
import {DispatchedServer} from './dispatched.js'

export abstract class CentralFifoServer extends DispatchedServer {
  /** Waiting requests (slots), oldest first. */
  protected readonly queue = new IntQueue(1024)

  protected enqueue(slot: number): void {
    this.ctx.requests.queue[slot] = 0
    this.queue.push(slot)
  }

  protected waiting(): number {
    return this.queue.size
  }

  /** The worker the head goes to, or -1 when none can take it. */
  protected pickWorker(): number {
    return this.boxes.pick()
  }

  protected dispatchPass(): void {
    const q = this.queue
    while (q.size > 0) {
      const w = this.pickWorker()
      if (w < 0) return
      this.send(w, q.shift())
    }
  }
}
