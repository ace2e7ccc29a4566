/**
 * The no-progress watchdog of the reader worker (isolated.ts): tells a stalled decoder from a
 * starved one.
 *
 * A decoder is stalled when it makes no progress although it runs (a runaway loop) or although
 * nothing keeps it from running (blocked on a promise that never settles). It is starved when it
 * is ready to run but gets no CPU: a sweep with more workers than CPUs, a busy machine. Only a
 * stall is an error. So the watchdog counts the wall time of a wait minus the time the reader
 * thread spent waiting for a CPU; the wait fails when that count reaches the limit.
 *
 * On Linux the kernel keeps that time per thread: the second field of
 * /proc/self/task/TID/schedstat is the nanoseconds the thread spent runnable on a run queue
 * without running. Elsewhere (or when that file cannot be read) the whole wall time counts, which
 * is the plain wall-clock rule.
 */
import {readFileSync, readlinkSync} from 'node:fs'

/**
 * A thread's time spent waiting for a CPU, cumulative, in ms; `undefined` when unknown (use the
 * wall clock); `'starting'` while the thread has not yet reached the reader's code.
 */
export type StarvationProbe = () => number | undefined | 'starting'

/**
 * Weight of the wall time of a thread still starting (loading modules: our own code, not the
 * file's), so that a thread that never starts still fails, after ten times the limit.
 */
const STARTING_WEIGHT = 0.1

/**
 * Counts the part of a wait for progress that was not lost to starvation. Counting starts at the
 * first check after `reset` (so most waits, which end within a check interval, cost no probe): a
 * stall is declared at most one check interval late.
 */
export class StallWatch {
  private counted = 0
  private started = false
  private lastWall = 0
  private lastStarved: number | undefined | 'starting' = undefined

  constructor(
    /** Counted ms without progress after which the reader is declared stalled. */
    readonly limitMs: number,
    private readonly probe: StarvationProbe,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Start a wait for progress: nothing counted yet. */
  reset(): void {
    this.counted = 0
    this.started = false
  }

  /** Account the time since the last check; true when the counted time reached the limit. */
  stalled(): boolean {
    const wall = this.now()
    const starved = this.probe()
    if (!this.started) {
      this.started = true
      this.lastWall = wall
      this.lastStarved = starved
      return false
    }
    const dWall = Math.max(0, wall - this.lastWall)
    if (starved === 'starting' || this.lastStarved === 'starting') this.counted += dWall * STARTING_WEIGHT
    else if (starved === undefined || this.lastStarved === undefined) this.counted += dWall
    else this.counted += Math.max(0, dWall - Math.max(0, starved - this.lastStarved))
    this.lastWall = wall
    this.lastStarved = starved
    return this.counted >= this.limitMs
  }

  /** The counted time of the current wait, ms. */
  countedMs(): number {
    return this.counted
  }
}

/** The calling thread's kernel thread id (Linux), or -1 when unknown. */
export function currentThreadId(): number {
  try {
    const link = readlinkSync('/proc/thread-self') // "PID/task/TID"
    const tid = Number(link.slice(link.lastIndexOf('/') + 1))
    return Number.isInteger(tid) && tid > 0 ? tid : -1
  } catch {
    return -1
  }
}

/** Run-queue wait (ms) of a schedstat line "RUN_NS WAIT_NS SLICES", or undefined. */
export function parseSchedstat(text: string): number | undefined {
  const fields = text.trim().split(/\s+/)
  if (fields.length < 2) return undefined
  const wait = Number(fields[1])
  return Number.isFinite(wait) && wait >= 0 ? wait / 1e6 : undefined
}

/**
 * The starvation probe of thread `tid` of this process: `tid` 0 = not yet known (starting),
 * < 0 = unknown (wall clock).
 */
export function threadStarvation(tid: () => number, read: (path: string) => string = (p) => readFileSync(p, 'latin1')): StarvationProbe {
  return () => {
    const t = tid()
    if (t === 0) return 'starting'
    if (t < 0) return undefined
    try {
      return parseSchedstat(read(`/proc/self/task/${t}/schedstat`))
    } catch {
      return undefined
    }
  }
}
