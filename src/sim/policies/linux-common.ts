/**
 * Shared mechanics of the two Linux models (docs/model.md §5; servers of `ix-project/servers`):
 * NIC interrupts and softirq TCP processing on the RSS core, one application thread pinned per
 * core that sleeps in `epoll_wait`, socket receive buffers per connection, and wake-ups. The two
 * variants differ only in where a readiness event goes and which threads it wakes:
 * `linux-partitioned` (each thread's private epoll set) and `linux-floating` (every connection in
 * every thread's epoll set, thundering herd). They subclass `LinuxServer` and implement
 * `onReady`, `hasReady` and `takeReady`.
 *
 * Path of a request:
 *  1. The packet lands in its RSS queue (`machine.rx[home]`). If that core is not already in its
 *     interrupt/softirq, a hard interrupt fires: `linux_irq` (entry, softirq raise, exit), then
 *     NAPI processes the queue one packet at a time (`linux_softirq_packet` each) until it is
 *     empty; packets arriving meanwhile join the same softirq run (no new interrupt).
 *  2. At the end of its softirq processing the request is appended to its connection's socket
 *     buffer. A connection with buffered data that is neither queued nor held by a thread becomes
 *     *ready* (`onReady`), which may wake a thread blocked in `epoll_wait`.
 *  3. A woken thread pays `linux_wakeup` (scheduler, cross-core IPI when remote, context switch)
 *     plus `linux_epoll_wait`; a running thread that finds work ready pays `linux_epoll_wait` only.
 *     When epoll_wait returns, the thread takes the first ready connection (try-lock), `read()`s
 *     everything buffered on it (`linux_read`, once), then for each request in order: service
 *     (application time) and `write()` of the reply (`linux_write`, including kernel TCP TX; the
 *     reply leaves the NIC when the write ends). If more data was buffered meanwhile it reads
 *     again (drain), else it releases the connection and looks for the next ready one, or blocks.
 *
 * Interrupts steal time (choice, documented in docs/ix-linux-model.md): hard interrupts preempt
 * the thread on the RSS core. Its current piece of work (a syscall, a request's service, a
 * wake-up) is frozen for the whole interrupt + softirq run and resumes afterwards, so the
 * interrupt delays the request running on that core. The frozen segment's end event is cleared
 * from the core's engine timer and set again when it resumes.
 *
 * Choices: threads are pinned one per core (thread i on core i; no migration). epoll_wait is
 * paid per connection visit, not per request: with the paper's 2720 connections a visit almost
 * always carries one request, so this equals "epoll_wait, read, write per request"; under bursts
 * on one connection the drain amortises epoll_wait and read as a real server's read loop does.
 * `requests.start` is the cycle service would begin absent later interrupts (an interrupt that
 * preempts the read delays the real start; the reply time is exact).
 *
 * Hot path: typed arrays only; per-connection buffers are intrusive lists through `requests.next`.
 */
import {EventClass} from '../engine/engine.js'
import type {Policy, SimContext} from '../policy.js'

/**
 * Event kinds, a = core. SEG on the core's SEG timer (the thread's running segment);
 * IRQ, IRQ_FIRE and IRQ_END on its IRQ timer (the interrupt/softirq state machine).
 */
const EV_SEG = 0
const EV_IRQ = 1
const EV_IRQ_FIRE = 2
const EV_IRQ_END = 3

/** Engine timers per core (lane = core). */
const T_SEG = 0
const T_IRQ = 1

/** Thread states. */
export const BLOCKED = 0
export const RUNNING = 1

/** Segment kinds: what the running thread is doing. */
const SEG_EPOLL = 0
const SEG_REQ = 1

/** Connection states: a connection is in at most one ready list and held by at most one thread. */
const C_IDLE = 0
const C_QUEUED = 1
const C_LOCKED = 2

