/**
 * Max load at SLO by bisection (docs/model.md §6).
 *
 * Assumption: whether the SLO holds is monotone in the offered load — met below some load ρ*,
 * violated above. For a *fixed* trace this is close to exact, because every load replays the same
 * requests with every inter-arrival gap scaled by one factor (common random numbers), so queues
 * only grow as the load rises. Sampling noise can still make the percentile dip locally near ρ*;
 * bisection then returns one of the crossing points, within the tolerance of the true crossing of
 * that trace. The search never evaluates a load twice.
 *
 * Procedure over [lo, hi]: bisect while hi − lo > tol, assuming lo meets and hi does not; the
 * endpoints themselves are evaluated only when the bracket collapses onto them (saving two runs in
 * the usual case). Outcomes:
 * - `ok`: maxLoad = the largest load evaluated that met the SLO; a load at most `tol` above it
 *   did not (so the true ρ* lies in [maxLoad, maxLoad + tol]);
 * - `unmet`: the SLO fails even at `lo` (maxLoad = 0);
 * - `at_upper_bound`: the SLO holds at `hi` (maxLoad = hi; ρ* may be higher).
 */
import {ConfigError} from '../errors.js'
import type {SearchStatus} from '../results/schema.js'

export interface SearchOptions {
  /** Lowest load searched (default 0.01). */
  lo: number
  /** Highest load searched (default 0.99). */
  hi: number
  /** Bracket width at which the search stops (default 0.005). */
  tol: number
}

/** Smallest accepted tolerance (the bisection's midpoints are rounded to 1e-9). */
export const MIN_TOL = 1e-6

export const DEFAULT_SEARCH: SearchOptions = {lo: 0.01, hi: 0.99, tol: 0.005}

export interface Evaluation<R> {
  meets: boolean
  /** Whatever the caller wants back for the load that ends up as the max load (e.g. its RunResult). */
  result?: R
}

export interface SearchResult<R> {
  maxLoad: number
  status: SearchStatus
  /** Number of evaluations run. */
  evals: number
  /** `result` of the evaluation at maxLoad (undefined when unmet). */
  result?: R
  /** Every (load, meets) evaluated, in order. */
  trace: {load: number; meets: boolean}[]
}

export function checkSearch(o: SearchOptions): SearchOptions {
  if (!(o.lo > 0 && o.hi > o.lo && Number.isFinite(o.hi))) {
    throw new ConfigError(`Expected a search range 0 < lo < hi, got lo=${o.lo}, hi=${o.hi}`, {flag: 'search-range'})
  }
  // Loads are bisected on a 1e-9 grid: a tolerance below MIN_TOL could never be reached.
  if (!(o.tol >= MIN_TOL && o.tol < o.hi - o.lo)) {
    throw new ConfigError(`Expected a search tolerance in [${MIN_TOL}, ${o.hi - o.lo}), got ${o.tol}`, {flag: 'search-tol'})
  }
  return o
}

/** Bisect for the largest load in [lo, hi] at which `evaluate(load).meets`. */
export async function maxLoadAtSlo<R>(
  evaluate: (load: number) => Promise<Evaluation<R>>,
  options: Partial<SearchOptions> = {},
): Promise<SearchResult<R>> {
  const {lo: lo0, hi: hi0, tol} = checkSearch({...DEFAULT_SEARCH, ...options})
  const trace: {load: number; meets: boolean}[] = []
  const run = async (load: number) => {
    const e = await evaluate(load)
    trace.push({load, meets: e.meets})
    return e
  }
  let lo = lo0
  let hi = hi0
  let loEval: Evaluation<R> | undefined // evaluation at lo, if lo was evaluated and met
  let hiEvaluated = false // hi was evaluated and failed
  while (hi - lo > tol) {
    const mid = Math.round(((lo + hi) / 2) * 1e9) / 1e9
    const e = await run(mid)
    if (e.meets) {
      lo = mid
      loEval = e
    } else {
      hi = mid
      hiEvaluated = true
    }
  }
  if (!hiEvaluated) {
    // Every midpoint met: the bracket collapsed onto the upper bound.
    const e = await run(hi0)
    if (e.meets) return {maxLoad: hi0, status: 'at_upper_bound', evals: trace.length, result: e.result, trace}
  }
  if (loEval === undefined) {
    // Every midpoint failed: does the lower bound itself meet?
    const e = await run(lo0)
    if (!e.meets) return {maxLoad: 0, status: 'unmet', evals: trace.length, trace}
    loEval = e
  }
  return {maxLoad: lo, status: 'ok', evals: trace.length, result: loEval.result, trace}
}
