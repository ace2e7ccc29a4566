/**
 * A statistics thread: the run's StatsCore (stats-core.ts) computed in a worker thread while the
 * simulation goes on, so that the simulation's hot loop pays four stores per completion instead
 * of the statistics (histogram counts, slowdown, batch-means slices, MSER series, per-type).
 *
 * Hand-over: CHUNKS buffers of CHUNK completions each, (arrival, end, service, type) as doubles,
 * in one SharedArrayBuffer. The simulation fills a buffer, marks it full (Atomics) and goes on with
 * the next one; the thread measures a full buffer and marks it free. The simulation waits only
 * when every buffer is full (the thread is behind). A buffer's length −1 tells the thread that no
 * completion follows: it sends back StatsCore.results() and ends. The statistics are those of
 * the same completions measured in order in one thread: StatsCore depends only on the tuples.
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
export const CHUNK = 16384
export const CHUNKS = 4
/** Control words: CHUNKS states (0 free, 1 full), CHUNKS lengths, the error flag, the buffers measured. */
export const ERROR_WORD = 2 * CHUNKS
export const MEASURED_WORD = ERROR_WORD + 1
export const CONTROL_WORDS = MEASURED_WORD + 1
const CONTROL_BYTES = 8 * Math.ceil(CONTROL_WORDS / 2)
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
  buffer: SharedArrayBuffer
}

type Reply = {ok: true; results: StatsResults} | {ok: false; message: string}

export class StatsLink {
  /** Completions in the buffers handed over so far. */
  private handed = 0
  private readonly control: Int32Array
  private readonly data: Float64Array
  private readonly worker: Worker
  private readonly reply: Promise<Reply>
  /** Current buffer and the next free position in `data`. */
  private chunk = 0
  private pos = 0
  private end = CHUNK * 4
  private closed = false

  constructor(opts: StatsOptions) {
    if (!statsThreadAvailable()) throw new Error(`internal: no statistics thread at ${fileURLToPath(WORKER_URL)} (run from the compiled library)`)
    const buffer = new SharedArrayBuffer(CONTROL_BYTES + CHUNKS * CHUNK * 4 * 8)
    this.control = new Int32Array(buffer, 0, CONTROL_WORDS)
    this.data = new Float64Array(buffer, CONTROL_BYTES)
    const data: StatsWorkerData = {opts, buffer}
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
    if (this.pos === this.end) this.handOver(CHUNK)
  }

  /** Completions pushed so far. */
  get pushed(): number {
    return this.handed + (this.pos - this.chunk * CHUNK * 4) / 4
  }

  /** Mark the current buffer full with `length` completions, and take the next free one. */
  private handOver(length: number): void {
    const c = this.control
    const i = this.chunk
    c[CHUNKS + i] = length
    this.handed += length
    Atomics.store(c, i, 1)
    Atomics.notify(c, i)
    const next = (i + 1) % CHUNKS
    let measured = Atomics.load(c, MEASURED_WORD)
    let since = Date.now()
    while (Atomics.load(c, next) !== 0) {
      if (Atomics.load(c, ERROR_WORD) !== 0) throw new Error('internal: the statistics thread failed')
      Atomics.wait(c, next, 1, 1000)
      const m = Atomics.load(c, MEASURED_WORD)
      if (m !== measured) {
        measured = m
        since = Date.now()
      } else if (Date.now() - since > NO_PROGRESS_MS) {
        throw new Error(`internal: the statistics thread measured nothing for ${NO_PROGRESS_MS / 1000} s`)
      }
    }
    this.chunk = next
    this.pos = next * CHUNK * 4
    this.end = this.pos + CHUNK * 4
  }

  /** After the last completion: the statistics of every completion pushed. */
  async finish(): Promise<StatsResults> {
    const n = (this.pos - this.chunk * CHUNK * 4) / 4
    if (n > 0) this.handOver(n)
    // The end mark: a buffer of length -1.
    const c = this.control
    c[CHUNKS + this.chunk] = -1
    Atomics.store(c, this.chunk, 1)
    Atomics.notify(c, this.chunk)
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
