/**
 * Validity checks of one run: is it a steady-state measurement whose numbers mean something?
 * Each failed check is a warning with a stable code (in `replay`'s output, `--json` `warnings`,
 * and the `warnings` column of result rows):
 *
 * - `saturated`: the system did not keep up. Over the batch-means slices of the measured window,
 *   D_b = (measured arrivals in slice b) − (completions whose reply left during slice b) is the
 *   growth of the number of requests in the system. Flagged when the one-sided 99% t lower bound
 *   of mean(D_b) is above 0 and the total growth is at least 0.5% of the window's arrivals, i.e.
 *   the achieved throughput is below the offered rate beyond its interval. For a stable system the
 *   D_b telescope (their sum is N(end) − N(start)) and stay near 0.
 * - `not_stationary`: the slices' mean latency trends upwards (least-squares slope over the k
 *   slices with t above the one-sided 99% quantile, and a fitted rise over the window of at least
 *   20% of the mean), or MSER-5 finds no truncation point in the first half of the run.
 * - `warmup_too_short`: MSER-5 (the series of mean latencies of the requests in equal
 *   arrival-time bins of about 5 requests each, warm-up included, see RunSeries; d* = argmin over d <= m/2 of Σ_{j>=d}(Z_j − Z̄_d)² / (m − d)²) truncates after the
 *   configured warm-up cut-off. `--warmup auto` uses that cut-off instead.
 * - `too_few_samples`: a reported percentile has fewer than MIN_TAIL_SAMPLES measured samples
 *   above it: printed as `n/a`, null in JSON.
 * - `no_interval`: a percentile is reported but its interval is not (too few samples per slice,
 *   or batch means off).
 * - `type_too_few_samples`: the same rule per request type: some type has a percentile with fewer
 *   than MIN_TAIL_SAMPLES of its measured samples above it (printed `n/a (k samples)`, null in
 *   JSON). One warning per run, naming the first types concerned and how many there are.
 *
 * Thresholds are one-sided 99% so that a stationary run is rarely flagged; both tests also need
 * a material effect size, so very long runs do not flag negligible drifts.
 */
import {MIN_TAIL_SAMPLES, percentileSupported, samplesBeyond, t99} from './intervals.js'
import {PERCENTILES, type LatencySummary, type RunSeries} from './recorder.js'

export type WarningCode = 'saturated' | 'not_stationary' | 'warmup_too_short' | 'too_few_samples' | 'no_interval' | 'type_too_few_samples' | 'slo_infeasible'

export const WARNING_CODES: readonly WarningCode[] = ['saturated', 'not_stationary', 'warmup_too_short', 'too_few_samples', 'no_interval', 'type_too_few_samples', 'slo_infeasible']

export interface RunWarning {
  code: WarningCode
  message: string
}

/** Minimum growth (fraction of the window's arrivals) for `saturated`. */
export const SATURATION_MIN_GROWTH = 0.005
/** Minimum fitted rise of the slice mean latency over the window (fraction of the mean) for a trend. */
export const TREND_MIN_RISE = 0.2

export interface SaturationCheck {
  /** Achieved / offered over the measured window: completions / arrivals. */
  ratio: number
  /** Mean growth per slice and its one-sided 99% lower bound. */
  growth: number
  growthLow: number
  saturated: boolean
}

export function saturationCheck(arrivals: readonly number[], completions: readonly number[]): SaturationCheck | undefined {
  const k = arrivals.length
  if (k < 2 || completions.length !== k) return undefined
  const d = arrivals.map((a, i) => a - completions[i])
  const A = arrivals.reduce((x, y) => x + y, 0)
  const C = completions.reduce((x, y) => x + y, 0)
  if (!(A > 0)) return undefined
  const mean = d.reduce((x, y) => x + y, 0) / k
  const sd = Math.sqrt(d.reduce((x, y) => x + (y - mean) ** 2, 0) / (k - 1))
  const low = mean - (t99(k - 1) * sd) / Math.sqrt(k)
  return {ratio: C / A, growth: mean, growthLow: low, saturated: low > 0 && (mean * k) / A >= SATURATION_MIN_GROWTH}
}

