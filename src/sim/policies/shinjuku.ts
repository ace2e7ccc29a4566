/**
 * `shinjuku` — Shinjuku (Kaffes et al., NSDI'19): a networker core, a dispatcher core, workers with
 * a one-request mailbox (k = 1) and preemption by posted interrupt.
 *
 * - `queues=single` (default): one central FIFO; a preempted request re-enters at its tail (round
 *   robin with quantum q over a central queue).
 * - `queues=multi`: one FIFO per request type; the dispatcher serves the type whose head has the
 *   largest (now − arrival) / SLO_type (`slo=` lists the per-type SLOs in µs in the order of the
 *   trace's type dictionary; equal SLOs mean oldest first). On a trace without types it runs as one
 *   type and reports the metric `untyped_fallback = 1`.
 * - A request that has run q (+ jitter) is preempted (`preempt=always`, the original code) or only
 *   when a request is waiting (`preempt=pending`); the preemption costs `preempt_interrupt` cycles
 *   on the worker, then the request goes back to the dispatcher (a preemption report).
 */
import {ConfigError} from '../../errors.js'
import {IntQueue} from '../machine/int-queue.js'
import {DispatchedServer} from '../mechanisms/dispatched.js'
import {preemptionFrom, preemptionOptions} from '../mechanisms/preemption.js'
import {TypeQueues} from '../mechanisms/type-queues.js'
import type {PolicyDef, PolicyOptionValue, SimContext} from '../policy.js'

/** Parses `slo=a,b,...` (µs, > 0) into weights 1/SLO indexed by `requests.type` (type i → i + 1). */
export function parseSloWeights(policy: string, text: string): Float64Array {
  if (text === '') return new Float64Array(0)
  const parts = text.split(',')
  const w = new Float64Array(parts.length + 1)
  w[0] = 1 / Number(parts[0]) // an untyped trace uses the first SLO
  for (let i = 0; i < parts.length; i++) {
    const v = Number(parts[i])
    if (parts[i].trim() === '' || !(v > 0) || !Number.isFinite(v)) {
      throw new ConfigError(
        `Expected option \`slo\` of ${policy} to be a comma-separated list of positive SLOs in µs (one per type), got "${text}"`,
        {flag: 'policy'},
      )
    }
    w[i + 1] = 1 / v
  }
  return w
}

export class Shinjuku extends DispatchedServer {
  private readonly single: IntQueue | null
  private readonly typed: TypeQueues | null
  private readonly weight: Float64Array

  /** `fold`: see DispatchedOptions (tests pass false for the event form). */
  constructor(ctx: SimContext, o: Readonly<Record<string, PolicyOptionValue>>, fold?: boolean) {
    const preemption = preemptionFrom('shinjuku', ctx.machine, o, 'preempt_interrupt')
    super(ctx, {name: 'shinjuku', networker: true, dispatcher: true, k: 1, reportCompletions: true, preemption, fold})
    const multi = o.queues === 'multi'
    if (!multi && o.slo !== '') {
      throw new ConfigError(`Expected option \`slo\` of shinjuku only with queues=multi, got "${String(o.slo)}"`, {flag: 'policy'})
    }
    this.single = multi ? null : new IntQueue(1024)
    this.typed = multi ? new TypeQueues(ctx.requests) : null
    this.weight = parseSloWeights('shinjuku', o.slo as string)
  }

  protected enqueue(slot: number): void {
    const r = this.ctx.requests
    if (this.single !== null) {
      r.queue[slot] = 0
      this.single.push(slot)
    } else {
      const t = r.type[slot]
      if (t >= this.weight.length && this.weight.length > 0) {
        throw new ConfigError(
          `Expected option \`slo\` of shinjuku to list one SLO per type of the trace, got ${this.weight.length - 1} for a trace with type #${t}`,
          {flag: 'policy'},
        )
      }
      r.queue[slot] = t
      this.typed!.push(slot)
    }
  }

  protected waiting(): number {
    return this.single !== null ? this.single.size : this.typed!.size
  }

  protected dispatchPass(): void {
    const boxes = this.boxes
    const W = this.workers
    if (this.single !== null) {
      const q = this.single
      while (q.size > 0) {
        const w = boxes.idleIn(0, W)
        if (w < 0) return
        this.send(w, q.shift())
      }
      return
    }
    const tq = this.typed!
    const now = this.dNow
    while (tq.size > 0) {
      const w = boxes.idleIn(0, W)
      if (w < 0) return
      this.send(w, tq.shift(tq.mostUrgent(now, this.weight)))
    }
  }

  override metrics(): Record<string, number> {
    const m = super.metrics()
    this.typed?.addMetrics(m)
    return m
  }
}

export const shinjuku: PolicyDef = {
  name: 'shinjuku',
  summary: 'Shinjuku: networker + dispatcher cores, central queue(s), preemption every q by interrupt (k = 1)',
  family: 'system',
  options: [
    {name: 'queues', description: 'single: one central FIFO; multi: one FIFO per type, served by largest age/SLO', default: 'single', choices: ['single', 'multi']},
    ...preemptionOptions(5, 'always'),
    {name: 'slo', description: 'queues=multi: per-type SLOs in µs, comma-separated, in the order of the trace\'s types (empty: equal)', default: ''},
  ],
  create: (ctx, o) => new Shinjuku(ctx, o),
}