export abstract class LinuxServer implements Policy {
  protected readonly cores: number
  /** Per thread (= core). */
  protected readonly tState: Uint8Array
  private readonly segKind: Uint8Array
  private readonly segFrozen: Uint8Array
  private readonly segEnd: Float64Array
  private readonly segRemain: Float64Array
  /** 1 while the thread's current epoll_wait segment follows a wake-up (for herd counting). */
  private readonly woke: Uint8Array
  private readonly curConn: Int32Array
  /** Requests read by the thread and not yet replied, intrusive list through requests.next. */
  private readonly tHead: Int32Array
  private readonly tTail: Int32Array
  /** Per core: 1 while the interrupt/softirq runs, or while a moderated interrupt is pending. */
  private readonly irqActive: Uint8Array
  /** Per core: cycle of the last hard interrupt (for interrupt moderation). */
  private readonly lastIrq: Float64Array
  /** Number of threads in state BLOCKED. */
  protected blocked: number
  /**
   * With at most 32 cores: the BLOCKED threads as a bit mask (bit t = thread t), so that a herd
   * wake-up visits the blocked threads only, in thread order (`linux-floating`).
   */
  protected blockedMask: number
  /** Per connection (grown on demand): socket buffer list and state. */
  private bufHead = new Int32Array(0)
  private bufTail = new Int32Array(0)
  private cState = new Uint8Array(0)

  private readonly irqCost: number
  private readonly irqInterval: number
  private readonly softirqCost: number
  private readonly wakeCost: number
  private readonly wakeSendCost: number
  /** Wake-up sending work accumulated by the delivery being processed (charged to the softirq). */
  private pendingSend = 0
  private readonly epollCost: number
  private readonly readCost: number
  private readonly writeCost: number

  private readonly cIrqs: number
  private readonly cSoftirqPackets: number
  private readonly cWakeups: number
  private readonly cRemoteWakeups: number
  private readonly cHerd: number
  private readonly cEpolls: number
  private readonly cReads: number
  private readonly cDrops: number

  constructor(protected readonly ctx: SimContext) {
    const n = ctx.machine.cores
    this.cores = n
    ctx.engine.useLanes(n, 2)
    this.tState = new Uint8Array(n)
    this.segKind = new Uint8Array(n)
    this.segFrozen = new Uint8Array(n)
    this.segEnd = new Float64Array(n)
    this.segRemain = new Float64Array(n)
    this.woke = new Uint8Array(n)
    this.curConn = new Int32Array(n).fill(-1)
    this.tHead = new Int32Array(n).fill(-1)
    this.tTail = new Int32Array(n).fill(-1)
    this.irqActive = new Uint8Array(n)
    this.lastIrq = new Float64Array(n).fill(-Infinity)
    this.blocked = n
    this.blockedMask = n >= 32 ? -1 : (1 << n) - 1
    this.growConns(4096)
    const k = ctx.machine.costs
    this.irqCost = k.linux_irq
    this.irqInterval = k.linux_irq_interval
    this.softirqCost = k.linux_softirq_packet
    this.wakeCost = k.linux_wakeup
    this.wakeSendCost = k.linux_wakeup_send
    this.epollCost = k.linux_epoll_wait
    this.readCost = k.linux_read
    this.writeCost = k.linux_write
    const c = ctx.counters
    this.cIrqs = c.define('linux_irqs')
    this.cSoftirqPackets = c.define('linux_softirq_packets')
    this.cWakeups = c.define('linux_wakeups')
    this.cRemoteWakeups = c.define('linux_wakeups_remote')
    this.cHerd = c.define('herd_wakeups')
    this.cEpolls = c.define('linux_epoll_waits')
    this.cReads = c.define('linux_reads')
    this.cDrops = c.define('nic_drops')
  }

  /** Connection `conn` just became ready (state QUEUED); `core` is the softirq core delivering it. */
  protected abstract onReady(conn: number, core: number): void
  /** Whether thread t's epoll_wait would return a ready connection now. */
  protected abstract hasReady(t: number): boolean
  /** Pop the first ready connection visible to thread t, or -1. */
  protected abstract takeReady(t: number): number

  arrive(slot: number): void {
    const ctx = this.ctx
    const conn = ctx.requests.conn[slot]
    if (conn >= this.cState.length) this.growConns(conn + 1)
    const q = ctx.machine.homeQueue(conn)
    ctx.requests.queue[slot] = q
    if (!ctx.machine.rx[q].push(slot)) {
      ctx.counters.values[this.cDrops]++
      ctx.recorder.drop(slot)
      return
    }
    if (this.irqActive[q] === 0) {
      // Interrupt moderation: at most one interrupt per queue every linux_irq_interval cycles.
      const at = this.lastIrq[q] + this.irqInterval
      const now = ctx.engine.now
      if (at <= now) {
        this.startIrq(q)
      } else {
        this.irqActive[q] = 2
        ctx.engine.setTimer(q, T_IRQ, at, EventClass.INTERRUPT, EV_IRQ_FIRE, 0)
      }
    }
  }

