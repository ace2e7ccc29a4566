/**
 * Per-lane timers against the general heap as a second implementation: the same random script of
 * timer arms, re-arms, clears, heap events and arrivals (advanceTo), run once on an engine with
 * lane timers and once on an engine that keeps every event in its heap (a timer = at most one heap
 * event with a unique payload, re-arming and clearing = `cancel`), must dispatch the same events
 * in the same order at the same times, with the same arrival boundaries, under the documented
 * (time, class, sequence) contract. Handlers act too (re-arm their own timer, arm others, clear).
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {Engine, EventClass} from '../../../src/sim/engine/engine.js'
import {LaneTimers} from '../../../src/sim/engine/lane-timers.js'

type Act =
  | {op: 'set'; lane: number; slot: number; dt: number; cls: number; kind: number}
  | {op: 'clear'; lane: number; slot: number}
  | {op: 'heap'; dt: number; cls: number; kind: number; lane: number}

type Step = {op: 'act'; act: Act} | {op: 'arrive'; dt: number}

const LANES = 5
const SLOTS = 3
const CLASSES = [EventClass.FINISH, 2, EventClass.INTERRUPT, EventClass.DISPATCH, 200]

const actArb: fc.Arbitrary<Act> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      lane: fc.integer({min: 0, max: LANES - 1}),
      slot: fc.integer({min: 0, max: SLOTS - 1}),
      dt: fc.integer({min: 0, max: 20}),
      cls: fc.constantFrom(...CLASSES),
      kind: fc.integer({min: 0, max: 3}),
    }),
  },
  {weight: 2, arbitrary: fc.record({op: fc.constant('clear' as const), lane: fc.integer({min: 0, max: LANES - 1}), slot: fc.integer({min: 0, max: SLOTS - 1})})},
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('heap' as const),
      dt: fc.integer({min: 0, max: 20}),
      cls: fc.constantFrom(...CLASSES),
      kind: fc.integer({min: 0, max: 3}),
      lane: fc.integer({min: 0, max: LANES - 1}),
    }),
  },
)
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {weight: 3, arbitrary: fc.record({op: fc.constant('act' as const), act: actArb})},
  {weight: 2, arbitrary: fc.record({op: fc.constant('arrive' as const), dt: fc.integer({min: 0, max: 8})})},
)

/** The operations a script needs, on either implementation. */
interface Impl {
  engine: Engine
  set(lane: number, slot: number, at: number, cls: number, kind: number, uid: number): void
  clear(lane: number, slot: number): void
  /** A timer's event was dispatched (it is no longer pending). */
  dispatched(lane: number, slot: number): void
}

/** Kinds >= HEAP_KIND are plain heap events; below, kind * SLOTS + slot identifies a timer's event. */
const HEAP_KIND = 100

function withTimers(): Impl {
  const engine = new Engine()
  engine.useLanes(LANES, SLOTS)
  return {
    engine,
    set: (lane, slot, at, cls, kind, uid) => engine.setTimer(lane, slot, at, cls, kind * SLOTS + slot, uid),
    clear: (lane, slot) => void engine.clearTimer(lane, slot),
    dispatched: () => {},
  }
}

/** Timers emulated in the heap: the current event of each timer is cancelled by its unique payload. */
function withHeap(): Impl {
  const engine = new Engine()
  const cur = new Map<number, [number, number]>() // timer -> [kind, uid]
  const clear = (lane: number, slot: number) => {
    const k = lane * SLOTS + slot
    const e = cur.get(k)
    if (e !== undefined) {
      engine.cancel(e[0], lane, e[1])
      cur.delete(k)
    }
  }
  return {
    engine,
    set: (lane, slot, at, cls, kind, uid) => {
      clear(lane, slot)
      cur.set(lane * SLOTS + slot, [kind * SLOTS + slot, uid])
      engine.schedule(at, cls, kind * SLOTS + slot, lane, uid)
    },
    clear,
    dispatched: (lane, slot) => void cur.delete(lane * SLOTS + slot),
  }
}

