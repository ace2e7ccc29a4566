/**
 * Reading a trace file in a worker thread ("isolation").
 *
 * Why: third-party decoders can fail in ways a try/catch cannot contain. Found by fuzzing
 * (bench/lib/fuzz.js): apache-arrow 21 loops for ever on an IPC schema message whose flatbuffer
 * vector length is garbage (no bounds check), and parquet-wasm traps inside its asynchronous
 * reader. In a worker, such a failure is contained: a trap or an out-of-memory kills only the
 * worker, and a reader that makes no progress for `stallTimeoutMs` is terminated. Each ends as a
 * TraceError naming the file. As a side effect, decoding runs on another core while the
 * simulation consumes the previous batch.
 *
 * The stall timeout does not count time the worker spent waiting for a CPU (stall.ts): with more
 * threads than CPUs (a sweep with a large --jobs, a busy machine) a healthy reader is slow, not
 * stuck. The worker publishes its kernel thread id in a shared word at start-up so that the
 * parent can read that thread's scheduler statistics.
 *
 * The worker is the compiled `reader-worker.js` next to this module. When it is not there (the
 * library run from TypeScript sources, e.g. under a test runner), files are read in-thread.
 */
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import * as errors from '../errors.js'
import {TailsimError, TraceError} from '../errors.js'
import {StallWatch, threadStarvation} from './stall.js'
import type {SyntheticJob} from './synthetic.js'
import type {QuickStats, TraceBatch, TraceIngest, TraceOptions} from './types.js'

const WORKER_URL = new URL('./reader-worker.js', import.meta.url)

/**
 * Batches granted to the worker ahead of consumption (each ~1.3 MB at 65 536 rows). With 3, the
 * simulation of a 100 M-row file waited 1.1 s of 9.8 s for batches (the reader is faster on
 * average but uneven); with 8 it waited 0.2–0.35 s, and ran at 11.8–13.2 instead of 10.2 M req/s.
 */
const CREDITS = 8
/**
 * Default: a reader that produces nothing for this long, not counting time it waited for a CPU,
 * is declared stuck.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000
/** Longest interval between two checks of the watchdog while waiting for a batch, ms. */
const WATCH_TICK_MS = 1000

/** Each worker's shared word holding its kernel thread id (0 until it starts, -1 if unknown). */
const threadIds = new WeakMap<Worker, Int32Array>()
/** Heap limit of the reader worker, MB (the readers stream: they need a few tens of MB). */
const WORKER_HEAP_MB = 256

/** True when the compiled worker script exists (the library runs from dist/). */
export function isolationAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL))
}

type Msg =
  | {kind: 'batch'; length: number; arrival: Float64Array; conn: Uint32Array; service: Float64Array; type?: Uint16Array; typesFrom: number; newTypes: string[]}
  | {kind: 'end'; typesFrom: number; newTypes: string[]; ingest?: TraceIngest}
  | {kind: 'error'; name: string; typed: boolean; message: string; where?: TailsimError['where']}
  | {kind: 'crash'; error: Error}
  | {kind: 'exit'; code: number}

/**
 * One idle reader worker, kept after a complete pass for the next pass over the same file with
 * the same options (a run reads its trace twice: the scan, then the simulation; a sweep reads it
 * once per cell). Reusing it skips the worker's start-up (~0.35 s, mostly loading apache-arrow)
 * and its JIT warm-up (its first ~100 batches ran 3x slower than the rest). An idle worker is
 * unref'd, so it never keeps the process alive; a newer idle worker replaces (terminates) it.
 */
let idle: {key: string; worker: Worker; onExit: () => void; onError: () => void} | undefined

/** Reader workers started and reused in this process (for tests and diagnostics). */
export const readerWorkerCounts = {started: 0, reused: 0}

function takeIdle(key: string): Worker | undefined {
  if (idle === undefined || idle.key !== key) return undefined
  const {worker, onExit, onError} = idle
  idle = undefined
  worker.off('exit', onExit)
  worker.off('error', onError)
  worker.ref()
  return worker
}

function keepIdle(key: string, worker: Worker): void {
  if (idle !== undefined) {
    const old = idle
    idle = undefined
    old.worker.off('exit', old.onExit)
    old.worker.off('error', old.onError)
    void old.worker.terminate()
  }
  // An idle worker that dies (it should not: it only waits for a message) is forgotten, and its
  // error, having no reader to go to, is dropped instead of crashing the process.
  const entry = {
    key,
    worker,
    onExit: () => {
      if (idle === entry) idle = undefined
    },
    onError: () => {},
  }
  worker.on('exit', entry.onExit)
  worker.on('error', entry.onError)
  worker.unref()
  idle = entry
}

