// @ts-check
/**
 * `central-priority` — a tailsim plug-in policy: one central queue served by every core, in an
 * order of your own (option `order`):
 *  - `sjf` (default): shortest service first (the model knows each request's service time, as a
 *    scheduler with perfect size information would);
 *  - `type`: by the trace's request type, the first type of the trace's dictionary first;
 *  - `fifo`: arrival order. This is the built-in `mgn-fcfs:method=events`, event for event
 *    (tailsim's tests check it request by request).
 * Ties go to the earlier arrival. The first free core takes the best request; idle cores wait on
 * a stack (the most recently freed core is taken first, as mgn-fcfs does). Non-preemptive, zero
 * overhead (family `theory`: the machine's costs are not used).
 *
 *   tailsim replay --synthetic bimodal1:10us --requests 20000 --policy ./central-priority.mjs --load 0.8
 *
 * Self-contained: it imports nothing at run time; the JSDoc types are for editors and tsc only.
 *
 * @typedef {import('tailsim').PolicyDef} PolicyDef
 * @typedef {import('tailsim').Policy} Policy
 * @typedef {import('tailsim').SimContext} SimContext
 */

/** EventClass.FINISH (tailsim's event classes): a core finishes a piece of work. */
const FINISH = 1
/** Our only event kind: the request running on core `a` finishes. */
const DONE = 0

/** A binary min-heap of request slots keyed by (key, seq), on typed arrays. */
class SlotHeap {
  constructor() {
    this.key = new Float64Array(64)
    this.seq = new Float64Array(64)
    this.slot = new Int32Array(64)
    this.size = 0
  }

  /**
   * @param {number} slot
   * @param {number} key smaller first
   * @param {number} seq trace order, for ties
   */
  push(slot, key, seq) {
    if (this.size === this.slot.length) this.grow()
    let i = this.size++
    while (i > 0) {
      const p = (i - 1) >> 1
      if (this.key[p] < key || (this.key[p] === key && this.seq[p] < seq)) break
      this.move(p, i)
      i = p
    }
    this.key[i] = key
    this.seq[i] = seq
    this.slot[i] = slot
  }

  /** @returns {number} the slot with the least (key, seq); the caller checks size > 0 */
  pop() {
    const top = this.slot[0]
    const n = --this.size
    const key = this.key[n]
    const seq = this.seq[n]
    const slot = this.slot[n]
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && (this.key[c + 1] < this.key[c] || (this.key[c + 1] === this.key[c] && this.seq[c + 1] < this.seq[c]))) c++
      if (key < this.key[c] || (key === this.key[c] && seq < this.seq[c])) break
      this.move(c, i)
      i = c
    }
    this.key[i] = key
    this.seq[i] = seq
    this.slot[i] = slot
    return top
  }

  /**
   * @param {number} from
   * @param {number} to
   */
  move(from, to) {
    this.key[to] = this.key[from]
    this.seq[to] = this.seq[from]
    this.slot[to] = this.slot[from]
  }

  grow() {
    const n = this.slot.length * 2
    const key = new Float64Array(n)
    const seq = new Float64Array(n)
    const slot = new Int32Array(n)
    key.set(this.key)
    seq.set(this.seq)
    slot.set(this.slot)
    this.key = key
    this.seq = seq
    this.slot = slot
  }
}

/** @implements {Policy} */
class CentralPriority {
  /**
   * @param {SimContext} ctx
   * @param {string} order
   */
  constructor(ctx, order) {
    this.ctx = ctx
    /** 0: fifo, 1: sjf, 2: type */
    this.order = order === 'sjf' ? 1 : order === 'type' ? 2 : 0
    this.waiting = new SlotHeap()
    const n = ctx.machine.cores
    this.running = new Int32Array(n).fill(-1)
    /** Idle cores on a stack, core 0 on top. */
    this.idleStack = new Int32Array(n)
    for (let i = 0; i < n; i++) this.idleStack[i] = n - 1 - i
    this.idle = n
    this.maxWaiting = 0
  }

  /** @param {number} slot */
  arrive(slot) {
    if (this.idle > 0) {
      this.start(this.idleStack[--this.idle], slot)
      return
    }
    const r = this.ctx.requests
    const key = this.order === 1 ? r.service[slot] : this.order === 2 ? r.type[slot] : 0
    this.waiting.push(slot, key, r.seq[slot])
    if (this.waiting.size > this.maxWaiting) this.maxWaiting = this.waiting.size
  }

  /**
   * @param {number} kind always DONE here
   * @param {number} core
   */
  handle(kind, core) {
    const ctx = this.ctx
    ctx.recorder.complete(this.running[core], ctx.engine.now)
    this.running[core] = -1
    if (this.waiting.size > 0) this.start(core, this.waiting.pop())
    else this.idleStack[this.idle++] = core
  }

  /**
   * @param {number} core
   * @param {number} slot
   */
  start(core, slot) {
    const ctx = this.ctx
    const r = ctx.requests
    const now = ctx.engine.now
    const s = r.service[slot]
    r.core[slot] = core
    r.queue[slot] = 0
    r.start[slot] = now
    ctx.usage.app[core] += s
    this.running[core] = slot
    ctx.engine.schedule(now + s, FINISH, DONE, core, 0)
  }

  /** Flat numbers for the result row. */
  metrics() {
    return {max_waiting: this.maxWaiting}
  }

  finish() {
    if (this.waiting.size !== 0 || this.idle !== this.ctx.machine.cores) throw new Error(`${this.waiting.size} requests left waiting after the drain`)
  }
}

/** @type {PolicyDef} */
export default {
  name: 'central-priority',
  summary: 'one central queue, non-preemptive; shortest service first, by request type, or FIFO',
  family: 'theory',
  options: [{name: 'order', description: 'sjf: shortest service first; type: first type first; fifo: arrival order', default: 'sjf', choices: ['sjf', 'type', 'fifo']}],
  create: (ctx, options) => new CentralPriority(ctx, String(options.order)),
}
