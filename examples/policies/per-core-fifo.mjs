// @ts-check
/**
 * `per-core-fifo` — a tailsim plug-in policy: one FIFO per core, and a rule of your own that
 * picks the queue of each arriving request (option `assign`):
 *  - `two` (default): the less loaded of two cores drawn at random ("power of two choices"); a
 *    core's load is the number of requests it holds, queued or running; a tie goes to the first.
 *  - `rss`: the connection's home core through the machine's RSS table. This is the built-in
 *    `n-mg1-fcfs:method=events`, event for event (tailsim's tests check it request by request).
 * A zero-overhead model (family `theory`): the machine's costs are not used.
 *
 *   tailsim replay --synthetic exp:10us --requests 20000 --policy ./per-core-fifo.mjs --load 0.8
 *
 * Self-contained: it imports nothing at run time. The JSDoc types below come from tailsim's
 * declarations and only serve editors and `tsc --checkJs`.
 *
 * @typedef {import('tailsim').PolicyDef} PolicyDef
 * @typedef {import('tailsim').Policy} Policy
 * @typedef {import('tailsim').SimContext} SimContext
 */

/** EventClass.FINISH (tailsim's event classes): a core finishes a piece of work. */
const FINISH = 1
/** Our only event kind: the request running on core `a` finishes. */
const DONE = 0

/** A FIFO of integers (request slots) on a ring buffer: no allocation except when it doubles. */
class Fifo {
  constructor() {
    this.buf = new Int32Array(16)
    this.head = 0
    this.size = 0
  }

  /** @param {number} v */
  push(v) {
    if (this.size === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2)
      for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)]
      this.buf = next
      this.head = 0
    }
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = v
    this.size++
  }

  /** @returns {number} the head (the caller checks size > 0) */
  shift() {
    const v = this.buf[this.head]
    this.head = (this.head + 1) & (this.buf.length - 1)
    this.size--
    return v
  }
}

/** @implements {Policy} */
class PerCoreFifo {
  /**
   * @param {SimContext} ctx
   * @param {string} assign
   */
  constructor(ctx, assign) {
    this.ctx = ctx
    this.two = assign === 'two'
    const n = ctx.machine.cores
    /** @type {Fifo[]} */
    this.queues = []
    for (let c = 0; c < n; c++) this.queues.push(new Fifo())
    /** Slot running on each core, -1 = idle. */
    this.running = new Int32Array(n).fill(-1)
    /** Requests held by each core (queued + running). */
    this.held = new Int32Array(n)
    /** A counter in the result row: how often the second draw won. */
    this.secondWins = ctx.counters.define('second_choice')
  }

  /** @param {number} slot */
  arrive(slot) {
    const ctx = this.ctx
    let q
    if (this.two) {
      const a = ctx.rng.int(ctx.machine.cores)
      const b = ctx.rng.int(ctx.machine.cores)
      q = this.held[b] < this.held[a] ? b : a
      if (q !== a) ctx.counters.values[this.secondWins]++
    } else {
      q = ctx.machine.homeQueue(ctx.requests.conn[slot])
    }
    ctx.requests.queue[slot] = q
    this.held[q]++
    if (this.running[q] === -1) this.start(q, slot)
    else this.queues[q].push(slot)
  }

  /**
   * @param {number} kind always DONE here
   * @param {number} core
   */
  handle(kind, core) {
    const ctx = this.ctx
    ctx.recorder.complete(this.running[core], ctx.engine.now)
    this.running[core] = -1
    this.held[core]--
    const q = this.queues[core]
    if (q.size > 0) this.start(core, q.shift())
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
    r.start[slot] = now
    ctx.usage.app[core] += s
    this.running[core] = slot
    ctx.engine.schedule(now + s, FINISH, DONE, core, 0)
  }

  finish() {
    for (let c = 0; c < this.queues.length; c++) {
      if (this.queues[c].size !== 0 || this.running[c] !== -1) throw new Error(`queue ${c} not empty after the drain`)
    }
  }
}

/** @type {PolicyDef} */
export default {
  name: 'per-core-fifo',
  summary: 'one FIFO per core; each request joins the less loaded of two random cores (or its RSS home core)',
  family: 'theory',
  options: [
    {name: 'assign', description: 'two: less loaded of two random cores; rss: the connection home core', default: 'two', choices: ['two', 'rss']},
  ],
  create: (ctx, options) => new PerCoreFifo(ctx, String(options.assign)),
}
