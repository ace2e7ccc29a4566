/**
 * Service-level objectives: one or more targets "the p-th percentile of X is at most B", all of
 * which must hold. X is the latency of all requests, the latency of one request type, or the
 * slowdown (time in the server / service time, src/stats/recorder.ts) of either.
 *
 * Forms accepted by `--slo` (docs/model.md §6), targets separated by commas:
 * - nothing: the paper's SLO, p99 <= 10 × the trace's mean service time;
 * - `100us` (any duration with a unit): p99 <= that bound;
 * - `10x`: p99 <= 10 × the trace's mean service time (always the mean over all requests);
 * - `p99.9:200us`, `p99.9:20x`: another percentile (p50, p90, p99, p99.9, p99.99);
 * - `slowdown:p99.9:10`, `slowdown:10`: a bound on the slowdown (a plain number >= 1; p99 when
 *   no percentile is given);
 * - `type=short:p99:50us`, `type=short:slowdown:p99:5`: the same, over the requests of one type
 *   (a value of the trace's `type` column);
 * - `p99:50us,slowdown:p99.9:10`: both must hold.
 * A multiple of the mean service time is resolved per trace, so a sweep over several traces holds
 * each to its own bound; a named type must exist in every trace of the sweep.
 */
import {ConfigError, show} from '../errors.js'
import {parseDuration} from '../trace/units.js'

/** The percentiles a run records (and an SLO can therefore name). */
export const SLO_PERCENTILES = [50, 90, 99, 99.9, 99.99] as const

export type SloMetric = 'latency' | 'slowdown'

export interface SloTarget {
  metric: SloMetric
  /** A request type (value of the trace's `type` column); absent: all requests. */
  type?: string
  percentile: number
  /** Latency: an absolute bound in µs or a multiple of the trace's mean service time; slowdown: a ratio. */
  bound: {us: number} | {timesMean: number} | {ratio: number}
}

export interface SloSpec {
  targets: SloTarget[]
}

/** A resolved target: its bound in µs (latency) or as a ratio (slowdown). */
export interface ResolvedTarget {
  metric: SloMetric
  type?: string
  percentile: number
  bound: number
}

/** A resolved SLO. `percentile` and `us` are the first target's (`us` NaN when it is a slowdown). */
export interface Slo {
  percentile: number
  us: number
  targets: ResolvedTarget[]
  /** Every target, e.g. `p99 <= 50 µs, slowdown p99.9 <= 10`. */
  text: string
  /** Every target in `--slo` syntax with resolved bounds, e.g. `p99:50us,slowdown:p99.9:10` (result rows' `slo`). */
  spec: string
}

export const DEFAULT_SLO: SloSpec = {targets: [{metric: 'latency', percentile: 99, bound: {timesMean: 10}}]}

const EXAMPLES = '100us, 10x (times the mean service time), p99.9:200us, slowdown:p99.9:10 or type=NAME:p99:50us (several separated by commas)'

function parseTarget(text: string, whole: string, flag: string): SloTarget {
  const bad = (why = '') => new ConfigError(`Expected SLO targets such as ${EXAMPLES}${why}, got ${show(text)} in ${show(whole)}`, {flag})
  let rest = text.trim()
  if (rest === '') throw bad(' (an empty target)')
  let type: string | undefined
  const t = /^type\s*=\s*([^:]*):(.*)$/i.exec(rest)
  if (t) {
    type = t[1].trim()
    if (type === '') throw bad(' (type= needs a name)')
    rest = t[2].trim()
  }
  let metric: SloMetric = 'latency'
  const sd = /^slowdown\s*:(.*)$/i.exec(rest)
  if (sd) {
    metric = 'slowdown'
    rest = sd[1].trim()
  }
  let percentile = 99
  const m = /^p(\d+(?:\.\d+)?)\s*[:<=]+\s*(.+)$/i.exec(rest)
  if (m) {
    percentile = Number(m[1])
    if (!(SLO_PERCENTILES as readonly number[]).includes(percentile)) {
      throw new ConfigError(`Expected the SLO percentile to be one of ${SLO_PERCENTILES.map((p) => `p${p}`).join(', ')}, got ${show(`p${m[1]}`)} in ${show(whole)}`, {flag})
    }
    rest = m[2].trim()
  }
  const withType = (x: SloTarget): SloTarget => (type !== undefined ? {...x, type} : x)
  if (metric === 'slowdown') {
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(rest)) throw bad(' (a slowdown bound is a plain number, e.g. slowdown:p99.9:10)')
    const ratio = Number(rest)
    if (!(ratio >= 1 && Number.isFinite(ratio))) {
      throw new ConfigError(`Expected a slowdown bound >= 1 (latency / service time is never below 1), got ${show(rest)} in ${show(whole)}`, {flag})
    }
    return withType({metric, percentile, bound: {ratio}})
  }
  const x = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*x$/i.exec(rest)
  if (x) {
    const k = Number(x[1])
    if (!(k > 0 && Number.isFinite(k))) throw new ConfigError(`Expected a positive multiple of the mean service time, got ${show(rest)} in ${show(whole)}`, {flag})
    return withType({metric, percentile, bound: {timesMean: k}})
  }
  let ns: number
  try {
    ns = parseDuration(rest, flag)
  } catch {
    throw bad()
  }
  if (!(ns > 0 && Number.isFinite(ns))) throw new ConfigError(`Expected a positive latency bound, got ${show(rest)} in ${show(whole)}`, {flag})
  return withType({metric, percentile, bound: {us: ns / 1000}})
}

