/**
 * A statistics thread: the run's StatsCore (stats-core.ts) computed in a worker thread while the
 * simulation goes on, so that the simulation's hot loop pays four stores per completion instead
 * of the statistics (histogram counts, slowdown, batch-means slices, MSER series, per-type).
 *
 * Hand-over: `chunks` shared buffers of `chunk` completions each, (arrival, end, service, type)
 * as doubles, in one SharedArrayBuffer. The simulation fills a buffer, marks it full (Atomics) and
 * goes on with the next one; the thread measures the full buffers in order and marks each free.
 * When no shared buffer is free (the thread is starting: loading its modules takes tens of
 * milliseconds, in which the simulation fills them all; or it is behind), the simulation goes on
 * in private buffers, at most `maxPending`, copied into the shared ones in order as they free up;
 * beyond that it waits. A buffer of length −1 tells the thread that no completion follows: it
 * sends back StatsCore.results() and ends. The statistics are those of the same completions
 * measured in order in one thread: StatsCore depends only on the tuples.
 *
 * Used for large runs only (`STATS_THREAD_MIN_REQUESTS`; simulate's `statsThread`): starting a
 * thread and loading its modules costs ~50 ms of CPU. A failure in the thread (an exception) is
 * flagged in shared memory, so a simulation waiting for a free buffer stops with it.
 */
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import type {StatsOptions, StatsResults} from './recorder-types.js'

/** Runs of at least this many requests use a statistics thread when `statsThread` is 'auto'. */
export const STATS_THREAD_MIN_REQUESTS = 1 << 20

/** The buffers' sizes: completions per buffer, shared buffers, private buffers at most. */
export interface StatsLayout {
  chunk: number
  chunks: number
  maxPending: number
}

/** 4 shared buffers of 512 KiB, up to 32 private ones (16 MiB) while the thread is behind. */
export const DEFAULT_LAYOUT: StatsLayout = {chunk: 16384, chunks: 4, maxPending: 32}

/**
 * The control words before the buffers: `chunks` states (0 free, 1 full), `chunks` lengths, the
 * error flag, the number of buffers measured.
 */
export function controlWords(l: StatsLayout): {error: number; measured: number; words: number; bytes: number} {
  const words = 2 * l.chunks + 2
  return {error: 2 * l.chunks, measured: 2 * l.chunks + 1, words, bytes: 8 * Math.ceil(words / 2)}
}

/**
 * A simulation waiting for a free buffer gives up when the thread has measured none for this long:
 * the thread is gone (a crash it could not report). A starved thread measures a buffer in
 * milliseconds of CPU, so this is far beyond any load.
 */
const NO_PROGRESS_MS = 300_000

const WORKER_URL = new URL('./stats-worker.js', import.meta.url)

/** Whether the compiled worker is there (not when this module runs from TypeScript sources). */
export function statsThreadAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL))
}

export interface StatsWorkerData {
  opts: StatsOptions
  layout: StatsLayout
  buffer: SharedArrayBuffer
}

type Reply = {ok: true; results: StatsResults} | {ok: false; message: string}

export class StatsLink {
  /** Completions in full buffers (handed over or waiting in `pending`). */
  private filled = 0
  private readonly chunk: number
  private readonly chunks: number
  private readonly maxPending: number
  private readonly errorWord: number
  private readonly measuredWord: number
  private readonly control: Int32Array
  /** The shared buffers. */
  private readonly ring: Float64Array
  private readonly worker: Worker
  private readonly reply: Promise<Reply>
  /** Where completions are written now: a shared buffer (`inRing`, index `current`) or a private one. */
  private data: Float64Array
  private inRing = true
  private current = 0
  /** Start, next free position and end of the current buffer in `data`. */
  private base = 0
  private pos = 0
  private end: number
  /** The next shared buffer to hand over (they are measured in this order). */
  private ringNext = 0
  /** Full private buffers not yet copied into the shared ones, oldest first, and their lengths. */
  private readonly pending: Float64Array[] = []
  private readonly pendingLength: number[] = []
  /** Private buffers to reuse. */
  private readonly spare: Float64Array[] = []
  private closed = false

