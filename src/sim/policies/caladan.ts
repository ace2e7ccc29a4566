/**
 * `caladan` — Caladan (Fried et al., OSDI'20) as a scheduler for one latency-critical application:
 * Shenango's machine (IOKernel steering over the granted workers, per-core run queues, stealing
 * half a queue, spin then park) with Caladan's differences: an idle worker scans every worker from
 * a random start; every 10 µs the IOKernel grants one worker when the oldest queued request has
 * waited at least `qdelay` (10 µs), and makes no grant at the check after one; an optional time
 * slice (`slice` µs, off by default; the runtime's quantum is 100 µs) makes a request that has
 * run that long yield to the tail of its queue when requests are waiting there, paying
 * `preempt_interrupt`.
 */
import {ConfigError} from '../../errors.js'
import {allocFrom, allocOptions} from '../mechanisms/core-alloc.js'
import {GrantedCores} from '../mechanisms/granted-cores.js'
import {coreLayout} from '../mechanisms/layout.js'
import type {PolicyDef} from '../policy.js'

export const caladan: PolicyDef = {
  name: 'caladan',
  summary: 'Caladan: Shenango\'s machine with a queueing-delay core allocator (10 µs checks, qdelay) and an optional time slice',
  family: 'system',
  options: [
    ...allocOptions(10, true),
    {name: 'slice', description: 'time slice, µs: a request that has run this long yields when its queue is not empty (0 = off, the default; 100 is the runtime\'s quantum)', default: 0},
  ],
  create: (ctx, o) => {
    const m = ctx.machine
    const workers = coreLayout('caladan', m.cores, true, false).workers
    const alloc = allocFrom('caladan', o, m.ghz * 1000, workers)
    const slice = o.slice as number
    if (!(slice >= 0) || !Number.isFinite(slice)) {
      throw new ConfigError(`Expected option \`slice\` of caladan to be a number of µs >= 0 (0 = off), got "${slice}"`, {flag: 'policy'})
    }
    const preemption = slice > 0 ? {quantum: Math.max(1, m.cyclesFromUs(slice)), pendingOnly: true, jitter: 0, cost: m.costs.preempt_interrupt ?? 0} : null
    return new GrantedCores(ctx, {name: 'caladan', search: 'scan-from-random', alloc, slice: preemption})
  },
}
