/**
 * The typed per-type column of result rows (`per_type`: one struct per request type) and reading
 * an SLO target's statistic back from a row. See schema.ts.
 */
import type {RunResult} from '../sim/simulate.js'
import type {ResultRow} from './schema.js'

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null)

/** Fields of one element of the `per_type` column (all float64 but `type`; null: n/a). */
export const PER_TYPE_FIELDS = [
  'count',
  'mean_us',
  'p50_us',
  'p50_ci_low_us',
  'p50_ci_high_us',
  'p99_us',
  'p99_ci_low_us',
  'p99_ci_high_us',
  'p999_us',
  'p999_ci_low_us',
  'p999_ci_high_us',
  'max_us',
  'slowdown_p99',
  'slowdown_p99_ci_low',
  'slowdown_p99_ci_high',
  'slowdown_p999',
  'slowdown_p999_ci_low',
  'slowdown_p999_ci_high',
  // Added within schema version 4 (the bounds of the type's intervals over replications); files
  // written before lack them and read them as null.
  'min_us',
  'slowdown_min',
  'slowdown_max',
] as const

export type PerTypeField = (typeof PER_TYPE_FIELDS)[number]

/** One request type's results in a row. */
export type PerTypeRow = {type: string} & Record<PerTypeField, number | null>

/** The `per_type` column of a run's per-type results (types in the run's order). */
export function perTypeRows(perType: RunResult['per_type']): PerTypeRow[] {
  return Object.entries(perType).map(([type, t]) => ({
    type,
    count: t.count,
    mean_us: finite(t.mean_us),
    p50_us: finite(t.p50_us),
    p50_ci_low_us: finite(t.p50_ci_low_us),
    p50_ci_high_us: finite(t.p50_ci_high_us),
    p99_us: finite(t.p99_us),
    p99_ci_low_us: finite(t.p99_ci_low_us),
    p99_ci_high_us: finite(t.p99_ci_high_us),
    p999_us: finite(t.p999_us),
    p999_ci_low_us: finite(t.p999_ci_low_us),
    p999_ci_high_us: finite(t.p999_ci_high_us),
    max_us: finite(t.max_us),
    slowdown_p99: finite(t.slowdown.p99),
    slowdown_p99_ci_low: finite(t.slowdown.p99_ci_low),
    slowdown_p99_ci_high: finite(t.slowdown.p99_ci_high),
    slowdown_p999: finite(t.slowdown.p999),
    slowdown_p999_ci_low: finite(t.slowdown.p999_ci_low),
    slowdown_p999_ci_high: finite(t.slowdown.p999_ci_high),
    min_us: finite(t.min_us),
    slowdown_min: finite(t.slowdown.min),
    slowdown_max: finite(t.slowdown.max),
  }))
}

/**
 * A row's statistic for an SLO target (µs for latency, a ratio for slowdown; null when n/a or not
 * stored in rows, e.g. a per-type p90).
 */
export function rowSloValue(row: ResultRow, t: {metric: 'latency' | 'slowdown'; type?: string; percentile: number}): number | null {
  const key = `p${String(t.percentile).replace('.', '')}`
  if (t.type !== undefined) {
    const pt = row.per_type.find((x) => x.type === t.type)
    if (pt === undefined) return null
    const field = (t.metric === 'latency' ? `${key}_us` : `slowdown_${key}`) as PerTypeField
    return (PER_TYPE_FIELDS as readonly string[]).includes(field) ? pt[field] : null
  }
  const column = (t.metric === 'latency' ? `${key}_us` : `slowdown_${key}`) as keyof ResultRow
  const v = row[column]
  return typeof v === 'number' ? v : null
}
