/**
 * Service-level objectives: "the p-th percentile of latency is at most B microseconds".
 *
 * Forms accepted by `--slo` (docs/model.md §6):
 * - nothing: the paper's SLO, p99 <= 10 × the trace's mean service time;
 * - `100us` (any duration with a unit): p99 <= that bound;
 * - `10x`: p99 <= 10 × the trace's mean service time;
 * - `p99.9:200us`, `p99.9:20x`: another percentile (p50, p90, p99, p99.9, p99.99).
 * A multiple of the mean service time is resolved per trace, so a sweep over several traces holds
 * each to its own bound.
 */
import {ConfigError, show} from '../errors.js'
import {parseDuration} from '../trace/units.js'

/** The percentiles a run records (and an SLO can therefore name). */
export const SLO_PERCENTILES = [50, 90, 99, 99.9, 99.99] as const

export interface SloSpec {
  percentile: number
  /** Either an absolute bound in µs, or a multiple of the trace's mean service time. */
  bound: {us: number} | {timesMean: number}
}

/** A resolved SLO: percentile and bound in µs. */
export interface Slo {
  percentile: number
  us: number
}

export const DEFAULT_SLO: SloSpec = {percentile: 99, bound: {timesMean: 10}}

export function parseSlo(text: string | undefined, flag = 'slo'): SloSpec {
  if (text === undefined) return DEFAULT_SLO
  const bad = () =>
    new ConfigError(`Expected an SLO such as 100us, 10x (times the mean service time) or p99.9:200us, got ${show(text)}`, {flag})
  let rest = text.trim()
  let percentile = 99
  const m = /^p(\d+(?:\.\d+)?)\s*[:<=]+\s*(.+)$/i.exec(rest)
  if (m) {
    percentile = Number(m[1])
    if (!(SLO_PERCENTILES as readonly number[]).includes(percentile)) {
      throw new ConfigError(`Expected the SLO percentile to be one of ${SLO_PERCENTILES.map((p) => `p${p}`).join(', ')}, got ${show(`p${m[1]}`)}`, {flag})
    }
    rest = m[2].trim()
  }
  const x = /^(\d+(?:\.\d+)?|\.\d+)\s*x$/i.exec(rest)
  if (x) {
    const k = Number(x[1])
    if (!(k > 0)) throw bad()
    return {percentile, bound: {timesMean: k}}
  }
  let ns: number
  try {
    ns = parseDuration(rest, flag)
  } catch {
    throw bad()
  }
  return {percentile, bound: {us: ns / 1000}}
}

/** The bound for a trace whose mean service time is `serviceMeanUs`. */
export function resolveSlo(spec: SloSpec, serviceMeanUs: number): Slo {
  const us = 'us' in spec.bound ? spec.bound.us : spec.bound.timesMean * serviceMeanUs
  return {percentile: spec.percentile, us}
}

/** Human form, e.g. `p99 <= 100 µs`. */
export function describeSlo(slo: Slo): string {
  return `p${slo.percentile} <= ${Number(slo.us.toPrecision(6))} µs`
}
