/**
 * JBSQ(k) bookkeeping: the dispatcher's view of how many requests each worker holds (the running
 * one, the ones in its mailbox and the ones in flight to it), with a bound k per worker.
 *
 * A central queue plus this bound is join-bounded-shortest-queue: the head of the central queue
 * goes to an idle worker if there is one, else to a worker holding fewer than k (the one holding
 * fewest, lowest index first). k = 1 is M/G/n (a worker takes a request only when idle); k = ∞ with
 * round-robin choice is d-FCFS. `room` counts workers below the bound, so that a dispatch pass on a
 * full system costs O(1).
 *
 * Invariant: 0 <= held[w] <= k for every worker; room = #{w : held[w] < k}.
 */
export class Mailboxes {
  readonly held: Int32Array
  /** Workers holding fewer than k requests. */
  room: number

  constructor(
    readonly workers: number,
    /** Bound per worker, >= 1 (Infinity = unbounded). */
    readonly k: number,
  ) {
    this.held = new Int32Array(workers)
    this.room = workers
  }

  /** The dispatcher sent one more request to worker w. Caller ensures held[w] < k. */
  take(w: number): void {
    if (++this.held[w] === this.k) this.room--
  }

  /** Worker w reported a request back (done or preempted). */
  release(w: number): void {
    if (this.held[w]-- === this.k) this.room++
  }

  /**
   * The worker to send the next request to among workers [from, to): idle first, else the one
   * holding fewest (< k), lowest index on ties; -1 when all of them are at the bound.
   */
  pick(from = 0, to = this.workers): number {
    if (this.room === 0) return -1
    const held = this.held
    const k = this.k
    let best = -1
    let bestHeld = k
    for (let w = from; w < to; w++) {
      const h = held[w]
      if (h === 0) return w
      if (h < bestHeld) {
        best = w
        bestHeld = h
      }
    }
    return best
  }

  /** The lowest-index idle worker in [from, to), -1 if none (k = 1 dispatch). */
  idleIn(from: number, to: number): number {
    if (this.room === 0) return -1
    const held = this.held
    for (let w = from; w < to; w++) if (held[w] === 0) return w
    return -1
  }

  /** Requests held by all workers together. */
  total(): number {
    let s = 0
    for (let w = 0; w < this.workers; w++) s += this.held[w]
    return s
  }
}
