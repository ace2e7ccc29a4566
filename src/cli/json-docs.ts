/**
 * The `--json` documents of the commands, in the one naming scheme of src/results/naming.ts
 * (snake_case, the unit in the name, null for a number that cannot be finite). Each command
 * returns its document through one function here, so a renaming happens in one place; fields a
 * function does not know (added later to a result) pass through unchanged. The schemas of these
 * documents are docs/schemas/*.schema.json (tests validate every command's output against them).
 */
import type {ReplicationSummary} from '../experiment/replications.js'
import {toRecord} from '../results/file-columns.js'
import {configDoc} from '../results/naming.js'
import type {ResultRow} from '../results/schema.js'
import type {ConnSource, TraceClock, TraceStats} from '../trace/types.js'

/** Copy `o` with keys renamed by `names` (others kept), dropping undefined values. */
function renamed(o: Record<string, unknown>, names: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[names[k] ?? k] = v
  return out
}

const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null)

/** What `inspect` computed: the trace's statistics (cycles) and its derived figures. */
export interface InspectFacts {
  stats: TraceStats
  cores: number
  ghz: number
  offeredLoad: number
  clock?: TraceClock & {start: string; end: string}
  connectionSource?: ConnSource
}

/** `inspect --json`. */
export function inspectDoc(f: InspectFacts): Record<string, unknown> {
  const s = f.stats
  const us = (cycles: number | undefined) => finiteOrNull(cycles === undefined ? undefined : cycles / f.ghz / 1000)
  return {
    trace: s.name ?? null,
    trace_sha256: s.sha256,
    requests: s.requests,
    connections: s.connections,
    cores: f.cores,
    ghz: f.ghz,
    first_arrival_cycles: s.firstArrival,
    last_arrival_cycles: s.lastArrival,
    span_us: us(s.lastArrival - s.firstArrival),
    rate_rps: finiteOrNull(s.ratePerCycle * f.ghz * 1e9),
    offered_load_fraction: finiteOrNull(f.offeredLoad),
    service_mean_us: us(s.serviceMean),
    service_p50_us: us(s.serviceP50),
    service_p99_us: us(s.serviceP99),
    service_max_us: us(s.serviceMax),
    service_min_us: us(s.serviceMin),
    service_mean_cycles: finiteOrNull(s.serviceMean),
    service_p50_cycles: finiteOrNull(s.serviceP50),
    service_p99_cycles: finiteOrNull(s.serviceP99),
    service_max_cycles: s.serviceMax,
    service_min_cycles: s.serviceMin,
    service_cv: finiteOrNull(s.serviceCv),
    busiest_connection_fraction: finiteOrNull(s.busiestConnShare),
    type_counts: s.typeCounts,
    ...(f.clock !== undefined
      ? {
          clock: {
            kind: f.clock.kind,
            column: f.clock.column,
            unit: f.clock.unit,
            base_s: f.clock.baseSeconds,
            rebased: f.clock.rebased,
            epoch: f.clock.epoch,
            start: f.clock.start,
            end: f.clock.end,
          },
        }
      : {}),
    ...(f.connectionSource !== undefined ? {connection_source: f.connectionSource} : {}),
  }
}

/** `generate --json`: the generator's result (camelCase in memory). */
export function generateDoc(r: Record<string, unknown>): Record<string, unknown> {
  return renamed(r, {
    meanServiceUs: 'service_mean_us',
    ratePerSecond: 'rate_rps',
    load: 'load_fraction',
    specSha256: 'spec_sha256',
  })
}

/** RunResult fields whose name lacks the unit. */
const RUN_NAMES: Readonly<Record<string, string>> = {
  offered_load: 'offered_load_fraction',
  util: 'util_fraction',
  util_app: 'util_app_fraction',
  util_net: 'util_net_fraction',
  util_per_core: 'util_per_core_fraction',
}

/** The replication summary: intervals under unit-suffixed keys, per-replication values grouped. */
function replicationsDoc(s: ReplicationSummary): Record<string, unknown> {
  const {k, seeds, traceVaries, p99_us, mean_us, p99, mean, throughput_rps, latency, warnings, ...rest} = s
  return {
    k,
    seeds,
    trace_varies: traceVaries,
    per_replication: {p99_us, mean_us},
    p99_us: p99,
    mean_us: mean,
    throughput_rps,
    latency_us: latency,
    warnings,
    ...rest,
  }
}

/** `replay --json`: the run's result row (replication 0), the replication summary, the records file. */
export function replayDoc(r: Record<string, unknown> & {config?: unknown; replications?: ReplicationSummary}): Record<string, unknown> {
  const out = renamed(r, RUN_NAMES)
  if (r.config !== undefined) out.config = configDoc(r.config)
  if (r.replications !== undefined) out.replications = replicationsDoc(r.replications)
  return out
}

/** `replay --show-config --json`: machine and costs. */
export function showConfigDoc(r: {machine: Record<string, unknown>} & Record<string, unknown>): Record<string, unknown> {
  return {...r, machine: renamed(r.machine, {nic_ring: 'nic_ring_descriptors'})}
}

/** `compare --json`: result rows in their stored form (the columns of the result files). */
export function compareDoc(r: Record<string, unknown> & {rows?: readonly ResultRow[]}): Record<string, unknown> {
  return r.rows === undefined ? r : {...r, rows: r.rows.map(toRecord)}
}
