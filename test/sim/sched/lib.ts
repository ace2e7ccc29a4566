/** Shared helpers of the dispatcher-policy tests: typed traces in cycles and per-request rows. */
import {Rng} from '../../../src/rng.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {CollectSink, run} from '../../helpers.js'
import type {SimConfig} from '../../../src/sim/simulate.js'

export const US = 2400 // cycles per µs at 2.4 GHz

/** Poisson arrivals at `rate` per cycle; each request picks a class by weight (type = class). */
export function typedColumns(opts: {n: number; rate: number; classes: {p: number; service: (rng: Rng) => number}[]; seed: number; names?: string[]}): TraceColumns {
  const rng = new Rng(opts.seed)
  const arrival = new Float64Array(opts.n)
  const conn = new Uint32Array(opts.n)
  const service = new Float64Array(opts.n)
  const type = new Uint16Array(opts.n)
  let t = 0
  for (let i = 0; i < opts.n; i++) {
    t += -Math.log(1 - rng.float()) / opts.rate
    arrival[i] = Math.round(t)
    conn[i] = rng.int(2720)
    let u = rng.float()
    let c = 0
    while (c < opts.classes.length - 1 && u >= opts.classes[c].p) u -= opts.classes[c++].p
    type[i] = c
    service[i] = opts.classes[c].service(rng)
  }
  return {arrival, conn, service, type, typeNames: opts.names ?? opts.classes.map((_, i) => `t${i}`)}
}

/** The 99.5 % × 0.5 µs / 0.5 % × 500 µs bimodal at offered load `load` on `cores`. */
export function shinjukuBimodal(n: number, load: number, cores: number, seed: number): TraceColumns {
  const mean = 0.995 * 0.5 * US + 0.005 * 500 * US
  return typedColumns({
    n,
    rate: (load * cores) / mean,
    seed,
    names: ['short', 'long'],
    classes: [
      {p: 0.995, service: () => 0.5 * US},
      {p: 0.005, service: () => 500 * US},
    ],
  })
}

/** The 50 % × 1 µs / 50 % × 100 µs bimodal. */
export function darcBimodal(n: number, load: number, cores: number, seed: number): TraceColumns {
  const mean = 0.5 * US + 0.5 * 100 * US
  return typedColumns({
    n,
    rate: (load * cores) / mean,
    seed,
    names: ['short', 'long'],
    classes: [
      {p: 0.5, service: () => 1 * US},
      {p: 0.5, service: () => 100 * US},
    ],
  })
}

export type Row = CollectSink['rows'][number]

/** Runs and returns the result with its rows sorted by trace index. */
export async function runRows(cols: TraceColumns, config: Partial<SimConfig> & {policy: string; cores: number}) {
  const sink = new CollectSink()
  const result = await run(cols, config, sink)
  const rows = [...sink.rows].sort((a, b) => a.seq - b.seq)
  return {result, rows}
}

/** Quantile (nearest rank) of a numeric array. */
export function quantile(xs: number[], p: number): number {
  const s = Float64Array.from(xs).sort()
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]
}
