/**
 * The cell plan of a sweep, its identity (`sweep_id`) and its shards.
 *
 * Cells, in this fixed order (the `cell_index`):
 *   1. one max-load-at-SLO search cell per trace × vary value × policy × replication (trace-major,
 *      policies as given);
 *   2. one latency cell per trace × vary value × policy × load × replication (in that nesting).
 * Search cells come first because each runs ~8 simulations: a pool that takes cells in index
 * order starts the longest ones first, and `k mod n` sharding spreads them evenly over shards.
 *
 * Sharding: `--shard i/n` (1 <= i <= n) runs the cells whose index k satisfies k mod n = i − 1.
 * Every shard computes the same plan from the same flags, so the n shards cover every cell exactly
 * once and their parts merge into the unsharded result.
 *
 * sweep_id: SHA-256 of a canonical JSON of everything that determines the cells' results — the
 * schema version, each trace's content fingerprint (SHA-256) and how it is read, the policies,
 * loads, replications, SLO, search range and tolerance, and the full simulation config (cores,
 * clock, costs, seed, warm-up, …). Not included: trace paths (a moved file is the same trace),
 * shard, jobs, output paths, the tool version (recorded per row instead).
 */
import {createHash} from 'node:crypto'

import {ConfigError, show} from '../errors.js'
import type {SimConfig} from '../sim/simulate.js'
import {SCHEMA_VERSION, type RowKind} from '../results/schema.js'
import type {PreStats, TraceOptions} from '../trace/types.js'
import type {SearchOptions} from './search.js'
import type {Slo, SloSpec} from './slo.js'
import type {Vary} from './vary.js'

/** How a worker (re)opens a trace: never the data itself, only how to get it. */
export type TraceInput =
  | {kind: 'file'; path: string; options: TraceOptions}
  | {kind: 'synthetic'; service: string; requests: number; connections: number; seed: number; ghz: number}

export interface PlannedTrace {
  /** As named on the command line (path, or `synthetic:SPEC`). */
  name: string
  input: TraceInput
  /** Statistics of the trace a run needs (replication 0 for synthetic traces), with its fingerprint. */
  stats: PreStats & {sha256: string}
  /** The SLO resolved for this trace. */
  slo: Slo
}

export type SimBase = Omit<SimConfig, 'policy' | 'load' | 'rate'>

export interface SweepSpec {
  traces: PlannedTrace[]
  /** Canonical policy specs, in display order; includes `mgn-fcfs`. */
  policies: string[]
  /** Offered loads of the latency cells, ascending. */
  loads: number[]
  /** Replications per latency cell (>= 1). Replication r uses seed + r (and, for synthetic traces, trace seed + r). */
  replications: number
  slo: SloSpec
  search: SearchOptions
  /** Whether to plan the max-load search cells. */
  maxLoad: boolean
  sim: SimBase
  /** `--vary`: every cell is planned once per value. */
  vary?: Vary
  /** Plug-in policies: SHA-256 of each module file by absolute path (part of the sweep id). */
  policyModules?: Record<string, string>
}

export interface Cell {
  index: number
  /** `M|t<trace>|<policy>` or `L|t<trace>|<policy>|<load>|r<replication>`. */
  id: string
  kind: RowKind
  trace: number
  policy: string
  /** Latency cells: the target load. */
  load?: number
  replication: number
  /** `--vary`: the value of this cell. */
  varyValue?: string
}

export function planCells(spec: SweepSpec): Cell[] {
  const cells: Cell[] = []
  const push = (c: Omit<Cell, 'index'>) => cells.push({index: cells.length, ...c})
  const values: (string | undefined)[] = spec.vary?.values ?? [undefined]
  const v = (value: string | undefined) => (value === undefined ? '' : `|${spec.vary!.name}=${value}`)
  if (spec.maxLoad) {
    spec.traces.forEach((_, t) => {
      for (const value of values) {
        for (const policy of spec.policies) {
          // One search per replication: the max load's interval is over replications.
          for (let r = 0; r < spec.replications; r++) {
            const rep = spec.replications > 1 ? `|r${r}` : ''
            push({id: `M|t${t}|${policy}${v(value)}${rep}`, kind: 'max_load', trace: t, policy, replication: r, varyValue: value})
          }
        }
      }
    })
  }
  spec.traces.forEach((_, t) => {
    for (const value of values) {
      for (const policy of spec.policies) {
        for (const load of spec.loads) {
          for (let r = 0; r < spec.replications; r++) {
            push({id: `L|t${t}|${policy}${v(value)}|${load}|r${r}`, kind: 'latency', trace: t, policy, load, replication: r, varyValue: value})
          }
        }
      }
    }
  })
  return cells
}

/** JSON with sorted keys and Infinity spelled out: a stable text to hash. */
export function canonicalJson(v: unknown): string {
  if (v === Infinity) return '"Infinity"'
  if (v === -Infinity) return '"-Infinity"'
  if (v === undefined) return 'null'
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

export function sweepId(spec: SweepSpec): string {
  return createHash('sha256').update(canonicalJson(sweepKey(spec))).digest('hex')
}

/** The sweep id without the varied parameter's values: sweeps differing only there merge in `report`. */
export function sweepBaseId(spec: SweepSpec): string {
  if (spec.vary === undefined) return sweepId(spec)
  const key = {...sweepKey(spec), vary: {name: spec.vary.name}}
  return createHash('sha256').update(canonicalJson(key)).digest('hex')
}

function sweepKey(spec: SweepSpec): object {
  const traces = spec.traces.map((t) =>
    t.input.kind === 'file'
      ? // Where statistics are cached changes nothing in the results.
        {sha256: t.stats.sha256, read: {...t.input.options, batchSize: undefined, statsCache: undefined}}
      : {sha256: t.stats.sha256, synthetic: {...t.input}},
  )
  const key = {
    schema_version: SCHEMA_VERSION,
    traces,
    policies: spec.policies,
    loads: spec.loads,
    replications: spec.replications,
    slo: spec.slo,
    search: spec.maxLoad ? spec.search : null,
    sim: spec.sim,
    vary: spec.vary,
    // Only the modules' contents: a sweep without plug-ins keeps the id it always had.
    policy_modules: spec.policyModules === undefined ? undefined : Object.values(spec.policyModules).sort(),
  }
  return key
}

export interface Shard {
  /** 1-based. */
  index: number
  count: number
}

export function parseShard(text: string, flag = 'shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  const index = m ? Number(m[1]) : NaN
  const count = m ? Number(m[2]) : NaN
  if (!m || !(count >= 1) || !(index >= 1 && index <= count)) {
    throw new ConfigError(`Expected a shard i/n with 1 <= i <= n (e.g. 3/16), got ${show(text)}`, {flag})
  }
  return {index, count}
}

/** The cells of one shard: index k goes to shard (k mod n) + 1. */
export function shardCells(cells: readonly Cell[], shard: Shard | undefined): Cell[] {
  if (shard === undefined || shard.count === 1) return [...cells]
  return cells.filter((c) => c.index % shard.count === shard.index - 1)
}
