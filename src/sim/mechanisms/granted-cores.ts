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
 * worker time), grants, parks, steals.
 */
import {EventClass} from '../engine/engine.js'
import {IntQueue} from '../machine/int-queue.js'
import type {Policy, SimContext} from '../policy.js'
import {mix32} from '../../rng.js'
import {ALLOC_STATIC, Allocator, type AllocSettings, type AllocTarget} from './core-alloc.js'
import {coreLayout} from './layout.js'
import {drawQuantum, type Preemption} from './preemption.js'

/** Worker states. */
const PARKED = 0
const WAKING = 1
const SPINNING = 2
const BUSY = 3
const STEALING = 4
const YIELDING = 5

/** Event kinds: worker lanes (slot 0), then the IOKernel lane (slot 0: packet, 1: check). */
const RUN_END = 0
const SLICE_END = 1
const STEAL_END = 2
const WAKE_END = 3
const PARK = 4
const YIELD_END = 5
const IOK_DONE = 6
const CHECK = 7

export interface GrantedCoresOptions {
  name: string
  /** Victim search: Shenango tries one random worker, then all from worker 0; Caladan scans all from a random start. */
  search: 'random-then-scan' | 'scan-from-random'
  alloc: AllocSettings
  /** Time slice, or null (run to completion). */
  slice: Preemption | null
}

export class GrantedCores implements Policy, AllocTarget {
  readonly workers: number
  private readonly iok: number
  private readonly state: Uint8Array
  private readonly rq: IntQueue[] = []
  readonly enq: Float64Array
  readonly deq: Float64Array
  readonly lastEnq: Float64Array
  readonly fresh: Uint8Array
  private readonly running: Int32Array
  /** Cycles of the running piece of each worker's request. */
  private readonly sliceLen: Float64Array
  readonly active: Int32Array
  private readonly activePos: Int32Array
  activeCount = 0
  /** Spinning workers: a doubly linked list, most recently idle first. */
  private readonly spinPrev: Int32Array
  private readonly spinNext: Int32Array
  private spinHead = -1
  spinCount = 0
  wakingCount = 0
  /** Requests in run queues (all workers), and in the system. */
  private queued = 0
  /** Workers paying for a steal (each will take from its victim): queued requests they claim. */
  private claims = 0
  private readonly victim: Int32Array
  private inSystem = 0
  /** Cycle each queued request became ready (arrival, or its yield), by slot. */
  private readyAt = new Float64Array(1024)
  private readonly iokQ = new IntQueue(64)
  private iokBusy = 0
  private readonly iokCost: number
  private readonly probeCost: number
  private readonly stealCost: number
  private readonly grantLatency: number
  private readonly salt: number
  private readonly scanFromRandom: boolean
  private readonly allocator: Allocator
  private checkArmed = false
  /** Core-time integrals (cycles × cores) of granted and busy workers, up to `areaT`. */
  private areaT = 0
  private grantedArea = 0
  private busyArea = 0
  private busyCount = 0
  private lastGranted = 0
  private lastBusy = 0
  private readonly c: {grants: number; grantsCongestion: number; parks: number; steals: number; stolen: number; probes: number; preempt: number}

