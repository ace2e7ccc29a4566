/**
 * The sweep's worker pool (node:worker_threads). Cells are handed out in the order given (index
 * order: the long search cells first), one at a time per worker; each finished row is passed to
 * `onRow` as soon as it arrives (the caller writes its part file then), so an interruption loses
 * only the cells in flight.
 *
 * Failures: an error thrown by a cell is reported with the cell (`onFailure`) and the worker takes
 * the next cell; a worker that dies (out of memory, fatal error, exit) fails the cell it was
 * running and is replaced while cells remain. The outcome lists rows, failures and the cells not
 * run (after an abort).
 *
 * Workers run the compiled module `dist/src/experiment/worker.js`. When this module itself runs
 * from TypeScript sources (tests), the compiled worker is looked up under `dist/` — build first.
 * `jobs: 0` runs the cells in this thread, one after another (unit tests, debugging).
 */
import {existsSync} from 'node:fs'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

import {ConfigError} from '../errors.js'
import type {ResultRow} from '../results/schema.js'
import {runCell} from './cell.js'
import type {Cell, SweepSpec} from './plan.js'
import {TraceCache} from './trace-input.js'

export type ToWorker = {type: 'run'; cell: Cell} | {type: 'stop'}
export type FromWorker =
  | {type: 'row'; index: number; row: ResultRow}
  | {type: 'error'; index: number; error: {name: string; message: string; code: string; stack?: string}}

export interface CellFailure {
  cell: Cell
  message: string
  /** TailsimError code, `INTERNAL_ERROR`, or `WORKER_DIED`. */
  code: string
  stack?: string
}

export interface PoolOptions {
  /** Worker threads; 0 = run in this thread. */
  jobs: number
  /** Stop at once: running cells are abandoned (workers terminated) and listed in `notRun`. */
  signal?: AbortSignal
  /** Stop gracefully: no new cell is started; running cells finish and are delivered. */
  stop?: AbortSignal
  /** Called with each finished row, in completion order. May be async; awaited in order. */
  onRow?: (row: ResultRow, cell: Cell) => void | Promise<void>
  onFailure?: (failure: CellFailure) => void
  onStart?: (cell: Cell) => void
  /** Requests of a trace a worker may keep in memory (default 1e6). */
  cacheRows?: number
  /** Worker heap limit, MB (default: Node's). */
  workerMemoryMb?: number
  /** Worker module (default: the compiled worker.js next to this module, or under dist/). */
  workerUrl?: URL
}

export interface PoolOutcome {
  rows: ResultRow[]
  failures: CellFailure[]
  /** Cells never finished because the run was aborted or stopped. */
  notRun: Cell[]
  /** Of `notRun`: the cells that were running when `signal` abandoned them. */
  abandoned: Cell[]
  interrupted: boolean
}

export function defaultWorkerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url)
  if (existsSync(fileURLToPath(here))) return here
  const path = fileURLToPath(here)
  const dist = path.replace(/([/\\])src([/\\])experiment([/\\])worker\.js$/, '$1dist$1src$2experiment$3worker.js')
  if (dist !== path && existsSync(dist)) return pathToFileURL(dist)
  throw new ConfigError(`Expected the compiled worker at ${path} or ${dist}; run \`npm run build\` first (or use --jobs 0)`, {flag: 'jobs'})
}

