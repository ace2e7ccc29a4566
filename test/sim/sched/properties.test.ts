/**
 * Properties of the dispatcher policies on random small traces (fast-check, bounded case count):
 * every request completes exactly once; service starts at or after arrival and the reply leaves
 * no earlier than arrival + service; application busy cycles equal the service times (work
 * conservation of the accounting, preemptions included); the same seed gives the same rows.
 * Traces: up to 80 requests, gaps 0..300 cycles, services 1..3000 cycles, two types, 3..7 cores,
 * random costs (including zero) for the dispatcher costs and the preemption costs.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {resolveCosts} from '../../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {expectSameRecords} from '../../helpers.js'
import {runRows} from './lib.js'

const POLICIES = [
  'shinjuku:q=0.5',
  'shinjuku:q=0.3:preempt=pending:jitter=0.2',
  'shinjuku:queues=multi:q=0.4:slo=1,50',
  'concord:q=0.5',
  'concord:q=0.2:jitter=0.1:preempt=pending',
  'darc:profile=10',
  'darc:profile=5:reserve=1',
  'c-fcfs',
  'd-fcfs',
  'jbsq:k=2',
]

const arb = fc.record({
  cores: fc.integer({min: 3, max: 7}),
  seed: fc.integer({min: 0, max: 2 ** 31 - 1}),
  costs: fc.tuple(fc.integer({min: 0, max: 500}), fc.integer({min: 0, max: 500}), fc.integer({min: 0, max: 500}), fc.integer({min: 0, max: 1500}), fc.integer({min: 0, max: 300})),
  reqs: fc.array(fc.tuple(fc.integer({min: 0, max: 300}), fc.integer({min: 1, max: 3000}), fc.integer({min: 0, max: 1})), {minLength: 1, maxLength: 80}),
})

describe('properties of the dispatcher policies', () => {
  for (const policy of POLICIES) {
    test(policy, async () => {
      await fc.assert(
        fc.asyncProperty(arb, async ({cores, seed, costs, reqs}) => {
          const n = reqs.length
          const cols: TraceColumns = {arrival: new Float64Array(n), conn: new Uint32Array(n), service: new Float64Array(n), type: new Uint16Array(n), typeNames: ['a', 'b']}
          let t = 1000
          reqs.forEach(([gap, svc, type], i) => {
            t += gap
            cols.arrival[i] = t
            cols.service[i] = svc
            cols.type![i] = type
          })
          const [net, disp, hand, intr, yld] = costs
          const table = resolveCosts('zero', {net_packet: net, dispatch_cost: disp, handoff_latency: hand, preempt_interrupt: intr, preempt_yield: yld})
          const config = {policy, cores, seed, costs: table, warmup: 0, allowOverload: true, batches: 0}
          const a = await runRows(cols, config)
          expect(a.rows.map((r) => r.seq)).toEqual([...Array(n).keys()])
          for (const r of a.rows) {
            expect(r.start).toBeGreaterThanOrEqual(r.arrival)
            expect(r.end - r.arrival).toBeGreaterThanOrEqual(cols.service[r.seq])
          }
          const total = cols.service.reduce((s, x) => s + x, 0)
          const app = a.result.util_app * a.result.sim_time_us * 2400 * cores
          expect(Math.abs(app - total)).toBeLessThan(1e-6 * total)
          const b = await runRows(cols, config)
          expectSameRecords(b.rows, a.rows)
        }),
        {numRuns: 40},
      )
    }, 120_000)
  }
})
