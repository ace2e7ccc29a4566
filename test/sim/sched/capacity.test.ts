/** The dedicated-stage capacities printed by `replay --show-config`. */
import {expect, test} from 'vitest'

import {resolveCosts} from '../../../src/sim/machine/costs.js'
import {dispatcherCapacity} from '../../../src/sim/mechanisms/capacity.js'

test('paper preset: networker 6.67 M req/s, dispatcher 5 M req/s at two events per request, 14 workers on 16 cores', () => {
  const c = dispatcherCapacity(resolveCosts('paper'), 2.4, 16)
  expect(c.networker_rps).toBeCloseTo(2.4e9 / 360, 3)
  expect(c.dispatcher_rps).toBeCloseTo(5e6, 3)
  expect(c.dispatcher_no_reports_rps).toBeCloseTo(1e7, 3)
  expect(c.workers).toBe(14)
  expect(c.round_trip_us).toBeCloseTo(0.25, 9)
  const z = dispatcherCapacity(resolveCosts('zero'), 2.4, 16)
  expect(z.networker_rps).toBe(Infinity)
  expect(z.dispatcher_rps).toBe(Infinity)
})
