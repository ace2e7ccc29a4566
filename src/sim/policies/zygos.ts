/**
 * `zygos` and `zygos-nointr` — the ZygOS dataplane (docs/model.md §5; Prekas et al., SOSP'17; the
 * authors' code `ix-project/zygos`, dp/net/tcp_api.c and dp/core/syscall.c). Model decisions and
 * the calibration of the `paper` costs are in docs/zygos-model.md.
 *
 * Three layers per core:
 *  - networking: the core's own NIC RX queue (RSS: `ctx.machine.homeQueue`; kept in this class as
 *    an intrusive FIFO bounded by the machine's `nicRing`) and TCP,
 *    done only by the connection's *home* core (the core of its RX queue);
 *  - shuffle: a per-core FIFO of *ready connections* (connections with pending requests);
 *  - application: runs all pending requests of one connection, to completion, in order.
 *
 * Connection ownership (invariants, checked in `finish`):
 *  - a connection is in at most one shuffle queue (its home core's), and only while no core holds
 *    its events (state QUEUED);
 *  - at most one core serves a connection at a time (state BUSY); packets for a BUSY connection
 *    only append to its pending list (the READY flag = pending list non-empty);
 *  - when the work is done, the home core releases it (at its next kernel entry for its own work,
 *    or as remote work for a thief's) and re-enqueues it at the tail if it became ready.
 *  So a connection's requests start, and their replies leave, in arrival order.
 *
 * Home-core loop (one *kernel phase*, then application code):
 *  (1) remote work (replies of requests stolen from it → TX list; ownership releases),
 *  (2) poll + TCP-process up to `rx_batch` packets (`rx_packet` + `shuffle_packet` cycles each:
 *      the TCP stack as in IX, plus the shuffle layer's locked enqueue and event bookkeeping),
 *  (3) transmit every queued reply (`tx_reply` each; all leave the NIC at the end of the phase),
 *  (4) pop one ready connection and run all its pending requests; replies are held until the
 *      connection's batch is done, then the next kernel entry (`user_kernel`) sends them.
 *  A kernel phase is simulated as one block: its inputs (packets, remote work) are taken at its
 *  start, its effects (connections made ready, releases, replies leaving) happen at its end. The
 *  core is "in the kernel" throughout, so it is neither stealable nor interruptible.
 *
 * Idle loop (MODEL §5 order): remote work for me → own RX queue → steal (a random core running
 * application code whose shuffle queue is not empty: take its head connection with all pending
 * events; `steal_attempt + steal_transfer` before they run) → IPI a random core running
 * application code with packets in its RX queue and no IPI pending or within the throttle
 * (`ipi_send` on the sender, delivery `ipi_latency` after the send) → spin.
 * Idle spinning is event-driven: an idle core is woken when work appears in its own queues, and
 * idle cores are "kicked" when a steal or IPI opportunity appears anywhere (a core enters
 * application code with a non-empty shuffle or RX queue, a packet reaches a core in application
 * code, an IPI throttle expires). All idle cores see the same opportunities, so a kick wakes random
 * idle cores one by one until one of them finds nothing to do.
 *
 * Stolen work: the thief runs the connection's requests, then enters its kernel (`user_kernel`),
 * routes each reply to the home core as a remote syscall (`remote_syscall` each) plus the
 * ownership release, and sends the home core an IPI (`ipi_send`) unless an IPI to it is pending or
 * throttled (the pending one will run the remote work too). An idle home core is woken instead.
 * The home core sends those replies at its next kernel phase, idle loop, or IPI handler.
 *
 * IPI handler (target running application code at delivery; otherwise the IPI is ignored, as
 * ZygOS ignores it when `in_kernel`): interrupts the running request, takes remote work and up to
 * `rx_batch` packets, costs `ipi_handler` + packets·(`rx_packet` + `shuffle_packet`) + remote
 * replies·`tx_reply`; at its
 * end the connections are ready (stealable), the remote replies leave, the throttle is reset and
 * the request resumes: its completion moves later by the handler's cost (the old completion event
 * is cancelled in the engine; a per-core generation token also guards against a stale one).
 *
 * `zygos-nointr` is the same class with interrupts off: no IPIs are sent at all.
 *
 * Units: all times and costs in cycles. Hot path: typed arrays, no allocation per event.
 */
import {type Engine, EventClass} from '../engine/engine.js'
import type {RequestTable} from '../machine/requests.js'
import type {Policy, PolicyDef, SimContext} from '../policy.js'
import type {Rng} from '../../rng.js'
import type {Recorder} from '../../stats/recorder.js'

// Event kinds (a = core).
const K_KERNEL_DONE = 0
/** b = generation token of the core when scheduled. */
const K_APP_DONE = 1
const K_STEAL_DONE = 2
const K_IPI_ARRIVE = 3
const K_HANDLER_DONE = 4
/** b = IPI sequence number the throttle belongs to. */
const K_THROTTLE = 5

