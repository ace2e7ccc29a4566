/**
 * ZygOS model, part 3 of 5 (see zygos.ts for the model): the idle loop in MODEL order (remote work
 * → own RX queue → steal → IPI → spin), work stealing, the wake-ups ("kicks") of idle cores when
 * an opportunity appears, and a thief's routing of a stolen batch's replies to the home core.
 */
import {EventClass} from '../engine/engine.js'
import type {SimContext} from '../policy.js'
import {IDLE, K_STEAL_DONE, KERNEL, T_DONE, type ZygosOptions} from './zygos-core.js'
import {ZygosKernel} from './zygos-kernel.js'

export abstract class ZygosSteal extends ZygosKernel {
  constructor(ctx: SimContext, opts: ZygosOptions) {
    super(ctx, opts)
  }

  /**
   * Thief c enters its kernel after a stolen batch: each reply becomes a remote syscall to the
   * home core, plus the ownership release, and the home core is IPI'd (or woken if idle).
   * Returns the thief's extra kernel cycles (remote syscalls + IPI send), which precede its own
   * kernel phase. Decision (docs/zygos-model.md): the remote work is visible to the home core at
   * the start of the thief's kernel entry (early by at most that extra time), which saves an event.
   */
  protected routeRemote(c: number): number {
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
  protected decideIdle(c: number): void {
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
  protected tryAct(c: number): boolean {
    if (this.stealCount > 0) {
      const v = this.pick(this.stealFlag, this.stealMask, this.stealCount)
      this.takeConn(c, this.shShift(v), true)
      // v is in application code: its steal flag follows its shuffle queue, its IPI flag is unchanged.
      if (this.shSize[v] === 0) this.setStealFlag(v, 0)
      this.setMode(c, KERNEL)
      this.cv[this.kSteals]++
      const cost = this.cStealAttempt + this.cStealTransfer
      this.useNet[c] += cost
      this.engine.setTimer(c, T_DONE, this.engine.now + cost, EventClass.FINISH, K_STEAL_DONE, 0)
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

  /**
   * Idle cores are woken one at a time (random order) while opportunities remain. They all see
   * the same ones (their own queues are empty: they would have been woken directly).
   */
  protected kick(): void {
    while (this.idleCount > 0 && (this.stealCount > 0 || this.ipiCount > 0)) {
      const i = this.idleCount === 1 ? 0 : this.rng.int(this.idleCount)
      const c = this.idleArr[i]
      this.idleRemove(c)
      this.tryAct(c)
    }
  }
}
