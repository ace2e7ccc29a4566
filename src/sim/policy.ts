/**
 * The one small interface between the simulation and a scheduling policy.
 *
 * A policy is created per run by its `PolicyDef.create(ctx, options)`. The run loop calls
 * `arrive(slot)` when a request reaches the NIC (engine.now = its arrival), and `handle` for each
 * event the policy scheduled through `ctx.engine.schedule`. The policy calls `ctx.recorder.complete`
 * when a reply leaves the NIC (or `ctx.recorder.drop` when a bounded ring overflows), which frees
 * the request's slot. Busy time is accounted per core in `ctx.usage`, counters in `ctx.counters`.
 */
import type {Engine, EventHandler} from './engine/engine.js'
import type {Machine} from './machine/machine.js'
import type {RequestTable} from './machine/requests.js'
import type {Rng} from '../rng.js'
import type {Recorder} from '../stats/recorder.js'
import type {Counters} from '../stats/counters.js'

/** Busy cycles per core, split by what the core was doing. Idle = elapsed − app − net. */
export interface CoreUsage {
  /** Application code (request service), cycles. */
  app: Float64Array
  /** Network stack, kernel, scheduling and interrupt overheads, cycles. */
  net: Float64Array
}

export interface SimContext {
  readonly engine: Engine
  readonly machine: Machine
  readonly requests: RequestTable
  readonly rng: Rng
  readonly recorder: Recorder
  readonly counters: Counters
  readonly usage: CoreUsage
}

export interface Policy extends EventHandler {
  /** A request (its slot in ctx.requests) reaches the NIC at ctx.engine.now. */
  arrive(slot: number): void
  /**
   * Optional fast path for policies that settle a request completely at its arrival (the FCFS
   * recursions, which need no events): the run loop passes the request's fields instead of
   * allocating a slot, and the policy reports the completion with `ctx.recorder.completeRequest`.
   * When present, the run loop calls this instead of `arrive`. Saves the slot table's writes and
   * reads, a quarter of such a policy's cost per request.
   */
  arriveDirect?(seq: number, arrival: number, service: number, conn: number, type: number): void
  /** Extra flat numeric metrics for the result row (e.g. IX batch-size distribution). */
  metrics?(): Record<string, number>
  /**
   * Called after the run drained; throw if an internal invariant does not hold. A policy that
   * runs its cores' work lazily, without engine events (ix, the PS models), first completes what
   * is left of it here.
   */
  finish?(): void
}

export type PolicyOptionValue = number | string

export interface PolicyOptionDef {
  name: string
  description: string
  default: PolicyOptionValue
  /** Allowed values for string options. */
  choices?: readonly string[]
  /** Inclusive numeric bounds and integrality for numeric options. */
  min?: number
  max?: number
  integer?: boolean
}

export interface PolicyDef {
  /** Registry name, e.g. `mgn-fcfs`. */
  name: string
  /** One line for `--help` and tables. */
  summary: string
  /** `theory`: zero-overhead queueing model (ignores costs); `system`: a modelled OS dataplane. */
  family: 'theory' | 'system'
  options: readonly PolicyOptionDef[]
  create(ctx: SimContext, options: Readonly<Record<string, PolicyOptionValue>>): Policy
}

/**
 * `arrive(slot)` of a policy that works through `arriveDirect`: hands it the slot's fields and
 * frees the slot (the policy reports the completion itself, with `recorder.completeRequest`).
 */
export function arriveFromSlot(policy: Required<Pick<Policy, 'arriveDirect'>>, r: RequestTable, slot: number): void {
  policy.arriveDirect(r.seq[slot], r.arrival[slot], r.service[slot], r.conn[slot], r.type[slot])
  r.release(slot)
}