// Core modes.
const IDLE = 0
/** Kernel phase (incl. a thief's remote syscalls), steal in progress: ZygOS's `in_kernel`. */
const KERNEL = 1
const APP = 2
/** Running the IPI handler on top of an interrupted request. */
const HANDLER = 3

// Connection states.
const C_IDLE = 0
const C_QUEUED = 1
const C_BUSY = 2

export interface ZygosOptions {
  /** Packets TCP-processed per poll (ZygOS/IX: 64). */
  rxBatch: number
  /** Whether IPIs are used (`zygos`) or not (`zygos-nointr`). */
  interrupts: boolean
  /**
   * Whether a thief IPIs the home core after a stolen batch (MODEL §5; default). The published
   * code (tcp_finish_usys → cpu_run_on_one) only queues the release for the home core's next
   * kernel entry; `remote_ipi=off` models that.
   */
  remoteIpi: boolean
}

class Zygos implements Policy {
  private readonly n: number
  private readonly rxBatch: number
  private readonly interrupts: boolean
  private readonly remoteIpi: boolean
  // Costs, cycles.
  /** Per packet on the home core: TCP (`rx_packet`) + shuffle layer (`shuffle_packet`). */
  private readonly cRx: number
  private readonly cTx: number
  private readonly cUk: number
  private readonly cStealAttempt: number
  private readonly cStealTransfer: number
  private readonly cRemote: number
  private readonly cIpiSend: number
  private readonly cIpiLatency: number
  private readonly cIpiHandler: number
  private readonly cThrottle: number

  // Per core.
  private readonly mode: Uint8Array
  private readonly gen: Int32Array
  /** Completion time of the running request (cycles); while in HANDLER: remaining service. */
  private readonly appEnd: Float64Array
  /** Slot running, -1 = none. */
  private readonly cur: Int32Array
  /** Rest of the running batch (list through requests.next), -1 = empty. */
  private readonly batchHead: Int32Array
  private readonly batchConn: Int32Array
  private readonly batchStolen: Uint8Array
  /** Replies waiting for this core's transmit step (local replies + taken remote replies). */
  private readonly txHead: Int32Array
  private readonly txTail: Int32Array
  private readonly txCount: Int32Array
  /** Replies of a stolen batch, to be routed to the home core. */
  private readonly outHead: Int32Array
  private readonly outTail: Int32Array
  private readonly outCount: Int32Array
  /** Remote replies pushed to this (home) core by thieves, not yet taken. */
  private readonly remHead: Int32Array
  private readonly remTail: Int32Array
  private readonly remCount: Int32Array
  /**
   * Remote ownership releases pushed to this core: a FIFO of connection ids linked through
   * `cNext` (free while the connection is held: it is in no shuffle queue), -1 when empty.
   */
  private readonly relHead: Int32Array
  private readonly relTail: Int32Array
  /** Releases taken by the current kernel phase / handler (the list detached from relHead). */
  private readonly relTaken: Int32Array
  /** Own connection to release at the next kernel phase, -1 = none. */
  private readonly ownRelease: Int32Array
  /** Packets taken by the current kernel phase / handler (list through requests.next). */
  private readonly pktHead: Int32Array
  /** Remote replies taken by the current handler (sent at its end). */
  private readonly hTxHead: Int32Array
  private readonly hTxCount: Int32Array
  /**
   * Shuffle queue of ready connections per core: a FIFO linked through `cNext` (a connection is
   * in at most one shuffle queue), head/tail -1 when empty.
   */
  private readonly shHead: Int32Array
  private readonly shTail: Int32Array
  private readonly shSize: Int32Array
  /** An IPI to this core was sent and not yet taken (the APIC would merge a second one). */
  private readonly ipiPending: Uint8Array
  /** An IPI arrived during the handler: it runs again when the handler returns. */
  private readonly ipiDeferred: Uint8Array
  /** Send time of the last IPI to this core not yet handled, -1 = none. */
  private readonly ipiStamp: Float64Array
  /** 1 while that IPI is unhandled and younger than `ipi_throttle`: no new IPI to this core. */
  private readonly throttleOn: Uint8Array
  private readonly ipiSeq: Int32Array
  /**
   * Opportunity flags, kept current by `refresh(core)` after every change of a core's mode,
   * queues or IPI state: stealable = in application code (or its IPI handler) with a ready
   * connection; ipiable = in application code (or its handler: ZygOS's `in_kernel` is false
   * there) with packets in its RX queue, no IPI pending and not throttled. The counts make an
   * idle core's "nothing to do" check O(1).
   */
  private readonly stealFlag: Uint8Array
  private readonly ipiFlag: Uint8Array
  private stealCount = 0
  private ipiCount = 0
  /** With n <= 32 cores: the flags as bit masks (bit j = core j), for an O(1)-ish `pick`. */
  private readonly small: boolean
  private stealMask = 0
  private ipiMask = 0
  // Context members used in the hot path (stable for the run).
  private readonly engine: Engine
  private readonly req: RequestTable
  private readonly recorder: Recorder
  private readonly rng: Rng
  private readonly useApp: Float64Array
  private readonly useNet: Float64Array
  /**
   * NIC RX queue per core (RSS; MODEL §3): a FIFO of request slots linked through
   * `requests.next` (free until TCP delivers the packet), bounded by the machine's `nicRing`.
   * Kept here rather than in `machine.rx` so that a poll detaches up to `rx_batch` packets as one
   * list instead of shifting them one by one, and the size is a typed-array read in `refresh`.
   */
  private readonly rxHead: Int32Array
  private readonly rxTail: Int32Array
  private readonly rxSize: Int32Array
  private readonly rxBound: number
  private readonly cv: Float64Array
  // Idle set with O(1) random pick and removal.
  private readonly idleArr: Int32Array
  private readonly idlePos: Int32Array
  private idleCount = 0