export interface TrendCheck {
  /** Fitted rise of the slice mean over the window, as a fraction of the mean. */
  rise: number
  t: number
  trending: boolean
}

export function trendCheck(means: readonly number[]): TrendCheck | undefined {
  const pts = means.map((y, x) => [x, y]).filter(([, y]) => Number.isFinite(y))
  const k = pts.length
  if (k < 4) return undefined
  const mx = pts.reduce((a, [x]) => a + x, 0) / k
  const my = pts.reduce((a, [, y]) => a + y, 0) / k
  let sxx = 0
  let sxy = 0
  for (const [x, y] of pts) {
    sxx += (x - mx) ** 2
    sxy += (x - mx) * (y - my)
  }
  const slope = sxy / sxx
  let sse = 0
  for (const [x, y] of pts) sse += (y - my - slope * (x - mx)) ** 2
  const se = Math.sqrt(sse / (k - 2) / sxx)
  const t = se > 0 ? slope / se : slope > 0 ? Infinity : 0
  const span = pts[k - 1][0] - pts[0][0]
  const rise = my > 0 ? (slope * span) / my : 0
  return {rise, t, trending: t > t99(k - 2) && rise >= TREND_MIN_RISE}
}

export interface MserResult {
  /** Blocks to truncate (d*), of m. */
  d: number
  m: number
  /** Arrival cycle up to which MSER truncates (the end of bin d* − 1). */
  cutArrival: number
  /** d* hit the end of the search range (the first half): no steady state found. */
  atLimit: boolean
}

/** MSER on a series of block means (see the module comment). */
export function mser(z: ArrayLike<number>, arrivals: ArrayLike<number>, firstArrival: number): MserResult | undefined {
  const m = z.length
  if (m < 10) return undefined
  // Suffix sums of Z and Z².
  const s1 = new Float64Array(m + 1)
  const s2 = new Float64Array(m + 1)
  for (let j = m - 1; j >= 0; j--) {
    s1[j] = s1[j + 1] + z[j]
    s2[j] = s2[j + 1] + z[j] * z[j]
  }
  const limit = Math.floor(m / 2)
  let best = Infinity
  let d = 0
  for (let i = 0; i <= limit; i++) {
    const n = m - i
    const ss = Math.max(0, s2[i] - (s1[i] * s1[i]) / n)
    const v = ss / (n * n)
    if (v < best) {
      best = v
      d = i
    }
  }
  return {d, m, cutArrival: d === 0 ? firstArrival : arrivals[d - 1], atLimit: d === limit}
}

export interface ValidityInput {
  summary: LatencySummary
  series: RunSeries
  /** Cycles: the first arrival, the configured warm-up cut-off and the last arrival. */
  firstArrival: number
  warmupUntil: number
  lastArrival: number
  /** Cycles per µs, for messages. */
  cyclesPerUs: number
  /** Per request type (trace order): its name and measured count, for `type_too_few_samples`. */
  types?: readonly (readonly [string, number])[]
}

export interface Validity {
  warnings: RunWarning[]
  saturation?: SaturationCheck
  trend?: TrendCheck
  mser?: MserResult
  /** MSER's truncation as a fraction of the arrival span (what `--warmup auto` applies). */
  mserWarmup?: number
}

const pctName = (p: number) => `p${p}`

