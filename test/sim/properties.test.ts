/**
 * Property tests (fast-check, bounded runs on small traces) over every zero-overhead policy:
 * no request lost or duplicated, completion ≥ arrival + service, per-connection FIFO under
 * `n-mg1-fcfs` with rss, work conservation of `mgn-fcfs`, Little's law on the output, processor
 * sharing against an exact continuous-time reference, and determinism.
 *
 * Traces: up to 120 requests, integer gaps 0..300 cycles and services 1..400 cycles on 1..5 cores
 * and 1..8 connections, so loads range from nearly idle to heavily overloaded (--allow-overload),
 * and equal arrival times (gap 0) and equal finish instants occur often.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import type {TraceColumns} from '../../src/trace/memory.js'
import type {RunResult} from '../../src/sim/simulate.js'
import {CollectSink, expectSameRecords, gapColumns, run} from '../helpers.js'

type Row = CollectSink['rows'][number]

const POLICIES = [
  'mgn-fcfs',
  'n-mg1-fcfs',
  'n-mg1-fcfs:assignment=random',
  'mgn-ps',
  'n-mg1-ps',
  'n-mg1-ps:assignment=random',
]

const RUNS = {numRuns: 60}

const traceArb = fc
  .record({
    cores: fc.integer({min: 1, max: 5}),
    seed: fc.integer({min: 0, max: 2 ** 31 - 1}),
    reqs: fc.array(fc.tuple(fc.integer({min: 0, max: 300}), fc.integer({min: 0, max: 7}), fc.integer({min: 1, max: 400})), {
      minLength: 1,
      maxLength: 120,
    }),
  })
  .map(({cores, seed, reqs}) => {
    return {cores, seed, cols: gapColumns(reqs, 1000)}
  })

async function simulateRows(cols: TraceColumns, policy: string, cores: number, seed: number): Promise<{r: RunResult; rows: Row[]}> {
  const sink = new CollectSink()
  const r = await run(cols, {policy, cores, seed, warmup: 0, allowOverload: true, batches: 0}, sink)
  return {r, rows: sink.rows}
}

/** Sorted (time, delta) sweep; calls `visit(t0, t1, level)` for each interval of positive length. */
function sweep(points: [number, number][], visit: (t0: number, t1: number, level: number) => void): void {
  points.sort((a, b) => a[0] - b[0])
  let level = 0
  for (let i = 0; i < points.length; ) {
    const t = points[i][0]
    while (i < points.length && points[i][0] === t) level += points[i++][1]
    if (i < points.length && points[i][0] > t) visit(t, points[i][0], level)
  }
}