  // Per connection (dense ids, grown on demand).
  private cState = new Uint8Array(1024)
  private cHead = new Int32Array(1024).fill(-1)
  private cTail = new Int32Array(1024).fill(-1)
  private cHome = new Int32Array(1024).fill(-1)
  /** Link of the shuffle queue the connection is in. */
  private cNext = new Int32Array(1024).fill(-1)

  // Counters.
  private readonly kSteals: number
  private readonly kStolen: number
  private readonly kIpiSent: number
  private readonly kIpiIdle: number
  private readonly kIpiRemote: number
  private readonly kIpiHandled: number
  private readonly kIpiIgnored: number
  private readonly kRemote: number
  private readonly kPolls: number
  private readonly kPackets: number
  private readonly kBatches: number
  private events = 0
  private stolenEvents = 0

  constructor(
    private readonly ctx: SimContext,
    opts: ZygosOptions,
  ) {
    const n = ctx.machine.cores
    this.n = n
    this.rxBatch = opts.rxBatch
    this.interrupts = opts.interrupts
    this.remoteIpi = opts.interrupts && opts.remoteIpi
    const k = ctx.machine.costs
    this.cRx = k.rx_packet + k.shuffle_packet
    this.cTx = k.tx_reply
    this.cUk = k.user_kernel
    this.cStealAttempt = k.steal_attempt
    this.cStealTransfer = k.steal_transfer
    this.cRemote = k.remote_syscall
    this.cIpiSend = k.ipi_send
    this.cIpiLatency = k.ipi_latency
    this.cIpiHandler = k.ipi_handler
    this.cThrottle = k.ipi_throttle
    this.mode = new Uint8Array(n)
    this.gen = new Int32Array(n)
    this.appEnd = new Float64Array(n)
    this.cur = new Int32Array(n).fill(-1)
    this.batchHead = new Int32Array(n).fill(-1)
    this.batchConn = new Int32Array(n).fill(-1)
    this.batchStolen = new Uint8Array(n)
    this.txHead = new Int32Array(n).fill(-1)
    this.txTail = new Int32Array(n).fill(-1)
    this.txCount = new Int32Array(n)
    this.outHead = new Int32Array(n).fill(-1)
    this.outTail = new Int32Array(n).fill(-1)
    this.outCount = new Int32Array(n)
    this.remHead = new Int32Array(n).fill(-1)
    this.remTail = new Int32Array(n).fill(-1)
    this.remCount = new Int32Array(n)
    this.relHead = new Int32Array(n).fill(-1)
    this.relTail = new Int32Array(n).fill(-1)
    this.shHead = new Int32Array(n).fill(-1)
    this.shTail = new Int32Array(n).fill(-1)
    this.shSize = new Int32Array(n)
    this.small = n <= 32
    this.engine = ctx.engine
    this.req = ctx.requests
    this.recorder = ctx.recorder
    this.rng = ctx.rng
    this.useApp = ctx.usage.app
    this.useNet = ctx.usage.net
    this.relTaken = new Int32Array(n).fill(-1)
    this.ownRelease = new Int32Array(n).fill(-1)
    this.pktHead = new Int32Array(n).fill(-1)
    this.hTxHead = new Int32Array(n).fill(-1)
    this.hTxCount = new Int32Array(n)
    this.ipiPending = new Uint8Array(n)
    this.ipiDeferred = new Uint8Array(n)
    this.ipiStamp = new Float64Array(n).fill(-1)
    this.throttleOn = new Uint8Array(n)
    this.stealFlag = new Uint8Array(n)
    this.ipiFlag = new Uint8Array(n)
    this.rxHead = new Int32Array(n).fill(-1)
    this.rxTail = new Int32Array(n).fill(-1)
    this.rxSize = new Int32Array(n)
    this.rxBound = ctx.machine.config.nicRing
    this.ipiSeq = new Int32Array(n)
    this.idleArr = new Int32Array(n)
    this.idlePos = new Int32Array(n).fill(-1)
    // Every core starts idle (spinning in its idle loop).
    for (let c = 0; c < n; c++) this.idleAdd(c)
    const cn = ctx.counters
    this.kSteals = cn.define('steals')
    this.kStolen = cn.define('stolen_events')
    this.kIpiSent = cn.define('ipis_sent')
    this.kIpiIdle = cn.define('ipis_sent_idle')
    this.kIpiRemote = cn.define('ipis_sent_remote')
    this.kIpiHandled = cn.define('ipis_handled')
    this.kIpiIgnored = cn.define('ipis_ignored')
    this.kRemote = cn.define('remote_syscalls')
    this.kPolls = cn.define('polls')
    this.kPackets = cn.define('packets')
    this.kBatches = cn.define('connection_batches')
    // All counters are defined: the values array is stable from here on.
    this.cv = cn.values
  }

