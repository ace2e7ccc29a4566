/**
 * `d-fcfs` — distributed FCFS behind a dispatcher (Perséphone's baseline): a networker core, a
 * dispatcher core that pushes each new request round robin to per-worker FIFOs (unbounded
 * mailboxes), workers that run their own FIFO to completion. Workers never report back (the
 * dispatcher needs no completion to decide), so the dispatcher handles one event per request.
 * With zero costs it is n×M/G/1 with round-robin assignment on the worker count.
 *
 * The machine is the one of dispatched.ts (networker and dispatcher as FIFO single servers,
 * `handoff_latency` to the worker), but every stage here is a FIFO fed in arrival order, so each
 * request is settled at its arrival by three recursions instead of events:
 *   networker done   t = max(arrival, previous t) + net_packet
 *   dispatcher done  d = max(t, previous d) + dispatch_cost
 *   worker w         start = max(d + handoff_latency, end of w's previous request), end = start + service
 * with w = the next worker round robin. This is exactly what the event form computes: the
 * dispatcher handles requests in arrival order (the networker is FIFO), so the round robin visits
 * them in that order, and a worker starts a request when it has arrived and the worker has
 * finished everything sent before it (its mailbox is FIFO, hand-offs arrive in sending order).
 */
import {arriveFromSlot, type Policy, type PolicyDef, type SimContext} from '../policy.js'
import {type CoreLayout, coreLayout} from '../mechanisms/layout.js'

class DFcfs implements Policy {
  private readonly layout: CoreLayout
  private readonly workers: number
  /** End of each worker's last request, cycles. */
  private readonly free: Float64Array
  private nextWorker = 0
  private netBusy = 0
  private dispBusy = 0
  private readonly netCost: number
  private readonly dispCost: number
  private readonly handoff: number
  private readonly cDispEvents: number

  constructor(private readonly ctx: SimContext) {
    const m = ctx.machine
    this.layout = coreLayout('d-fcfs', m.cores, true, true)
    this.workers = this.layout.workers
    this.free = new Float64Array(this.workers)
    this.netCost = m.costs.net_packet ?? 0
    this.dispCost = m.costs.dispatch_cost ?? 0
    this.handoff = m.costs.handoff_latency ?? 0
    this.cDispEvents = ctx.counters.define('dispatcher_events')
  }

  arrive(slot: number): void {
    arriveFromSlot(this, this.ctx.requests, slot)
  }

  arriveDirect(seq: number, now: number, s: number, conn: number, type: number): void {
    const ctx = this.ctx
    const L = this.layout
    const net = (this.netBusy > now ? this.netBusy : now) + this.netCost
    this.netBusy = net
    const d = (this.dispBusy > net ? this.dispBusy : net) + this.dispCost
    this.dispBusy = d
    const net_ = ctx.usage.net
    net_[L.networker] += this.netCost
    net_[L.dispatcher] += this.dispCost
    ctx.counters.values[this.cDispEvents]++
    const w = this.nextWorker
    this.nextWorker = w + 1 === this.workers ? 0 : w + 1
    const there = d + this.handoff
    const start = this.free[w] > there ? this.free[w] : there
    const end = start + s
    this.free[w] = end
    const core = L.firstWorker + w
    ctx.usage.app[core] += s
    ctx.recorder.completeRequest(seq, now, conn, type, w, core, start, end, s)
  }

  handle(kind: number): void {
    throw new Error(`d-fcfs: unexpected event kind ${kind}`)
  }

  metrics(): Record<string, number> {
    return {workers: this.workers}
  }
}

export const dFcfs: PolicyDef = {
  name: 'd-fcfs',
  summary: 'distributed FCFS: networker + dispatcher cores, round robin to per-worker FIFOs (Perséphone baseline)',
  family: 'system',
  options: [],
  create: (ctx) => new DFcfs(ctx),
}