  constructor(
    private readonly ctx: SimContext,
    private readonly opts: GrantedCoresOptions,
  ) {
    const m = ctx.machine
    const W = (this.workers = coreLayout(opts.name, m.cores, true, false).workers)
    this.iok = W
    ctx.engine.useLanes(W + 1, 2)
    this.state = new Uint8Array(W)
    for (let w = 0; w < W; w++) this.rq.push(new IntQueue(16))
    this.enq = new Float64Array(W)
    this.deq = new Float64Array(W)
    this.lastEnq = new Float64Array(W)
    this.fresh = new Uint8Array(W)
    this.running = new Int32Array(W).fill(-1)
    this.sliceLen = new Float64Array(W)
    this.victim = new Int32Array(W)
    this.active = new Int32Array(W)
    this.activePos = new Int32Array(W).fill(-1)
    this.spinPrev = new Int32Array(W).fill(-1)
    this.spinNext = new Int32Array(W).fill(-1)
    this.iokCost = m.costs.iokernel_packet ?? 0
    this.probeCost = m.costs.rq_probe ?? 0
    this.stealCost = m.costs.rq_steal ?? 0
    this.grantLatency = m.costs.core_grant ?? 0
    this.salt = ctx.rng.int(0x7fffffff)
    this.scanFromRandom = opts.search === 'scan-from-random'
    this.allocator = new Allocator(opts.alloc)
    const d = (n: string) => ctx.counters.define(n)
    this.c = {grants: d('core_grants'), grantsCongestion: d('core_grants_allocator'), parks: d('core_parks'), steals: d('steals'), stolen: d('stolen_requests'), probes: d('steal_probes'), preempt: opts.slice ? d('preemptions') : -1}
    if (opts.alloc.mode === ALLOC_STATIC) {
      for (let w = 0; w < opts.alloc.staticCores; w++) {
        this.addActive(w)
        this.spin(w)
      }
    }
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
    if (this.activeCount === 0) this.grantOne(false)
    const r = this.ctx.requests
    const h = mix32(r.conn[slot] ^ this.salt) >>> 0
    const w = this.active[h % this.activeCount]
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

  // ---- AllocTarget ----

  headAge(w: number): number {
    const q = this.rq[w]
    return q.size > 0 ? this.ctx.engine.now - this.readyAt[q.peek()] : 0
  }

  intervalUtilization(): number {
    this.touch()
    const g = this.grantedArea - this.lastGranted
    const b = this.busyArea - this.lastBusy
    this.lastGranted = this.grantedArea
    this.lastBusy = this.busyArea
    return g > 0 ? b / g : NaN
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

  /** A request joins worker w's queue (steered or stolen elsewhere: see steal). */
  private enqueue(w: number, slot: number): void {
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
    while (this.queued > this.claims && this.spinHead >= 0) {
      const s = this.spinHead
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
    const W = this.workers
    const rq = this.rq
    let v = -1
    let probes = 0
    if (this.scanFromRandom) {
      const start = this.ctx.rng.int(W)
      for (let k = 0; k < W && v < 0; k++) {
        const i = start + k < W ? start + k : start + k - W
        if (i === w) continue
        probes++
        if (rq[i].size > 0) v = i
      }
    } else {
      const r = this.ctx.rng.int(W)
      if (r !== w) {
        probes++
        if (rq[r].size > 0) v = r
      }
      for (let i = 0; i < W && v < 0; i++) {
        if (i === w) continue
        probes++
        if (rq[i].size > 0) v = i
      }
    }
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
    this.spinCount++
    const h = this.spinHead
    this.spinPrev[w] = -1
    this.spinNext[w] = h
    if (h >= 0) this.spinPrev[h] = w
    this.spinHead = w
    if (this.opts.alloc.spin !== Infinity) this.ctx.engine.setTimer(w, 0, this.ctx.engine.now + this.opts.alloc.spin, EventClass.FINISH, PARK, 0)
  }

  private unspin(w: number): void {
    const p = this.spinPrev[w]
    const n = this.spinNext[w]
    if (p >= 0) this.spinNext[p] = n
    else this.spinHead = n
    if (n >= 0) this.spinPrev[n] = p
    this.spinCount--
    if (this.opts.alloc.spin !== Infinity) this.ctx.engine.clearTimer(w, 0)
  }

  private park(w: number): void {
    this.unspin(w)
    this.state[w] = PARKED
    this.touch()
    const last = this.active[--this.activeCount]
    const pos = this.activePos[w]
    this.active[pos] = last
    this.activePos[last] = pos
    this.activePos[w] = -1
    this.ctx.counters.values[this.c.parks]++
  }

  private addActive(w: number): void {
    this.touch()
    this.activePos[w] = this.activeCount
    this.active[this.activeCount++] = w
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
  private touch(): void {
    const now = this.ctx.engine.now
    const dt = now - this.areaT
    if (dt > 0) {
      this.grantedArea += this.activeCount * dt
      this.busyArea += this.busyCount * dt
      this.areaT = now
    }
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
    const T = this.areaT
    if (T > 0) out.cores_used = this.grantedArea / T
    if (this.grantedArea > 0) out.cpu_efficiency = this.busyArea / this.grantedArea
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