  // ---------------------------------------------------------------- arrivals

  arrive(slot: number): void {
    const ctx = this.ctx
    const conn = this.req.conn[slot]
    if (conn >= this.cHome.length) this.growConns(conn)
    let home = this.cHome[conn]
    if (home < 0) {
      home = ctx.machine.homeQueue(conn)
      this.cHome[conn] = home
    }
    this.req.queue[slot] = home
    if (this.rxSize[home] >= this.rxBound) {
      // The NIC ring is full: the packet is dropped.
      this.recorder.drop(slot)
      return
    }
    // Append to the RX FIFO (the slot's `next` is -1 since its allocation).
    const t = this.rxTail[home]
    if (t < 0) this.rxHead[home] = slot
    else this.req.next[t] = slot
    this.rxTail[home] = slot
    this.rxSize[home]++
    const m = this.mode[home]
    if (m === IDLE) {
      this.idleRemove(home)
      this.startKernel(home, 0, false)
    } else if (m >= APP && this.interrupts) {
      // Only the IPI flag can change (the RX queue is now non-empty): what `refresh` would do.
      if (this.ipiFlag[home] === 0 && this.ipiPending[home] === 0 && this.throttleOn[home] === 0) this.setIpiFlag(home, 1)
      if (this.ipiFlag[home] === 1 && this.idleCount > 0) this.kick()
    }
  }

  // ---------------------------------------------------------------- events

  handle(kind: number, core: number, b: number): void {
    switch (kind) {
      case K_APP_DONE:
        if (b === this.gen[core]) this.appDone(core)
        break
      case K_KERNEL_DONE:
        this.kernelDone(core)
        break
      case K_STEAL_DONE:
        this.beginBatch(core)
        break
      case K_IPI_ARRIVE:
        this.ipiArrive(core)
        break
      case K_HANDLER_DONE:
        this.handlerDone(core)
        break
      case K_THROTTLE:
        // The throttle of an IPI still unhandled expired: the target may be interrupted again.
        if (b === this.ipiSeq[core] && this.throttleOn[core] === 1) {
          this.throttleOn[core] = 0
          this.refresh(core)
          if (this.ipiFlag[core] === 1 && this.idleCount > 0) this.kick()
        }
        break
      default:
        throw new Error(`zygos: unknown event kind ${kind}`)
    }
  }

  // ---------------------------------------------------------------- kernel phase

  /**
   * Start a kernel phase on core c: take remote work and up to rxBatch packets now; effects at
   * the end. `extra` cycles are added (e.g. an IPI sent on the way); `fromApp` adds the crossing.
   */
  private startKernel(c: number, extra: number, fromApp: boolean): void {
    const next = this.req.next
    this.setMode(c, KERNEL)
    let cost = extra + (fromApp ? this.cUk : 0)
    // (1) remote work: replies join the TX list; releases are applied at the end.
    if (this.remCount[c] > 0) {
      this.appendTx(c, this.remHead[c], this.remTail[c], this.remCount[c], next)
      this.remHead[c] = -1
      this.remTail[c] = -1
      this.remCount[c] = 0
    }
    this.takeReleases(c)
    // (2) poll + TCP.
    const np = this.takePackets(c, next)
    cost += np * this.cRx
    // (3) transmit.
    cost += this.txCount[c] * this.cTx
    this.useNet[c] += cost
    this.engine.schedule(this.engine.now + cost, EventClass.FINISH, K_KERNEL_DONE, c, 0)
  }

  private kernelDone(c: number): void {
    const now = this.engine.now
    // (1) releases: own connection first, then the remote ones taken at the start.
    const own = this.ownRelease[c]
    if (own >= 0) {
      this.ownRelease[c] = -1
      this.release(c, own)
    }
    this.applyRemoteReleases(c)
    // (2) packets → connections (makes them ready).
    this.applyPackets(c)
    // (3) transmit: every queued reply leaves the NIC now.
    let s = this.txHead[c]
    if (s >= 0) {
      const next = this.req.next
      const rec = this.recorder
      while (s >= 0) {
        const nx = next[s]
        rec.complete(s, now)
        s = nx
      }
      this.txHead[c] = -1
      this.txTail[c] = -1
      this.txCount[c] = 0
    }
    // (4) one ready connection, or the idle loop.
    // Thieves claim connections at once, so the home core simply pops its head (under its lock).
    if (this.shSize[c] > 0) {
      this.takeConn(c, this.shShift(c), false)
      this.beginBatch(c)
    } else {
      this.decideIdle(c)
    }
  }

