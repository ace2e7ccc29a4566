/**
 * Max load at an SLO to ±0.005 on a whole trace, with fewer runs of the whole trace than a
 * bisection over the full range (8 runs for a 0.7-wide range): the final bisection starts from a
 * 0.078-wide bracket (4 halvings reach ±0.005), placed around `guess` when the caller expects a
 * value, else around a coarse search (±0.02) on the first `coarseRows` requests.
 *
 * A bisection that ends `ok` in the narrow bracket has seen what a full-range one would: a load
 * meeting the SLO and a load at most 0.005 above it failing (src/experiment/search.ts). When the
 * crossing is not inside the bracket (status not `ok`: a poor guess, or a head of the trace that
 * differs from the whole), the search runs again over the full range. The result therefore has
 * the same precision and sample size whatever the guess; a wrong guess costs only time.
 */
import {maxLoadAtSlo, type SearchResult} from '../../src/experiment/search.js'
import type {TraceColumns} from '../../src/trace/memory.js'

/** Width of the final bracket: 0.078 / 2⁴ < 0.005. */
export const FINE_BRACKET = 0.078

/** The first `n` requests of a trace (no copy). */
export const head = (c: TraceColumns, n: number): TraceColumns => ({
  arrival: c.arrival.subarray(0, n),
  conn: c.conn.subarray(0, n),
  service: c.service.subarray(0, n),
})

export async function narrowedMaxLoad(
  meets: (cols: TraceColumns, load: number) => Promise<boolean>,
  cols: TraceColumns,
  o: {lo: number; hi: number; coarseRows: number; guess?: number},
): Promise<SearchResult<unknown>> {
  const search = (c: TraceColumns, lo: number, hi: number, tol: number) => maxLoadAtSlo(async (load) => ({meets: await meets(c, load)}), {lo, hi, tol})
  let guess = o.guess
  if (guess === undefined) {
    const coarse = await search(head(cols, o.coarseRows), o.lo, o.hi, 0.02)
    // The head's crossing lies in [maxLoad, maxLoad + 0.02]: centre the bracket on it.
    if (coarse.status === 'ok') guess = coarse.maxLoad + 0.01
  }
  if (guess !== undefined) {
    const lo = Math.max(o.lo, Math.min(guess - FINE_BRACKET / 2, o.hi - FINE_BRACKET))
    const r = await search(cols, lo, lo + FINE_BRACKET, 0.005)
    if (r.status === 'ok') return r
  }
  return search(cols, o.lo, o.hi, 0.005)
}
