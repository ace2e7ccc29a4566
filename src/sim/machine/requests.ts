/**
 * In-flight requests, struct-of-arrays, indexed by *slot*. A slot is allocated when a request
 * arrives and freed when it completes (or is dropped), so memory grows with the number of
 * requests in the system, never with the trace length.
 *
 * Fields written by the engine at arrival: seq, arrival, service, conn, type.
 * Fields written by policies: queue (NIC/run queue it entered), core (core that ran it),
 * start (cycle its service began), and the policy-owned scratch fields `next` (an intrusive
 * link, -1 = none) and `work` (remaining work in cycles, for processor sharing / preemption).
 */
export class RequestTable {
  capacity: number
  /** Index of the request in the trace (0-based). */
  seq: Float64Array
  /** Cycles. */
  arrival: Float64Array
  /** Cycles, >= 1. */
  service: Float64Array
  conn: Uint32Array
  type: Uint16Array
  queue: Int32Array
  core: Int32Array
  /** Cycles; -1 until service starts. */
  start: Float64Array
  next: Int32Array
  work: Float64Array
  private free: Int32Array
  private freeTop: number
  /** Slots currently allocated. */
  live = 0

  constructor(capacity = 1024) {
    this.capacity = capacity
    this.seq = new Float64Array(capacity)
    this.arrival = new Float64Array(capacity)
    this.service = new Float64Array(capacity)
    this.conn = new Uint32Array(capacity)
    this.type = new Uint16Array(capacity)
    this.queue = new Int32Array(capacity)
    this.core = new Int32Array(capacity)
    this.start = new Float64Array(capacity)
    this.next = new Int32Array(capacity)
    this.work = new Float64Array(capacity)
    this.free = new Int32Array(capacity)
    // Hand out low slots first.
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i
    this.freeTop = capacity
  }

  alloc(seq: number, arrival: number, service: number, conn: number, type: number): number {
    if (this.freeTop === 0) this.grow()
    const s = this.free[--this.freeTop]
    this.seq[s] = seq
    this.arrival[s] = arrival
    this.service[s] = service
    this.conn[s] = conn
    this.type[s] = type
    this.queue[s] = -1
    this.core[s] = -1
    this.start[s] = -1
    this.next[s] = -1
    this.work[s] = service
    this.live++
    return s
  }

  release(slot: number): void {
    this.free[this.freeTop++] = slot
    this.live--
  }

  private grow(): void {
    const old = this.capacity
    const cap = old * 2
    const f64 = (x: Float64Array) => {
      const y = new Float64Array(cap)
      y.set(x)
      return y
    }
    const i32 = (x: Int32Array) => {
      const y = new Int32Array(cap)
      y.set(x)
      return y
    }
    this.seq = f64(this.seq)
    this.arrival = f64(this.arrival)
    this.service = f64(this.service)
    const c = new Uint32Array(cap)
    c.set(this.conn)
    this.conn = c
    const t = new Uint16Array(cap)
    t.set(this.type)
    this.type = t
    this.queue = i32(this.queue)
    this.core = i32(this.core)
    this.start = f64(this.start)
    this.next = i32(this.next)
    this.work = f64(this.work)
    const free = new Int32Array(cap)
    // All old slots are in use (the free stack was empty); new slots are free.
    for (let i = 0; i < cap - old; i++) free[i] = cap - 1 - i
    this.free = free
    this.freeTop = cap - old
    this.capacity = cap
  }
}
