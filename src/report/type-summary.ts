/**
 * The slowdown and per-type part of `replay`'s readable summary: slowdown over all measured
 * requests, then one line per request type (latency p50/p99/p99.9 and slowdown p99/p99.9, each
 * with its 95% interval). A percentile with fewer than 10 samples above it reads
 * `n/a (k samples)`, never a number; an interval that is not supported reads `[n/a]`.
 */
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

/** Lines for the summary (empty when nothing was measured). */
export function slowdownAndTypeLines(r: Pick<RunResult, 'slowdown' | 'per_type' | 'latency'>): string[] {
  const s = r.slowdown
  if (s.count === 0) return []
  const lines = [
    `slowdown (time in the server / service time): mean ${num(s.mean, 2)}, p50 ${withCi(s.p50, s.p50_ci_low, s.p50_ci_high, s.count, 50, 2)}, ` +
      `p99 ${sdCells(s)[0]}, p99.9 ${sdCells(s)[1]}, max ${num(s.max, 1)}`,
  ]
  const types = Object.entries(r.per_type)
  if (types.length > 0) {
    lines.push('by type (latency µs, slowdown; value [95% interval]):')
    lines.push(
      ...table(
        ['type', 'requests', 'p50', 'p99', 'p99.9', 'slowdown p99', 'slowdown p99.9'],
        types.map(([name, t]) => [name, String(t.count), ...latCells(t), ...sdCells(t.slowdown)]),
        '  ',
      ),
    )
  }
  return lines
}