  /** Take up to rxBatch packets of core c's RX queue into its packet list. Returns the count. */
  private takePackets(c: number, next: Int32Array): number {
    let np = this.rxSize[c]
    if (np === 0) return 0
    const head = this.rxHead[c]
    if (np <= this.rxBatch) {
      // The whole queue (the usual case): detach it as it is; its tail's link is already -1.
      this.rxHead[c] = -1
      this.rxTail[c] = -1
      this.rxSize[c] = 0
    } else {
      np = this.rxBatch
      let tail = head
      for (let i = 1; i < np; i++) tail = next[tail]
      this.rxHead[c] = next[tail]
      next[tail] = -1
      this.rxSize[c] -= np
    }
    this.pktHead[c] = head
    this.cv[this.kPolls]++
    this.cv[this.kPackets] += np
    return np
  }

  /** TCP delivery of the taken packets: each joins its connection's pending list. */
  private applyPackets(c: number): void {
    let s = this.pktHead[c]
    if (s < 0) return
    this.pktHead[c] = -1
    const r = this.req
    const next = r.next
    const conn = r.conn
    const st = this.cState
    const ch = this.cHead
    const ct = this.cTail
    while (s >= 0) {
      const nx = next[s]
      next[s] = -1
      const k = conn[s]
      const t = ct[k]
      if (t < 0) ch[k] = s
      else next[t] = s
      ct[k] = s
      if (st[k] === C_IDLE) {
        st[k] = C_QUEUED
        this.shPush(c, k)
      }
      s = nx
    }
  }

  /** Detach the remote releases pushed so far (applied at the end of the phase / handler). */
  private takeReleases(c: number): void {
    const h = this.relHead[c]
    if (h < 0) return
    this.relTaken[c] = h
    this.relHead[c] = -1
    this.relTail[c] = -1
  }

  private applyRemoteReleases(c: number): void {
    let k = this.relTaken[c]
    if (k < 0) return
    this.relTaken[c] = -1
    const link = this.cNext
    while (k >= 0) {
      // Read the link first: release() may reuse it for the shuffle queue.
      const nx = link[k]
      this.release(c, k)
      k = nx
    }
  }

  /** Ownership release by home core c: re-enqueue at the tail if requests arrived meanwhile. */
  private release(c: number, conn: number): void {
    if (this.cHead[conn] >= 0) {
      this.cState[conn] = C_QUEUED
      this.shPush(c, conn)
    } else {
      this.cState[conn] = C_IDLE
    }
  }

  private appendTx(c: number, head: number, tail: number, count: number, next: Int32Array): void {
    if (this.txTail[c] < 0) this.txHead[c] = head
    else next[this.txTail[c]] = head
    this.txTail[c] = tail
    this.txCount[c] += count
  }

  // ---------------------------------------------------------------- application

  /** Core c takes ownership of `conn` (popped or stolen) with all its pending requests. */
  private takeConn(c: number, conn: number, stolen: boolean): void {
    this.batchHead[c] = this.cHead[conn]
    this.cHead[conn] = -1
    this.cTail[conn] = -1
    this.cState[conn] = C_BUSY
    this.batchConn[c] = conn
    this.batchStolen[c] = stolen ? 1 : 0
  }

  /** Core c enters application code and runs the taken requests in order. */
  private beginBatch(c: number): void {
    this.setMode(c, APP)
    this.cv[this.kBatches]++
    this.runNext(c)
    if (this.idleCount > 0 && (this.stealFlag[c] === 1 || this.ipiFlag[c] === 1)) this.kick()
  }

  private runNext(c: number): void {
    const r = this.req
    const s = this.batchHead[c]
    this.batchHead[c] = r.next[s]
    r.next[s] = -1
    const now = this.engine.now
    const svc = r.service[s]
    r.core[s] = c
    r.start[s] = now
    this.useApp[c] += svc
    this.cur[c] = s
    this.events++
    if (this.batchStolen[c] === 1) {
      this.stolenEvents++
      this.cv[this.kStolen]++
    }
    const end = now + svc
    this.appEnd[c] = end
    this.engine.schedule(end, EventClass.FINISH, K_APP_DONE, c, this.gen[c])
  }

  private appDone(c: number): void {
    const next = this.req.next
    const s = this.cur[c]
    this.cur[c] = -1
    // The reply is held until the batch is done (sent at the next kernel entry).
    if (this.batchStolen[c] === 0) {
      if (this.txTail[c] < 0) this.txHead[c] = s
      else next[this.txTail[c]] = s
      this.txTail[c] = s
      this.txCount[c]++
    } else {
      if (this.outTail[c] < 0) this.outHead[c] = s
      else next[this.outTail[c]] = s
      this.outTail[c] = s
      this.outCount[c]++
    }
    if (this.batchHead[c] >= 0) {
      this.runNext(c)
      return
    }
    if (this.batchStolen[c] === 0) {
      this.ownRelease[c] = this.batchConn[c]
      this.batchConn[c] = -1
      this.startKernel(c, 0, true)
    } else {
      this.startKernel(c, this.routeRemote(c), true)
    }
  }