export function parseSlo(text: string | undefined, flag = 'slo'): SloSpec {
  if (text === undefined) return DEFAULT_SLO
  const targets = text.split(',').map((part) => parseTarget(part, text, flag))
  return {targets}
}

/**
 * The bounds for a trace whose mean service time is `serviceMeanUs`. `types` (the trace's type
 * names, when known) are checked against the targets' types.
 */
export function resolveSlo(spec: SloSpec, serviceMeanUs: number, types?: readonly string[], trace?: string, flag = 'slo'): Slo {
  const targets = spec.targets.map((t): ResolvedTarget => {
    if (t.type !== undefined && types !== undefined && !types.includes(t.type)) {
      const have = types.length === 0 ? 'it has no type column' : `its types are ${types.map((x) => show(x)).join(', ')}`
      throw new ConfigError(`Expected type=${t.type} to name a request type of ${trace ?? 'the trace'}, but ${have}`, {flag})
    }
    const b = t.bound
    const bound = 'us' in b ? b.us : 'timesMean' in b ? b.timesMean * serviceMeanUs : b.ratio
    return {metric: t.metric, ...(t.type !== undefined ? {type: t.type} : {}), percentile: t.percentile, bound}
  })
  const first = targets[0]
  const slo: Slo = {percentile: first.percentile, us: first.metric === 'latency' ? first.bound : NaN, targets, text: '', spec: ''}
  slo.text = describeSlo(slo)
  slo.spec = targets
    .map((t) => `${t.type !== undefined ? `type=${t.type}:` : ''}${t.metric === 'slowdown' ? 'slowdown:' : ''}p${t.percentile}:${t.bound}${t.metric === 'latency' ? 'us' : ''}`)
    .join(',')
  return slo
}

/** Whether any target names a request type. */
export function sloNamesTypes(spec: SloSpec): boolean {
  return spec.targets.some((t) => t.type !== undefined)
}

/** Human form of one target, e.g. `p99 <= 100 µs`, `type=short slowdown p99.9 <= 10`. */
export function describeTarget(t: ResolvedTarget): string {
  const who = t.type !== undefined ? `type=${t.type} ` : ''
  const what = t.metric === 'slowdown' ? 'slowdown ' : ''
  const bound = Number(t.bound.toPrecision(6))
  return `${who}${what}p${t.percentile} <= ${bound}${t.metric === 'latency' ? ' µs' : ''}`
}

/** Human form, e.g. `p99 <= 100 µs` or `p99 <= 50 µs, slowdown p99.9 <= 10`. */
export function describeSlo(slo: Slo): string {
  return slo.targets.map(describeTarget).join(', ')
}

/**
 * The targets of a result row's SLO: its `slo` column (canonical `--slo` syntax, bounds resolved),
 * or for rows written before that column, the single latency target of `slo_percentile`/`slo_us`.
 */
export function rowSloTargets(row: {slo: string; slo_percentile: number; slo_us: number | null; service_mean_us: number}): ResolvedTarget[] {
  if (row.slo !== '') return resolveSlo(parseSlo(row.slo), row.service_mean_us).targets
  return [{metric: 'latency', percentile: row.slo_percentile, bound: row.slo_us ?? NaN}]
}
