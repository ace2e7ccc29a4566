/**
 * The workers of the core-allocating designs (granted-cores.ts): per-worker run queues, the idle
 * loop (own queue → steal half of a victim's queue → spin → park), grants and parks, and the
 * optional time slice. The IOKernel side (steering, allocation checks) is the subclass's.
 * One engine timer per worker (lane w, slot 0): its running piece of work, steal, wake-up, yield
 * or spin expiry — a worker waits for one thing at a time.
 */
import {EventClass} from '../engine/engine.js'
import {IntQueue} from '../machine/int-queue.js'
import type {SimContext} from '../policy.js'
import type {AllocSettings} from './core-alloc.js'
import {drawQuantum, type Preemption} from './preemption.js'
import {ActiveSet, CoreTime, IdList, VictimSearch} from './worker-sets.js'

/** Worker states. */
const PARKED = 0
const WAKING = 1
const SPINNING = 2
const BUSY = 3
const STEALING = 4
const YIELDING = 5

/** Event kinds of the worker lanes; subclasses use kinds >= FIRST_IOK_KIND on their own lane. */
const RUN_END = 0
const SLICE_END = 1
const STEAL_END = 2
const WAKE_END = 3
const PARK = 4
const YIELD_END = 5
export const FIRST_IOK_KIND = 6

export interface GrantedCoresOptions {
  name: string
  /** Victim search: Shenango tries one random worker, then all from worker 0; Caladan scans all from a random start. */
  search: 'random-then-scan' | 'scan-from-random'
  alloc: AllocSettings
  /** Time slice, or null (run to completion). */
  slice: Preemption | null
}

export abstract class WorkerLoop {
  readonly workers: number
  protected readonly state: Uint8Array
  protected readonly rq: IntQueue[] = []
  /** Per worker: requests enqueued / dequeued so far (stolen ones move both), enqueued at the previous check. */
  readonly enq: Float64Array
  readonly deq: Float64Array
  readonly lastEnq: Float64Array
  /** Per worker: 1 if granted since the previous check. */
  readonly fresh: Uint8Array
  protected readonly running: Int32Array
  /** Cycles of the running piece of each worker's request. */
  private readonly sliceLen: Float64Array
  protected readonly act: ActiveSet
  /** Spinning workers, most recently idle first. */
  private readonly spinning: IdList
  wakingCount = 0
  /** Requests in run queues (all workers), and in the system. */
  protected queued = 0
  /** Workers paying for a steal (each will take from its victim): queued requests they claim. */
  protected claims = 0
  private readonly victim: Int32Array
  protected inSystem = 0
  /** Cycle each queued request became ready (arrival, or its yield), by slot. */
  protected readyAt = new Float64Array(1024)
  private readonly probeCost: number
  private readonly stealCost: number
  private readonly grantLatency: number
  private readonly search: VictimSearch
  protected readonly time = new CoreTime()
  protected busyCount = 0
  protected readonly c: {grants: number; grantsCongestion: number; parks: number; steals: number; stolen: number; probes: number; preempt: number}

  constructor(
    protected readonly ctx: SimContext,
    protected readonly opts: GrantedCoresOptions,
    workers: number,
  ) {
    const W = (this.workers = workers)
    this.state = new Uint8Array(W)
    for (let w = 0; w < W; w++) this.rq.push(new IntQueue(16))
    this.enq = new Float64Array(W)
    this.deq = new Float64Array(W)
    this.lastEnq = new Float64Array(W)
    this.fresh = new Uint8Array(W)
    this.running = new Int32Array(W).fill(-1)
    this.sliceLen = new Float64Array(W)
    this.victim = new Int32Array(W)
    this.act = new ActiveSet(W)
    this.spinning = new IdList(W)
    const costs = ctx.machine.costs
    this.probeCost = costs.rq_probe ?? 0
    this.stealCost = costs.rq_steal ?? 0
    this.grantLatency = costs.core_grant ?? 0
    this.search = new VictimSearch(this.rq, ctx.rng, opts.search === 'scan-from-random')
    const d = (n: string) => ctx.counters.define(n)
    this.c = {grants: d('core_grants'), grantsCongestion: d('core_grants_allocator'), parks: d('core_parks'), steals: d('steals'), stolen: d('stolen_requests'), probes: d('steal_probes'), preempt: opts.slice ? d('preemptions') : -1}
  }

