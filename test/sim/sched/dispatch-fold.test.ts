/**
 * The folded dispatcher models against the event form they replace, request by request (a second
 * implementation): c-fcfs, darc and shinjuku settle dispatcher events when they are submitted
 * (dispatched.ts, `fold`), d-fcfs settles each request at its arrival by recursions (d-fcfs.ts). The event forms
 * are the same classes with `fold: false`, and d-fcfs as it was (round robin on DispatchedServer).
 * They must agree exactly: every request's queue, core, start and end, and the result row but for
 * the event count. The `ties` cost set puts every arrival, service and cost on a 60-cycle grid, so
 * that completions, networker and dispatcher events fall on the same cycle often: the engine's
 * order at equal times (which the fold has to reproduce) then decides many outcomes.
 */
import {describe, expect, test} from 'vitest'

import {Rng} from '../../../src/rng.js'
import {type CostTable, resolveCosts} from '../../../src/sim/machine/costs.js'
import {DispatchedServer} from '../../../src/sim/mechanisms/dispatched.js'
import {IntQueue} from '../../../src/sim/machine/int-queue.js'
import {CFcfs} from '../../../src/sim/policies/c-fcfs.js'
import {Darc} from '../../../src/sim/policies/darc.js'
import {POLICIES, registerPolicy} from '../../../src/sim/policies/registry.js'
import {Shinjuku} from '../../../src/sim/policies/shinjuku.js'
import type {SimContext} from '../../../src/sim/policy.js'
import type {RunResult} from '../../../src/sim/simulate.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {expService, poissonColumns} from '../../helpers.js'
import {runRows, typedColumns, US} from './lib.js'

/** d-fcfs as an event model (what d-fcfs.ts computed before it became a recursion). */
class DFcfsEvents extends DispatchedServer {
  private readonly queue = new IntQueue(16)
  private nextWorker = 0
  constructor(ctx: SimContext) {
    super(ctx, {name: 'd-fcfs', networker: true, dispatcher: true, k: Infinity, reportCompletions: false, preemption: null})
  }
  protected enqueue(slot: number): void {
    this.queue.push(slot)
  }
  protected waiting(): number {
    return this.queue.size
  }
  protected dispatchPass(): void {
    while (this.queue.size > 0) {
      const slot = this.queue.shift()
      const w = this.nextWorker
      this.nextWorker = w + 1 === this.workers ? 0 : w + 1
      this.ctx.requests.queue[slot] = w
      this.send(w, slot)
    }
  }
}

const darcDef = POLICIES.get('darc')!
if (!POLICIES.has('c-fcfs-events')) {
  registerPolicy({name: 'c-fcfs-events', summary: 'test', family: 'system', options: [], create: (ctx) => new CFcfs(ctx, false)})
  registerPolicy({name: 'darc-events', summary: 'test', family: 'system', options: darcDef.options, create: (ctx, o) => new Darc(ctx, o, false)})
  registerPolicy({name: 'd-fcfs-events', summary: 'test', family: 'system', options: [], create: (ctx) => new DFcfsEvents(ctx)})
  const sj = POLICIES.get('shinjuku')!
  registerPolicy({name: 'shinjuku-events', summary: 'test', family: 'system', options: sj.options, create: (ctx, o) => new Shinjuku(ctx, o, false)})
}

const CORES = 8
const GRID = 60

const COSTS: [string, CostTable][] = [
  ['paper', resolveCosts('paper')],
  ['zero', resolveCosts('zero')],
  ['ties', {...resolveCosts('paper'), net_packet: 2 * GRID, dispatch_cost: GRID, handoff_latency: 2 * GRID}],
  ['no hand-off', {...resolveCosts('paper'), handoff_latency: 0}],
]

/** Arrivals and services on the grid, few service values: many equal-time events. */
function gridTrace(n: number, seed: number, typed: boolean): TraceColumns {
  const rng = new Rng(seed)
  const arrival = new Float64Array(n)
  const conn = new Uint32Array(n)
  const service = new Float64Array(n)
  const type = new Uint16Array(n)
  let t = 0
  for (let i = 0; i < n; i++) {
    t += GRID * rng.int(12)
    arrival[i] = t
    conn[i] = rng.int(64)
    const long = rng.float() < 0.1
    service[i] = GRID * (long ? 40 + rng.int(3) : 2 + rng.int(6))
    type[i] = long ? 1 : 0
  }
  return typed ? {arrival, conn, service, type, typeNames: ['short', 'long']} : {arrival, conn, service}
}

function traces(): [string, TraceColumns][] {
  return [
    ['exp load 0.8', poissonColumns({n: 4000, load: 0.8, cores: CORES - 2, mean: 5 * US, service: expService(5 * US), seed: 21})],
    ['grid', gridTrace(4000, 22, false)],
    ['grid typed', gridTrace(4000, 23, true)],
    ['bimodal typed', typedColumns({n: 4000, rate: (0.8 * (CORES - 2)) / (5 * US), seed: 24, classes: [{p: 0.9, service: () => US}, {p: 0.1, service: () => 41 * US}], names: ['a', 'b']})],
  ]
}

/** The result row without what may differ: wall clock, event count, the policy's name. */
function comparable(r: RunResult) {
  const {wall_ms: _w, sim_rate_rps: _s, events: _e, policy: _p, config, ...rest} = r
  const {policy: _cp, ...cfg} = config
  return {...rest, config: cfg}
}

describe('folded dispatcher ≡ its event form', () => {
  for (const [tname, cols] of traces()) {
    for (const [cname, costs] of COSTS) {
      test(`${tname}, ${cname} costs: c-fcfs, darc, d-fcfs, shinjuku`, async () => {
        for (const [fast, slow] of [
          ['c-fcfs', 'c-fcfs-events'],
          ['darc:profile=300', 'darc-events:profile=300'],
          ['d-fcfs', 'd-fcfs-events'],
          ['shinjuku:q=2', 'shinjuku-events:q=2'],
          ['shinjuku:q=1:preempt=pending:jitter=0.5', 'shinjuku-events:q=1:preempt=pending:jitter=0.5'],
          ...(cols.type !== undefined ? [['shinjuku:queues=multi:slo=5,50:q=2', 'shinjuku-events:queues=multi:slo=5,50:q=2']] : []),
        ]) {
          const a = await runRows(cols, {policy: fast, cores: CORES, costs})
          const b = await runRows(cols, {policy: slow, cores: CORES, costs})
          expect(a.rows.length).toBe(cols.arrival.length)
          for (let i = 0; i < a.rows.length; i++) {
            if (JSON.stringify(a.rows[i]) !== JSON.stringify(b.rows[i])) expect(a.rows[i], `${fast}: request ${i}`).toEqual(b.rows[i])
          }
          expect(comparable(a.result), fast).toEqual(comparable(b.result))
        }
      })
    }
  }
})
