/**
 * `darc` — Perséphone's DARC (Demoulin et al., SOSP'21): a networker core (RX and classifier), a
 * dispatcher core with one FIFO per request type, workers with a one-request mailbox (k = 1), no
 * preemption. Cores are reserved for the short types (see darc-reservation.ts):
 *
 *  1. Profiling: until `profile` requests have been dispatched it behaves as c-fcfs (oldest head
 *     across the type queues, lowest idle worker), measuring each type's mean service time (the
 *     trace's service times of the dispatched requests; measurement continues afterwards).
 *  2. Then it groups the types (δ = `delta`) and reserves workers, shortest group first.
 *  3. Dispatch pass: types from shortest to longest mean; each drains to its idle reserved workers,
 *     then to idle workers reserved for longer groups (upward-only stealing) and the spillway (the
 *     last worker). Not work-conserving: a long request may wait while a short-reserved core idles.
 *  4. Update: when the 2nd queued request of a type has waited longer than that type's mean, the
 *     reservation is recomputed (at most once per longest-type mean, to bound the cost), and
 *     applied only if some group's demand moved by more than 10 % or the type set changed.
 *
 * A trace without types is one type: DARC is then c-fcfs, and it reports `untyped_fallback = 1`.
 * `reserve=N` fixes the shortest group's workers to [0, N) instead of the formula.
 */
import {ConfigError} from '../../errors.js'
import {DispatchedServer} from '../mechanisms/dispatched.js'
import {TypeQueues} from '../mechanisms/type-queues.js'
import type {PolicyDef, PolicyOptionValue, SimContext} from '../policy.js'
import {darcReservation, demandMoved, type Reservation} from './darc-reservation.js'

export class Darc extends DispatchedServer {
  private readonly tq: TypeQueues
  private readonly profile: number
  private readonly delta: number
  private readonly manual: number
  private dispatched = 0
  /** Per type value: sum and count of dispatched service times. */
  private sum = new Float64Array(8)
  private count = new Float64Array(8)
  private res: Reservation | null = null
  /** Type values, shortest mean first, and the first worker each may use. */
  private order = new Int32Array(0)
  private loOf = new Int32Array(8)
  /** Type values covered by the reservation. */
  private covered = 0
  private nextCheck = 0
  private updates = 0

  /** `fold`: see DispatchedOptions (tests pass false for the event form). */
  constructor(ctx: SimContext, o: Readonly<Record<string, PolicyOptionValue>>, fold?: boolean) {
    super(ctx, {name: 'darc', networker: true, dispatcher: true, k: 1, reportCompletions: true, preemption: null, fold})
    this.tq = new TypeQueues(ctx.requests)
    this.profile = o.profile as number
    this.delta = o.delta as number
    const reserve = o.reserve as string
    if (reserve === 'auto') this.manual = -1
    else {
      const n = Number(reserve)
      if (!/^\d+$/.test(reserve.trim()) || n < 1 || n > this.workers) {
        throw new ConfigError(
          `Expected option \`reserve\` of darc to be auto or an integer from 1 to the worker count (${this.workers}), got "${reserve}"`,
          {flag: 'policy'},
        )
      }
      this.manual = n
    }
  }

  protected enqueue(slot: number): void {
    const r = this.ctx.requests
    const t = r.type[slot]
    r.queue[slot] = t
    this.tq.push(slot)
    if (t >= this.sum.length) this.growTypes(t)
  }

  protected waiting(): number {
    return this.tq.size
  }

