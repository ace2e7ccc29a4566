/**
 * The checks a plug-in policy runs under (built-in policies never pay for them). A plug-in's
 * `create(ctx, options)` receives a context whose `engine` and `recorder` are thin checking
 * fronts of the real ones, and the run loop calls the plug-in through `GuardedPolicy`, which:
 *  - turns anything the plug-in throws (in create, arrive, arriveDirect, handle, metrics, finish)
 *    into one PolicyModuleError naming the module, the call and the simulated cycle;
 *  - rejects an event scheduled in the past or at a non-integer cycle, and a bad event class;
 *  - rejects a request completed (or dropped) twice, one that is not in the system, and a reply
 *    that leaves before its request arrived;
 *  - after the run, names the first request that was never completed (a lost request).
 * Cost: one bitmap write per arrival and completion, a comparison per scheduled event, and one
 * extra call per event (figures in docs/writing-a-policy.md).
 */
import {basename} from 'node:path'
import {pathToFileURL} from 'node:url'

import {PolicyModuleError, TailsimError, type Location} from '../errors.js'
import type {Recorder} from '../stats/recorder.js'
import {EventClass, type Engine} from './engine/engine.js'
import {MAX_CLASS} from './engine/event-queue.js'
import type {Policy, PolicyDef, PolicyOptionValue, SimContext} from './policy.js'

/** Which module a guard reports about. */
export interface ModuleLabel {
  /** As shown in specs, e.g. `./my-policy.mjs`. */
  spec: string
  /** Absolute path. */
  path: string
}

/**
 * The first line of an error's message, with its class name and, when its stack passes through
 * the module file, the line there (`(my-policy.mjs:42)`).
 */
export function describeThrown(e: unknown, path: string): string {
  const text = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : `a thrown ${e === null ? 'null' : typeof e}: ${String(e).split('\n')[0]}`
  const stack = e instanceof Error && typeof e.stack === 'string' ? e.stack : ''
  const file = pathToFileURL(path).href
  const at = stack.indexOf(file)
  if (at < 0) return text
  const m = /^(?:\?[^:\s]*)?:(\d+)/.exec(stack.slice(at + file.length))
  return m ? `${text} (${basename(path)}:${m[1]})` : text
}

function invariant(label: ModuleLabel, what: string): PolicyModuleError {
  return new PolicyModuleError(`Policy module ${label.spec} ${what}`, 'POLICY_MODULE_INVARIANT', {file: label.path})
}

/** The engine as a plug-in sees it: the same calls, arguments checked. */
class CheckedEngine {
  constructor(
    private readonly e: Engine,
    private readonly label: ModuleLabel,
  ) {}

  get now(): number {
    return this.e.now
  }

  get events(): number {
    return this.e.events
  }

  get pending(): number {
    return this.e.pending
  }

  schedule(at: number, cls: number, kind: number, a: number, b: number): void {
    if (!(at >= this.e.now) || !Number.isInteger(at)) this.badTime(at, 'schedule')
    if (!(cls >= 0 && cls <= MAX_CLASS && cls !== EventClass.ARRIVAL && Number.isInteger(cls))) this.badClass(cls)
    this.e.schedule(at, cls, kind, a, b)
  }

  setTimer(lane: number, slot: number, at: number, cls: number, kind: number, b: number): void {
    if (!(at >= this.e.now) || !Number.isInteger(at)) this.badTime(at, 'setTimer')
    if (!(cls >= 0 && cls <= MAX_CLASS && cls !== EventClass.ARRIVAL && Number.isInteger(cls))) this.badClass(cls)
    this.e.setTimer(lane, slot, at, cls, kind, b)
  }

  clearTimer(lane: number, slot: number): boolean {
    return this.e.clearTimer(lane, slot)
  }

  timerArmed(lane: number, slot: number): boolean {
    return this.e.timerArmed(lane, slot)
  }

  cancel(kind: number, a: number, b: number): boolean {
    return this.e.cancel(kind, a, b)
  }

  useLanes(lanes: number, slots: number): void {
    this.e.useLanes(lanes, slots)
  }

  private badTime(at: number, call: string): never {
    const what = Number.isInteger(at) || !Number.isFinite(at) || at < this.e.now ? 'in the past' : 'at a fractional cycle'
    throw invariant(this.label, `scheduled an event ${what}: ${call}(at = ${at}) at cycle ${this.e.now}; expected an integer cycle >= ctx.engine.now (round service arithmetic with Math.ceil)`)
  }

