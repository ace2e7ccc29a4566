/**
 * `Engine.nextTime()` and `Engine.pendingAt(t)` against a plain list of the pending events kept
 * beside the engine: random scripts of heap events, lane timers (arm, re-arm, clear) and cancels,
 * queried outside handlers and inside them (before and after the handler schedules), where the
 * event being handled must not count.
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {Engine, EventClass} from '../../../src/sim/engine/engine.js'

type Op = {op: 'heap'; dt: number; id: number} | {op: 'timer'; lane: number; dt: number} | {op: 'clear'; lane: number} | {op: 'cancel'; pick: number}

const LANES = 3
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({op: fc.constant('heap' as const), dt: fc.integer({min: 0, max: 20}), id: fc.integer({min: 0, max: 1e6})}),
  fc.record({op: fc.constant('timer' as const), lane: fc.integer({min: 0, max: LANES - 1}), dt: fc.integer({min: 0, max: 20})}),
  fc.record({op: fc.constant('clear' as const), lane: fc.integer({min: 0, max: LANES - 1})}),
  fc.record({op: fc.constant('cancel' as const), pick: fc.integer({min: 0, max: 50})}),
)

describe('engine look-ahead', () => {
  it('nextTime and pendingAt agree with the list of pending events, in and out of handlers', () => {
    fc.assert(
      fc.property(fc.array(opArb, {maxLength: 30}), fc.array(opArb, {maxLength: 30}), fc.boolean(), (outside, inside, lanes) => {
        const e = new Engine()
        if (lanes) e.useLanes(LANES, 1)
        // Pending events: heap ones by payload id, timers by lane.
        const heap = new Map<number, number>()
        const timers = new Map<number, number>()
        let nextId = 0
        const check = () => {
          const all = [...heap.values(), ...timers.values()]
          const min = all.length === 0 ? Infinity : Math.min(...all)
          expect(e.nextTime()).toBe(min)
          for (let t = e.now + 1; t <= e.now + 21; t++) expect(e.pendingAt(t)).toBe(all.includes(t))
        }
        const apply = (o: Op) => {
          if (o.op === 'heap') {
            const id = nextId++
            e.schedule(e.now + o.dt, EventClass.FINISH, 0, id, 0)
            heap.set(id, e.now + o.dt)
          } else if (o.op === 'timer' && lanes) {
            e.setTimer(o.lane, 0, e.now + o.dt, EventClass.FINISH, 1, 0)
            timers.set(o.lane, e.now + o.dt)
          } else if (o.op === 'clear' && lanes) {
            e.clearTimer(o.lane, 0)
            timers.delete(o.lane)
          } else if (o.op === 'cancel' && heap.size > 0) {
            const id = [...heap.keys()][o.pick % heap.size]
            expect(e.cancel(0, id, 0)).toBe(true)
            heap.delete(id)
          }
          check()
        }
        let handled = 0
        e.bind({
          handle: (kind, a) => {
            // The event being handled is no longer pending.
            if (kind === 0) heap.delete(a)
            else timers.delete(a)
            check()
            if (handled++ === 0) for (const o of inside) apply(o)
          },
        })
        for (const o of outside) apply(o)
        e.drain()
        expect(e.pending).toBe(0)
      }),
      {numRuns: 100},
    )
  })
})
