/**
 * A progress bar on stderr for long runs (shared by `replay` and `compare`): shown only when the
 * stream is a TTY and the work has lasted more than `delayMs` (default 1 s), so quick runs, pipes,
 * CI logs and `--json` consumers see nothing. Shows the fraction done, items per second and the ETA.
 * Updates are cheap (a timestamp check) and may be called at any rate; rendering is throttled by
 * cli-progress.
 */
import cliProgress from 'cli-progress'

export interface ProgressOptions {
  /** Text before the bar, e.g. `mgn-fcfs`. */
  label?: string
  /** Name of the items counted, e.g. `req` or `cells`. */
  unit?: string
  /** Where to draw (default process.stderr). Nothing is drawn unless it is a TTY. */
  stream?: NodeJS.WriteStream
  /** Force on/off (default: stream.isTTY). */
  enabled?: boolean
  /** Show the bar only once the work has lasted this long, ms (default 1000). */
  delayMs?: number
}

export interface Progress {
  /** `done` of `total` items finished. */
  update(done: number, total: number): void
  /** Remove the bar (if shown). Idempotent. */
  stop(): void
  /** Whether the bar has been drawn. */
  readonly shown: boolean
}

/** Compact count: 1234567 → 1.23M. */
export function compact(v: number): string {
  if (!Number.isFinite(v)) return '-'
  const a = Math.abs(v)
  if (a >= 1e9) return (v / 1e9).toFixed(2) + 'G'
  if (a >= 1e6) return (v / 1e6).toFixed(2) + 'M'
  if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k'
  return String(Math.round(v))
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr
  const enabled = opts.enabled ?? stream.isTTY === true
  const delay = opts.delayMs ?? 1000
  const unit = opts.unit ?? 'req'
  const t0 = performance.now()
  let bar: cliProgress.SingleBar | undefined
  let stopped = false
  const state = {
    shown: false,
    update(done: number, total: number): void {
      if (!enabled || stopped) return
      const elapsed = performance.now() - t0
      if (bar === undefined) {
        if (elapsed < delay) return
        bar = new cliProgress.SingleBar(
          {
            format: `${opts.label ? opts.label + ' ' : ''}{bar} {percentage}% | {done}/{all} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
            stream,
            clearOnComplete: true,
            hideCursor: true,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        )
        bar.start(Math.max(1, total), done, {done: compact(done), all: compact(total), rate: '-'})
        state.shown = true
      }
      bar.setTotal(Math.max(1, total))
      bar.update(done, {done: compact(done), all: compact(total), rate: compact(done / (elapsed / 1000))})
    },
    stop(): void {
      if (stopped) return
      stopped = true
      bar?.stop()
    },
  }
  return state
}
