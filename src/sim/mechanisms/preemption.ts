/**
 * Preemption settings shared by the preemptive dispatcher designs, and their validation.
 *
 * A request that has run a quantum q (plus an optional jitter |N(0, σ)|, redrawn per slice from
 * the run's seeded generator) stops, pays `cost` cycles on its core, and goes back to the TAIL of
 * its queue keeping its original arrival time. `always` preempts at every quantum boundary (a
 * request may then come back to the same worker); `pending` only when some request is waiting
 * (in the dispatcher's queues or in the worker's own mailbox), checked at quantum boundaries.
 */
import {ConfigError} from '../../errors.js'
import type {Rng} from '../../rng.js'
import type {Machine} from '../machine/machine.js'
import type {PolicyOptionDef, PolicyOptionValue} from '../policy.js'

export interface Preemption {
  /** Quantum, cycles (>= 1). */
  readonly quantum: number
  /** Preempt only when some request waits (`pending`), or at every quantum (`always`). */
  readonly pendingOnly: boolean
  /** Standard deviation of the jitter added to each slice, cycles (0 = none). */
  readonly jitter: number
  /** Cycles the preempted request's core spends on the preemption (context switch etc.). */
  readonly cost: number
}

/** The option definitions every preemptive policy shares (defaults differ per policy). */
export function preemptionOptions(q: number, mode: 'always' | 'pending'): PolicyOptionDef[] {
  return [
    {name: 'q', description: 'quantum, µs (> 0)', default: q, min: 0},
    {name: 'preempt', description: 'always: preempt at every quantum (the original code); pending: only when a request is waiting', default: mode, choices: ['always', 'pending']},
    {name: 'jitter', description: 'standard deviation σ of the slice jitter |N(0, σ)| added to q, µs', default: 0, min: 0},
  ]
}

/** Reads the shared options; throws a ConfigError naming the option when q <= 0. */
export function preemptionFrom(
  policy: string,
  machine: Machine,
  o: Readonly<Record<string, PolicyOptionValue>>,
  costName: string,
): Preemption {
  const q = o.q as number
  if (!(q > 0)) throw new ConfigError(`Expected option \`q\` of ${policy} to be a positive number of µs, got "${q}"`, {flag: 'policy'})
  return {
    quantum: Math.max(1, machine.cyclesFromUs(q)),
    pendingOnly: o.preempt === 'pending',
    jitter: (o.jitter as number) * 1000 * machine.ghz,
    cost: machine.costs[costName] ?? 0,
  }
}

/** One slice length, cycles: q, or q + round(|N(0, σ)|) with jitter (Box–Muller, one draw pair). */
export function drawQuantum(p: Preemption, rng: Rng): number {
  if (p.jitter === 0) return p.quantum
  const u = 1 - rng.float()
  const v = rng.float()
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  return p.quantum + Math.round(Math.abs(z) * p.jitter)
}
