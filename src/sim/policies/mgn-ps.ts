/**
 * `mgn-ps` — M/G/n processor sharing (docs/model.md §4): n servers shared by all jobs in the system;
 * with k jobs present each is served at rate min(1, n/k). Zero overhead, no network.
 *
 * Also exports `PsStation`, the event-driven processor-sharing queue that `n-mg1-ps` reuses
 * (one station with `servers = 1` per core).
 *
 * ## Two ways to run the same arithmetic (option `events`)
 * - `lazy` (default): no engine events at all. A station's state changes only at its own arrivals
 *   and completions, and its completions between two of its arrivals are determined, so they are
 *   settled when the next arrival reaches the station (before it is added: completions due at
 *   that same cycle come first, as FINISH events would) and, for what is left, when the run has
 *   drained (`finish`). Completion instants are exactly those of the eager mode — the same float
 *   operations in the same order — but records of different stations are emitted out of time
 *   order. About 2× faster for n-mg1-ps (no event-heap traffic).
 * - `eager`: the textbook event-driven form below: one completion event per station in the
 *   engine, superseded by a generation token. Kept as the reference (tests check that both modes
 *   give identical completions) and for composing PS stations with other event-driven parts.
 *
 * ## Virtual time
 * Every job of a station is served at the same rate r(k) = min(1, servers/k), so a station keeps
 * one *attained-service clock* V (cycles of service each present job has received since the start
 * of the busy period): dV/dt = r(k). A job arriving when the clock reads V with service s gets the
 * finish tag V + s and completes when V reaches it. Jobs therefore complete in finish-tag order,
 * kept in a min-heap (typed arrays, no allocation per event). At any state change (arrival or
 * completion) the station advances V to `now`, then schedules one FINISH event at
 * ceil(now + (minTag − V)/r(k)). The event carries the station's *generation*; any later state
 * change that moves the next completion bumps the generation, so the earlier event is stale and
 * ignored when it fires. V is reset to 0 whenever the station empties (keeps float64 exact-ish:
 * V never exceeds the length of one busy period).
 *
 * ## Integer time and rounding (a documented choice)
 * Simulated time is whole cycles; a PS completion instant is generally fractional. It is rounded
 * *up* to the next cycle, so a job never leaves before it has received its full service, and
 * latency ≥ service always holds. The job the event was scheduled for completes unconditionally
 * (no float comparison can lose it); any other job whose tag V has also reached in that cycle
 * completes in the same event. The error is < 1 cycle per completion.
 *
 * ## Ties (documented order)
 * Jobs with equal finish tags complete in the same event, in arrival order (heap key
 * (tag, arrival counter)). Equal-time events follow the engine's (time, class, sequence) order:
 * completions are FINISH events and run before an arrival at the same cycle. No randomness is
 * needed for PS ties.
 *
 * ## Records
 * PS has no waiting room: `start` = arrival. `queue` = station (0 for mgn-ps). A job of `mgn-ps`
 * runs on no particular core: `core` = -1, and the busy cycles (= service, since the sharing is
 * work-conserving) are spread evenly over the n cores' `usage.app` at the end of the run.
 */
import {EventClass} from '../engine/engine.js'
import type {Policy, PolicyDef, SimContext} from '../policy.js'

/**
 * Float slack when deciding that the clock V has reached a tag: absolute 1e-6 cycles plus 1e-12
 * relative (V accumulates float64 rounding over a busy period). Always far below one cycle, so
 * latency >= service still holds exactly on the integer clock.
 */
function reachTolerance(v: number): number {
  return 1e-6 + v * 1e-12
}

/** The `events` option shared by the PS policies (see "Two ways" above). */
export const EVENTS_OPTION = {
  name: 'events',
  description: 'lazy: settle completions at the next arrival (fast); eager: one engine event per completion (reference)',
  default: 'lazy',
  choices: ['lazy', 'eager'],
} as const

/** Event kind used by PS stations: a = station index, b = generation. */
export const PS_DONE = 0

/**
 * One processor-sharing queue with `servers` servers: a finish-tag heap, an attained-service
 * clock, and a generation token for its single outstanding completion event.
 */
export class PsStation {
  /** Jobs present. */
  size = 0
  /** Attained-service clock, cycles of service per present job since the busy period began. */
  private v = 0
  /** Cycle at which `v` was last advanced. */
  private last = 0
  /** Generation of the currently valid completion event (int32, wraps). */
  gen = 0
  /** Time of the pending valid event, or -1 if none. */
  private pendingAt = -1
  private tag: Float64Array
  private ord: Float64Array
  private slot: Int32Array
  private arrivals = 0

  constructor(
    readonly index: number,
    readonly servers: number,
    capacity = 64,
    /** Settle completions at the next arrival (true) instead of through engine events (false). */
    readonly lazy = true,
  ) {
    this.tag = new Float64Array(capacity)
    this.ord = new Float64Array(capacity)
    this.slot = new Int32Array(capacity)
  }

  /** Advance the attained-service clock to `now` (cycles) at the current rate. */
  private advance(now: number): void {
    const k = this.size
    if (k > 0) {
      const dt = now - this.last
      this.v += k <= this.servers ? dt : (dt * this.servers) / k
    }
    this.last = now
  }

  /** Add job `slot` with `service` cycles at `now` (after settling every completion due by `now`). */
  add(ctx: SimContext, slot: number, service: number, now: number): void {
    if (this.lazy) this.settle(ctx, now)
    this.advance(now)
    if (this.size === 0) this.v = 0
    this.push(this.v + service, this.arrivals++, slot)
    if (!this.lazy) this.reschedule(ctx)
  }

