/**
 * Is a set of result files a whole sweep? Every part and merged file records how many cells its
 * sweep plans (all shards: indexes 0 … N − 1) and the shard that wrote it (see write.ts), so the
 * cells missing — a shard not run, a run interrupted or with failed cells — can be named.
 */
import type {SweepPlan} from './read.js'

export interface MissingCells {
  sweepId: string
  planned: number
  present: number
  /** Missing cell indexes, ascending. */
  missing: number[]
  /** Shards (`i/n`) the missing cells belong to, when the files say how the sweep was sharded. */
  shards?: string[]
}

/** The sweeps with missing cells (sweeps whose files do not record a plan are not judged). */
export function missingCells(plans: readonly SweepPlan[]): MissingCells[] {
  const out: MissingCells[] = []
  for (const p of plans) {
    if (p.cells === undefined) continue
    const missing: number[] = []
    for (let k = 0; k < p.cells; k++) if (!p.present.has(k)) missing.push(k)
    if (missing.length === 0) continue
    const counts = new Set(p.shards.map((s) => Number(s.split('/')[1])))
    const n = counts.size === 1 ? [...counts][0] : undefined
    const shards = n !== undefined && n > 1 ? [...new Set(missing.map((k) => (k % n) + 1))].sort((a, b) => a - b).map((i) => `${i}/${n}`) : undefined
    out.push({sweepId: p.sweepId, planned: p.cells, present: p.cells - missing.length, missing, ...(shards ? {shards} : {})})
  }
  return out
}

/** Index ranges: [0, 1, 2, 5, 7, 8] → "0-2, 5, 7-8" (at most `max` ranges, then "…"). */
export function ranges(xs: readonly number[], max = 8): string {
  const parts: string[] = []
  for (let i = 0; i < xs.length; ) {
    let j = i
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`)
    i = j + 1
  }
  return parts.length > max ? parts.slice(0, max).join(', ') + ', …' : parts.join(', ')
}

/** One sentence about a sweep's missing cells. */
export function describeMissing(m: MissingCells): string {
  const where = m.shards ? `; they belong to shard${m.shards.length > 1 ? 's' : ''} ${m.shards.join(', ')}` : ''
  return (
    `incomplete sweep ${m.sweepId.slice(0, 12)}: ${m.present} of ${m.planned} planned cells present, ` +
    `${m.missing.length} missing (cell ${ranges(m.missing)})${where}`
  )
}
