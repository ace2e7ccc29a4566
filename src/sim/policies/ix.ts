/**
 * `ix` — the IX dataplane with adaptive batching (docs/model.md §5; IX OSDI'14, code `ix-project/ix`).
 *
 * Every core runs its own run-to-completion loop over its own NIC RX queue (filled by RSS, so a
 * connection is always served by its home core). One loop iteration:
 *   1. kernel: transmit the replies of the previous batch (`tx_reply` each, in order; a reply
 *      leaves the NIC when its TX processing ends, which is when `recorder.complete` is called);
 *   2. kernel: poll the RX queue and TCP-process up to B = `batch` packets (`rx_packet` each);
 *   3. cross to user space (`user_kernel`), run the batch's requests to completion in FIFO order,
 *      cross back into the kernel with the batched syscalls (`user_kernel`); the replies are held
 *      until the whole batch is done, then step 1 of the next iteration sends them.
 * No sharing, no stealing: a core never looks at another core's queue.
 * `assignment` (src/sim/mechanisms/assignment.ts) replaces RSS by a per-request steering (random,
 * round robin, JSQ on the requests each core holds, power of d): a what-if, not a stock NIC.
 *
 * Choices (documented in docs/ix-linux-model.md):
 *  - Two `user_kernel` crossings per non-empty batch (kernel→user with the event conditions,
 *    user→kernel with the batched syscalls). An empty poll costs nothing.
 *  - Idle polling is event-driven: a core whose poll finds its queue empty goes idle and is woken
 *    at the instant a packet lands in its queue (a real IX core spins; its poll-loop period,
 *    tens of ns, is neglected). The wake-up poll runs in the DISPATCH class, after every arrival
 *    of the same cycle, so simultaneous packets can share a batch.
 *  - A batch takes min(B, queue length) packets: batching is adaptive, so at low load B has no
 *    effect and batches of one dominate.
 * With `zero` costs and B = 1 each core is exactly an M/G/1 FCFS queue over its RSS connections:
 * the same schedule as `n-mg1-fcfs` with `rss` assignment (test/sim/system/ix.test.ts).
 *
 * Two ways to run the same loop (option `events`), as for the PS models (mgn-ps.ts):
 *  - `lazy` (default): no engine events. A core's loop depends only on its own RX queue (RSS,
 *    random and rr steering never look at the cores), so each core keeps its one pending step
 *    (poll or batch end: time, and whether it runs before or after the arrivals of its cycle) in
 *    typed arrays and runs it, and whatever follows, when the next arrival reaches that core
 *    (`advance`: every step that precedes an arrival at that cycle, exactly as the engine would
 *    order them) and, for what is left, when the run has drained (`finish`). `jsq` reads every
 *    core's count, so it advances every core before it picks. Same steps, same times, same
 *    arithmetic as `eager`; only the order in which different cores' replies are reported (and
 *    so the order of per-request records) differs. A third to a half faster (README).
 *  - `eager`: each core's pending step is its engine timer (lane = core). Kept as the reference:
 *    tests check that both give the same records and result.
 *
 * Hot path: no allocation; the current batch is an intrusive list through `requests.next`, and
 * one batch costs two steps (batch end, then the poll after the TX of its replies).
 */
import {EventClass} from '../engine/engine.js'
import {Assignment, type AssignmentChoice, type QueueState, assignmentChoice, assignmentOptionDefs} from '../mechanisms/assignment.js'
import type {RequestTable} from '../machine/requests.js'
import type {Policy, PolicyDef, SimContext} from '../policy.js'
import type {Recorder} from '../../stats/recorder.js'

/** Event kinds (a = core), on the core's one engine timer: a core waits for one thing at a time. */
const POLL = 0
const BATCH_END = 1

/** Core states. */
const IDLE = 0
const POLL_PENDING = 1
const BUSY = 2

/** Upper bounds of the batch-size histogram buckets; the last bucket is open-ended. */
const BUCKET_HI = [1, 4, 8, 16, 32, 64] as const
const BUCKET_NAMES = ['batch_1', 'batch_2_4', 'batch_5_8', 'batch_9_16', 'batch_17_32', 'batch_33_64', 'batch_65_plus'] as const

