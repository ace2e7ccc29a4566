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
 * replies·`tx_reply`; at its end the connections are ready (stealable), the remote replies leave,
 * the throttle is reset and the request resumes: its completion moves later by the handler's cost
 * (the old completion is cleared from the core's timer).
 *
 * `zygos-nointr` is the same class with interrupts off: no IPIs are sent at all.
 *
 * Code layout: this file dispatches events and defines the policies; the class is built in layers,
 * each a subclass of the one before: zygos-core.ts (state, shuffle queues, idle set, opportunity
 * flags), zygos-kernel.ts (arrivals, kernel phase, application), zygos-steal.ts (idle loop,
 * stealing, remote work), zygos-ipi.ts (IPIs). Events live in the engine's per-core timers
 * (lane = core): the next completion (kernel phase, request, steal transfer or IPI handler: one at
 * a time), an IPI delivery, an IPI throttle expiry.
 *
 * Units: all times and costs in cycles. Hot path: typed arrays, no allocation per event.
 */
import type {PolicyDef, SimContext} from '../policy.js'
import {C_IDLE, IDLE, K_APP_DONE, K_HANDLER_DONE, K_IPI_ARRIVE, K_KERNEL_DONE, K_STEAL_DONE, K_THROTTLE, type ZygosOptions} from './zygos-core.js'
import {ZygosIpi} from './zygos-ipi.js'

export type {ZygosOptions} from './zygos-core.js'

class Zygos extends ZygosIpi {
  constructor(ctx: SimContext, opts: ZygosOptions) {
    super(ctx, opts)
  }

  // ---------------------------------------------------------------- events

  handle(kind: number, core: number, b: number): void {
    switch (kind) {
      case K_APP_DONE:
        this.appDone(core)
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