  /** Grant workers [0, n) from the start, spinning (static allocation). */
  protected grantStatic(n: number): void {
    for (let w = 0; w < n; w++) {
      this.addActive(w)
      this.spin(w)
    }
  }

  /** Events of the worker lanes. */
  protected handleWorker(kind: number, w: number): void {
    switch (kind) {
      case RUN_END: return this.runEnd(w)
      case SLICE_END: return this.sliceEnd(w)
      case STEAL_END: return this.stealEnd(w)
      case WAKE_END: return this.idle(w)
      case PARK: return this.park(w)
      case YIELD_END: {
        const slot = this.running[w]
        this.running[w] = -1
        this.requeue(w, slot)
        return this.idle(w)
      }
    }
  }

  get activeCount(): number {
    return this.act.count
  }

  get active(): Int32Array {
    return this.act.ids
  }

  get spinCount(): number {
    return this.spinning.size
  }

  headAge(w: number): number {
    const q = this.rq[w]
    return q.size > 0 ? this.ctx.engine.now - this.readyAt[q.peek()] : 0
  }

  grantOne(allocator: boolean): boolean {
    let w = 0
    while (w < this.workers && this.state[w] !== PARKED) w++
    if (w === this.workers) return false
    const cv = this.ctx.counters.values
    cv[this.c.grants]++
    if (allocator) cv[this.c.grantsCongestion]++
    this.addActive(w)
    this.fresh[w] = 1
    if (this.grantLatency === 0) {
      this.idle(w)
    } else {
      this.state[w] = WAKING
      this.wakingCount++
      this.ctx.engine.setTimer(w, 0, this.ctx.engine.now + this.grantLatency, EventClass.FINISH, WAKE_END, 0)
    }
    return true
  }

  parkOneIdle(): boolean {
    for (let w = 0; w < this.workers; w++) {
      if (this.state[w] === SPINNING) {
        this.park(w)
        return true
      }
    }
    return false
  }

  // ---- workers ----

  /** A steered request joins worker w's queue, or runs at once when w spins; spinning workers then take what is left. */
  protected enqueue(w: number, slot: number): void {
    if (this.state[w] === SPINNING) {
      this.unspin(w)
      this.run(w, slot)
      return
    }
    this.rq[w].push(slot)
    this.enq[w]++
    this.queued++
    this.kick()
  }

  /** A preempted request goes back to the tail of its worker's queue. */
  private requeue(w: number, slot: number): void {
    this.readyAt[slot] = this.ctx.engine.now
    this.rq[w].push(slot)
    this.enq[w]++
    this.queued++
  }

  /** Spinning workers take queued work not yet claimed by a thief (one worker per request). */
  private kick(): void {
    while (this.queued > this.claims && this.spinning.head >= 0) {
      const s = this.spinning.head
      this.unspin(s)
      this.steal(s)
    }
  }

  /** Worker w has nothing running: own queue, else steal, else spin. */
  private idle(w: number): void {
    if (this.state[w] === WAKING) this.wakingCount--
    const q = this.rq[w]
    if (q.size > 0) {
      this.deq[w]++
      this.queued--
      this.run(w, q.shift())
    } else if (this.queued > this.claims) {
      this.steal(w)
    } else {
      this.spin(w)
    }
    this.kick()
  }