  private badClass(cls: number): never {
    throw invariant(this.label, `scheduled an event of class ${cls}; expected an integer from 0 to ${MAX_CLASS} other than ${EventClass.ARRIVAL} (reserved for arrivals): use EventClass.FINISH, INTERRUPT or DISPATCH`)
  }
}

/** The recorder as a plug-in sees it: completions and drops, checked against the guard's bookkeeping. */
class CheckedRecorder {
  constructor(
    private readonly r: Recorder,
    private readonly g: GuardedPolicy,
  ) {}

  complete(slot: number, end: number): void {
    this.g.leaving(slot, end, 'complete')
    this.r.complete(slot, end)
  }

  drop(slot: number): void {
    this.g.leaving(slot, this.g.now(), 'drop')
    this.r.drop(slot)
  }

  completeRequest(seq: number, arrival: number, conn: number, type: number, queue: number, core: number, start: number, end: number, service: number): void {
    this.g.leavingDirect(seq, arrival, end)
    this.r.completeRequest(seq, arrival, conn, type, queue, core, start, end, service)
  }

  get completed(): number {
    return this.r.completed
  }

  get dropped(): number {
    return this.r.dropped
  }
}

export class GuardedPolicy implements Policy {
  private inner!: Policy
  private readonly ctx: SimContext
  /** 1 while the request in a slot is in the system. */
  private live = new Uint8Array(1024)
  /** arriveDirect path: 1 once request `seq` completed. */
  private doneSeq = new Uint8Array(0)
  private inFlight = 0
  private maxSeq = -1
  arriveDirect?: (seq: number, arrival: number, service: number, conn: number, type: number) => void

  constructor(
    outer: SimContext,
    def: PolicyDef,
    options: Readonly<Record<string, PolicyOptionValue>>,
    private readonly label: ModuleLabel,
  ) {
    this.ctx = outer
    const ctx: SimContext = {
      ...outer,
      engine: new CheckedEngine(outer.engine, label) as unknown as Engine,
      recorder: new CheckedRecorder(outer.recorder, this) as unknown as Recorder,
    }
    let inner: unknown
    try {
      inner = def.create(ctx, options)
    } catch (error) {
      throw this.threw(error, 'create(ctx, options)')
    }
    const p = inner as Partial<Record<keyof Policy, unknown>> | null
    const bad = (['arrive', 'handle'] as const).filter((k) => typeof p?.[k] !== 'function')
    const badOptional = (['arriveDirect', 'metrics', 'finish'] as const).filter((k) => p?.[k] !== undefined && typeof p[k] !== 'function')
    if (p === null || typeof p !== 'object' || bad.length > 0 || badOptional.length > 0) {
      const got = p === null || typeof p !== 'object' ? (p === null ? 'null' : typeof p) : `an object whose ${[...bad, ...badOptional].join(', ')} ${bad.length + badOptional.length > 1 ? 'are' : 'is'} not a function`
      throw new PolicyModuleError(
        `Policy module ${label.spec}: expected create(ctx, options) to return a policy {arrive(slot), handle(kind, a, b), optional arriveDirect, metrics, finish}, got ${got}`,
        'POLICY_MODULE_SHAPE',
        this.where(),
      )
    }
    this.inner = p as Policy
    if (this.inner.arriveDirect !== undefined) {
      const direct = this.inner.arriveDirect.bind(this.inner)
      this.arriveDirect = (seq, arrival, service, conn, type) => {
        if (seq > this.maxSeq) this.maxSeq = seq
        this.inFlight++
        try {
          direct(seq, arrival, service, conn, type)
        } catch (error) {
          throw this.threw(error, `arriveDirect(request #${seq})`)
        }
      }
    }
  }

  now(): number {
    return this.ctx.engine.now
  }

  private where(): Location {
    return {file: this.label.path}
  }

  /** Anything the plug-in throws, as one line naming it; tailsim's own typed errors pass through. */
  private threw(error: unknown, call: string): TailsimError {
    if (error instanceof TailsimError) return error
    return new PolicyModuleError(
      `Policy module ${this.label.spec} threw in ${call} at cycle ${this.ctx.engine.now}: ${describeThrown(error, this.label.path)}`,
      'POLICY_MODULE_THREW',
      this.where(),
    )
  }