  constructor(opts: StatsOptions, layout: StatsLayout = DEFAULT_LAYOUT) {
    if (!statsThreadAvailable()) throw new Error(`internal: no statistics thread at ${fileURLToPath(WORKER_URL)} (run from the compiled library)`)
    this.chunk = layout.chunk
    this.chunks = layout.chunks
    this.maxPending = layout.maxPending
    const cw = controlWords(layout)
    this.errorWord = cw.error
    this.measuredWord = cw.measured
    const buffer = new SharedArrayBuffer(cw.bytes + layout.chunks * layout.chunk * 4 * 8)
    this.control = new Int32Array(buffer, 0, cw.words)
    this.ring = new Float64Array(buffer, cw.bytes)
    this.data = this.ring
    this.end = 4 * this.chunk
    const data: StatsWorkerData = {opts, layout, buffer}
    this.worker = new Worker(WORKER_URL, {workerData: data, stdout: false, stderr: false})
    this.reply = new Promise((resolve) => {
      this.worker.once('message', (m: Reply) => resolve(m))
      this.worker.once('error', (e) => resolve({ok: false, message: e.message}))
      this.worker.once('exit', (code) => resolve({ok: false, message: `the statistics thread exited (${code})`}))
    })
    // The thread must not keep the process alive on its own (it ends with its last buffer).
    this.worker.unref()
  }

  /** One completion. */
  push(arrival: number, end: number, type: number, service: number): void {
    const d = this.data
    const p = this.pos
    d[p] = arrival
    d[p + 1] = end
    d[p + 2] = service
    d[p + 3] = type
    this.pos = p + 4
    if (this.pos === this.end) this.full(this.chunk)
  }

  /** Completions pushed so far. */
  get pushed(): number {
    return this.filled + (this.pos - this.base) / 4
  }

  /** The current buffer holds `length` completions: hand it over, then take the next buffer. */
  private full(length: number): void {
    this.close1(length)
    if (this.pending.length === 0 && Atomics.load(this.control, this.ringNext) === 0) return this.target(this.ringNext)
    // The thread is behind (starting, or a burst): a private buffer, up to maxPending of them.
    if (this.pending.length < this.maxPending) {
      this.data = this.spare.pop() ?? new Float64Array(4 * this.chunk)
      this.inRing = false
      this.base = this.pos = 0
      this.end = 4 * this.chunk
      return
    }
    this.drain(true)
    this.waitFree(this.ringNext)
    this.target(this.ringNext)
  }

  /** Close the current buffer with `length` completions: hand a shared one over, queue a private one. */
  private close1(length: number): void {
    this.filled += length
    if (this.inRing) this.publish(this.current, length)
    else {
      this.pending.push(this.data)
      this.pendingLength.push(length)
    }
    this.drain(false)
  }

  /** Copy private buffers into free shared ones, in order; with `wait`, until none is left. */
  private drain(wait: boolean): void {
    while (this.pending.length > 0) {
      const i = this.ringNext
      if (Atomics.load(this.control, i) !== 0) {
        if (!wait) return
        this.waitFree(i)
      }
      const b = this.pending.shift()!
      const n = this.pendingLength.shift()!
      this.ring.set(n === this.chunk ? b : b.subarray(0, 4 * n), 4 * i * this.chunk)
      this.publish(i, n)
      this.spare.push(b)
    }
  }

  /** Write into shared buffer i next (it is free). */
  private target(i: number): void {
    this.data = this.ring
    this.inRing = true
    this.current = i
    this.base = this.pos = 4 * i * this.chunk
    this.end = this.base + 4 * this.chunk
  }

  /** Mark shared buffer i full with `length` completions (−1: the end mark). */
  private publish(i: number, length: number): void {
    const c = this.control
    c[this.chunks + i] = length
    Atomics.store(c, i, 1)
    Atomics.notify(c, i)
    this.ringNext = (i + 1) % this.chunks
  }

  /** Wait until the thread has freed shared buffer i. */
  private waitFree(i: number): void {
    const c = this.control
    let measured = Atomics.load(c, this.measuredWord)
    let since = Date.now()
    while (Atomics.load(c, i) !== 0) {
      if (Atomics.load(c, this.errorWord) !== 0) throw new Error('internal: the statistics thread failed')
      Atomics.wait(c, i, 1, 1000)
      const m = Atomics.load(c, this.measuredWord)
      if (m !== measured) {
        measured = m
        since = Date.now()
      } else if (Date.now() - since > NO_PROGRESS_MS) {
        throw new Error(`internal: the statistics thread measured nothing for ${NO_PROGRESS_MS / 1000} s`)
      }
    }
  }

  /** After the last completion: the statistics of every completion pushed. */
  async finish(): Promise<StatsResults> {
    const n = (this.pos - this.base) / 4
    if (n > 0) this.close1(n)
    this.drain(true)
    // The end mark: a buffer of length -1.
    this.waitFree(this.ringNext)
    this.publish(this.ringNext, -1)
    this.worker.ref()
    const r = await this.reply
    this.closed = true
    if (!r.ok) throw new Error(`internal: the statistics thread failed: ${r.message}`)
    return r.results
  }

  /** Stop the thread (after `finish`, it has ended already). */
  close(): void {
    if (this.closed) return
    this.closed = true
    void this.worker.terminate()
  }
}
