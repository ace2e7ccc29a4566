/** Slowdown statistics of a run as ratios (the recorder keeps them in fixed point; see recorder.ts). */
import {type LatencySummary, SLOWDOWN_SCALE} from './recorder.js'

/**
 * Slowdown statistics (dimensionless): slowdown = (reply leaves the NIC − arrival at the NIC) /
 * the request's service time in the trace, over the measured requests (src/stats/recorder.ts;
 * `--network-rtt` is not included). Percentiles NaN (null in JSON) under the same too-few-samples
 * rule as latency; each `_ci_low`/`_ci_high` pair is a 95% sectioning interval.
 */
export interface SlowdownStats {
  count: number
  mean: number
  min: number
  p50: number
  p90: number
  p99: number
  p999: number
  p9999: number
  max: number
  mean_ci_low: number
  mean_ci_high: number
  p50_ci_low: number
  p50_ci_high: number
  p90_ci_low: number
  p90_ci_high: number
  p99_ci_low: number
  p99_ci_high: number
  p999_ci_low: number
  p999_ci_high: number
  p9999_ci_low: number
  p9999_ci_high: number
}

/** A recorder slowdown summary (fixed point, SLOWDOWN_SCALE) as ratios. */
export function slowdownStats(s: LatencySummary): SlowdownStats {
  const x = (v: number) => v / SLOWDOWN_SCALE
  return {
    count: s.count,
    mean: x(s.mean),
    min: x(s.min),
    p50: x(s.p50),
    p90: x(s.p90),
    p99: x(s.p99),
    p999: x(s.p999),
    p9999: x(s.p9999),
    max: x(s.max),
    mean_ci_low: x(s.ci.mean.low),
    mean_ci_high: x(s.ci.mean.high),
    p50_ci_low: x(s.ci.p50.low),
    p50_ci_high: x(s.ci.p50.high),
    p90_ci_low: x(s.ci.p90.low),
    p90_ci_high: x(s.ci.p90.high),
    p99_ci_low: x(s.ci.p99.low),
    p99_ci_high: x(s.ci.p99.high),
    p999_ci_low: x(s.ci.p999.low),
    p999_ci_high: x(s.ci.p999.high),
    p9999_ci_low: x(s.ci.p9999.low),
    p9999_ci_high: x(s.ci.p9999.high),
  }
}