  /**
   * Thief c enters its kernel after a stolen batch: each reply becomes a remote syscall to the
   * home core, plus the ownership release, and the home core is IPI'd (or woken if idle).
   * Returns the thief's extra kernel cycles (remote syscalls + IPI send), which precede its own
   * kernel phase. Decision (docs/zygos-model.md): the remote work is visible to the home core at
   * the start of the thief's kernel entry (early by at most that extra time), which saves an event.
   */
  private routeRemote(c: number): number {
    const conn = this.batchConn[c]
    this.batchConn[c] = -1
    this.batchStolen[c] = 0
    const h = this.cHome[conn]
    const nr = this.outCount[c]
    const next = this.req.next
    if (this.remTail[h] < 0) this.remHead[h] = this.outHead[c]
    else next[this.remTail[h]] = this.outHead[c]
    this.remTail[h] = this.outTail[c]
    this.remCount[h] += nr
    this.outHead[c] = -1
    this.outTail[c] = -1
    this.outCount[c] = 0
    // The connection is held (in no shuffle queue): its shuffle link is free for this list.
    this.cNext[conn] = -1
    if (this.relTail[h] < 0) this.relHead[h] = conn
    else this.cNext[this.relTail[h]] = conn
    this.relTail[h] = conn
    this.cv[this.kRemote] += nr
    let extra = nr * this.cRemote
    const mh = this.mode[h]
    if (mh === IDLE) {
      // A spinning home core sees its remote queue at once.
      this.idleRemove(h)
      this.startKernel(h, 0, false)
    } else if (this.remoteIpi && this.ipiPending[h] === 0 && this.throttleOn[h] === 0) {
      // Decision (docs/zygos-model.md): the thief's IPI obeys the same per-target throttle as
      // the idle loop's; a pending or recent unhandled IPI will run this remote work anyway.
      this.sendIpi(h, this.cUk + extra)
      this.cv[this.kIpiRemote]++
      extra += this.cIpiSend
    }
    return extra
  }

  // ---------------------------------------------------------------- idle loop

  /** Core c (not in the idle set) looks for work in MODEL order; joins the idle set if none. */
  private decideIdle(c: number): void {
    if (this.remCount[c] > 0 || this.relHead[c] >= 0 || this.rxSize[c] > 0) {
      this.startKernel(c, 0, false)
      return
    }
    this.setMode(c, IDLE)
    if (!this.tryAct(c)) this.idleAdd(c)
  }

  /**
   * Steal or IPI on behalf of idle core c (whose own queues are empty). False = nothing to do.
   *
   * Steal: a random core in application code with a ready connection; the trylock is modelled as
   * always succeeding and the head connection is claimed at once with all its pending events;
   * the thief starts running them after `steal_attempt + steal_transfer` cycles.
   * IPI: a random core in application code with packets waiting. The sender pays `ipi_send`
   * (network time) but stays in its idle loop (decision: the send overlaps its spinning; this
   * saves an event and is early by at most `ipi_send` for the sender's next action).
   */
  private tryAct(c: number): boolean {
    if (this.stealCount > 0) {
      const v = this.pick(this.stealFlag, this.stealMask, this.stealCount)
      this.takeConn(c, this.shShift(v), true)
      // v is in application code: its steal flag follows its shuffle queue, its IPI flag is unchanged.
      if (this.shSize[v] === 0) this.setStealFlag(v, 0)
      this.setMode(c, KERNEL)
      this.cv[this.kSteals]++
      const cost = this.cStealAttempt + this.cStealTransfer
      this.useNet[c] += cost
      this.engine.schedule(this.engine.now + cost, EventClass.FINISH, K_STEAL_DONE, c, 0)
      return true
    }
    if (this.ipiCount > 0) {
      const t = this.pick(this.ipiFlag, this.ipiMask, this.ipiCount)
      this.sendIpi(t, 0)
      this.cv[this.kIpiIdle]++
      this.useNet[c] += this.cIpiSend
      this.idleAdd(c)
      return true
    }
    return false
  }

  /** A uniformly random core among the `count` flagged ones. */
  private pick(flag: Uint8Array, mask: number, count: number): number {
    let k = count === 1 ? 0 : this.rng.int(count)
    if (this.small) {
      // The k-th set bit from the lowest (= the k-th flagged core in index order).
      while (k-- > 0) mask &= mask - 1
      return 31 - Math.clz32(mask & -mask)
    }
    for (let j = 0; ; j++) {
      if (flag[j] === 1 && k-- === 0) return j
    }
  }

  /**
   * Idle cores are woken one at a time (random order) while opportunities remain. They all see
   * the same ones (their own queues are empty: they would have been woken directly).
   */
  private kick(): void {
    while (this.idleCount > 0 && (this.stealCount > 0 || this.ipiCount > 0)) {
      const i = this.idleCount === 1 ? 0 : this.rng.int(this.idleCount)
      const c = this.idleArr[i]
      this.idleRemove(c)
      this.tryAct(c)
    }
  }

