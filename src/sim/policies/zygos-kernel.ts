/**
 * ZygOS model, part 2 of 5 (see zygos.ts for the model): arrivals at the NIC, the home core's
 * kernel phase (remote work, poll + TCP, transmit, pop a ready connection) and the application
 * layer (a connection's pending requests run to completion, in order).
 */
import {EventClass} from '../engine/engine.js'
import type {SimContext} from '../policy.js'
import {APP, C_BUSY, C_IDLE, C_QUEUED, IDLE, K_KERNEL_DONE, K_APP_DONE, KERNEL, T_DONE, type ZygosOptions, ZygosCore} from './zygos-core.js'

export abstract class ZygosKernel extends ZygosCore {
  constructor(ctx: SimContext, opts: ZygosOptions) {
    super(ctx, opts)
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

  // ---------------------------------------------------------------- kernel phase

  /**
   * Start a kernel phase on core c: take remote work and up to rxBatch packets now; effects at
   * the end. `extra` cycles are added (e.g. an IPI sent on the way); `fromApp` adds the crossing.
   */
  protected startKernel(c: number, extra: number, fromApp: boolean): void {
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
    this.engine.setTimer(c, T_DONE, this.engine.now + cost, EventClass.FINISH, K_KERNEL_DONE, 0)
  }

  protected kernelDone(c: number): void {
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
  protected takePackets(c: number, next: Int32Array): number {
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
  protected applyPackets(c: number): void {
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
  protected takeReleases(c: number): void {
    const h = this.relHead[c]
    if (h < 0) return
    this.relTaken[c] = h
    this.relHead[c] = -1
    this.relTail[c] = -1
  }

  protected applyRemoteReleases(c: number): void {
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
  protected release(c: number, conn: number): void {
    if (this.cHead[conn] >= 0) {
      this.cState[conn] = C_QUEUED
      this.shPush(c, conn)
    } else {
      this.cState[conn] = C_IDLE
    }
  }

  protected appendTx(c: number, head: number, tail: number, count: number, next: Int32Array): void {
    if (this.txTail[c] < 0) this.txHead[c] = head
    else next[this.txTail[c]] = head
    this.txTail[c] = tail
    this.txCount[c] += count
  }

  // ---------------------------------------------------------------- application

  /** Core c takes ownership of `conn` (popped or stolen) with all its pending requests. */
  protected takeConn(c: number, conn: number, stolen: boolean): void {
    this.batchHead[c] = this.cHead[conn]
    this.cHead[conn] = -1
    this.cTail[conn] = -1
    this.cState[conn] = C_BUSY
    this.batchConn[c] = conn
    this.batchStolen[c] = stolen ? 1 : 0
  }

  /** Core c enters application code and runs the taken requests in order. */
  protected beginBatch(c: number): void {
    this.setMode(c, APP)
    this.cv[this.kBatches]++
    this.runNext(c)
    if (this.idleCount > 0 && (this.stealFlag[c] === 1 || this.ipiFlag[c] === 1)) this.kick()
  }

  protected runNext(c: number): void {
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
    this.engine.setTimer(c, T_DONE, end, EventClass.FINISH, K_APP_DONE, 0)
  }

  protected appDone(c: number): void {
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
}