  protected dispatchPass(): void {
    const tq = this.tq
    if (tq.size === 0) return
    const boxes = this.boxes
    const W = this.workers
    if (this.res === null) {
      // Profiling: c-fcfs over the type queues.
      while (tq.size > 0) {
        const w = boxes.idleIn(0, W)
        if (w < 0) return
        this.dispatch(w, tq.oldest())
        if (this.dispatched >= this.profile) {
          this.recompute(true)
          break
        }
      }
      if (this.res === null) return
    }
    this.maybeUpdate()
    const order = this.order
    for (let i = 0; i < order.length && tq.size > 0; i++) {
      const t = order[i]
      if (t >= tq.types) continue
      const q = tq.queues[t]
      const lo = this.loOf[t]
      while (q.size > 0) {
        const w = boxes.idleIn(lo, W)
        if (w < 0) break
        this.dispatch(w, t)
      }
    }
    // Types not covered by the reservation yet (first seen after profiling) may use any worker.
    for (let t = 0; t < tq.types && tq.size > 0; t++) {
      if (this.loOf[t] >= 0) continue
      const q = tq.queues[t]
      while (q.size > 0) {
        const w = boxes.idleIn(0, W)
        if (w < 0) break
        this.dispatch(w, t)
      }
    }
  }

  private dispatch(w: number, t: number): void {
    const slot = this.tq.shift(t)
    this.sum[t] += this.ctx.requests.service[slot]
    this.count[t]++
    this.dispatched++
    this.send(w, slot)
  }

  /** The update rule: recompute when some type's 2nd queued request waited longer than its mean. */
  private maybeUpdate(): void {
    const now = this.dNow
    if (now < this.nextCheck) return
    const tq = this.tq
    const r = this.ctx.requests
    let trigger = false
    let seen = 0
    for (let t = 0; t < tq.types; t++) {
      if (this.count[t] > 0) seen++
      const q = tq.queues[t]
      if (q.size >= 2 && this.count[t] > 0 && now - r.arrival[q.at(1)] > this.sum[t] / this.count[t]) trigger = true
    }
    if (trigger || seen !== this.covered) this.recompute(false)
  }

  private recompute(first: boolean): void {
    const types: number[] = []
    const mean = new Float64Array(this.sum.length)
    let longest = 0
    for (let t = 0; t < this.sum.length; t++) {
      if (this.count[t] === 0) continue
      types.push(t)
      mean[t] = this.sum[t] / this.count[t]
      if (mean[t] > longest) longest = mean[t]
    }
    this.nextCheck = this.dNow + longest
    const next = darcReservation(types, mean, this.count, this.workers, this.delta, this.manual)
    if (!first && types.length === this.covered && !demandMoved(this.res!, next, 0.1)) return
    this.res = next
    this.covered = types.length
    this.updates++
    this.loOf.fill(-1)
    const order: number[] = []
    for (let g = 0; g < next.groups.length; g++) {
      for (const t of next.groups[g]) {
        order.push(t)
        this.loOf[t] = next.lo[g]
      }
    }
    this.order = Int32Array.from(order)
  }

  private growTypes(t: number): void {
    let n = this.sum.length
    while (n <= t) n *= 2
    const grow = (a: Float64Array) => {
      const b = new Float64Array(n)
      b.set(a)
      return b
    }
    this.sum = grow(this.sum)
    this.count = grow(this.count)
    const lo = new Int32Array(n).fill(-1)
    lo.set(this.loOf)
    this.loOf = lo
  }

  /** The current reservation (for tests and metrics), null while profiling. */
  reservation(): Reservation | null {
    return this.res
  }

  override metrics(): Record<string, number> {
    const m = super.metrics()
    this.tq.addMetrics(m)
    const res = this.res
    if (res !== null) {
      m.groups = res.groups.length
      for (let g = 0; g < res.groups.length; g++) m[`group${g}_workers`] = res.hi[g] - res.lo[g]
      m.reservation_updates = this.updates
    }
    return m
  }
}

export const darc: PolicyDef = {
  name: 'darc',
  summary: 'Perséphone DARC: per-type queues, cores reserved for short types, upward-only stealing, spillway core (k = 1, no preemption)',
  family: 'system',
  options: [
    {name: 'profile', description: 'requests dispatched as c-fcfs while measuring per-type mean service times', default: 50000, min: 1, integer: true},
    {name: 'delta', description: 'grouping tolerance: a type joins a group whose leader\'s mean is within this fraction', default: 0.2, min: 0},
    {name: 'reserve', description: 'auto: the reservation formula; N: workers [0, N) reserved for the shortest group', default: 'auto'},
  ],
  create: (ctx, o) => new Darc(ctx, o),
}