  handle(kind: number, a: number): void {
    if (kind === EV_IRQ) this.softirqDone(a)
    else if (kind === EV_IRQ_FIRE) this.startIrq(a)
    else if (kind === EV_IRQ_END) this.softirqPoll(a)
    else this.segDone(a)
  }

  // ---- interrupts and softirq ----------------------------------------------------------------

  private startIrq(c: number): void {
    const ctx = this.ctx
    this.irqActive[c] = 1
    this.lastIrq[c] = ctx.engine.now
    this.freeze(c)
    const d = this.irqCost + this.softirqCost
    ctx.usage.net[c] += d
    const cv = ctx.counters.values
    cv[this.cIrqs]++
    cv[this.cSoftirqPackets]++
    ctx.engine.setTimer(c, T_IRQ, ctx.engine.now + d, EventClass.FINISH, EV_IRQ, 0)
  }

  /**
   * The softirq on core c finished one packet: deliver it (the wake-ups it causes are sent from
   * this softirq, `linux_wakeup_send` each), then continue NAPI polling or return.
   */
  private softirqDone(c: number): void {
    const ctx = this.ctx
    this.deliver(ctx.machine.rx[c].shift(), c)
    const extra = this.pendingSend
    if (extra > 0) {
      this.pendingSend = 0
      ctx.usage.net[c] += extra
      ctx.engine.setTimer(c, T_IRQ, ctx.engine.now + extra, EventClass.FINISH, EV_IRQ_END, 0)
    } else {
      this.softirqPoll(c)
    }
  }

  /** NAPI poll on core c: process the next packet, or leave the softirq and resume the thread. */
  private softirqPoll(c: number): void {
    const ctx = this.ctx
    if (ctx.machine.rx[c].size > 0) {
      ctx.usage.net[c] += this.softirqCost
      ctx.counters.values[this.cSoftirqPackets]++
      ctx.engine.setTimer(c, T_IRQ, ctx.engine.now + this.softirqCost, EventClass.FINISH, EV_IRQ, 0)
    } else {
      this.irqActive[c] = 0
      this.resume(c)
    }
  }

  /** Append a request to its connection's socket buffer; a newly readable connection is ready. */
  private deliver(slot: number, core: number): void {
    const r = this.ctx.requests
    const conn = r.conn[slot]
    r.next[slot] = -1
    if (this.bufHead[conn] < 0) this.bufHead[conn] = slot
    else r.next[this.bufTail[conn]] = slot
    this.bufTail[conn] = slot
    if (this.cState[conn] === C_IDLE) {
      this.cState[conn] = C_QUEUED
      this.onReady(conn, core)
    }
  }

  // ---- threads --------------------------------------------------------------------------------

  /** Wake blocked thread t (its epoll_wait returns): wake-up + epoll_wait on its core. */
  protected wake(t: number, fromCore: number): void {
    const ctx = this.ctx
    this.tState[t] = RUNNING
    this.blocked--
    this.blockedMask &= ~(1 << t)
    this.woke[t] = 1
    const cv = ctx.counters.values
    cv[this.cWakeups]++
    if (t !== fromCore) cv[this.cRemoteWakeups]++
    this.pendingSend += this.wakeSendCost
    cv[this.cEpolls]++
    const d = this.wakeCost + this.epollCost
    ctx.usage.net[t] += d
    this.startSeg(t, SEG_EPOLL, d)
  }

  private block(t: number): void {
    this.tState[t] = BLOCKED
    this.blocked++
    this.blockedMask |= 1 << t
  }

  private startSeg(t: number, kind: number, duration: number): void {
    this.segKind[t] = kind
    if (this.irqActive[t] === 1) {
      this.segFrozen[t] = 1
      this.segRemain[t] = duration
    } else {
      const ctx = this.ctx
      const end = ctx.engine.now + duration
      this.segEnd[t] = end
      ctx.engine.setTimer(t, T_SEG, end, EventClass.FINISH, EV_SEG, 0)
    }
  }

