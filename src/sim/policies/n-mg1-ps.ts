/**
 * `n-mg1-ps` — n×M/G/1-PS (docs/model.md §4): one processor-sharing queue per core; with k jobs in a
 * core's queue each is served at rate 1/k. No sharing between cores. Assignment, as for
 * `n-mg1-fcfs`:
 *  - `rss` (default): by connection, through the machine's RSS hash (the connection's home core);
 *  - `random`: each request to a uniformly random queue (the paper's model figure).
 * Zero overhead, no network. The event-driven PS mechanics (virtual-time finish tags, one
 * completion event per queue with a generation token, rounding up to whole cycles, ties in
 * arrival order, lazy or eager settling of completions) are those of `PsStation`, documented in
 * mgn-ps.ts.
 *
 * Records: `queue` = `core` = the queue's core; `start` = arrival (PS has no waiting room).
 */
import type {Policy, PolicyDef, SimContext} from '../policy.js'
import {EVENTS_OPTION, PsStation} from './mgn-ps.js'

class NMg1Ps implements Policy {
  private readonly stations: PsStation[] = []
  private readonly random: boolean

  constructor(
    private readonly ctx: SimContext,
    assignment: string,
    events: string,
  ) {
    for (let c = 0; c < ctx.machine.cores; c++) this.stations.push(new PsStation(c, 1, 64, events !== 'eager'))
    this.random = assignment === 'random'
  }

  arrive(slot: number): void {
    const ctx = this.ctx
    const r = ctx.requests
    const q = this.random ? ctx.rng.int(ctx.machine.cores) : ctx.machine.homeQueue(r.conn[slot])
    const now = ctx.engine.now
    const s = r.service[slot]
    r.queue[slot] = q
    r.core[slot] = q
    r.start[slot] = now
    ctx.usage.app[q] += s
    this.stations[q].add(ctx, slot, s, now)
  }

  handle(_kind: number, station: number, gen: number): void {
    this.stations[station].complete(this.ctx, gen, this.ctx.engine.now)
  }

  finish(): void {
    for (const st of this.stations) st.settle(this.ctx, Infinity)
    for (const st of this.stations) {
      if (!st.idle()) throw new Error(`n-mg1-ps: queue ${st.index} holds ${st.size} jobs after the drain`)
    }
  }
}

export const nMg1Ps: PolicyDef = {
  name: 'n-mg1-ps',
  summary: 'n×M/G/1-PS: processor sharing inside each per-core queue, assigned by connection (rss) or at random (zero overhead)',
  family: 'theory',
  options: [
    {name: 'assignment', description: 'rss: by connection hash; random: uniformly random queue per request', default: 'rss', choices: ['rss', 'random']},
    EVENTS_OPTION,
  ],
  create: (ctx, o) => new NMg1Ps(ctx, String(o.assignment), String(o.events)),
}
