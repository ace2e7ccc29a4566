/**
 * The slowdown and per-type part of `replay`'s readable summary: the slowdown's mean and max,
 * latency p50/p99/p99.9 by request type, and slowdown p50/p99/p99.9 of all requests and of each
 * type, each value with its 95% interval. A percentile with fewer than 10 samples above it reads
 * `n/a (k samples)`, never a number; an interval that is not supported reads `[n/a]`. With
 * replications, the same over the runs (replicationTypeLines).
 */
import type {ReplicaStat, ReplicationSummary} from '../experiment/replications.js'
import type {LatencyUs, RunResult, SlowdownStats} from '../sim/simulate.js'
import {samplesBeyond} from '../stats/intervals.js'

const num = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '-')

/** `value [low, high]`, or `n/a (k samples)` when the value is not supported. */
function withCi(v: number, lo: number, hi: number, count: number, p: number, digits: number): string {
  const k = samplesBeyond(count, p)
  if (!Number.isFinite(v)) return count === 0 ? '-' : `n/a (${k} sample${k === 1 ? '' : 's'})`
  return `${num(v, digits)} ${Number.isFinite(lo) ? `[${num(lo, digits)}, ${num(hi, digits)}]` : '[n/a]'}`
}

function table(head: string[], rows: string[][], indent: string): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2)
  const line = (cells: string[]) => indent + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('')
  return [line(head), ...rows.map(line)]
}

const sdCells = (s: SlowdownStats): string[] => [
  withCi(s.p99, s.p99_ci_low, s.p99_ci_high, s.count, 99, 2),
  withCi(s.p999, s.p999_ci_low, s.p999_ci_high, s.count, 99.9, 2),
]

const latCells = (l: LatencyUs): string[] => [
  withCi(l.p50_us, l.p50_ci_low_us, l.p50_ci_high_us, l.count, 50, 1),
  withCi(l.p99_us, l.p99_ci_low_us, l.p99_ci_high_us, l.count, 99, 1),
  withCi(l.p999_us, l.p999_ci_low_us, l.p999_ci_high_us, l.count, 99.9, 1),
]

/**
 * Lines for the summary (empty when nothing was measured): the slowdown's mean and max, then, as
 * two narrow tables rather than one wide one (readable in 100 columns), slowdown (all requests,
 * then each type) and latency by type.
 */
export function slowdownAndTypeLines(r: Pick<RunResult, 'slowdown' | 'per_type' | 'latency'>): string[] {
  const s = r.slowdown
  if (s.count === 0) return []
  const types = Object.entries(r.per_type)
  const sdRow = (name: string, x: SlowdownStats) => [name, withCi(x.p50, x.p50_ci_low, x.p50_ci_high, x.count, 50, 2), ...sdCells(x)]
  const lines = [
    `slowdown (time in the server / service time): mean ${num(s.mean, 2)}, max ${num(s.max, 1)}; value [95% interval]:`,
    ...table(['slowdown', 'p50', 'p99', 'p99.9'], [sdRow('all', s), ...types.map(([name, t]) => sdRow(name, t.slowdown))], '  '),
  ]
  if (types.length > 0) {
    lines.push('by type (value [95% interval]):')
    lines.push(...table(['latency µs', 'requests', 'p50', 'p99', 'p99.9'], types.map(([name, t]) => [name, String(t.count), ...latCells(t)]), '  '))
  }
  return lines
}

/** `mean [low, high]` of a statistic over replications; `n/a in j of k runs`; no bounds for one run. */
export function overRuns(x: ReplicaStat, k: number, digits: number): string {
  if (x.na_runs > 0) return `n/a in ${x.na_runs} of ${k} run${k === 1 ? '' : 's'}`
  return `${num(x.mean, digits)}${Number.isFinite(x.low) ? ` [${num(x.low, digits)}, ${num(x.high, digits)}]` : ''}`
}

/**
 * Lines for slowdown and each request type over the replications (what `replay --replications k`
 * adds under its overall line): the mean over the runs and its 95% t-interval of the slowdown's
 * mean and p50, a latency table by type and a slowdown table (all requests, then each type; two
 * narrow tables rather than one wide one), and one line per type that some run did not have. One
 * run: the values, and a line saying there is no interval.
 */
export function replicationTypeLines(s: Pick<ReplicationSummary, 'seeds' | 'slowdown' | 'per_type'>): string[] {
  const k = s.seeds.length
  if (k === 0) return []
  const runs = `${k} replication${k === 1 ? '' : 's'}`
  const sd = s.slowdown
  const lines = [`slowdown over ${runs}: mean ${overRuns(sd.mean, k, 2)}, p50 ${overRuns(sd.p50, k, 2)}`]
  const types = Object.entries(s.per_type)
  const whole = types.filter(([, t]) => t.absent_runs === 0)
  if (types.length > 0) {
    const what = k === 1 ? "the run's values, no interval" : 'mean over the runs [95% t-interval]'
    lines.push(`by type over ${runs} (${what}; n/a in j of k runs: too few samples):`)
    if (whole.length > 0) {
      lines.push(
        ...table(
          ['latency µs', 'requests', 'p50', 'p99', 'p99.9'],
          whole.map(([name, t]) => [name, num(t.count.mean, 0), overRuns(t.p50_us, k, 1), overRuns(t.p99_us, k, 1), overRuns(t.p999_us, k, 1)]),
          '  ',
        ),
      )
    }
  }
  lines.push(
    ...table(
      ['slowdown', 'p99', 'p99.9'],
      [['all', overRuns(sd.p99, k, 2), overRuns(sd.p999, k, 2)], ...whole.map(([name, t]) => [name, overRuns(t.slowdown_p99, k, 2), overRuns(t.slowdown_p999, k, 2)])],
      '  ',
    ),
  )
  for (const [name, t] of types) {
    if (t.absent_runs > 0) lines.push(`  type ${name}: absent from ${t.absent_runs} of ${k} runs (no measured request of it there): no statistics over the replications`)
  }
  if (k === 1) lines.push('  (one replication: no interval over replications, which needs two or more)')
  return lines
}