  /** Recompute core j's opportunity flags and the counts. */
  private refresh(j: number): void {
    const m = this.mode[j]
    const inApp = m >= APP
    const s = inApp && this.shSize[j] > 0 ? 1 : 0
    if (s !== this.stealFlag[j]) this.setStealFlag(j, s)
    const i =
      inApp && this.interrupts && this.rxSize[j] > 0 && this.ipiPending[j] === 0 && this.throttleOn[j] === 0 ? 1 : 0
    if (i !== this.ipiFlag[j]) this.setIpiFlag(j, i)
  }

  private setMode(j: number, m: number): void {
    this.mode[j] = m
    if (m >= APP) this.refresh(j)
    else {
      // Outside application code both flags are 0.
      if (this.stealFlag[j] === 1) this.setStealFlag(j, 0)
      if (this.ipiFlag[j] === 1) this.setIpiFlag(j, 0)
    }
  }

  /** Set core j's steal flag to v (0 or 1), which must differ from its current value. */
  private setStealFlag(j: number, v: number): void {
    this.stealFlag[j] = v
    this.stealCount += v === 1 ? 1 : -1
    this.stealMask ^= 1 << (j & 31)
  }

  /** Set core j's IPI flag to v (0 or 1), which must differ from its current value. */
  private setIpiFlag(j: number, v: number): void {
    this.ipiFlag[j] = v
    this.ipiCount += v === 1 ? 1 : -1
    this.ipiMask ^= 1 << (j & 31)
  }

  // ---------------------------------------------------------------- IPIs

  /** Send an IPI to core t; it leaves `delay` cycles from now and arrives `ipi_latency` later. */
  private sendIpi(t: number, delay: number): void {
    const now = this.engine.now + delay
    this.ipiPending[t] = 1
    this.ipiStamp[t] = now
    if (this.cThrottle > 0) this.throttleOn[t] = 1
    this.ipiSeq[t]++
    // An IPI is pending now: t is not IPI-able (its steal flag is unchanged).
    if (this.ipiFlag[t] === 1) this.setIpiFlag(t, 0)
    this.cv[this.kIpiSent]++
    this.engine.schedule(now + this.cIpiSend + this.cIpiLatency, EventClass.INTERRUPT, K_IPI_ARRIVE, t, 0)
  }

  private ipiArrive(c: number): void {
    const m = this.mode[c]
    if (m === HANDLER) {
      // Interrupts are off in the handler: this one is delivered when it returns.
      this.ipiDeferred[c] = 1
      return
    }
    this.ipiPending[c] = 0
    if (m !== APP) {
      // In the kernel (or idle): ZygOS's handler returns at once and resets the throttle.
      this.ipiStamp[c] = -1
      this.throttleOn[c] = 0
      this.cv[this.kIpiIgnored]++
      // Outside application code both flags are already 0 (see setMode): nothing to refresh.
      return
    }
    // The pending completion is void: cancel it (it would be a no-op event) and bump the token.
    this.engine.cancel(K_APP_DONE, c, this.gen[c])
    this.gen[c]++
    this.appEnd[c] -= this.engine.now // remaining service of the interrupted request
    this.startHandler(c)
  }

  /** Core c (in application code, request interrupted) runs the IPI handler. */
  private startHandler(c: number): void {
    this.cv[this.kIpiHandled]++
    const next = this.req.next
    const now = this.engine.now
    let cost = this.cIpiHandler
    // Remote work: replies to send at the end of the handler, releases.
    const nrem = this.remCount[c]
    if (nrem > 0) {
      this.hTxHead[c] = this.remHead[c]
      this.hTxCount[c] = nrem
      this.remHead[c] = -1
      this.remTail[c] = -1
      this.remCount[c] = 0
      cost += nrem * this.cTx
    }
    this.takeReleases(c)
    cost += this.takePackets(c, next) * this.cRx
    this.setMode(c, HANDLER)
    // The throttle of the IPI being handled could expire before the handler returns.
    if (this.throttleOn[c] === 1 && this.ipiStamp[c] + this.cThrottle < now + cost) {
      const at = this.ipiStamp[c] + this.cThrottle
      if (at <= now) {
        this.throttleOn[c] = 0
        this.refresh(c)
      } else {
        this.engine.schedule(at, EventClass.INTERRUPT, K_THROTTLE, c, this.ipiSeq[c])
      }
    }
    this.useNet[c] += cost
    this.engine.schedule(now + cost, EventClass.FINISH, K_HANDLER_DONE, c, 0)
    if (this.idleCount > 0 && this.stealFlag[c] === 1) this.kick()
  }