  /** An interrupt starts on core c: freeze the thread's running segment. */
  private freeze(c: number): void {
    if (this.tState[c] === RUNNING && this.segFrozen[c] === 0) {
      this.segFrozen[c] = 1
      this.segRemain[c] = this.segEnd[c] - this.ctx.engine.now
      // Its end event is void: never dispatched.
      this.ctx.engine.clearTimer(c, T_SEG)
    }
  }

  /** The interrupt on core c ended: the frozen segment resumes with its remaining work. */
  private resume(c: number): void {
    if (this.tState[c] === RUNNING && this.segFrozen[c] === 1) {
      const ctx = this.ctx
      this.segFrozen[c] = 0
      const end = ctx.engine.now + this.segRemain[c]
      this.segEnd[c] = end
      ctx.engine.setTimer(c, T_SEG, end, EventClass.FINISH, EV_SEG, 0)
    }
  }

  private segDone(t: number): void {
    const ctx = this.ctx
    if (this.segKind[t] === SEG_EPOLL) {
      const conn = this.takeReady(t)
      if (conn < 0) {
        // Nothing left (another thread won the try-lock): back to sleep.
        if (this.woke[t] === 1) ctx.counters.values[this.cHerd]++
        this.woke[t] = 0
        this.block(t)
        return
      }
      this.woke[t] = 0
      this.cState[conn] = C_LOCKED
      this.curConn[t] = conn
      this.readAll(t, conn)
      return
    }
    // SEG_REQ: the reply of the head request leaves the NIC now.
    const r = ctx.requests
    const slot = this.tHead[t]
    this.tHead[t] = r.next[slot]
    ctx.recorder.complete(slot, ctx.engine.now)
    if (this.tHead[t] >= 0) {
      this.startReq(t, 0)
      return
    }
    const conn = this.curConn[t]
    if (this.bufHead[conn] >= 0) {
      this.readAll(t, conn)
      return
    }
    // Release the connection; it is idle (no buffered data).
    this.cState[conn] = C_IDLE
    this.curConn[t] = -1
    if (this.hasReady(t)) {
      ctx.counters.values[this.cEpolls]++
      ctx.usage.net[t] += this.epollCost
      this.startSeg(t, SEG_EPOLL, this.epollCost)
    } else {
      this.block(t)
    }
  }

  /** read(): move everything buffered on conn to thread t's list and start the first request. */
  private readAll(t: number, conn: number): void {
    this.tHead[t] = this.bufHead[conn]
    this.tTail[t] = this.bufTail[conn]
    this.bufHead[conn] = -1
    this.bufTail[conn] = -1
    this.ctx.counters.values[this.cReads]++
    this.startReq(t, this.readCost)
  }

  /** Service + write of thread t's head request, after `pre` cycles of read. */
  private startReq(t: number, pre: number): void {
    const ctx = this.ctx
    const r = ctx.requests
    const slot = this.tHead[t]
    const s = r.service[slot]
    r.core[slot] = t
    r.start[slot] = ctx.engine.now + pre
    ctx.usage.app[t] += s
    ctx.usage.net[t] += pre + this.writeCost
    this.startSeg(t, SEG_REQ, pre + s + this.writeCost)
  }

  private growConns(n: number): void {
    let cap = Math.max(16, this.cState.length)
    while (cap < n) cap *= 2
    const h = new Int32Array(cap).fill(-1)
    h.set(this.bufHead)
    const tl = new Int32Array(cap).fill(-1)
    tl.set(this.bufTail)
    const st = new Uint8Array(cap)
    st.set(this.cState)
    this.bufHead = h
    this.bufTail = tl
    this.cState = st
  }

  finish(): void {
    for (let c = 0; c < this.cores; c++) {
      if (this.tState[c] !== BLOCKED || this.irqActive[c] !== 0 || this.ctx.machine.rx[c].size !== 0 || this.tHead[c] !== -1) {
        throw new Error(`linux: core ${c} not idle after the drain`)
      }
    }
    for (let k = 0; k < this.cState.length; k++) {
      if (this.cState[k] !== C_IDLE || this.bufHead[k] !== -1) throw new Error(`linux: connection ${k} still holds data after the drain`)
    }
  }
}
