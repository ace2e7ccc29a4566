/**
 * DARC: the reservation formula on the two worked examples (14 workers), and the invariants of
 * upward-only stealing (a long request never starts on a worker reserved for a shorter group,
 * except the spillway, the last worker).
 */
import {describe, expect, test} from 'vitest'

import {darcReservation} from '../../../src/sim/policies/darc-reservation.js'
import {darcBimodal, runRows, shinjukuBimodal} from './lib.js'

describe('reservation formula', () => {
  test('99.5 % × 0.5 µs / 0.5 % × 500 µs on 14 workers: 2 workers for the short type', () => {
    const r = darcReservation([1, 2], [0, 1200, 1_200_000], [0, 995, 5], 14, 0.2, -1)
    expect(r.groups).toEqual([[1], [2]])
    expect(r.lo).toEqual([0, 2])
    expect(r.hi).toEqual([2, 14])
  })

  test('50 % × 1 µs / 50 % × 100 µs on 14 workers: 1 worker for the short type', () => {
    const r = darcReservation([1, 2], [0, 2400, 240_000], [0, 50, 50], 14, 0.2, -1)
    expect(r.lo).toEqual([0, 1])
    expect(r.hi).toEqual([1, 14])
  })

  test('grouping within δ of the leader, fractional parts, and groups left with only the spillway', () => {
    // Means 10, 11.5 (within 20 % of 10: same group), 13 (> 12: new group), 100.
    const r = darcReservation([1, 2, 3, 4], [0, 10, 11.5, 13, 100], [0, 100, 100, 100, 100], 4, 0.2, -1)
    expect(r.groups).toEqual([[1, 2], [3], [4]])
    // Shares: 21.5/134.5, 13/134.5, 100/134.5 of 4 workers = 0.64, 0.39, 2.97 → 1, 1 (at least 1), 3 → only 2 left.
    expect(r.lo).toEqual([0, 1, 2])
    expect(r.hi).toEqual([1, 2, 4])
    const tight = darcReservation([1, 2, 3], [0, 1, 1000, 1e6], [0, 1e6, 1e3, 1e3], 2, 0.2, -1)
    // Every group wants at least 1 of 2 workers: the third gets nothing but the spillway.
    expect(tight.lo).toEqual([0, 1, 1])
    expect(tight.hi).toEqual([1, 2, 1])
  })

  test('manual reserve=N', () => {
    const r = darcReservation([1, 2, 3], [0, 1, 50, 100], [0, 1, 1, 1], 14, 0.2, 3)
    expect(r.lo).toEqual([0, 3, 3])
    expect(r.hi).toEqual([3, 14, 14])
  })
})

describe('darc on the bimodal workloads (16 cores = 14 workers)', () => {
  // The short group always holds worker 0, whatever the updates do: no long request may start there.
  // With a fixed reservation (50/50: one update only; or reserve=N) none may start on any worker
  // of the short group.
  const count = (cols: ReturnType<typeof darcBimodal>, rows: {seq: number; core: number}[], from: number, short: number) => {
    let longOnShort = 0
    let longOnZero = 0
    let shortOnLong = 0
    for (const r of rows) {
      if (r.seq < from) continue
      const w = r.core - 2
      if (cols.type![r.seq] === 1 && w < short) longOnShort++
      if (cols.type![r.seq] === 1 && w === 0) longOnZero++
      if (cols.type![r.seq] === 0 && w >= short) shortOnLong++
    }
    return {longOnShort, longOnZero, shortOnLong}
  }

  test('99.5/0.5: reserves 2 workers for short requests; no long request starts on worker 0', async () => {
    const cols = shinjukuBimodal(40_000, 0.7, 16, 3)
    const {result, rows} = await runRows(cols, {policy: 'darc:profile=2000', cores: 16})
    expect(result.metrics.workers).toBe(14)
    expect(result.metrics.group0_workers).toBe(2)
    expect(result.metrics.group1_workers).toBe(12)
    const c = count(cols, rows, 2200, 2)
    expect(c.longOnZero).toBe(0)
    expect(c.shortOnLong).toBeGreaterThan(0) // upward stealing happens
  })

  test('99.5/0.5 with reserve=2: no long request starts on workers 0 and 1', async () => {
    const cols = shinjukuBimodal(40_000, 0.7, 16, 3)
    const {rows} = await runRows(cols, {policy: 'darc:profile=2000:reserve=2', cores: 16})
    const c = count(cols, rows, 2200, 2)
    expect(c.longOnShort).toBe(0)
    expect(c.shortOnLong).toBeGreaterThan(0)
  })

  test('50/50: reserves 1 worker for short requests; long requests never start on it', async () => {
    const cols = darcBimodal(40_000, 0.7, 16, 3)
    const {result, rows} = await runRows(cols, {policy: 'darc:profile=2000', cores: 16})
    expect(result.metrics.group0_workers).toBe(1)
    expect(result.metrics.group1_workers).toBe(13)
    expect(result.metrics.reservation_updates).toBe(1)
    const c = count(cols, rows, 2200, 1)
    expect(c.longOnShort).toBe(0)
    expect(c.shortOnLong).toBeGreaterThan(0)
  })

  test('reserve=14: long requests run on the spillway only', async () => {
    const cols = darcBimodal(5000, 0.3, 16, 4)
    const {rows} = await runRows(cols, {policy: 'darc:profile=100:reserve=14', cores: 16})
    const cores = new Set<number>()
    for (const r of rows) if (r.seq > 400 && cols.type![r.seq] === 1) cores.add(r.core)
    expect([...cores]).toEqual([15])
  })

  test('not work-conserving: with short-reserved workers idle, long requests wait', async () => {
    const cols = darcBimodal(20_000, 0.8, 16, 6)
    const darc = await runRows(cols, {policy: 'darc:profile=1000', cores: 16})
    const cf = await runRows(cols, {policy: 'c-fcfs', cores: 16})
    const longMean = (rows: typeof darc.rows) => {
      let s = 0
      let n = 0
      for (const r of rows) if (r.seq > 2000 && cols.type![r.seq] === 1) (s += r.latency), n++
      return s / n
    }
    expect(longMean(darc.rows)).toBeGreaterThan(longMean(cf.rows))
  })
})
