/**
 * `shenango` — Shenango (Ousterhout et al., NSDI'19): a dedicated IOKernel core steers each request
 * to one of the worker cores currently granted to the application (hash of the connection modulo
 * the active workers); every worker has its own run queue of requests; an idle worker steals half
 * of another's queue (one random worker first, then every worker in order), spins 2 µs, then parks;
 * every 5 µs the IOKernel grants one more worker when a request queued at the previous check is
 * still queued. The machine is src/sim/mechanisms/granted-cores.ts, the allocation modes
 * src/sim/mechanisms/core-alloc.ts.
 */
import {allocFrom, allocOptions} from '../mechanisms/core-alloc.js'
import {GrantedCores} from '../mechanisms/granted-cores.js'
import {coreLayout} from '../mechanisms/layout.js'
import type {PolicyDef} from '../policy.js'

export const shenango: PolicyDef = {
  name: 'shenango',
  summary: 'Shenango: IOKernel steering over granted cores, per-core run queues, steal half, spin then park, a core granted every 5 µs of congestion',
  family: 'system',
  options: allocOptions(5, false),
  create: (ctx, o) => {
    const m = ctx.machine
    const workers = coreLayout('shenango', m.cores, true, false).workers
    const alloc = allocFrom('shenango', o, m.ghz * 1000, workers)
    return new GrantedCores(ctx, {name: 'shenango', search: 'random-then-scan', alloc, slice: null})
  },
}
