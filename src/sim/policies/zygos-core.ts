/**
 * ZygOS model, part 1 of 5: the per-core and per-connection state, and the bookkeeping every layer
 * uses (shuffle queues, the idle set, the opportunity flags that idle cores act on). The model
 * itself is described in zygos.ts; the layers are zygos-kernel.ts (arrivals, kernel phase,
 * application), zygos-steal.ts (idle loop, stealing, remote work), zygos-ipi.ts (IPIs) and
 * zygos.ts (event dispatch, policy definitions). Each layer is a subclass of the one before, so
 * all share the typed-array state through `this` with no indirection; methods a lower layer calls
 * in a higher one are declared abstract here.
 */
import type {Engine} from '../engine/engine.js'
import type {RequestTable} from '../machine/requests.js'
import type {Policy, SimContext} from '../policy.js'
import type {Rng} from '../../rng.js'
import type {Recorder} from '../../stats/recorder.js'

// Event kinds (a = core).
export const K_KERNEL_DONE = 0
export const K_APP_DONE = 1
export const K_STEAL_DONE = 2
export const K_IPI_ARRIVE = 3
export const K_HANDLER_DONE = 4
/** b = IPI sequence number the throttle belongs to. */
export const K_THROTTLE = 5

// Timers per core (engine lanes = cores).
/** The core's next completion: KERNEL_DONE, APP_DONE, STEAL_DONE or HANDLER_DONE. */
export const T_DONE = 0
export const T_IPI = 1
export const T_THROTTLE = 2

// Core modes.
export const IDLE = 0
/** Kernel phase (incl. a thief's remote syscalls), steal in progress: ZygOS's `in_kernel`. */
export const KERNEL = 1
export const APP = 2
/** Running the IPI handler on top of an interrupted request. */
export const HANDLER = 3

// Connection states.
export const C_IDLE = 0
export const C_QUEUED = 1
export const C_BUSY = 2

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

export abstract class ZygosCore implements Policy {
  protected readonly n: number
  protected readonly rxBatch: number
  protected readonly interrupts: boolean
  protected readonly remoteIpi: boolean
  // Costs, cycles.
  /** Per packet on the home core: TCP (`rx_packet`) + shuffle layer (`shuffle_packet`). */
  protected readonly cRx: number
  protected readonly cTx: number
  protected readonly cUk: number
  protected readonly cStealAttempt: number
  protected readonly cStealTransfer: number
  protected readonly cRemote: number
  protected readonly cIpiSend: number
  protected readonly cIpiLatency: number
  protected readonly cIpiHandler: number
  protected readonly cThrottle: number

  // Per core.
  protected readonly mode: Uint8Array
  /** Completion time of the running request (cycles); while in HANDLER: remaining service. */
  protected readonly appEnd: Float64Array
  /** Slot running, -1 = none. */
  protected readonly cur: Int32Array
  /** Rest of the running batch (list through requests.next), -1 = empty. */
  protected readonly batchHead: Int32Array
  protected readonly batchConn: Int32Array
  protected readonly batchStolen: Uint8Array
  /** Replies waiting for this core's transmit step (local replies + taken remote replies). */
  protected readonly txHead: Int32Array
  protected readonly txTail: Int32Array
  protected readonly txCount: Int32Array
  /** Replies of a stolen batch, to be routed to the home core. */
  protected readonly outHead: Int32Array
  protected readonly outTail: Int32Array
  protected readonly outCount: Int32Array
  /** Remote replies pushed to this (home) core by thieves, not yet taken. */
  protected readonly remHead: Int32Array
  protected readonly remTail: Int32Array
  protected readonly remCount: Int32Array
  /**
   * Remote ownership releases pushed to this core: a FIFO of connection ids linked through
   * `cNext` (free while the connection is held: it is in no shuffle queue), -1 when empty.
   */
  protected readonly relHead: Int32Array
  protected readonly relTail: Int32Array
  /** Releases taken by the current kernel phase / handler (the list detached from relHead). */
  protected readonly relTaken: Int32Array
  /** Own connection to release at the next kernel phase, -1 = none. */
  protected readonly ownRelease: Int32Array
  /** Packets taken by the current kernel phase / handler (list through requests.next). */
  protected readonly pktHead: Int32Array
  /** Remote replies taken by the current handler (sent at its end). */
  protected readonly hTxHead: Int32Array
  protected readonly hTxCount: Int32Array
  /**
   * Shuffle queue of ready connections per core: a FIFO linked through `cNext` (a connection is
   * in at most one shuffle queue), head/tail -1 when empty.
   */
  protected readonly shHead: Int32Array
  protected readonly shTail: Int32Array
  protected readonly shSize: Int32Array
  /** An IPI to this core was sent and not yet taken (the APIC would merge a second one). */
  protected readonly ipiPending: Uint8Array
  /** An IPI arrived during the handler: it runs again when the handler returns. */
  protected readonly ipiDeferred: Uint8Array
  /** Send time of the last IPI to this core not yet handled, -1 = none. */
  protected readonly ipiStamp: Float64Array
  /** 1 while that IPI is unhandled and younger than `ipi_throttle`: no new IPI to this core. */
  protected readonly throttleOn: Uint8Array
  protected readonly ipiSeq: Int32Array
  /**
   * Opportunity flags, kept current by `refresh(core)` after every change of a core's mode,
   * queues or IPI state: stealable = in application code (or its IPI handler) with a ready
   * connection; ipiable = in application code (or its handler: ZygOS's `in_kernel` is false
   * there) with packets in its RX queue, no IPI pending and not throttled. The counts make an
   * idle core's "nothing to do" check O(1).
   */
  protected readonly stealFlag: Uint8Array
  protected readonly ipiFlag: Uint8Array
  protected stealCount = 0
  protected ipiCount = 0
  /** With n <= 32 cores: the flags as bit masks (bit j = core j), for an O(1)-ish `pick`. */
  protected readonly small: boolean
  protected stealMask = 0
  protected ipiMask = 0
  // Context members used in the hot path (stable for the run).
  protected readonly engine: Engine
  protected readonly req: RequestTable
  protected readonly recorder: Recorder
  protected readonly rng: Rng
  protected readonly useApp: Float64Array
  protected readonly useNet: Float64Array
  /**
   * NIC RX queue per core (RSS; MODEL §3): a FIFO of request slots linked through
   * `requests.next` (free until TCP delivers the packet), bounded by the machine's `nicRing`.
   * Kept here rather than in `machine.rx` so that a poll detaches up to `rx_batch` packets as one
   * list instead of shifting them one by one, and the size is a typed-array read in `refresh`.
   */
  protected readonly rxHead: Int32Array
  protected readonly rxTail: Int32Array
  protected readonly rxSize: Int32Array
  protected readonly rxBound: number
  protected readonly cv: Float64Array
  // Idle set with O(1) random pick and removal.
  protected readonly idleArr: Int32Array
  protected readonly idlePos: Int32Array
  protected idleCount = 0