  arrive(slot: number): void {
    if (slot >= this.live.length) {
      const g = new Uint8Array(Math.max(this.live.length * 2, slot + 1))
      g.set(this.live)
      this.live = g
    }
    this.live[slot] = 1
    this.inFlight++
    try {
      this.inner.arrive(slot)
    } catch (error) {
      throw this.threw(error, `arrive(slot ${slot}, request #${this.ctx.requests.seq[slot]})`)
    }
  }

  handle(kind: number, a: number, b: number): void {
    try {
      this.inner.handle(kind, a, b)
    } catch (error) {
      throw this.threw(error, `handle(${kind}, ${a}, ${b})`)
    }
  }

  /** Checks a completion or drop of the request in `slot` (CheckedRecorder). */
  leaving(slot: number, end: number, call: 'complete' | 'drop'): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.live.length && this.live[slot] === 1)) {
      throw invariant(
        this.label,
        `called recorder.${call}(slot ${slot}) at cycle ${this.now()}, but no request is in that slot (its last one, request #${this.ctx.requests.seq[slot] ?? '?'}, was already completed or dropped); expected each request to complete or drop exactly once`,
      )
    }
    const arrival = this.ctx.requests.arrival[slot]
    if (!(Number.isInteger(end) && end >= arrival)) {
      throw invariant(this.label, `completed request #${this.ctx.requests.seq[slot]} at cycle ${end}, before it arrived (cycle ${arrival}) or not at an integer cycle; expected end >= arrival`)
    }
    this.live[slot] = 0
    this.inFlight--
  }

  /** Checks a completion reported by the arriveDirect path. */
  leavingDirect(seq: number, arrival: number, end: number): void {
    if (!(Number.isInteger(seq) && seq >= 0 && seq <= this.maxSeq)) {
      throw invariant(this.label, `called recorder.completeRequest for request #${seq}, which has not arrived; expected the seq passed to arriveDirect`)
    }
    if (seq >= this.doneSeq.length) {
      const g = new Uint8Array(Math.max(this.doneSeq.length * 2, seq + 1, 1024))
      g.set(this.doneSeq)
      this.doneSeq = g
    }
    if (this.doneSeq[seq] === 1) {
      throw invariant(this.label, `completed request #${seq} twice (recorder.completeRequest at cycle ${this.now()}); expected each request to complete exactly once`)
    }
    if (!(Number.isInteger(end) && end >= arrival)) {
      throw invariant(this.label, `completed request #${seq} at cycle ${end}, before it arrived (cycle ${arrival}) or not at an integer cycle; expected end >= arrival`)
    }
    this.doneSeq[seq] = 1
    this.inFlight--
  }

  metrics(): Record<string, number> {
    if (this.inner.metrics === undefined) return {}
    let m: unknown
    try {
      m = this.inner.metrics()
    } catch (error) {
      throw this.threw(error, 'metrics()')
    }
    const ok = m !== null && typeof m === 'object' && Object.values(m).every((v) => typeof v === 'number')
    if (!ok) {
      throw new PolicyModuleError(`Policy module ${this.label.spec}: expected metrics() to return an object of numbers, got ${JSON.stringify(m)?.slice(0, 80)}`, 'POLICY_MODULE_SHAPE', this.where())
    }
    return m as Record<string, number>
  }

  finish(): void {
    if (this.inFlight !== 0) throw this.lost()
    if (this.inner.finish === undefined) return
    try {
      this.inner.finish()
    } catch (error) {
      throw this.threw(error, 'finish()')
    }
  }

  /** The requests never completed, named by the first of them. */
  private lost(): PolicyModuleError {
    let first = ''
    const r = this.ctx.requests
    let arrival = Infinity
    for (let s = 0; s < this.live.length; s++) {
      if (this.live[s] === 1 && r.arrival[s] < arrival) {
        arrival = r.arrival[s]
        first = `request #${r.seq[s]}, arrived at cycle ${arrival}`
      }
    }
    if (first === '' && this.arriveDirect !== undefined) {
      for (let q = 0; q <= this.maxSeq; q++) {
        if (q >= this.doneSeq.length || this.doneSeq[q] === 0) {
          first = `request #${q}`
          break
        }
      }
    }
    return invariant(
      this.label,
      `lost ${this.inFlight} request(s): never completed by the end of the run (the first: ${first || 'unknown'}); expected recorder.complete(slot, end) or recorder.drop(slot) for every request`,
    )
  }
}