class Ix implements Policy, QueueState {
  private readonly lazy: boolean
  /** Whether the steering reads the cores' counts (jsq): every core is advanced before a pick. */
  private readonly stateful: boolean
  /** Lazy mode, per core: its pending step (what its engine timer holds in eager mode). */
  private readonly stepAt: Float64Array
  private readonly stepKind: Uint8Array
  /** 1 when the pending step runs after the arrivals of its cycle (class DISPATCH). */
  private readonly stepLate: Uint8Array
  private readonly batch: number
  private readonly assign: Assignment
  /** Requests each core holds: in its RX queue or in its current batch, until their reply leaves. */
  private readonly holding: Int32Array
  private readonly state: Uint8Array
  /** Intrusive list of the current batch's slots (through requests.next), per core; -1 = empty. */
  private readonly head: Int32Array
  /**
   * NIC RX queue per core (RSS; MODEL §3): a FIFO of slots linked through `requests.next`, bounded
   * by the machine's `nicRing`. Kept here rather than in `machine.rx` so that a poll detaches its
   * batch as the head of the list, already linked in order.
   */
  private readonly rxHead: Int32Array
  private readonly rxTail: Int32Array
  private readonly rxSize: Int32Array
  private readonly rxBound: number
  // Context members used in the hot path (stable for the run).
  private readonly req: RequestTable
  private readonly recorder: Recorder
  private readonly useApp: Float64Array
  private readonly useNet: Float64Array
  private readonly cv: Float64Array
  private readonly rxCost: number
  private readonly txCost: number
  private readonly ukCost: number
  private readonly cBatches: number
  private readonly cPackets: number
  private readonly cDrops: number
  private readonly buckets = new Float64Array(BUCKET_NAMES.length)
  private maxBatch = 0

  constructor(
    private readonly ctx: SimContext,
    batch: number,
    choice: AssignmentChoice,
    lazy: boolean,
  ) {
    const n = ctx.machine.cores
    this.assign = new Assignment(choice, ctx.machine, ctx.rng)
    this.stateful = this.assign.stateful
    this.holding = new Int32Array(n)
    this.lazy = lazy
    this.stepAt = new Float64Array(n).fill(Infinity)
    this.stepKind = new Uint8Array(n)
    this.stepLate = new Uint8Array(n)
    // Eager: one engine timer per core (lane = core), its pending poll or batch end.
    if (!lazy) ctx.engine.useLanes(n, 1)
    this.batch = batch
    this.state = new Uint8Array(n)
    this.head = new Int32Array(n).fill(-1)
    this.rxHead = new Int32Array(n).fill(-1)
    this.rxTail = new Int32Array(n).fill(-1)
    this.rxSize = new Int32Array(n)
    this.rxBound = ctx.machine.config.nicRing
    this.req = ctx.requests
    this.recorder = ctx.recorder
    this.useApp = ctx.usage.app
    this.useNet = ctx.usage.net
    const costs = ctx.machine.costs
    this.rxCost = costs.rx_packet
    this.txCost = costs.tx_reply
    this.ukCost = costs.user_kernel
    this.cBatches = ctx.counters.define('ix_batches')
    this.cPackets = ctx.counters.define('ix_packets')
    this.cDrops = ctx.counters.define('nic_drops')
    // All counters are defined: the values array is stable from here on.
    this.cv = ctx.counters.values
  }

  held(q: number): number {
    return this.holding[q]
  }

  work(): number {
    throw new Error('ix: jsq-work is not offered')
  }

  arrive(slot: number): void {
    const ctx = this.ctx
    const now = ctx.engine.now
    if (this.lazy && this.stateful) for (let c = 0; c < this.holding.length; c++) this.advance(c, now)
    const r = this.req
    const q = this.assign.pick(r.conn[slot], this)
    if (this.lazy && !this.stateful) this.advance(q, now)
    r.queue[slot] = q
    if (this.rxSize[q] >= this.rxBound) {
      // The NIC ring is full: the packet is dropped.
      this.cv[this.cDrops]++
      this.recorder.drop(slot)
      return
    }
    // Append to the RX FIFO (the slot's `next` is -1 since its allocation).
    const tl = this.rxTail[q]
    if (tl < 0) this.rxHead[q] = slot
    else r.next[tl] = slot
    this.rxTail[q] = slot
    this.rxSize[q]++
    this.holding[q]++
    if (this.state[q] === IDLE) {
      this.state[q] = POLL_PENDING
      this.setStep(q, now, EventClass.DISPATCH, POLL)
    }
  }

  handle(kind: number, core: number): void {
    if (kind === POLL) this.poll(core, this.ctx.engine.now)
    else this.transmit(core, this.ctx.engine.now)
  }

  /** Core c's next step: its engine timer (eager) or its pending step (lazy). */
  private setStep(c: number, at: number, cls: number, kind: number): void {
    if (this.lazy) {
      this.stepAt[c] = at
      this.stepKind[c] = kind
      this.stepLate[c] = cls > EventClass.ARRIVAL ? 1 : 0
    } else {
      this.ctx.engine.setTimer(c, 0, at, cls, kind, 0)
    }
  }

