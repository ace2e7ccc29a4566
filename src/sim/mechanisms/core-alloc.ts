/**
 * Core allocation for the granted-cores designs (shenango, caladan): which policy decides, at each
 * periodic check of the IOKernel, to grant one more worker core to the application or to take an
 * idle one back. The checks run every `interval` µs on a fixed grid (t = k·interval).
 *
 * Modes (`alloc=`):
 *  - `default`: the design's own congestion detector, at most one grant per check.
 *      Shenango: congested when an item that was queued at some active core at the previous
 *      check is still queued (that core's dequeue count has not reached its enqueue count of
 *      the previous check); a core granted since the previous check is given a pass.
 *      Caladan: congested when the oldest queued item of any active core has waited ≥ `qdelay`;
 *      no grant at the check that follows a grant.
 *    Cores give themselves back: an idle core spins `spin` µs, then parks.
 *  - `delay-range` (McClure et al.): the mean over active cores of the head's queueing delay
 *    (0 for an empty queue); above `max_delay` grant one core, below `min_delay` park one idle core.
 *  - `utilization-range` (McClure et al.): busy core time / granted core time over the last
 *    interval; above `util_max` grant one, below `util_min` park one idle core.
 *  - `buffer-cores` (McClure et al.): keep the number of idle granted cores (spinning or waking)
 *    between `buffer_min` and `buffer_max`, granting or parking as many as needed.
 *  - `static`: `static_cores` workers (0 = all) granted from the start, never parked, no checks.
 *  In the three range modes only the allocator parks cores (an idle core spins until taken back);
 *  "park one idle core" takes the lowest-numbered spinning core.
 */
import {ConfigError} from '../../errors.js'
import type {PolicyOptionDef, PolicyOptionValue} from '../policy.js'

export const ALLOC_DEFAULT = 0
export const ALLOC_DELAY = 1
export const ALLOC_UTIL = 2
export const ALLOC_BUFFER = 3
export const ALLOC_STATIC = 4
const MODES = ['default', 'delay-range', 'utilization-range', 'buffer-cores', 'static'] as const

/** What the allocator reads and changes in the server (granted-cores.ts implements it). */
export interface AllocTarget {
  readonly workers: number
  readonly activeCount: number
  readonly active: Int32Array
  /** Idle granted cores: spinning, plus waking (granted, not yet running). */
  readonly spinCount: number
  readonly wakingCount: number
  /** Per worker: requests enqueued / dequeued so far, enqueued at the previous check. */
  readonly enq: Float64Array
  readonly deq: Float64Array
  readonly lastEnq: Float64Array
  /** Per worker: 1 if granted since the previous check. */
  readonly fresh: Uint8Array
  /** Cycles the oldest request of worker w's queue has waited (0 when empty). */
  headAge(w: number): number
  /** Busy / granted core time since the previous call (NaN when nothing was granted). */
  intervalUtilization(): number
  /** Grant the lowest-numbered parked worker; false when none is parked. */
  grantOne(congestion: boolean): boolean
  /** Park the lowest-numbered spinning worker; false when none spins. */
  parkOneIdle(): boolean
}

export interface AllocSettings {
  mode: number
  /** Caladan's delay detector instead of Shenango's queue detector (mode default). */
  delayDetector: boolean
  /** Cycles between checks (> 0). */
  interval: number
  /** Cycles: Caladan's congestion threshold. */
  qdelay: number
  minDelay: number
  maxDelay: number
  /** Fractions in [0, 1]. */
  utilMin: number
  utilMax: number
  bufMin: number
  bufMax: number
  /** Workers granted under `static`. */
  staticCores: number
  /** Cycles an idle core spins before it parks itself; Infinity = it never does (all modes but default). */
  spin: number
}

