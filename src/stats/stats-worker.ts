/**
 * The statistics thread's entry (stats-thread.ts describes the hand-over): measure each full
 * buffer of completions in order with the run's StatsCore, free it, and after the end mark send
 * back the results.
 */
import {parentPort, workerData} from 'node:worker_threads'
import {CHUNK, CHUNKS, ERROR_WORD, type StatsWorkerData} from './stats-thread.js'
import {StatsCore} from './stats-core.js'

const {opts, buffer} = workerData as StatsWorkerData
const control = new Int32Array(buffer, 0, ERROR_WORD + 1)
const data = new Float64Array(buffer, 8 * (ERROR_WORD + 2))

function run(): void {
  const core = new StatsCore(opts)
  for (let i = 0; ; i = (i + 1) % CHUNKS) {
    while (Atomics.load(control, i) === 0) Atomics.wait(control, i, 0)
    const length = control[CHUNKS + i]
    if (length < 0) break
    measureChunk(core, i * CHUNK * 4, length)
    Atomics.store(control, i, 0)
    Atomics.notify(control, i)
  }
  parentPort!.postMessage({ok: true, results: core.results()})
  core.destroy()
}

function measureChunk(core: StatsCore, from: number, length: number): void {
  const d = data
  const to = from + 4 * length
  for (let p = from; p < to; p += 4) core.measure(d[p], d[p + 1], d[p + 3], d[p + 2])
}

try {
  run()
} catch (e) {
  Atomics.store(control, ERROR_WORD, 1)
  for (let i = 0; i < CHUNKS; i++) Atomics.notify(control, i)
  parentPort!.postMessage({ok: false, message: e instanceof Error ? e.message : String(e)})
}
