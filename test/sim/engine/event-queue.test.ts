/**
 * EventQueue and Engine against a reference model: events come out in (time, class, sequence)
 * order under any mix of push, pop, replaceTop and remove (cancel); a removed event never comes
 * out and consumes no sequence number; Engine.cancel never matches the event being handled.
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {Engine, EventClass} from '../../../src/sim/engine/engine.js'
import {EventQueue} from '../../../src/sim/engine/event-queue.js'

interface Ev {
  time: number
  cls: number
  seq: number
  kind: number
  a: number
  b: number
}

const before = (x: Ev, y: Ev) => x.time < y.time || (x.time === y.time && (x.cls < y.cls || (x.cls === y.cls && x.seq < y.seq)))

/** Reference: an unsorted list; the minimum is found by scanning. */
class Model {
  evs: Ev[] = []
  seq = 0
  push(time: number, cls: number, kind: number, a: number, b: number): void {
    this.evs.push({time, cls, seq: this.seq++, kind, a, b})
  }
  minIndex(): number {
    let m = 0
    for (let i = 1; i < this.evs.length; i++) if (before(this.evs[i], this.evs[m])) m = i
    return m
  }
  pop(): Ev {
    return this.evs.splice(this.minIndex(), 1)[0]
  }
}

type Op =
  | {op: 'push'; time: number; cls: number; kind: number; a: number}
  | {op: 'pop'}
  | {op: 'replaceTop'; time: number; cls: number; kind: number; a: number}
  | {op: 'remove'; pick: number}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {weight: 6, arbitrary: fc.record({op: fc.constant('push' as const), time: fc.integer({min: 0, max: 50}), cls: fc.constantFrom(1, 3, 12), kind: fc.integer({min: 0, max: 5}), a: fc.integer({min: 0, max: 3})})},
  {weight: 2, arbitrary: fc.record({op: fc.constant('pop' as const)})},
  {weight: 1, arbitrary: fc.record({op: fc.constant('replaceTop' as const), time: fc.integer({min: 0, max: 50}), cls: fc.constantFrom(1, 3, 12), kind: fc.integer({min: 0, max: 5}), a: fc.integer({min: 0, max: 3})})},
  {weight: 2, arbitrary: fc.record({op: fc.constant('remove' as const), pick: fc.nat()})},
)

describe('EventQueue', () => {
  it('pops in (time, class, sequence) order under push/pop/replaceTop/remove (model-based)', () => {
    fc.assert(
      fc.property(fc.array(opArb, {minLength: 50, maxLength: 400, size: 'max'}), (ops) => {
        const q = new EventQueue(2) // small, so that it grows
        const m = new Model()
        let uid = 0 // unique `b` per event, so that remove() targets exactly one
        // Plain comparisons in the loop (up to 400 operations × 200 runs); `expect` only on a
        // mismatch, for its message. The same checks as asserting every time, at a fraction of the CPU.
        const check = (e: Ev) => {
          if (q.poppedTime !== e.time || q.poppedKind !== e.kind || q.poppedA !== e.a || q.poppedB !== e.b) {
            expect([q.poppedTime, q.poppedKind, q.poppedA, q.poppedB]).toEqual([e.time, e.kind, e.a, e.b])
          }
        }
        const same = (actual: unknown, expected: unknown) => {
          if (actual !== expected) expect(actual).toBe(expected)
        }
        for (const o of ops) {
          if (o.op === 'push') {
            q.push(o.time, o.cls, o.kind, o.a, uid)
            m.push(o.time, o.cls, o.kind, o.a, uid++)
          } else if (o.op === 'pop') {
            if (m.evs.length === 0) continue
            q.pop()
            check(m.pop())
          } else if (o.op === 'replaceTop') {
            if (m.evs.length === 0) continue
            q.readTop()
            check(m.pop())
            q.replaceTop(o.time, o.cls, o.kind, o.a, uid)
            m.push(o.time, o.cls, o.kind, o.a, uid++)
          } else {
            if (m.evs.length === 0) {
              same(q.remove(0, 0, 0), false)
              continue
            }
            const e = m.evs[o.pick % m.evs.length]
            same(q.remove(e.kind, e.a, e.b), true)
            m.evs.splice(m.evs.indexOf(e), 1)
            // Gone: a second removal finds nothing.
            same(q.remove(e.kind, e.a, e.b), false)
          }
          same(q.size, m.evs.length)
          // The earliest event is always at the top (readTop does not remove it).
          if (m.evs.length > 0) {
            q.readTop()
            check(m.evs[m.minIndex()])
          }
        }
        while (m.evs.length > 0) {
          q.pop()
          check(m.pop())
        }
        expect(q.size).toBe(0)
      }),
      {numRuns: 200},
    )
  })

  it('remove consumes no sequence number: equal-key events keep their scheduling order', () => {
    const q = new EventQueue()
    q.push(5, 1, 0, 0, 0)
    q.push(5, 1, 0, 1, 0)
    q.push(5, 1, 0, 2, 0)
    expect(q.remove(0, 1, 0)).toBe(true)
    q.push(5, 1, 0, 3, 0)
    const out: number[] = []
    while (q.size > 0) {
      q.pop()
      out.push(q.poppedA)
    }
    expect(out).toEqual([0, 2, 3])
  })

  it('remove(from) skips the indices before `from`', () => {
    const q = new EventQueue()
    q.push(1, 1, 7, 0, 0)
    q.push(2, 1, 7, 0, 0)
    expect(q.remove(7, 0, 0, 1)).toBe(true)
    expect(q.size).toBe(1)
    expect(q.peekTime()).toBe(1)
  })
})

describe('Engine.cancel', () => {
  it('a cancelled event is never handled and not counted; the handled event itself is never matched', () => {
    const e = new Engine()
    const seen: [number, number, number, number][] = []
    let cancelResults: boolean[] = []
    e.bind({
      handle(kind, a, b) {
        seen.push([e.now, kind, a, b])
        if (kind === 1) {
          // Same payload as the event being handled (still at the top of the heap): not matched.
          cancelResults.push(e.cancel(1, a, b))
          // The later twin is matched and removed.
          cancelResults.push(e.cancel(2, a, b))
          e.schedule(e.now + 1, EventClass.FINISH, 3, a, b)
        }
      },
    })
    e.schedule(10, EventClass.FINISH, 1, 4, 9)
    e.schedule(20, EventClass.FINISH, 2, 4, 9)
    e.schedule(15, EventClass.INTERRUPT, 0, 5, 0)
    e.drain()
    expect(seen).toEqual([
      [10, 1, 4, 9],
      [11, 3, 4, 9],
      [15, 0, 5, 0],
    ])
    expect(cancelResults).toEqual([false, true])
    expect(e.events).toBe(3)
    cancelResults = []
    expect(e.cancel(2, 4, 9)).toBe(false)
  })
})