  /**
   * Lazy mode: complete, in time order, every job whose completion instant is <= `until`
   * (Infinity at the end of the run). A completion at exactly `until` comes first, as a FINISH
   * event would before an arrival at the same cycle.
   */
  settle(ctx: SimContext, until: number): void {
    while (this.size > 0) {
      const at = this.nextCompletion()
      if (at > until) return
      this.advance(at)
      this.completeDue(ctx, at)
    }
  }

  /**
   * Eager mode: the completion event with generation `gen` fired at `now`. Returns false for a
   * stale event (one a later state change superseded).
   */
  complete(ctx: SimContext, gen: number, now: number): boolean {
    if (gen !== this.gen || this.pendingAt < 0) return false
    this.pendingAt = -1
    this.advance(now)
    this.completeDue(ctx, now)
    if (this.size > 0) this.reschedule(ctx)
    return true
  }

  /**
   * At cycle `now` (= the min-tag job's rounded completion instant, V advanced to it): complete
   * that job unconditionally — V reached its tag up to float error, so pin V to it — and every
   * other job whose tag V has reached.
   */
  private completeDue(ctx: SimContext, now: number): void {
    if (this.v < this.tag[0]) this.v = this.tag[0]
    const rec = ctx.recorder
    rec.complete(this.pop(), now)
    while (this.size > 0 && this.tag[0] <= this.v + reachTolerance(this.v)) rec.complete(this.pop(), now)
    if (this.size === 0) this.v = 0
  }

  /**
   * Whole cycle at which the min-tag job completes if nothing changes: the service it still owes,
   * (tag − V), stretched by k/servers when k > servers, from the last state change, rounded up.
   */
  private nextCompletion(): number {
    const k = this.size
    const left = this.tag[0] - this.v
    const dt = left <= 0 ? 0 : k <= this.servers ? left : (left * k) / this.servers
    return Math.ceil(this.last + dt)
  }

  /** Eager mode: schedule the next completion, unless the pending event already has that time. */
  private reschedule(ctx: SimContext): void {
    const at = this.nextCompletion()
    if (at === this.pendingAt) return
    this.gen = (this.gen + 1) | 0
    this.pendingAt = at
    ctx.engine.schedule(at, EventClass.FINISH, PS_DONE, this.index, this.gen)
  }

  /** True when nothing is queued and no event is pending (for end-of-run checks). */
  idle(): boolean {
    return this.size === 0 && this.pendingAt < 0
  }

  // ---- finish-tag heap, key (tag, ord) ----

  private push(tag: number, ord: number, slot: number): void {
    if (this.size === this.tag.length) this.grow()
    const t_ = this.tag
    const o_ = this.ord
    const s_ = this.slot
    let i = this.size++
    while (i > 0) {
      const p = (i - 1) >> 1
      const pt = t_[p]
      if (pt < tag || (pt === tag && o_[p] < ord)) break
      t_[i] = pt
      o_[i] = o_[p]
      s_[i] = s_[p]
      i = p
    }
    t_[i] = tag
    o_[i] = ord
    s_[i] = slot
  }

  /** Remove the min-tag job and return its slot. Caller ensures size > 0. */
  private pop(): number {
    const t_ = this.tag
    const o_ = this.ord
    const s_ = this.slot
    const top = s_[0]
    const n = --this.size
    if (n === 0) return top
    const t = t_[n]
    const o = o_[n]
    const s = s_[n]
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      const r = c + 1
      if (r < n && (t_[r] < t_[c] || (t_[r] === t_[c] && o_[r] < o_[c]))) c = r
      const ct = t_[c]
      if (t < ct || (t === ct && o < o_[c])) break
      t_[i] = ct
      o_[i] = o_[c]
      s_[i] = s_[c]
      i = c
    }
    t_[i] = t
    o_[i] = o
    s_[i] = s
    return top
  }

  private grow(): void {
    const cap = this.tag.length * 2
    const t = new Float64Array(cap)
    t.set(this.tag)
    this.tag = t
    const o = new Float64Array(cap)
    o.set(this.ord)
    this.ord = o
    const s = new Int32Array(cap)
    s.set(this.slot)
    this.slot = s
  }
}

class MgnPs implements Policy {
  private readonly station: PsStation
  /** Total service cycles started (spread over the cores at the end). */
  private work = 0

  constructor(
    private readonly ctx: SimContext,
    events: string,
  ) {
    this.station = new PsStation(0, ctx.machine.cores, 1024, events !== 'eager')
  }

  arrive(slot: number): void {
    const ctx = this.ctx
    const r = ctx.requests
    const now = ctx.engine.now
    const s = r.service[slot]
    r.queue[slot] = 0
    r.core[slot] = -1
    r.start[slot] = now
    this.work += s
    this.station.add(ctx, slot, s, now)
  }

  handle(_kind: number, _station: number, gen: number): void {
    this.station.complete(this.ctx, gen, this.ctx.engine.now)
  }

  finish(): void {
    this.station.settle(this.ctx, Infinity)
    if (!this.station.idle()) throw new Error(`mgn-ps: ${this.station.size} jobs left after the drain`)
    const app = this.ctx.usage.app
    const share = this.work / app.length
    for (let c = 0; c < app.length; c++) app[c] += share
  }
}

export const mgnPs: PolicyDef = {
  name: 'mgn-ps',
  summary: 'M/G/n processor sharing: all jobs share n cores, each served at rate min(1, n/jobs) (zero overhead)',
  family: 'theory',
  options: [EVENTS_OPTION],
  create: (ctx, o) => new MgnPs(ctx, String(o.events)),
}