/** The shared allocation options; `interval` and `qdelay` defaults differ per design. */
export function allocOptions(interval: number, withQdelay: boolean): PolicyOptionDef[] {
  const out: PolicyOptionDef[] = [
    {name: 'alloc', description: 'core allocation: default (the design\'s detector), delay-range, utilization-range, buffer-cores (McClure et al., NSDI\'22), static', default: 'default', choices: MODES},
    {name: 'interval', description: `µs between two allocation checks (> 0; ${interval} in the original IOKernel)`, default: interval},
  ]
  if (withQdelay) out.push({name: 'qdelay', description: 'µs: congested when the oldest queued request has waited this long (> 0; 10, the default of the original configuration)', default: 10})
  out.push(
    {name: 'spin', description: 'µs an idle core keeps polling before it parks, alloc=default (>= 0; 2 in the original runtime)', default: 2},
    {name: 'min_delay', description: 'delay-range: park a core below this mean head delay, µs (2.5 in McClure et al.\'s simulator)', default: 2.5},
    {name: 'max_delay', description: 'delay-range: grant a core above this mean head delay, µs (10 in McClure et al.\'s simulator)', default: 10},
    {name: 'util_min', description: 'utilization-range: park a core below this busy/granted percentage (80 in McClure et al.\'s simulator)', default: 80},
    {name: 'util_max', description: 'utilization-range: grant a core above this busy/granted percentage (90 in McClure et al.\'s simulator)', default: 90},
    {name: 'buffer_min', description: 'buffer-cores: fewest idle granted cores (2 in McClure et al.\'s simulator)', default: 2, integer: true},
    {name: 'buffer_max', description: 'buffer-cores: most idle granted cores (4 in McClure et al.\'s simulator)', default: 4, integer: true},
    {name: 'static_cores', description: 'static: workers granted for the whole run (0 = all)', default: 0, integer: true},
  )
  return out
}

function bad(policy: string, name: string, what: string, value: PolicyOptionValue): never {
  throw new ConfigError(`Expected option \`${name}\` of ${policy} to be ${what}, got "${value}"`, {flag: 'policy'})
}

/** Reads and validates the allocation options (one ConfigError naming the option and value). */
export function allocFrom(policy: string, o: Readonly<Record<string, PolicyOptionValue>>, cyclesPerUs: number, workers: number): AllocSettings {
  const num = (name: string): number => o[name] as number
  const positive = (name: string): number => {
    const v = num(name)
    if (!(v > 0) || !Number.isFinite(v)) bad(policy, name, 'a positive number of µs', v)
    return v
  }
  const nonNeg = (name: string): number => {
    const v = num(name)
    if (!(v >= 0) || !Number.isFinite(v)) bad(policy, name, 'a number >= 0', v)
    return v
  }
  const mode = MODES.indexOf(o.alloc as (typeof MODES)[number])
  if (mode < 0) bad(policy, 'alloc', `one of ${MODES.join(', ')}`, o.alloc)
  const interval = positive('interval')
  const qdelay = o.qdelay === undefined ? 0 : positive('qdelay')
  const minDelay = nonNeg('min_delay')
  const maxDelay = nonNeg('max_delay')
  if (maxDelay < minDelay) bad(policy, 'max_delay', `at least min_delay (${minDelay})`, maxDelay)
  const utilMin = nonNeg('util_min')
  const utilMax = nonNeg('util_max')
  if (utilMax > 100) bad(policy, 'util_max', 'a percentage from 0 to 100', utilMax)
  if (utilMax < utilMin) bad(policy, 'util_max', `at least util_min (${utilMin})`, utilMax)
  const bufMin = nonNeg('buffer_min')
  const bufMax = nonNeg('buffer_max')
  if (!Number.isInteger(bufMin)) bad(policy, 'buffer_min', 'an integer >= 0', bufMin)
  if (!Number.isInteger(bufMax) || bufMax < bufMin) bad(policy, 'buffer_max', `an integer >= buffer_min (${bufMin})`, bufMax)
  const spin = nonNeg('spin')
  const sc = nonNeg('static_cores')
  if (!Number.isInteger(sc) || sc > workers) bad(policy, 'static_cores', `an integer from 0 to the ${workers} workers (0 = all)`, sc)
  return {
    mode,
    delayDetector: o.qdelay !== undefined,
    interval: Math.max(1, Math.round(interval * cyclesPerUs)),
    qdelay: Math.round(qdelay * cyclesPerUs),
    minDelay: minDelay * cyclesPerUs,
    maxDelay: maxDelay * cyclesPerUs,
    utilMin: utilMin / 100,
    utilMax: utilMax / 100,
    bufMin,
    bufMax,
    staticCores: sc === 0 ? workers : sc,
    spin: mode === ALLOC_DEFAULT ? Math.round(spin * cyclesPerUs) : Infinity,
  }
}