/** The idle reader worker, if any (tests only). */
export function idleReaderForTests(): Worker | undefined {
  return idle?.worker
}

/** Stop the idle reader worker, if any (for tests and long-lived hosts). */
export async function closeIdleReader(): Promise<void> {
  const w = idle === undefined ? undefined : takeIdle(idle.key)
  await w?.terminate()
}

/** What a worker streams: a trace file, or a synthetic trace it generates (see reader-worker.ts). */
export type WorkerJob = {path: string; opts: TraceOptions} | {synthetic: SyntheticJob}

/**
 * A reader worker's workerData: its job, the shared word where it stores its kernel thread id (for
 * the stall watchdog, stall.ts), and `stats` when it starts with the quick statistics of its file.
 */
export type WorkerData = WorkerJob & {tid: Int32Array; mode?: 'stats'}

/** Idle workers are reused only for the same job (same file and options, or same synthetic spec). */
const jobKey = (job: WorkerJob): string => JSON.stringify(job)

function startWorker(job: WorkerJob, mode?: 'stats'): Worker {
  const tid = new Int32Array(new SharedArrayBuffer(4))
  const data: WorkerData = {...job, tid, ...(mode ? {mode} : {})}
  const worker = new Worker(WORKER_URL, {
    workerData: data,
    resourceLimits: {maxOldGenerationSizeMb: WORKER_HEAP_MB},
    stdout: false,
    stderr: false,
  })
  threadIds.set(worker, tid)
  return worker
}

/** Stream a trace file's batches from a worker thread. `typeNames` is filled as types appear. */
export async function* readIsolated(path: string, opts: TraceOptions, typeNames: string[], ingest?: TraceIngest): AsyncGenerator<TraceBatch> {
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS
  // When the caller sorts (opts.sort), the worker only reads: rows are sorted once, in the caller.
  const workerOpts: TraceOptions = {...opts, isolate: false, ...(opts.sort ? {sort: false, unordered: true} : {})}
  yield* streamFromWorker({path, opts: workerOpts}, path, stallMs, typeNames, ingest)
}

/**
 * Generate a synthetic trace in a worker thread, with the same credits and recycled buffers as a
 * file, so that generation overlaps the simulation. `name` names the trace in errors.
 */
export async function* generateIsolated(job: SyntheticJob, name: string, typeNames: string[]): AsyncGenerator<TraceBatch> {
  yield* streamFromWorker({synthetic: job}, name, DEFAULT_STALL_TIMEOUT_MS, typeNames)
}