describe('properties of every theoretical policy', () => {
  for (const policy of POLICIES) {
    test(`${policy}: every request completes exactly once, never before arrival + service`, async () => {
      await fc.assert(
        fc.asyncProperty(traceArb, async ({cores, seed, cols}) => {
          const {r, rows} = await simulateRows(cols, policy, cores, seed)
          const n = cols.arrival.length
          expect(rows.length).toBe(n)
          expect(r.completed).toBe(n)
          expect(r.dropped).toBe(0)
          const seen = new Uint8Array(n)
          const fcfs = policy.includes('fcfs')
          for (const row of rows) {
            const twice = seen[row.seq] !== 0
            const ok =
              !twice &&
              row.arrival === cols.arrival[row.seq] &&
              row.end >= row.arrival + cols.service[row.seq] &&
              row.latency === row.end - row.arrival &&
              row.start >= row.arrival &&
              row.queue >= 0 &&
              row.queue < cores &&
              (!fcfs || row.end - row.start === cols.service[row.seq])
            seen[row.seq] = 1
            if (ok) continue
            // The same checks through expect, for the message (only for a row that fails one).
            expect(twice, `request ${row.seq} served twice`).toBe(false)
            expect(row.arrival).toBe(cols.arrival[row.seq])
            expect(row.end).toBeGreaterThanOrEqual(row.arrival + cols.service[row.seq])
            expect(row.latency).toBe(row.end - row.arrival)
            expect(row.start).toBeGreaterThanOrEqual(row.arrival)
            expect(row.queue).toBeGreaterThanOrEqual(0)
            expect(row.queue).toBeLessThan(cores)
            // Run-to-completion policies serve without interruption.
            if (fcfs) expect(row.end - row.start).toBe(cols.service[row.seq])
          }
        }),
        RUNS,
      )
    })

    test(`${policy}: Little's law L = λW holds on the output`, async () => {
      await fc.assert(
        fc.asyncProperty(traceArb, async ({cores, seed, cols}) => {
          const {r, rows} = await simulateRows(cols, policy, cores, seed)
          // L: time-average number in system from the records (sweep of arrival +1 / end −1).
          const pts: [number, number][] = []
          for (const row of rows) pts.push([row.arrival, 1], [row.end, -1])
          let area = 0
          let maxLevel = 0
          sweep(pts, (t0, t1, level) => {
            expect(level).toBeGreaterThanOrEqual(0)
            area += (t1 - t0) * level
            maxLevel = Math.max(maxLevel, level)
          })
          const first = cols.arrival[0]
          const lastEnd = Math.max(...rows.map((x) => x.end))
          const L = area / Math.max(1, lastEnd - first)
          // λ and W as the result reports them (throughput per second, mean latency in µs).
          const lw = r.throughput_rps * r.latency.mean_us * 1e-6
          expect(Math.abs(L - lw)).toBeLessThanOrEqual(1e-9 * Math.max(1, L))
          expect(maxLevel).toBeLessThanOrEqual(cols.arrival.length)
        }),
        RUNS,
      )
    })
  }

  test('n-mg1-fcfs with rss keeps each connection on one queue, in FIFO order', async () => {
    await fc.assert(
      fc.asyncProperty(traceArb, async ({cores, seed, cols}) => {
        const {rows} = await simulateRows(cols, 'n-mg1-fcfs', cores, seed)
        const bySeq = [...rows].sort((a, b) => a.seq - b.seq)
        const lastOf = new Map<number, Row>()
        for (const row of bySeq) {
          const prev = lastOf.get(row.conn)
          if (prev !== undefined) {
            expect(row.queue).toBe(prev.queue)
            expect(row.start).toBeGreaterThanOrEqual(prev.end)
          }
          lastOf.set(row.conn, row)
        }
      }),
      RUNS,
    )
  })

  for (const policy of ['mgn-fcfs', 'n-mg1-fcfs', 'n-mg1-fcfs:assignment=random']) {
    test(`${policy}: a core runs one request at a time`, async () => {
      await fc.assert(
        fc.asyncProperty(traceArb, async ({cores, seed, cols}) => {
          const {rows} = await simulateRows(cols, policy, cores, seed)
          for (let c = 0; c < cores; c++) {
            const mine = rows.filter((x) => x.core === c).sort((a, b) => a.start - b.start)
            for (let i = 1; i < mine.length; i++) expect(mine[i].start).toBeGreaterThanOrEqual(mine[i - 1].end)
          }
          expect(rows.every((x) => x.core >= 0 && x.core < cores)).toBe(true)
        }),
        RUNS,
      )
    })
  }

  test('mgn-fcfs is work-conserving: no core idle while a request waits, and starts are FIFO', async () => {
    await fc.assert(
      fc.asyncProperty(traceArb, async ({cores, seed, cols}) => {
        const {rows} = await simulateRows(cols, 'mgn-fcfs', cores, seed)
        const busy: [number, number][] = []
        const waiting: [number, number][] = []
        for (const row of rows) {
          busy.push([row.start, 1], [row.end, -1])
          waiting.push([row.arrival, 1], [row.start, -1])
        }
        // Combine both level functions on one time axis.
        const marks = new Set<number>()
        for (const [t] of busy) marks.add(t)
        for (const [t] of waiting) marks.add(t)
        const ts = [...marks].sort((a, b) => a - b)
        const level = (pts: [number, number][], t: number) => pts.reduce((s, [u, d]) => (u <= t ? s + d : s), 0)
        for (let i = 0; i + 1 < ts.length; i++) {
          const w = level(waiting, ts[i])
          const b = level(busy, ts[i])
          expect(b).toBeLessThanOrEqual(cores)
          if (w > 0) expect(b, `at cycle ${ts[i]}: ${w} waiting, ${b} of ${cores} cores busy`).toBe(cores)
        }
        const bySeq = [...rows].sort((a, b) => a.seq - b.seq)
        for (let i = 1; i < bySeq.length; i++) expect(bySeq[i].start).toBeGreaterThanOrEqual(bySeq[i - 1].start)
      }),
      {numRuns: 40},
    )
  })
})