  private handlerDone(c: number): void {
    const now = this.engine.now
    this.applyRemoteReleases(c)
    this.applyPackets(c)
    let s = this.hTxHead[c]
    if (s >= 0) {
      const next = this.req.next
      while (s >= 0) {
        const nx = next[s]
        this.recorder.complete(s, now)
        s = nx
      }
      this.hTxHead[c] = -1
      this.hTxCount[c] = 0
    }
    this.ipiStamp[c] = -1
    this.throttleOn[c] = 0
    if (this.ipiDeferred[c] === 1) {
      // An IPI arrived meanwhile: the handler runs again before the request resumes.
      this.ipiDeferred[c] = 0
      this.ipiPending[c] = 0
      this.startHandler(c)
      return
    }
    this.setMode(c, APP)
    const end = now + this.appEnd[c]
    this.appEnd[c] = end
    this.engine.schedule(end, EventClass.FINISH, K_APP_DONE, c, this.gen[c])
    if (this.idleCount > 0 && (this.stealFlag[c] === 1 || this.ipiFlag[c] === 1)) this.kick()
  }

  // ---------------------------------------------------------------- bookkeeping

  private shPush(c: number, conn: number): void {
    const t = this.shTail[c]
    this.cNext[conn] = -1
    if (t < 0) this.shHead[c] = conn
    else this.cNext[t] = conn
    this.shTail[c] = conn
    this.shSize[c]++
  }

  /** Remove and return the head of core c's shuffle queue. Caller ensures it is not empty. */
  private shShift(c: number): number {
    const k = this.shHead[c]
    const nx = this.cNext[k]
    this.shHead[c] = nx
    if (nx < 0) this.shTail[c] = -1
    this.shSize[c]--
    return k
  }

  private idleAdd(c: number): void {
    this.idlePos[c] = this.idleCount
    this.idleArr[this.idleCount++] = c
  }

  private idleRemove(c: number): void {
    const i = this.idlePos[c]
    const last = this.idleArr[--this.idleCount]
    this.idleArr[i] = last
    this.idlePos[last] = i
    this.idlePos[c] = -1
  }

  private growConns(conn: number): void {
    let cap = this.cHome.length
    while (cap <= conn) cap *= 2
    const st = new Uint8Array(cap)
    st.set(this.cState)
    this.cState = st
    const grow = (x: Int32Array) => {
      const y = new Int32Array(cap).fill(-1)
      y.set(x)
      return y
    }
    this.cHead = grow(this.cHead)
    this.cTail = grow(this.cTail)
    this.cHome = grow(this.cHome)
    this.cNext = grow(this.cNext)
  }

  metrics(): Record<string, number> {
    const v = this.ctx.counters.values
    const batches = v[this.kBatches]
    return {
      stolen_pct: this.events > 0 ? (100 * this.stolenEvents) / this.events : 0,
      requests_per_connection_batch: batches > 0 ? this.events / batches : 0,
      packets_per_poll: v[this.kPolls] > 0 ? v[this.kPackets] / v[this.kPolls] : 0,
      ipis_per_request: this.events > 0 ? v[this.kIpiSent] / this.events : 0,
    }
  }

  finish(): void {
    for (let c = 0; c < this.n; c++) {
      if (
        this.mode[c] !== IDLE ||
        this.shSize[c] !== 0 ||
        this.remCount[c] !== 0 ||
        this.relHead[c] !== -1 ||
        this.rxSize[c] !== 0 ||
        this.txCount[c] !== 0 ||
        this.outCount[c] !== 0 ||
        this.cur[c] !== -1
      ) {
        throw new Error(`zygos: core ${c} not drained (mode ${this.mode[c]}, shuffle ${this.shSize[c]})`)
      }
    }
    for (let k = 0; k < this.cState.length; k++) {
      if (this.cState[k] !== C_IDLE || this.cHead[k] !== -1) throw new Error(`zygos: connection ${k} not released after the drain`)
    }
  }
}

const RX_BATCH_OPTION = {
  name: 'rx_batch',
  description: 'packets TCP-processed per poll or IPI handler (ZygOS/IX: 64)',
  default: 64,
  min: 1,
  max: 4096,
  integer: true,
} as const

export const zygos: PolicyDef = {
  name: 'zygos',
  summary: 'ZygOS: per-core dataplane + shuffle queues, work stealing of ready connections, IPIs to busy cores',
  family: 'system',
  options: [
    RX_BATCH_OPTION,
    {
      name: 'remote_ipi',
      description: 'on: a thief IPIs the home core after a stolen batch (docs/model.md); off: the home core finds the remote work at its next kernel entry (published code)',
      default: 'on',
      choices: ['on', 'off'],
    },
  ],
  create: (ctx, o) => new Zygos(ctx, {rxBatch: Number(o.rx_batch), interrupts: true, remoteIpi: o.remote_ipi === 'on'}),
}

export const zygosNoIntr: PolicyDef = {
  name: 'zygos-nointr',
  summary: 'ZygOS without inter-processor interrupts (stealing only from cores\' shuffle queues)',
  family: 'system',
  options: [RX_BATCH_OPTION],
  create: (ctx, o) => new Zygos(ctx, {rxBatch: Number(o.rx_batch), interrupts: false, remoteIpi: false}),
}
