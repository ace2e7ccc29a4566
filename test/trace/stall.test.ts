// The reader worker's no-progress watchdog (src/trace/stall.ts), driven by a fake clock and a fake
// starvation probe: no test here depends on how fast the machine is.
import {describe, expect, test} from 'vitest'

import {StallWatch, currentThreadId, parseSchedstat, threadStarvation, type StarvationProbe} from '../../src/trace/stall.js'

/** A fake clock and probe: `advance(wall, starved)` moves both, in ms. */
function fake(limitMs: number, start: ReturnType<StarvationProbe> = 0) {
  let now = 1000
  let starved: ReturnType<StarvationProbe> = start
  const watch = new StallWatch(limitMs, () => starved, () => now)
  return {
    watch,
    /** Advance the wall clock by `wall` ms, of which the thread spent `waited` ms waiting for a CPU. */
    advance(wall: number, waited = 0) {
      now += wall
      if (typeof starved === 'number') starved += waited
      return watch.stalled()
    },
    set(value: ReturnType<StarvationProbe>) {
      starved = value
    },
  }
}

/** Checks every `tick` ms until the watch declares a stall; the counted wall time at that point. */
function wallUntilStall(f: ReturnType<typeof fake>, tick: number, waitedPerTick: number, maxWall: number): number | undefined {
  f.watch.reset()
  f.advance(tick, waitedPerTick) // first check: the baseline
  let wall = tick
  while (wall < maxWall) {
    wall += tick
    if (f.advance(tick, waitedPerTick)) return wall
  }
  return undefined
}

describe('stall watchdog', () => {
  test('a starved reader (waiting for a CPU the whole time) is never declared stalled', () => {
    const f = fake(30_000)
    expect(wallUntilStall(f, 1000, 1000, 3_600_000)).toBeUndefined()
    expect(f.watch.countedMs()).toBe(0)
  })

  test('a runaway or blocked reader (never waiting for a CPU) is declared stalled after the limit plus one check', () => {
    const f = fake(30_000)
    expect(wallUntilStall(f, 1000, 0, 3_600_000)).toBe(31_000)
  })

  test('a reader given half the CPU it asks for is declared stalled after twice the limit', () => {
    const f = fake(30_000)
    expect(wallUntilStall(f, 1000, 500, 3_600_000)).toBe(61_000)
  })

  test('checks at uneven intervals (the checking thread itself starved) count the same', () => {
    const f = fake(10_000)
    f.watch.reset()
    expect(f.advance(1)).toBe(false) // baseline
    expect(f.advance(50_000, 45_000)).toBe(false) // 5 s counted
    expect(f.advance(3, 0)).toBe(false)
    expect(f.watch.countedMs()).toBe(5003)
    expect(f.advance(4997, 0)).toBe(true)
  })

  test('starvation never counts negative: a probe wait larger than the wall time adds nothing', () => {
    const f = fake(1000)
    f.watch.reset()
    f.advance(10)
    f.advance(100, 500)
    expect(f.watch.countedMs()).toBe(0)
  })

  test('reset starts a new wait from zero', () => {
    const f = fake(1000)
    f.watch.reset()
    f.advance(1)
    expect(f.advance(900)).toBe(false)
    f.watch.reset()
    f.advance(1)
    expect(f.advance(900)).toBe(false)
    expect(f.advance(100)).toBe(true)
  })

  test('an unknown probe falls back to the wall clock', () => {
    const f = fake(1000, undefined)
    f.watch.reset()
    f.advance(10)
    expect(f.advance(999)).toBe(false)
    expect(f.advance(1)).toBe(true)
  })

  test('a probe that becomes unknown mid-wait counts the wall time from then on', () => {
    const f = fake(1000)
    f.watch.reset()
    f.advance(10)
    f.advance(5000, 5000)
    f.set(undefined)
    expect(f.advance(999)).toBe(false)
    expect(f.advance(1)).toBe(true)
  })

  test('a thread still starting counts a tenth of the wall time, then the rule applies', () => {
    const f = fake(1000, 'starting')
    f.watch.reset()
    f.advance(10)
    expect(f.advance(9000)).toBe(false)
    expect(f.watch.countedMs()).toBe(900)
    f.set(0) // started: the interval of the change still counts a tenth
    expect(f.advance(500)).toBe(false)
    expect(f.watch.countedMs()).toBe(950)
    expect(f.advance(1000, 1000)).toBe(false) // starved
    expect(f.advance(50)).toBe(true)
  })
})

describe('starvation probe', () => {
  test('parses the run-queue wait of a schedstat line, in ms', () => {
    expect(parseSchedstat('123456789 2500000 17\n')).toBe(2.5)
    expect(parseSchedstat('0 0 0')).toBe(0)
    expect(parseSchedstat('')).toBeUndefined()
    expect(parseSchedstat('12 x 3')).toBeUndefined()
    expect(parseSchedstat('12 -5 3')).toBeUndefined()
  })

  test('reads the given thread of this process; 0 = starting, < 0 or an unreadable file = unknown', () => {
    const paths: string[] = []
    const read = (p: string) => {
      paths.push(p)
      if (p.includes('/999/')) throw new Error('ENOENT')
      return '5 7000000 1'
    }
    let tid = 0
    const probe = threadStarvation(() => tid, read)
    expect(probe()).toBe('starting')
    tid = -1
    expect(probe()).toBeUndefined()
    tid = 4242
    expect(probe()).toBe(7)
    tid = 999
    expect(probe()).toBeUndefined()
    expect(paths).toEqual(['/proc/self/task/4242/schedstat', '/proc/self/task/999/schedstat'])
  })

  test.runIf(process.platform === 'linux')('on Linux, this thread has an id and a readable run-queue wait', () => {
    const tid = currentThreadId()
    expect(tid).toBeGreaterThan(0)
    const wait = threadStarvation(() => tid)()
    expect(typeof wait).toBe('number')
    expect(wait as number).toBeGreaterThanOrEqual(0)
  })
})
