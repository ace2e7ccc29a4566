/**
 * ZygOS model, part 4 of 5 (see zygos.ts for the model): inter-processor interrupts: sending (with
 * the per-target throttle), delivery, and the handler that interrupts a running request to do its
 * core's network work, then resumes it.
 */
import {EventClass} from '../engine/engine.js'
import type {SimContext} from '../policy.js'
import {APP, HANDLER, K_APP_DONE, K_HANDLER_DONE, K_IPI_ARRIVE, K_THROTTLE, T_DONE, T_IPI, T_THROTTLE, type ZygosOptions} from './zygos-core.js'
import {ZygosSteal} from './zygos-steal.js'

export abstract class ZygosIpi extends ZygosSteal {
  constructor(ctx: SimContext, opts: ZygosOptions) {
    super(ctx, opts)
  }

  /** Send an IPI to core t; it leaves `delay` cycles from now and arrives `ipi_latency` later. */
  protected sendIpi(t: number, delay: number): void {
    const now = this.engine.now + delay
    this.ipiPending[t] = 1
    this.ipiStamp[t] = now
    if (this.cThrottle > 0) this.throttleOn[t] = 1
    this.ipiSeq[t]++
    // An IPI is pending now: t is not IPI-able (its steal flag is unchanged).
    if (this.ipiFlag[t] === 1) this.setIpiFlag(t, 0)
    this.cv[this.kIpiSent]++
    this.engine.setTimer(t, T_IPI, now + this.cIpiSend + this.cIpiLatency, EventClass.INTERRUPT, K_IPI_ARRIVE, 0)
  }

  protected ipiArrive(c: number): void {
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
    this.engine.clearTimer(c, T_DONE)
    this.appEnd[c] -= this.engine.now // remaining service of the interrupted request
    this.startHandler(c)
  }

  /** Core c (in application code, request interrupted) runs the IPI handler. */
  protected startHandler(c: number): void {
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
        this.engine.setTimer(c, T_THROTTLE, at, EventClass.INTERRUPT, K_THROTTLE, this.ipiSeq[c])
      }
    }
    this.useNet[c] += cost
    this.engine.setTimer(c, T_DONE, now + cost, EventClass.FINISH, K_HANDLER_DONE, 0)
    if (this.idleCount > 0 && this.stealFlag[c] === 1) this.kick()
  }

  protected handlerDone(c: number): void {
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
    this.engine.setTimer(c, T_DONE, end, EventClass.FINISH, K_APP_DONE, 0)
    if (this.idleCount > 0 && (this.stealFlag[c] === 1 || this.ipiFlag[c] === 1)) this.kick()
  }
}