/** The periodic decision. One instance per run; `check` is called at every grid point. */
export class Allocator {
  /** Caladan: a grant at the previous check (this one then does nothing). */
  private grantedLast = false

  constructor(readonly s: AllocSettings) {}

  /** Makes this check's decision on `t`. */
  check(t: AllocTarget): void {
    const s = this.s
    switch (s.mode) {
      case ALLOC_DEFAULT:
        if (s.delayDetector) this.caladan(t)
        else if (this.shenango(t)) t.grantOne(true)
        return
      case ALLOC_DELAY: {
        let sum = 0
        for (let i = 0; i < t.activeCount; i++) sum += t.headAge(t.active[i])
        const mean = t.activeCount > 0 ? sum / t.activeCount : 0
        if (mean > s.maxDelay) t.grantOne(true)
        else if (mean < s.minDelay) t.parkOneIdle()
        return
      }
      case ALLOC_UTIL: {
        const u = t.intervalUtilization()
        if (u > s.utilMax) t.grantOne(true)
        else if (u < s.utilMin) t.parkOneIdle()
        return
      }
      case ALLOC_BUFFER: {
        let idle = t.spinCount + t.wakingCount
        while (idle < s.bufMin && t.grantOne(true)) idle++
        while (idle > s.bufMax && t.parkOneIdle()) idle--
        return
      }
    }
  }

  /** Shenango's detector; updates every active core's reference count (as the original does). */
  private shenango(t: AllocTarget): boolean {
    let congested = false
    for (let i = 0; i < t.activeCount; i++) {
      const w = t.active[i]
      const prev = t.lastEnq[w]
      t.lastEnq[w] = t.enq[w]
      if (congested) continue
      if (t.fresh[w] !== 0) {
        t.fresh[w] = 0
        continue
      }
      if (t.deq[w] < prev) congested = true
    }
    return congested
  }

  private caladan(t: AllocTarget): void {
    if (this.grantedLast) {
      this.grantedLast = false
      return
    }
    let oldest = 0
    for (let i = 0; i < t.activeCount; i++) {
      const a = t.headAge(t.active[i])
      if (a > oldest) oldest = a
    }
    if (oldest >= this.s.qdelay && oldest > 0) this.grantedLast = t.grantOne(true)
  }

  /** Forget per-check history (the checks pause while the system is empty). */
  pause(t: AllocTarget): void {
    this.grantedLast = false
    for (let w = 0; w < t.workers; w++) {
      t.lastEnq[w] = t.enq[w]
      t.fresh[w] = 0
    }
  }

  /** Whether checks must go on with nothing in the system (the allocator would still act). */
  keepChecking(t: AllocTarget): boolean {
    const s = this.s
    if (s.mode === ALLOC_DELAY || s.mode === ALLOC_UTIL) return t.activeCount > 0
    if (s.mode === ALLOC_BUFFER) {
      const idle = t.spinCount + t.wakingCount
      return (idle < s.bufMin && t.activeCount < t.workers) || idle > s.bufMax
    }
    return false
  }
}
