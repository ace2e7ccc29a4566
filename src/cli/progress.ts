/**
 * Progress on stderr for long runs (shared by `replay` and `compare`), in one of four modes
 * (`--progress`, or the TAILSIM_PROGRESS environment variable):
 * - `bar`: a redrawn bar (fraction done, items per second, ETA), shown once the work has lasted
 *   `delayMs` (default 1 s), so quick runs see nothing;
 * - `lines`: for logs (Slurm, Kubernetes, CI, `2> file`): one plain line every `intervalMs`
 *   (`--progress-interval` seconds, default 10), e.g.
 *   `progress: zygos 1.20M/10.00M req (12.0%), 450k req/s, elapsed 27s, ETA 3m15s`;
 *   nothing for runs shorter than one interval;
 * - `auto` (default): `bar` when stderr is a terminal, `lines` otherwise;
 * - `none`: nothing.
 * Updates are cheap (a number stored) and may be called at any rate; the bar's drawing is throttled
 * by cli-progress, the lines are written by a timer (unref'd: it never keeps the process alive), so
 * a line appears even while no item finishes (a long compare cell).
 */
import {Flags} from '@oclif/core'
import cliProgress from 'cli-progress'

export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const
export type ProgressMode = (typeof PROGRESS_MODES)[number]

/** Default seconds between progress lines. */
export const DEFAULT_PROGRESS_INTERVAL_S = 10

/** `--progress` and `--progress-interval`, the same on every command that shows progress. */
export const progressFlags = {
  progress: Flags.string({
    description:
      'Progress on stderr: `bar` (redrawn), `lines` (one plain line every --progress-interval seconds, for logs), `none`, or `auto`: a bar on a terminal, lines otherwise.',
    options: [...PROGRESS_MODES],
    default: 'auto',
    env: 'TAILSIM_PROGRESS',
  }),
  'progress-interval': Flags.custom<number>({
    async parse(input) {
      const v = Number(input)
      // A plain Error: the parser adds the flag's name (see src/cli/fail.ts).
      if (input.trim() === '' || !Number.isFinite(v) || v <= 0 || v > 86_400) throw new Error(`Expected a number of seconds in (0, 86400], got "${input}"`)
      return v
    },
  })({
    description: 'Seconds between progress lines (--progress lines, or auto off a terminal).',
    default: DEFAULT_PROGRESS_INTERVAL_S,
    env: 'TAILSIM_PROGRESS_INTERVAL',
  }),
}

export interface ProgressOptions {
  /** Text before the counts, e.g. `mgn-fcfs`. */
  label?: string
  /** Name of the items counted, e.g. `req` or `cells`. */
  unit?: string
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WriteStream
  /** Mode (default `auto`). */
  mode?: ProgressMode
  /** Force off (kept for callers that decide themselves). */
  enabled?: boolean
  /** Bar: show it only once the work has lasted this long, ms (default 1000). */
  delayMs?: number
  /** Lines: ms between lines (default 10 s). */
  intervalMs?: number
  /** Clock, ms (default performance.now); tests inject a fake one. */
  now?: () => number
  /** Timer (default setInterval/clearInterval); tests inject a fake one. */
  timer?: {start(fn: () => void, ms: number): unknown; stop(handle: unknown): void}
}

export interface Progress {
  /** `done` of `total` items finished. */
  update(done: number, total: number): void
  /** Write one line (a note, a failure) without garbling the bar. */
  log(line: string): void
  /** Remove the bar / stop the lines. Idempotent. */
  stop(): void
  /** Whether the bar has been drawn. */
  readonly shown: boolean
  /** Progress lines written so far (lines mode). */
  readonly lines: number
  /** The mode in effect (`auto` resolved). */
  readonly mode: Exclude<ProgressMode, 'auto'>
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

/** Items per second as text; slow items (compare cells) per minute rather than a rounded-down "0 per second". */
export function speed(perSecond: number, unit: string): string {
  if (!(perSecond > 0)) return `- ${unit}/s`
  return perSecond >= 1 ? `${compact(perSecond)} ${unit}/s` : `${Number((perSecond * 60).toPrecision(2))} ${unit}/min`
}

/** A duration in seconds as `3h02m`, `4m05s` or `27s`. */
export function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '-'
  const t = Math.round(s)
  if (t >= 3600) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`
  return `${t}s`
}

/** The mode `auto` stands for on this stream. */
export function resolveMode(mode: ProgressMode, stream: NodeJS.WriteStream): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode
  return stream.isTTY === true ? 'bar' : 'lines'
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr
  const mode = opts.enabled === false ? 'none' : resolveMode(opts.mode ?? 'auto', stream)
  const delay = opts.delayMs ?? 1000
  const interval = opts.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_S * 1000
  const unit = opts.unit ?? 'req'
  const now = opts.now ?? (() => performance.now())
  const timer = opts.timer ?? {start: (fn: () => void, ms: number) => setInterval(fn, ms).unref(), stop: (h: unknown) => clearInterval(h as NodeJS.Timeout)}
  const t0 = now()
  let bar: cliProgress.SingleBar | undefined
  let ticking: unknown
  let stopped = false
  let done = 0
  let total = 0
  let first: {done: number; at: number} | undefined
  const rate = () => {
    if (first === undefined) return Number.NaN
    const s = (now() - first.at) / 1000
    return s > 0 ? (done - first.done) / s : Number.NaN
  }
  const line = () => {
    const r = rate()
    const pct = total > 0 ? ` (${((done / total) * 100).toFixed(1)}%)` : ''
    const eta = r > 0 && total >= done ? duration((total - done) / r) : '-'
    return `progress: ${opts.label ? opts.label + ' ' : ''}${compact(done)}/${compact(total)} ${unit}${pct}, ${speed(r, unit)}, elapsed ${duration((now() - t0) / 1000)}, ETA ${eta}\n`
  }
  const state = {
    shown: false,
    lines: 0,
    mode,
    update(d: number, t: number): void {
      if (mode === 'none' || stopped) return
      done = d
      total = t
      first ??= {done: d, at: now()}
      if (mode === 'lines') {
        ticking ??= timer.start(() => {
          if (stopped) return
          stream.write(line())
          state.lines++
        }, interval)
        return
      }
      const elapsed = now() - t0
      if (bar === undefined) {
        if (elapsed < delay) return
        bar = new cliProgress.SingleBar(
          {
            format: `${opts.label ? opts.label + ' ' : ''}{bar} {percentage}% | {done}/{all} ${unit} | {rate} | ETA {eta_formatted}`,
            stream,
            clearOnComplete: true,
            hideCursor: true,
            etaBuffer: 20,
            noTTYOutput: stream.isTTY !== true,
          },
          cliProgress.Presets.shades_classic,
        )
        bar.start(Math.max(1, total), done, {done: compact(done), all: compact(total), rate: speed(Number.NaN, unit)})
        state.shown = true
      }
      bar.setTotal(Math.max(1, total))
      // Before a second update, the rate since the start.
      const r = rate()
      bar.update(done, {done: compact(done), all: compact(total), rate: speed(Number.isFinite(r) && done > first.done ? r : done / (elapsed / 1000), unit)})
    },
    log(text: string): void {
      if (bar !== undefined) {
        bar.stop()
        bar = undefined
      }
      stream.write(text.endsWith('\n') ? text : text + '\n')
    },
    stop(): void {
      if (stopped) return
      stopped = true
      if (ticking !== undefined) timer.stop(ticking)
      bar?.stop()
    },
  }
  return state
}
