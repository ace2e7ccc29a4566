/**
 * One FIFO per request type (the trace's `type` column; `requests.type` is 0 for an untyped
 * trace and typeIndex + 1 otherwise, so an untyped trace is one type). Queues are created on first
 * use. Preempted requests are pushed at the tail like new ones: they keep their original arrival
 * time, which the selection rules below read.
 */
import {IntQueue} from '../machine/int-queue.js'
import type {RequestTable} from '../machine/requests.js'

/** No per-type weights: every type weighs 1. */
const EQUAL = new Float64Array(0)

export class TypeQueues {
  /** Queue per type value (index = requests.type). */
  readonly queues: IntQueue[] = []
  /** Requests in all queues. */
  size = 0

  constructor(private readonly r: RequestTable) {}

  /** Number of type values seen so far (max type + 1). */
  get types(): number {
    return this.queues.length
  }

  /** Make sure the queue of type t exists. */
  ensure(t: number): IntQueue {
    while (this.queues.length <= t) this.queues.push(new IntQueue(64))
    return this.queues[t]
  }

  push(slot: number): void {
    this.ensure(this.r.type[slot]).push(slot)
    this.size++
  }

  shift(t: number): number {
    this.size--
    return this.queues[t].shift()
  }

  /** The type whose head arrived first (ties: lower trace index), -1 when all are empty. */
  oldest(): number {
    // Equal weights: the largest age (0 − arrival) is the earliest arrival, ties as below.
    return this.mostUrgent(0, EQUAL)
  }

  /**
   * Result metrics of a policy that queues by type: `types` (types queued apart), and
   * `untyped_fallback` = 1 when the trace has no `type` column (one queue served).
   */
  addMetrics(m: Record<string, number>): void {
    const untyped = this.types <= 1
    m.types = untyped ? 1 : this.types - 1
    if (untyped) m.untyped_fallback = 1
  }

  /**
   * The type whose head has the largest (now − arrival) × weight[t] (weight = 1 / the type's SLO);
   * ties go to the older head, then the lower trace index. -1 when all are empty.
   */
  mostUrgent(now: number, weight: Float64Array): number {
    const r = this.r
    let best = -1
    let bestScore = -Infinity
    let bestArr = Infinity
    let bestSeq = Infinity
    for (let t = 0; t < this.queues.length; t++) {
      const q = this.queues[t]
      if (q.size === 0) continue
      const h = q.peek()
      const a = r.arrival[h]
      const score = (now - a) * (t < weight.length ? weight[t] : 1)
      if (score > bestScore || (score === bestScore && (a < bestArr || (a === bestArr && r.seq[h] < bestSeq)))) {
        best = t
        bestScore = score
        bestArr = a
        bestSeq = r.seq[h]
      }
    }
    return best
  }
}