async function* streamFromWorker(
  job: WorkerJob,
  path: string,
  stallMs: number,
  typeNames: string[],
  ingest?: TraceIngest,
): AsyncGenerator<TraceBatch> {
  const key = jobKey(job)
  const reused = takeIdle(key)
  if (reused) readerWorkerCounts.reused++
  else readerWorkerCounts.started++
  const worker = reused ?? startWorker(job)
  const tidWord = threadIds.get(worker)
  const watch = new StallWatch(stallMs, threadStarvation(() => (tidWord === undefined ? -1 : Atomics.load(tidWord, 0))))
  const tick = Math.max(1, Math.min(WATCH_TICK_MS, stallMs / 5))
  const inbox: Msg[] = []
  let notify: (() => void) | undefined
  const push = (m: Msg) => {
    inbox.push(m)
    notify?.()
  }
  const onMessage = (m: Msg) => push(m)
  const onError = (error: Error) => push({kind: 'crash', error})
  const onExit = (code: number) => push({kind: 'exit', code})
  worker.on('message', onMessage)
  worker.on('error', onError)
  worker.on('exit', onExit)
  const next = async (): Promise<Msg> => {
    if (inbox.length === 0) watch.reset()
    while (inbox.length === 0) {
      let timer: NodeJS.Timeout | undefined
      const woken = await new Promise<boolean>((resolve) => {
        notify = () => resolve(true)
        timer = setTimeout(() => resolve(false), tick)
      })
      clearTimeout(timer)
      notify = undefined
      if (woken || inbox.length > 0 || !watch.stalled()) continue
      // A message already delivered to this thread but not yet dispatched (this thread was itself
      // starved) is handled before the verdict: setImmediate runs after the poll phase.
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (inbox.length === 0) {
        throw new TraceError(
          `Expected the reader to make progress, got none for ${stallMs / 1000} s (time spent waiting for a CPU not counted; the file is probably corrupt)`,
          {file: path},
        )
      }
    }
    return inbox.shift()!
  }
  /** Type names by index (a reused worker sends only names its earlier passes did not). */
  const names = (from: number, list: string[]) => {
    for (let i = 0; i < list.length; i++) typeNames[from + i] = list[i]
  }
  let complete = false
  try {
    if (reused) worker.postMessage({kind: 'restart'})
    for (let i = 0; i < CREDITS; i++) worker.postMessage({kind: 'credit'})
    for (;;) {
      const m = await next()
      if (m.kind === 'batch') {
        names(m.typesFrom, m.newTypes)
        yield {length: m.length, arrival: m.arrival, conn: m.conn, service: m.service, ...(m.type ? {type: m.type} : {})}
        // The consumer has finished with this batch (it pulled the next): its arrays go back to
        // the worker with the next credit, to be refilled (see reader-worker.ts).
        const buffers = {arrival: m.arrival, conn: m.conn, service: m.service, ...(m.type ? {type: m.type} : {})}
        const transfer: ArrayBuffer[] = [m.arrival.buffer as ArrayBuffer, m.conn.buffer as ArrayBuffer, m.service.buffer as ArrayBuffer]
        if (m.type) transfer.push(m.type.buffer as ArrayBuffer)
        worker.postMessage({kind: 'credit', buffers}, transfer)
      } else if (m.kind === 'end') {
        names(m.typesFrom, m.newTypes)
        if (ingest !== undefined && m.ingest !== undefined) Object.assign(ingest, m.ingest)
        complete = true
        return
      } else if (m.kind === 'error') {
        throw rehydrate(m, path)
      } else if (m.kind === 'crash') {
        const oom = (m.error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
        throw new TraceError(
          oom
            ? `Expected the reader to stay within ${WORKER_HEAP_MB} MB, got more (the file is probably corrupt)`
            : `Expected a readable trace, got a reader crash: ${m.error.message}`,
          {file: path},
        )
      } else {
        throw new TraceError(`Expected a readable trace, got a reader that stopped (exit code ${m.code})`, {file: path})
      }
    }
  } finally {
    worker.off('message', onMessage)
    worker.off('error', onError)
    worker.off('exit', onExit)
    // Only a worker that finished a pass cleanly is reused; one stopped early, failed or stuck
    // is terminated.
    if (complete) keepIdle(key, worker)
    else await worker.terminate()
  }
}

/** The worker's error, as the same class (so the exit code stays right) with the same message. */
function rehydrate(m: Extract<Msg, {kind: 'error'}>, path: string): Error {
  if (!m.typed) return new TraceError(`Expected a readable trace, got an internal reader error: ${m.message}`, {file: path})
  const Cls = classOf(m.name)
  const err = new Cls('', m.where ?? {file: path})
  err.message = m.message
  return err
}

function classOf(name: string): new (message: string, where?: TailsimError['where']) => TailsimError {
  const c = (errors as unknown as Record<string, unknown>)[name]
  return typeof c === 'function' && (c as {prototype: unknown}).prototype instanceof TailsimError
    ? (c as new (message: string, where?: TailsimError['where']) => TailsimError)
    : TraceError
}

/**
 * The quick statistics of a file (fast-stats.ts), computed in a reader worker, which is then kept
 * idle for the pass that follows (it has loaded its decoder by then). Undefined when the worker
 * finds none, fails, or takes longer than the stall timeout: the caller then makes a full pass,
 * which reports any problem with the file.
 */
export async function quickStatsIsolated(path: string, opts: TraceOptions): Promise<QuickStats | undefined> {
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS
  // The options readIsolated gives the worker for an unsorted read: the same key, so that the
  // simulation's pass reuses this worker.
  const job: WorkerJob = {path, opts: {...opts, isolate: false}}
  const key = jobKey(job)
  const reused = takeIdle(key)
  if (reused) readerWorkerCounts.reused++
  else readerWorkerCounts.started++
  const worker = reused ?? startWorker(job, 'stats')
  return new Promise<QuickStats | undefined>((resolve) => {
    const done = (value: QuickStats | undefined, healthy: boolean) => {
      clearTimeout(timer)
      worker.off('message', onMessage)
      worker.off('error', onFailure)
      worker.off('exit', onFailure)
      if (healthy) keepIdle(key, worker)
      else void worker.terminate()
      resolve(value)
    }
    const onMessage = (m: {kind?: string; value?: QuickStats | null}) => {
      if (m?.kind === 'stats') done(m.value ?? undefined, true)
    }
    const onFailure = () => done(undefined, false)
    const timer = setTimeout(onFailure, stallMs)
    worker.on('message', onMessage)
    worker.on('error', onFailure)
    worker.on('exit', onFailure)
    if (reused) worker.postMessage({kind: 'stats'})
  })
}
