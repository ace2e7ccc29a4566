/**
 * Result rows → the inputs of the charts and the page's provenance: the latency points of one
 * trace at one percentile with their 95% intervals, chart titles, and the provenance list.
 *
 * A latency point is the mean over the replications of a cell with the interval of the latency
 * table's cell (`latencyCell`, so chart and table agree): with two or more replications, the 95%
 * t-interval over them clamped to the runs' [min, max] latency; with one, the run's own 95%
 * batch-means (sectioning) interval of that percentile when the results carry it; none for a
 * saturated cell or otherwise (no band is drawn: nothing is made up).
 */
import {basename} from 'node:path'

import {PERCENTILE_COLUMNS, type ResultRow} from '../results/schema.js'
import type {LatencyPoint} from './charts.js'
import {hasWarning, latencyCell, seriesLabel} from './tables.js'

/** The latency points of the latency rows of one trace at `percentile` (a PERCENTILE_COLUMNS key). */
export function latencyPoints(rows: readonly ResultRow[], percentile: string): LatencyPoint[] {
  const column = PERCENTILE_COLUMNS[percentile]
  if (column === undefined) return []
  const groups = new Map<string, ResultRow[]>()
  for (const r of rows) {
    if (r.kind !== 'latency' || r.load === null) continue
    const key = JSON.stringify([seriesLabel(r), r.load])
    const g = groups.get(key)
    if (g === undefined) groups.set(key, [r])
    else g.push(r)
  }
  const out: LatencyPoint[] = []
  for (const g of groups.values()) {
    const vs = g.map((r) => r[column] as number | null)
    if (vs.some((v) => v === null || !Number.isFinite(v))) continue
    const {value, bounds} = latencyCell(g, column)
    const lo = bounds !== null && bounds.high > bounds.low ? bounds.low : undefined
    const hi = lo !== undefined ? bounds?.high : undefined
    out.push({
      policy: seriesLabel(g[0]),
      load: g[0].load as number,
      latencyUs: value as number,
      ...(g.some((r) => hasWarning(r, 'saturated')) ? {saturated: true} : {}),
      ...(lo !== undefined && hi !== undefined ? {lo, hi} : {}),
    })
  }
  return out
}

/** A trace's short name for titles: a file's base name without its extension; a synthetic spec as given. */
export function traceBaseName(trace: string): string {
  if (trace.startsWith('synthetic:')) return trace
  const base = basename(trace).replace(/(\.(csv|parquet|arrow|feather|ipc))?(\.gz)?$/i, '')
  return base === '' ? trace : base
}

/** The costs (cycles) of the rows' simulation configs, `name=value` joined, when recorded. */
function costsOf(rows: readonly ResultRow[]): string[] {
  const out = new Set<string>()
  for (const r of rows) {
    let cfg: unknown
    try {
      cfg = JSON.parse(r.config_json)
    } catch {
      continue
    }
    // `costs_cycles` in the stored config (the naming scheme); `costs` in older files.
    const costs = findKey(cfg, 'costs_cycles') ?? findKey(cfg, 'costs')
    if (costs !== undefined && typeof costs === 'object' && costs !== null) {
      out.add(
        Object.entries(costs as Record<string, unknown>)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', '),
      )
    }
  }
  return [...out]
}

function findKey(v: unknown, key: string, depth = 0): unknown {
  if (depth > 4 || typeof v !== 'object' || v === null) return undefined
  if (key in v) return (v as Record<string, unknown>)[key]
  for (const x of Object.values(v)) {
    const f = findKey(x, key, depth + 1)
    if (f !== undefined) return f
  }
  return undefined
}

const distinct = <T>(xs: T[]): T[] => [...new Set(xs)]

/** A compact list of seeds: `1`, `1, 2, 3` or `1 … 20 (20 seeds)`. */
function seedList(seeds: number[]): string {
  const s = distinct(seeds).sort((a, b) => a - b)
  return s.length <= 6 ? s.join(', ') : `${s[0]} … ${s[s.length - 1]} (${s.length} seeds)`
}

export interface ProvenanceInput {
  rows: readonly ResultRow[]
  traces: {trace: string; trace_sha256: string}[]
  sources?: string[]
  commandLine?: string
  generatedAt?: string
}

/** The provenance list of the page: what made these numbers, enough to make them again. */
export function provenance(p: ProvenanceInput): [string, string][] {
  const out: [string, string][] = []
  const rows = p.rows
  if (rows.length > 0) {
    out.push(['sweep_id', rows[0].sweep_id])
    out.push(['tool_version', distinct(rows.map((r) => r.tool_version)).join(', ')])
    out.push(['seeds', seedList(rows.map((r) => r.seed))])
    out.push(['cost preset', distinct(rows.map((r) => r.cost_preset)).join(', ')])
    const costs = costsOf(rows)
    if (costs.length > 0) out.push(['costs (cycles)', costs.join(' | ')])
    out.push(['cores, GHz', distinct(rows.map((r) => `${r.cores} cores at ${r.ghz} GHz`)).join(', ')])
    out.push(['cells', String(rows.length)])
  }
  for (const t of p.traces) out.push([`trace ${t.trace}`, `sha256 ${t.trace_sha256}`])
  if (p.sources !== undefined) out.push(['results', p.sources.join(', ')])
  if (p.commandLine !== undefined) out.push(['command line', p.commandLine])
  if (p.generatedAt !== undefined) out.push(['generated at', p.generatedAt])
  return out
}