  /**
   * Worker w (own queue empty, some queue not) searches a victim. The search's probes and the
   * steal cost are paid first; then it takes ceil(n/2) of the n requests the victim holds at that
   * moment (the oldest) and runs the first. A victim emptied meanwhile sends w back to its loop.
   */
  private steal(w: number): void {
    const v = this.search.find(w)
    const probes = this.search.probes
    if (v < 0) throw new Error(`${this.opts.name}: worker ${w} found nothing to steal with ${this.queued} queued`)
    this.ctx.counters.values[this.c.probes] += probes
    const cost = probes * this.probeCost + this.stealCost
    if (cost === 0) return this.take(w, v)
    this.state[w] = STEALING
    this.victim[w] = v
    this.claims++
    this.ctx.usage.net[w + 1] += cost
    this.ctx.engine.setTimer(w, 0, this.ctx.engine.now + cost, EventClass.FINISH, STEAL_END, 0)
  }

  private stealEnd(w: number): void {
    this.claims--
    const v = this.victim[w]
    if (this.rq[v].size > 0) this.take(w, v)
    else this.idle(w)
  }

  /** Moves the oldest half (rounded up) of v's queue to w's, then w runs its head. */
  private take(w: number, v: number): void {
    const from = this.rq[v]
    const to = this.rq[w]
    const n = (from.size + 1) >> 1
    for (let i = 0; i < n; i++) to.push(from.shift())
    this.deq[v] += n
    this.enq[w] += n
    const cv = this.ctx.counters.values
    cv[this.c.steals]++
    cv[this.c.stolen] += n
    this.idle(w)
  }

  private spin(w: number): void {
    this.state[w] = SPINNING
    this.spinning.push(w)
    if (this.opts.alloc.spin !== Infinity) this.ctx.engine.setTimer(w, 0, this.ctx.engine.now + this.opts.alloc.spin, EventClass.FINISH, PARK, 0)
  }

  private unspin(w: number): void {
    this.spinning.remove(w)
    if (this.opts.alloc.spin !== Infinity) this.ctx.engine.clearTimer(w, 0)
  }

  private park(w: number): void {
    this.unspin(w)
    this.state[w] = PARKED
    this.touch()
    this.act.remove(w)
    this.ctx.counters.values[this.c.parks]++
  }

  private addActive(w: number): void {
    this.touch()
    this.act.add(w)
  }

  private run(w: number, slot: number): void {
    this.touch()
    this.busyCount++
    this.state[w] = BUSY
    this.running[w] = slot
    const r = this.ctx.requests
    const now = this.ctx.engine.now
    r.core[slot] = w + 1
    if (r.start[slot] < 0) r.start[slot] = now
    this.slice(w, slot, now)
  }

  /** Starts the next piece of the running request: all of it, or one slice. */
  private slice(w: number, slot: number, now: number): void {
    const work = this.ctx.requests.work[slot]
    const p = this.opts.slice
    const q = p === null ? Infinity : drawQuantum(p, this.ctx.rng)
    const chunk = work > q ? q : work
    this.sliceLen[w] = chunk
    this.ctx.usage.app[w + 1] += chunk
    this.ctx.engine.setTimer(w, 0, now + chunk, EventClass.FINISH, work > q ? SLICE_END : RUN_END, 0)
  }

  private runEnd(w: number): void {
    const slot = this.running[w]
    this.running[w] = -1
    this.touch()
    this.busyCount--
    this.ctx.requests.work[slot] = 0
    this.inSystem--
    this.ctx.recorder.complete(slot, this.ctx.engine.now)
    this.idle(w)
  }

  private sliceEnd(w: number): void {
    const slot = this.running[w]
    const r = this.ctx.requests
    const now = this.ctx.engine.now
    r.work[slot] -= this.sliceLen[w]
    if (this.rq[w].size === 0) return this.slice(w, slot, now)
    this.touch()
    this.busyCount--
    this.ctx.counters.values[this.c.preempt]++
    const cost = this.opts.slice!.cost
    if (cost === 0) {
      this.running[w] = -1
      this.requeue(w, slot)
      return this.idle(w)
    }
    this.state[w] = YIELDING
    this.ctx.usage.net[w + 1] += cost
    this.ctx.engine.setTimer(w, 0, now + cost, EventClass.FINISH, YIELD_END, 0)
  }

  /** Advances the granted and busy core-time integrals to now. */
  protected touch(): void {
    this.time.advance(this.ctx.engine.now, this.act.count, this.busyCount)
  }
}
