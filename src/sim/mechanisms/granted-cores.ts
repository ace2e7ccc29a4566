/**
 * The machine of the core-allocating designs (shenango, caladan): an IOKernel core, worker cores
 * granted to the application and taken back, one run queue of requests per worker, and
 * request-level work stealing.
 *
 *   NIC ──► IOKernel (core 0) ──hash(conn) mod active──► run queue of an active worker ──► reply
 *           iokernel_packet per packet, FIFO              ▲ idle workers steal half a queue
 *
 * - Core 0 is the IOKernel; workers w = 0..W−1 run on cores 1..W (W = cores − 1). The IOKernel
 *   handles packets first come first served, `iokernel_packet` cycles each, then steers the
 *   request to active worker active[hash(conn) mod active count] (software RSS over the granted
 *   workers: a connection moves when a worker is granted or parked). With no active worker it
 *   grants one at once (that packet waits for it to wake).
 * - A worker's loop: its own queue (FIFO) → steal → spin → park. Steal: the victim search of the
 *   design (`search`) costs `rq_probe` per core looked at, the steal itself `rq_steal`; once they
 *   are paid the thief takes ceil(n/2) of the n requests the victim then holds (the oldest) into
 *   its own queue and runs the first (a victim emptied meanwhile sends it back to its loop). A
 *   spinning worker reacts the moment a request is queued anywhere that no thief is already on
 *   its way to (it polls; the time to come round to it is neglected), and parks after `spin`
 *   cycles without work (alloc=default only; see core-alloc.ts).
 * - Grants: a parked worker granted at t is active (packets are steered to it) from t and starts
 *   its loop at t + `core_grant`. Granted time counts from the grant to the park.
 * - Time slice (`slice` > 0): a request that has run a slice yields when its worker's queue is not
 *   empty, paying the preemption cost, and goes to the tail of that queue.
 * - No TX cost: the reply leaves when the request finishes.
 * Metrics: `cores_used` (mean granted workers over the run), `cpu_efficiency` (busy / granted
 * worker time), grants, parks, steals. The workers' side is worker-loop.ts; this file is the
 * IOKernel's (steering, allocation checks) and the result.
 */
import {EventClass} from '../engine/engine.js'
import {IntQueue} from '../machine/int-queue.js'
import type {Policy, SimContext} from '../policy.js'
import {mix32} from '../../rng.js'
import {ALLOC_STATIC, Allocator, type AllocTarget} from './core-alloc.js'
import {coreLayout} from './layout.js'
import {FIRST_IOK_KIND, type GrantedCoresOptions, WorkerLoop} from './worker-loop.js'

export type {GrantedCoresOptions} from './worker-loop.js'

/** Event kinds of the IOKernel's lane (lane W; slot 0: the packet being steered, 1: the next check). */
const IOK_DONE = FIRST_IOK_KIND
const CHECK = FIRST_IOK_KIND + 1

export class GrantedCores extends WorkerLoop implements Policy, AllocTarget {
  private readonly iok: number
  private readonly iokQ = new IntQueue(64)
  private iokBusy = 0
  private readonly iokCost: number
  private readonly salt: number
  private readonly allocator: Allocator
  private checkArmed = false

  constructor(ctx: SimContext, opts: GrantedCoresOptions) {
    const W = coreLayout(opts.name, ctx.machine.cores, true, false).workers
    super(ctx, opts, W)
    this.iok = W
    ctx.engine.useLanes(W + 1, 2)
    this.iokCost = ctx.machine.costs.iokernel_packet ?? 0
    this.salt = ctx.rng.int(0x7fffffff)
    this.allocator = new Allocator(opts.alloc)
    if (opts.alloc.mode === ALLOC_STATIC) this.grantStatic(opts.alloc.staticCores)
  }

  arrive(slot: number): void {
    this.inSystem++
    if (slot >= this.readyAt.length) this.growReady(slot)
    const now = this.ctx.engine.now
    this.readyAt[slot] = now
    if (!this.checkArmed && this.opts.alloc.mode !== ALLOC_STATIC) this.armCheck(now)
    if (this.iokCost === 0 && this.iokQ.size === 0) {
      this.steer(slot)
      return
    }
    this.iokQ.push(slot)
    this.iokBusy = Math.max(this.iokBusy, now) + this.iokCost
    this.ctx.usage.net[0] += this.iokCost
    if (this.iokQ.size === 1) this.ctx.engine.setTimer(this.iok, 0, this.iokBusy, EventClass.FINISH, IOK_DONE, 0)
  }

  handle(kind: number, w: number): void {
    if (kind < FIRST_IOK_KIND) return this.handleWorker(kind, w)
    switch (kind) {
      case IOK_DONE: {
        this.steer(this.iokQ.shift())
        if (this.iokQ.size > 0) this.ctx.engine.setTimer(this.iok, 0, this.ctx.engine.now + this.iokCost, EventClass.FINISH, IOK_DONE, 0)
        return
      }
      case CHECK: return this.check()
    }
  }

  // ---- the IOKernel ----

  private steer(slot: number): void {
    const act = this.act
    if (act.count === 0) this.grantOne(false)
    const r = this.ctx.requests
    const h = mix32(r.conn[slot] ^ this.salt) >>> 0
    const w = act.ids[h % act.count]
    r.queue[slot] = w + 1
    this.enqueue(w, slot)
  }

  private armCheck(now: number): void {
    const iv = this.opts.alloc.interval
    this.checkArmed = true
    this.ctx.engine.setTimer(this.iok, 1, (Math.floor(now / iv) + 1) * iv, EventClass.INTERRUPT, CHECK, 0)
  }

  private check(): void {
    this.allocator.check(this)
    if (this.inSystem > 0 || this.allocator.keepChecking(this)) {
      this.ctx.engine.setTimer(this.iok, 1, this.ctx.engine.now + this.opts.alloc.interval, EventClass.INTERRUPT, CHECK, 0)
    } else {
      this.checkArmed = false
      this.allocator.pause(this)
    }
  }

  intervalUtilization(): number {
    this.touch()
    return this.time.sinceLast()
  }

  private growReady(slot: number): void {
    let n = this.readyAt.length
    while (n <= slot) n *= 2
    const a = new Float64Array(n)
    a.set(this.readyAt)
    this.readyAt = a
  }

  metrics(): Record<string, number> {
    this.touch()
    const out: Record<string, number> = {workers: this.workers}
    const T = this.time.until
    if (T > 0) out.cores_used = this.time.granted / T
    if (this.time.granted > 0) out.cpu_efficiency = this.time.busy / this.time.granted
    return out
  }

  finish(): void {
    const bad = this.inSystem !== 0 || this.queued !== 0 || this.claims !== 0 || this.iokQ.size !== 0 || this.busyCount !== 0
    let w = 0
    while (!bad && w < this.workers && this.rq[w].size === 0 && this.running[w] < 0 && this.enq[w] === this.deq[w]) w++
    if (bad || w < this.workers) {
      throw new Error(`${this.opts.name}: not drained (in system ${this.inSystem}, queued ${this.queued}, IOKernel ${this.iokQ.size}, busy ${this.busyCount}, worker ${w})`)
    }
  }
}
