/**
 * DARC's core reservation (Perséphone, SOSP'21), as a pure function of per-type profiles.
 *
 * 1. Grouping: types sorted by mean service time; a type joins the current group when its mean is
 *    within δ (0.2) of the group leader's (mean <= leader·(1 + δ)), else it leads a new group.
 * 2. Demand of a group = workers × its share of CPU time (Σ count·mean over the group / over all).
 *    A group reserves floor(demand) workers when the fractional part is <= 0.5, else ceil, and at
 *    least 1; groups are served shortest first, each taking consecutive workers from worker 0 on.
 *    A group that cannot get its demand takes what is left; one that gets nothing has only the
 *    spillway (the last worker).
 * 3. Upward-only stealing makes a group's usable workers [lo, workers): its own, those reserved for
 *    longer groups, any unreserved ones, and the spillway (the last worker, open to every group).
 *
 * Manual mode (`reserve = N`): the shortest group gets workers [0, N), every other group [N, W)
 * (or the spillway alone when N = W).
 */
export interface Reservation {
  /** Groups, shortest first: the type values (requests.type) in each. */
  groups: number[][]
  /** Demand (fractional workers) of each group. */
  demand: number[]
  /** First worker reserved for each group, and one past its last. */
  lo: number[]
  hi: number[]
}

/**
 * @param types type values with count > 0
 * @param mean mean service time per type value (cycles)
 * @param count dispatched requests per type value
 * @param manual workers reserved for the shortest group, or -1 for the formula
 */
export function darcReservation(
  types: readonly number[],
  mean: ArrayLike<number>,
  count: ArrayLike<number>,
  workers: number,
  delta: number,
  manual: number,
): Reservation {
  const sorted = [...types].sort((a, b) => mean[a] - mean[b] || a - b)
  const groups: number[][] = []
  let leader = -1
  for (const t of sorted) {
    if (leader >= 0 && mean[t] <= mean[leader] * (1 + delta)) groups[groups.length - 1].push(t)
    else {
      groups.push([t])
      leader = t
    }
  }
  let total = 0
  for (const t of sorted) total += count[t] * mean[t]
  const demand = groups.map((g) => (total > 0 ? (workers * g.reduce((s, t) => s + count[t] * mean[t], 0)) / total : workers))
  const lo: number[] = []
  const hi: number[] = []
  let next = 0
  for (let g = 0; g < groups.length; g++) {
    if (manual >= 0) {
      // Manual: the shortest group gets [0, N); every other group may use [N, W) (or the spillway).
      lo.push(g === 0 ? 0 : Math.min(manual, workers - 1))
      hi.push(g === 0 ? manual : workers)
      continue
    }
    let want: number
    {
      const d = demand[g]
      const fl = Math.floor(d)
      want = Math.max(1, d - fl <= 0.5 ? fl : fl + 1)
    }
    const got = Math.min(want, workers - next)
    if (got <= 0) {
      lo.push(workers - 1)
      hi.push(workers - 1)
    } else {
      lo.push(next)
      hi.push(next + got)
      next += got
    }
  }
  return {groups, demand, lo, hi}
}

/** True when the new demands differ from the old by more than `threshold` (relative) or in shape. */
export function demandMoved(prev: Reservation, next: Reservation, threshold: number): boolean {
  if (prev.groups.length !== next.groups.length) return true
  for (let g = 0; g < prev.groups.length; g++) {
    const a = prev.groups[g]
    const b = next.groups[g]
    if (a.length !== b.length || a.some((t, i) => t !== b[i])) return true
    const d0 = prev.demand[g]
    if (Math.abs(next.demand[g] - d0) > threshold * d0) return true
  }
  return false
}