  /** Lazy mode: run core c's steps that precede an arrival at cycle t (t = Infinity: all). */
  private advance(c: number, t: number): void {
    const stepAt = this.stepAt
    for (;;) {
      const at = stepAt[c]
      if (at > t || at === Infinity || (at === t && this.stepLate[c] === 1)) return
      stepAt[c] = Infinity
      if (this.stepKind[c] === POLL) this.poll(c, at)
      else this.transmit(c, at)
    }
  }

  /** Steps 2–3 at cycle `now`: the core holds no replies. Takes a batch or goes idle. */
  private poll(core: number, now: number): void {
    const size = this.rxSize[core]
    const n = size < this.batch ? size : this.batch
    if (n === 0) {
      this.state[core] = IDLE
      return
    }
    this.state[core] = BUSY
    const r = this.req
    const next = r.next
    const service = r.service
    const coreOf = r.core
    const start = r.start
    // TCP processing of the n packets, then the crossing to user space.
    let t = now + n * this.rxCost + this.ukCost
    let app = 0
    // The batch is the first n packets of the RX list, already linked in order.
    const first = this.rxHead[core]
    let slot = first
    let last = first
    for (let i = 0; i < n; i++) {
      const s = service[slot]
      coreOf[slot] = core
      start[slot] = t
      t += s
      app += s
      last = slot
      slot = next[slot]
    }
    // Detach it: `slot` is the rest of the queue (-1 when the batch took it all).
    next[last] = -1
    this.rxHead[core] = slot
    if (slot < 0) this.rxTail[core] = -1
    this.rxSize[core] = size - n
    this.head[core] = first
    this.useApp[core] += app
    this.useNet[core] += n * this.rxCost + 2 * this.ukCost
    const cv = this.cv
    cv[this.cBatches]++
    cv[this.cPackets] += n
    if (n > this.maxBatch) this.maxBatch = n
    let b = 0
    while (b < BUCKET_HI.length && n > BUCKET_HI[b]) b++
    this.buckets[b]++
    // Back into the kernel with the batched syscalls.
    this.setStep(core, t + this.ukCost, EventClass.FINISH, BATCH_END)
  }

  /** Step 1 at the end of a batch (cycle `now`): send its replies in order, then poll. */
  private transmit(core: number, now: number): void {
    const next = this.req.next
    const rec = this.recorder
    const tx = this.txCost
    let t = now
    let slot = this.head[core]
    let m = 0
    while (slot >= 0) {
      const nx = next[slot]
      t += tx
      rec.complete(slot, t)
      slot = nx
      m++
    }
    this.head[core] = -1
    this.holding[core] -= m
    this.useNet[core] += m * tx
    if (t === now) this.poll(core, now)
    else this.setStep(core, t, EventClass.FINISH, POLL)
  }

  metrics(): Record<string, number> {
    const cv = this.ctx.counters.values
    const batches = cv[this.cBatches]
    const out: Record<string, number> = {
      batch_mean: batches > 0 ? cv[this.cPackets] / batches : 0,
      batch_max: this.maxBatch,
    }
    // Share of batches in each size bucket.
    for (let i = 0; i < BUCKET_NAMES.length; i++) out[BUCKET_NAMES[i]] = batches > 0 ? this.buckets[i] / batches : 0
    return out
  }

  finish(): void {
    // Lazy mode: what is left of every core's loop after the last arrival.
    if (this.lazy) for (let c = 0; c < this.state.length; c++) this.advance(c, Infinity)
    for (let c = 0; c < this.state.length; c++) {
      if (this.state[c] !== IDLE || this.rxSize[c] !== 0 || this.head[c] !== -1 || this.holding[c] !== 0) {
        throw new Error(`ix: core ${c} not idle after the drain (state ${this.state[c]}, ${this.rxSize[c]} packets queued)`)
      }
    }
  }
}

export const ix: PolicyDef = {
  name: 'ix',
  summary: 'IX dataplane: per-core run to completion over its own RSS queue, adaptive batches of up to B packets, no stealing',
  family: 'system',
  options: [
    {
      name: 'batch',
      description: 'maximum packets per batch B (IX default 64; the paper\'s IX curves use 1)',
      default: 64,
      min: 1,
      max: 4096,
      integer: true,
    },
    ...assignmentOptionDefs(
      ['rss', 'random', 'rr', 'jsq'],
      'where a request\'s packet lands: rss (by connection hash, the real NIC); random, rr, jsq (fewest held: RX queue plus current batch; d=D: of D sampled queues) model a per-request steering a stock NIC does not do',
    ),
    {
      name: 'events',
      description: 'lazy: each core\'s loop runs at its own next arrival, no engine events (fast); eager: one engine event per poll and batch end (reference); same results',
      default: 'lazy',
      choices: ['lazy', 'eager'],
    },
  ],
  create: (ctx, o) => new Ix(ctx, Number(o.batch), assignmentChoice('ix', o, ctx.machine.cores), o.events !== 'eager'),
}