  // Per connection (dense ids, grown on demand).
  protected cState = new Uint8Array(1024)
  protected cHead = new Int32Array(1024).fill(-1)
  protected cTail = new Int32Array(1024).fill(-1)
  protected cHome = new Int32Array(1024).fill(-1)
  /** Link of the shuffle queue the connection is in. */
  protected cNext = new Int32Array(1024).fill(-1)

  // Counters.
  protected readonly kSteals: number
  protected readonly kStolen: number
  protected readonly kIpiSent: number
  protected readonly kIpiIdle: number
  protected readonly kIpiRemote: number
  protected readonly kIpiHandled: number
  protected readonly kIpiIgnored: number
  protected readonly kRemote: number
  protected readonly kPolls: number
  protected readonly kPackets: number
  protected readonly kBatches: number
  protected events = 0
  protected stolenEvents = 0


  constructor(
    protected readonly ctx: SimContext,
    opts: ZygosOptions,
  ) {
    const n = ctx.machine.cores
    this.n = n
    ctx.engine.useLanes(n, 3)
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

  abstract arrive(slot: number): void
  abstract handle(kind: number, core: number, b: number): void
  /** zygos-steal.ts */
  protected abstract decideIdle(c: number): void
  protected abstract routeRemote(c: number): number
  protected abstract kick(): void
  /** zygos-ipi.ts */
  protected abstract sendIpi(t: number, delay: number): void

  // ---------------------------------------------------------------- opportunity flags

  /** Recompute core j's opportunity flags and the counts. */
  protected refresh(j: number): void {
    const m = this.mode[j]
    const inApp = m >= APP
    const s = inApp && this.shSize[j] > 0 ? 1 : 0
    if (s !== this.stealFlag[j]) this.setStealFlag(j, s)
    const i =
      inApp && this.interrupts && this.rxSize[j] > 0 && this.ipiPending[j] === 0 && this.throttleOn[j] === 0 ? 1 : 0
    if (i !== this.ipiFlag[j]) this.setIpiFlag(j, i)
  }

  protected setMode(j: number, m: number): void {
    this.mode[j] = m
    if (m >= APP) this.refresh(j)
    else {
      // Outside application code both flags are 0.
      if (this.stealFlag[j] === 1) this.setStealFlag(j, 0)
      if (this.ipiFlag[j] === 1) this.setIpiFlag(j, 0)
    }
  }

  /** Set core j's steal flag to v (0 or 1), which must differ from its current value. */
  protected setStealFlag(j: number, v: number): void {
    this.stealFlag[j] = v
    this.stealCount += v === 1 ? 1 : -1
    this.stealMask ^= 1 << (j & 31)
  }

  /** Set core j's IPI flag to v (0 or 1), which must differ from its current value. */
  protected setIpiFlag(j: number, v: number): void {
    this.ipiFlag[j] = v
    this.ipiCount += v === 1 ? 1 : -1
    this.ipiMask ^= 1 << (j & 31)
  }

  /** A uniformly random core among the `count` flagged ones. */
  protected pick(flag: Uint8Array, mask: number, count: number): number {
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

  // ---------------------------------------------------------------- queues

  protected shPush(c: number, conn: number): void {
    const t = this.shTail[c]
    this.cNext[conn] = -1
    if (t < 0) this.shHead[c] = conn
    else this.cNext[t] = conn
    this.shTail[c] = conn
    this.shSize[c]++
  }

  /** Remove and return the head of core c's shuffle queue. Caller ensures it is not empty. */
  protected shShift(c: number): number {
    const k = this.shHead[c]
    const nx = this.cNext[k]
    this.shHead[c] = nx
    if (nx < 0) this.shTail[c] = -1
    this.shSize[c]--
    return k
  }

  protected idleAdd(c: number): void {
    this.idlePos[c] = this.idleCount
    this.idleArr[this.idleCount++] = c
  }

  protected idleRemove(c: number): void {
    const i = this.idlePos[c]
    const last = this.idleArr[--this.idleCount]
    this.idleArr[i] = last
    this.idlePos[last] = i
    this.idlePos[c] = -1
  }

  protected growConns(conn: number): void {
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
}