/**
 * Exact continuous-time processor sharing on `servers` servers (float64, no rounding): with k jobs
 * each is served at rate min(1, servers/k). Returns each job's completion time and its index among
 * the completions of its busy period (the simulator's whole-cycle rounding delays a completion by
 * < 1 cycle, and each earlier completion in the busy period can pass on < 1 cycle).
 */
function exactPs(arrival: number[], service: number[], servers: number): {end: number[]; rank: number[]} {
  const n = arrival.length
  const end = new Array<number>(n).fill(NaN)
  const rank = new Array<number>(n).fill(0)
  const left = new Map<number, number>()
  let t = 0
  let next = 0
  let done = 0
  while (next < n || left.size > 0) {
    const k = left.size
    const rate = k === 0 ? 0 : Math.min(1, servers / k)
    let minLeft = Infinity
    for (const w of left.values()) minLeft = Math.min(minLeft, w)
    const tDone = k === 0 ? Infinity : t + minLeft / rate
    const tArr = next < n ? arrival[next] : Infinity
    const tNext = Math.min(tDone, tArr)
    for (const [j, w] of left) left.set(j, w - (tNext - t) * rate)
    t = tNext
    if (tDone <= tArr) {
      for (const [j, w] of left) {
        if (w <= 1e-9 * Math.max(1, service[j])) {
          end[j] = t
          rank[j] = done++
          left.delete(j)
        }
      }
    } else {
      if (left.size === 0) done = 0
      left.set(next, service[next])
      next++
    }
  }
  return {end, rank}
}

describe('processor sharing matches an exact continuous-time reference', () => {
  for (const policy of ['mgn-ps', 'n-mg1-ps', 'n-mg1-ps:assignment=random', 'mgn-ps:events=eager', 'n-mg1-ps:events=eager']) {
    test(policy, async () => {
      await fc.assert(
        fc.asyncProperty(traceArb, async ({cores, seed, cols}) => {
          const {rows} = await simulateRows(cols, policy, cores, seed)
          const bySeq = [...rows].sort((a, b) => a.seq - b.seq)
          // mgn-ps: one station with `cores` servers; n-mg1-ps: one single-server station per queue.
          const groups = new Map<number, Row[]>()
          for (const row of bySeq) {
            const g = policy.startsWith('mgn-ps') ? 0 : row.queue
            if (!groups.has(g)) groups.set(g, [])
            groups.get(g)!.push(row)
          }
          for (const g of groups.values()) {
            const ref = exactPs(
              g.map((x) => x.arrival),
              g.map((x) => cols.service[x.seq]),
              policy.startsWith('mgn-ps') ? cores : 1,
            )
            g.forEach((row, i) => {
              expect(row.end).toBeGreaterThanOrEqual(ref.end[i] - 1e-6)
              expect(row.end - ref.end[i], `seq ${row.seq}`).toBeLessThanOrEqual(1 + ref.rank[i])
            })
          }
        }),
        RUNS,
      )
    })
  }

  for (const [lazy, eager] of [
    ['mgn-ps', 'mgn-ps:events=eager'],
    ['n-mg1-ps:assignment=random', 'n-mg1-ps:assignment=random:events=eager'],
  ]) {
    test(`${lazy}: lazy settling gives exactly the completions of the event-driven form`, async () => {
      await fc.assert(
        fc.asyncProperty(traceArb, async ({cores, seed, cols}) => {
          const a = await simulateRows(cols, lazy, cores, seed)
          const b = await simulateRows(cols, eager, cores, seed)
          const key = (rows: Row[]) => [...rows].sort((x, y) => x.seq - y.seq)
          expect(key(a.rows)).toEqual(key(b.rows))
          expect(a.r.latency).toEqual(b.r.latency)
          expect(a.r.util_per_core).toEqual(b.r.util_per_core)
        }),
        RUNS,
      )
    })
  }

  test('equal finish tags complete in the same event, in arrival order', async () => {
    // Three equal jobs arriving together on one core finish together at 3·s.
    const cols: TraceColumns = {
      arrival: Float64Array.from([100, 100, 100]),
      conn: Uint32Array.from([0, 1, 2]),
      service: Float64Array.from([50, 50, 50]),
    }
    const {rows} = await simulateRows(cols, 'n-mg1-ps', 1, 1)
    expect(rows.map((x) => x.seq)).toEqual([0, 1, 2])
    expect(rows.map((x) => x.end)).toEqual([250, 250, 250])
  })
})