/** Runs a script; handlers take their actions from `reactions` in turn. Returns the dispatch log. */
function runScript(impl: Impl, steps: Step[], reactions: Act[]): string[] {
  const log: string[] = []
  const e = impl.engine
  let uid = 0
  let r = 0
  const apply = (a: Act) => {
    if (a.op === 'set') impl.set(a.lane, a.slot, e.now + a.dt, a.cls, a.kind, uid++)
    else if (a.op === 'clear') impl.clear(a.lane, a.slot)
    else e.schedule(e.now + a.dt, a.cls, HEAP_KIND + a.kind, a.lane, uid++)
  }
  e.bind({
    handle(kind, a, b) {
      log.push(`${e.now}:${kind}:${a}:${b}`)
      if (kind < HEAP_KIND) impl.dispatched(a, kind % SLOTS)
      // Up to two reactions per event, the first often re-arming the dispatched timer.
      for (let j = 0; j < 2 && r < reactions.length; j++) {
        const x = reactions[r++]
        if (j === 0 && x.op === 'set' && kind < HEAP_KIND && x.kind === 0) apply({...x, lane: a, slot: kind % SLOTS})
        else apply(x)
      }
    },
  })
  let t = 0
  for (const s of steps) {
    if (s.op === 'act') apply(s.act)
    else {
      t += s.dt
      e.advanceTo(t)
      log.push(`arrival@${t}`)
    }
  }
  e.drain()
  log.push(`end ${e.now} pending ${e.pending}`)
  return log
}

describe('LaneTimers', () => {
  // 13 lanes: a deeper tree with unused leaves, where a repair may stop below the root.
  it.each([
    [4, 3],
    [13, 2],
  ])('names the earliest armed timer under arm/disarm (model-based), %i lanes x %i slots', (lanes, slots) => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({min: 0, max: lanes * slots - 1}), fc.option(fc.integer({min: 0, max: 30}), {nil: undefined}), fc.integer({min: 0, max: 5})), {maxLength: 200}),
        (ops) => {
          const lt = new LaneTimers(lanes, slots)
          const ref = new Map<number, [number, number]>()
          let seq = 0
          for (const [i, t, cls] of ops) {
            const lane = Math.floor(i / slots)
            if (t === undefined) {
              expect(lt.disarm(lane, i)).toBe(ref.delete(i))
            } else {
              const tie = cls * 2 ** 44 + seq++
              lt.arm(lane, i, t, tie, 0, 0)
              ref.set(i, [t, tie])
            }
            // The tree is repaired lazily: sometimes several changes before a flush.
            if (t !== undefined && t % 3 === 0) continue
            lt.flush()
            expect(lt.armed).toBe(ref.size)
            let best = -1
            for (const [k, [kt, ktie]] of ref) if (best < 0 || kt < ref.get(best)![0] || (kt === ref.get(best)![0] && ktie < ref.get(best)![1])) best = k
            if (best >= 0) expect(lt.top()).toBe(best)
            else expect(lt.time[lt.top()]).toBe(Infinity)
          }
        },
      ),
      {numRuns: 300},
    )
  })

  it('dispatches exactly as the heap does for the same script (second implementation)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, {minLength: 20, maxLength: 300}), fc.array(actArb, {maxLength: 300}), (steps, reactions) => {
        const a = runScript(withTimers(), steps, reactions)
        const b = runScript(withHeap(), steps, reactions)
        expect(a).toEqual(b)
      }),
      {numRuns: 300},
    )
  })

  it('rejects bad timers and times in the past', () => {
    const e = new Engine()
    e.useLanes(2, 2)
    e.bind({handle() {}})
    expect(() => e.setTimer(2, 0, 1, EventClass.FINISH, 0, 0)).toThrow(/no timer 2\/0/)
    expect(() => e.setTimer(0, 2, 1, EventClass.FINISH, 0, 0)).toThrow(/no timer 0\/2/)
    expect(() => e.setTimer(0, 0, 1, EventClass.ARRIVAL, 0, 0)).toThrow(/bad event class/)
    e.advanceTo(10)
    expect(() => e.setTimer(0, 0, 9, EventClass.FINISH, 0, 0)).toThrow(/in the past/)
    e.setTimer(1, 1, 12, EventClass.FINISH, 0, 0)
    expect(e.timerArmed(1, 1)).toBe(true)
    expect(e.pending).toBe(1)
    expect(() => e.useLanes(3, 1)).toThrow(/armed/)
    expect(e.clearTimer(1, 1)).toBe(true)
    expect(e.clearTimer(1, 1)).toBe(false)
    expect(e.pending).toBe(0)
  })

  it('a handler that clears or re-arms its own timer while it runs', () => {
    const e = new Engine()
    e.useLanes(1, 1)
    const seen: string[] = []
    let n = 0
    e.bind({
      handle(kind, lane, b) {
        seen.push(`${e.now}:${kind}:${lane}:${b}`)
        expect(e.timerArmed(0, 0)).toBe(false)
        if (n++ < 2) e.setTimer(0, 0, e.now + 5, EventClass.FINISH, kind + 1, b)
        else expect(e.clearTimer(0, 0)).toBe(false)
      },
    })
    e.setTimer(0, 0, 1, EventClass.FINISH, 0, 7)
    e.drain()
    expect(seen).toEqual(['1:0:0:7', '6:1:0:7', '11:2:0:7'])
    expect(e.pending).toBe(0)
  })
})