export function checkRun(v: ValidityInput): Validity {
  const warnings: RunWarning[] = []
  const s = v.series
  const saturation = saturationCheck(s.arrivals, s.completions)
  if (saturation?.saturated) {
    warnings.push({
      code: 'saturated',
      message: `saturated: ${(saturation.ratio * 100).toFixed(1)}% of the measured window's arrivals completed within it (the backlog grew by ${Math.round(saturation.growth)} requests per slice); latencies depend on the run length, not a steady state`,
    })
  }
  const trend = trendCheck(s.means)
  const m = mser(s.mser, s.mserArrival, v.firstArrival)
  const span = v.lastArrival - v.firstArrival
  const mserWarmup = m && span > 0 ? Math.min(0.99, Math.max(0, (m.cutArrival - v.firstArrival) / span)) : undefined
  if (trend?.trending || m?.atLimit) {
    const why: string[] = []
    if (trend?.trending) why.push(`mean latency rises ${(trend.rise * 100).toFixed(0)}% across the ${s.means.length} batch-means slices (t = ${trend.t.toFixed(1)})`)
    if (m?.atLimit) why.push('MSER-5 finds no steady state in the first half of the run')
    warnings.push({code: 'not_stationary', message: `not stationary: ${why.join('; ')}`})
  }
  if (m && !m.atLimit && m.cutArrival > v.warmupUntil + 1e-6 * span && mserWarmup !== undefined) {
    warnings.push({
      code: 'warmup_too_short',
      message: `warm-up too short: MSER-5 truncates the first ${(mserWarmup * 100).toFixed(1)}% of the arrival span, the warm-up cut ${(((v.warmupUntil - v.firstArrival) / Math.max(1, span)) * 100).toFixed(1)}% (use --warmup auto or a longer --warmup)`,
    })
  }
  const n = v.summary.count
  const missing = PERCENTILES.filter(([, p]) => !percentileSupported(n, p))
  if (n > 0 && missing.length > 0) {
    warnings.push({
      code: 'too_few_samples',
      message: `too few samples: ${missing.map(([, p]) => `${pctName(p)} has ${samplesBeyond(n, p)} samples above it`).join(', ')} (needs >= ${MIN_TAIL_SAMPLES}); reported as n/a`,
    })
  }
  const noCi = PERCENTILES.filter(([key, p]) => percentileSupported(n, p) && !Number.isFinite(v.summary.ci[key].low))
  if (n > 0 && noCi.length > 0) {
    warnings.push({
      code: 'no_interval',
      message: `no interval for ${noCi.map(([, p]) => pctName(p)).join(', ')}: fewer than ${MIN_TAIL_SAMPLES} samples above it per batch-means slice (or batch means off)`,
    })
  }
  const typeWarning = typeSampleWarning(v.types ?? [])
  if (typeWarning !== undefined) warnings.push(typeWarning)
  return {warnings, saturation, trend, mser: m, mserWarmup}
}

/** Types named in a `type_too_few_samples` message; the others are counted. */
const TYPES_NAMED = 5

/** `type_too_few_samples` when some type (name, measured count) has a percentile that is n/a. */
export function typeSampleWarning(types: readonly (readonly [string, number])[]): RunWarning | undefined {
  const short = types.filter(([, n]) => n > 0 && PERCENTILES.some(([, p]) => !percentileSupported(n, p)))
  if (short.length === 0) return undefined
  const describe = ([name, n]: readonly [string, number]) => {
    const missing = PERCENTILES.filter(([, p]) => !percentileSupported(n, p))
    return `${JSON.stringify(name)} (${n} measured): ${missing.map(([, p]) => `${pctName(p)} has ${samplesBeyond(n, p)} above it`).join(', ')}`
  }
  const named = short.slice(0, TYPES_NAMED).map(describe).join('; ')
  const more = short.length > TYPES_NAMED ? `; and ${short.length - TYPES_NAMED} more type${short.length - TYPES_NAMED === 1 ? '' : 's'}` : ''
  return {
    code: 'type_too_few_samples',
    message: `too few samples per type: ${short.length} of ${types.length} type${types.length === 1 ? '' : 's'} ha${short.length === 1 ? 's' : 've'} percentiles reported as n/a: ${named}${more} (needs >= ${MIN_TAIL_SAMPLES} samples of the type above a percentile)`,
  }
}
