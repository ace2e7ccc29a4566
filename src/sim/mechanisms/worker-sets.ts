/**
 * Small building blocks of the core-allocating designs (granted-cores.ts): the set of active
 * workers in steering order, the list of spinning workers, the victim search of work stealing,
 * and the granted/busy core-time integrals. Typed arrays, nothing allocated after construction.
 */
import type {IntQueue} from '../machine/int-queue.js'
import type {Rng} from '../../rng.js'

/**
 * Workers granted to the application, in steering order: `ids[0..count)`. Adding appends;
 * removing moves the last one into the hole (so steering of the others' connections changes only
 * for the moved worker's and the removed worker's buckets, as in an array of active threads).
 */
export class ActiveSet {
  readonly ids: Int32Array
  private readonly pos: Int32Array
  count = 0

  constructor(n: number) {
    this.ids = new Int32Array(n)
    this.pos = new Int32Array(n).fill(-1)
  }

  add(w: number): void {
    this.pos[w] = this.count
    this.ids[this.count++] = w
  }

  remove(w: number): void {
    const last = this.ids[--this.count]
    const p = this.pos[w]
    this.ids[p] = last
    this.pos[last] = p
    this.pos[w] = -1
  }
}

/** A set of worker ids as a doubly linked list, most recently added first; O(1) add and remove. */
export class IdList {
  private readonly prev: Int32Array
  private readonly next: Int32Array
  head = -1
  size = 0

  constructor(n: number) {
    this.prev = new Int32Array(n).fill(-1)
    this.next = new Int32Array(n).fill(-1)
  }

  push(w: number): void {
    const h = this.head
    this.prev[w] = -1
    this.next[w] = h
    if (h >= 0) this.prev[h] = w
    this.head = w
    this.size++
  }

  /** Caller ensures w is in the list. */
  remove(w: number): void {
    const p = this.prev[w]
    const n = this.next[w]
    if (p >= 0) this.next[p] = n
    else this.head = n
    if (n >= 0) this.prev[n] = p
    this.size--
  }
}

/**
 * The victim search of an idle worker w over the run queues: `shenango` looks at one random
 * worker, then at every worker from the first; `caladan` (`fromRandom`) at every worker from a
 * random start. Returns the first worker (not w) with a non-empty queue, or -1, and leaves the
 * number of workers looked at in `probes`.
 */
export class VictimSearch {
  probes = 0

  constructor(
    private readonly rq: readonly IntQueue[],
    private readonly rng: Rng,
    private readonly fromRandom: boolean,
  ) {}

  find(w: number): number {
    const rq = this.rq
    const W = rq.length
    let probes = 0
    let v = -1
    if (this.fromRandom) {
      const start = this.rng.int(W)
      for (let k = 0; k < W && v < 0; k++) {
        const i = start + k < W ? start + k : start + k - W
        if (i === w) continue
        probes++
        if (rq[i].size > 0) v = i
      }
    } else {
      const r = this.rng.int(W)
      if (r !== w) {
        probes++
        if (rq[r].size > 0) v = r
      }
      for (let i = 0; i < W && v < 0; i++) {
        if (i === w) continue
        probes++
        if (rq[i].size > 0) v = i
      }
    }
    this.probes = probes
    return v
  }
}

/** Integrals over time (cycles × workers) of the granted and the busy workers. */
export class CoreTime {
  private t = 0
  granted = 0
  busy = 0
  private lastGranted = 0
  private lastBusy = 0

  /** Advance both integrals to `now` with the counts that held since the last call. */
  advance(now: number, grantedCount: number, busyCount: number): void {
    const dt = now - this.t
    if (dt > 0) {
      this.granted += grantedCount * dt
      this.busy += busyCount * dt
      this.t = now
    }
  }

  /** The time the integrals reach, cycles. */
  get until(): number {
    return this.t
  }

  /** Busy / granted since the previous call (NaN when nothing was granted). Call `advance` first. */
  sinceLast(): number {
    const g = this.granted - this.lastGranted
    const b = this.busy - this.lastBusy
    this.lastGranted = this.granted
    this.lastBusy = this.busy
    return g > 0 ? b / g : NaN
  }
}