describe('cross-policy equivalences and determinism', () => {
  test('on one core, mgn-ps ≡ n-mg1-ps and mgn-fcfs ≡ n-mg1-fcfs (identical records)', async () => {
    await fc.assert(
      fc.asyncProperty(traceArb, async ({seed, cols}) => {
        const a = await simulateRows(cols, 'mgn-ps', 1, seed)
        const b = await simulateRows(cols, 'n-mg1-ps', 1, seed)
        expect(a.rows.map((x) => [x.seq, x.end])).toEqual(b.rows.map((x) => [x.seq, x.end]))
        const c = await simulateRows(cols, 'mgn-fcfs', 1, seed)
        const d = await simulateRows(cols, 'n-mg1-fcfs', 1, seed)
        expect(c.rows.map((x) => [x.seq, x.start, x.end])).toEqual(d.rows.map((x) => [x.seq, x.start, x.end]))
      }),
      {numRuns: 40},
    )
  })

  test('same inputs and seed give an identical result, wall-clock fields aside', async () => {
    const strip = (r: RunResult) => ({...r, wall_ms: 0, sim_rate_rps: 0})
    await fc.assert(
      fc.asyncProperty(traceArb, fc.constantFrom(...POLICIES), async ({cores, seed, cols}, policy) => {
        const a = await simulateRows(cols, policy, cores, seed)
        const b = await simulateRows(cols, policy, cores, seed)
        expect(strip(b.r)).toEqual(strip(a.r))
        expectSameRecords(b.rows, a.rows)
      }),
      {numRuns: 40},
    )
  })

  test('the seed drives random assignment (different seeds, different queues)', async () => {
    const n = 2000
    const cols: TraceColumns = {
      arrival: Float64Array.from({length: n}, (_, i) => i * 100),
      conn: new Uint32Array(n),
      service: new Float64Array(n).fill(50),
    }
    const a = await simulateRows(cols, 'n-mg1-fcfs:assignment=random', 8, 11)
    const b = await simulateRows(cols, 'n-mg1-fcfs:assignment=random', 8, 12)
    const qa = a.rows.map((x) => x.queue)
    expect(qa).not.toEqual(b.rows.map((x) => x.queue))
    expect(new Set(qa).size).toBe(8)
    // rss: one connection → one queue.
    const c = await simulateRows(cols, 'n-mg1-fcfs', 8, 11)
    expect(new Set(c.rows.map((x) => x.queue)).size).toBe(1)
  })
})