export async function runCells(spec: SweepSpec, sweepId: string, cells: readonly Cell[], opts: PoolOptions): Promise<PoolOutcome> {
  if (!(Number.isInteger(opts.jobs) && opts.jobs >= 0)) {
    throw new ConfigError(`Expected \`jobs\` to be an integer >= 0, got ${opts.jobs}`, {flag: 'jobs'})
  }
  const rows: ResultRow[] = []
  const failures: CellFailure[] = []
  let writes: Promise<void> = Promise.resolve()
  let writeError: unknown
  const finished = new Set<number>()
  const running = new Set<number>()
  const deliver = (row: ResultRow, cell: Cell) => {
    finished.add(cell.index)
    rows.push(row)
    if (opts.onRow) {
      writes = writes.then(() => opts.onRow!(row, cell)).catch((e: unknown) => {
        writeError ??= e
      })
    }
  }
  const fail = (f: CellFailure) => {
    finished.add(f.cell.index)
    failures.push(f)
    opts.onFailure?.(f)
  }
  const outcome = (interrupted: boolean): PoolOutcome => ({
    rows,
    failures,
    notRun: cells.filter((c) => !finished.has(c.index)),
    abandoned: cells.filter((c) => running.has(c.index) && !finished.has(c.index)),
    interrupted,
  })
  const stopping = () => opts.signal?.aborted === true || opts.stop?.aborted === true

  if (opts.jobs === 0) {
    // In this thread, the trace streams return to the event loop now and then, so that a signal
    // handler (Ctrl-C, SIGTERM) and the progress timer run during a long cell.
    const cache = new TraceCache(opts.cacheRows, {yieldEveryMs: 50})
    for (const cell of cells) {
      if (stopping() || writeError !== undefined) break
      running.add(cell.index)
      opts.onStart?.(cell)
      try {
        deliver(await runCell(spec, sweepId, cell, {cache, signal: opts.signal}), cell)
      } catch (error) {
        if (opts.signal?.aborted) break
        const e = error as Error & {code?: string}
        fail({cell, message: e.message, code: typeof e.code === 'string' ? e.code : 'INTERNAL_ERROR', stack: e.stack})
      }
    }
    await writes
    if (writeError !== undefined) throw writeError
    return outcome(stopping())
  }

  const workerUrl = opts.workerUrl ?? defaultWorkerUrl()
  const queue = [...cells]
  const byIndex = new Map(cells.map((c) => [c.index, c]))
  const live = new Set<Worker>()
  let aborted = false

  await new Promise<void>((resolveAll) => {
    const maybeDone = () => {
      if (live.size === 0) resolveAll()
    }
    const spawn = () => {
      const w = new Worker(workerUrl, {
        workerData: {spec, sweepId, cacheRows: opts.cacheRows ?? 1_000_000},
        ...(opts.workerMemoryMb !== undefined ? {resourceLimits: {maxOldGenerationSizeMb: opts.workerMemoryMb}} : {}),
      })
      live.add(w)
      let current: Cell | undefined
      let crash: Error | undefined
      const next = () => {
        current = aborted || opts.stop?.aborted || writeError !== undefined ? undefined : queue.shift()
        if (current === undefined) {
          w.postMessage({type: 'stop'} satisfies ToWorker)
          return
        }
        running.add(current.index)
        opts.onStart?.(current)
        w.postMessage({type: 'run', cell: current} satisfies ToWorker)
      }
      w.on('message', (m: FromWorker) => {
        const cell = byIndex.get(m.index)
        if (cell === undefined || current?.index !== m.index) return
        if (m.type === 'row') deliver(m.row, cell)
        else fail({cell, message: m.error.message, code: m.error.code, stack: m.error.stack})
        next()
      })
      w.on('error', (e) => {
        crash = e
      })
      w.on('exit', (code) => {
        live.delete(w)
        if (current !== undefined && !aborted) {
          const why = crash
            ? `${crash.message}${(crash as NodeJS.ErrnoException).code ? ` (${(crash as NodeJS.ErrnoException).code})` : ''}`
            : `exit code ${code}`
          fail({cell: current, message: `worker died: ${why}`, code: 'WORKER_DIED', stack: crash?.stack})
          current = undefined
          if (queue.length > 0 && writeError === undefined) spawn()
        }
        maybeDone()
      })
      next()
    }
    const onAbort = () => {
      aborted = true
      for (const w of live) void w.terminate()
    }
    if (opts.signal?.aborted) {
      aborted = true
      resolveAll()
      return
    }
    opts.signal?.addEventListener('abort', onAbort, {once: true})
    const n = Math.max(1, Math.min(opts.jobs, cells.length))
    if (cells.length === 0) resolveAll()
    else for (let i = 0; i < n; i++) spawn()
  })
  await writes
  if (writeError !== undefined) throw writeError
  return outcome(aborted || opts.stop?.aborted === true)
}
