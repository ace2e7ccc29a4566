/**
 * The statistics thread's entry (stats-thread.ts describes the hand-over): measure each full
 * buffer of completions in order with the run's StatsCore, free it, and after the end mark send
 * back the results. Any failure, loading the statistics included, is flagged in shared memory,
 * where a simulation waiting for a free buffer sees it.
 */
import {parentPort, workerData} from 'node:worker_threads'
import {CHUNK, CHUNKS, CONTROL_WORDS, ERROR_WORD, MEASURED_WORD, type StatsWorkerData} from './stats-thread.js'
import type {StatsCore} from './stats-core.js'

const {opts, buffer} = workerData as StatsWorkerData
const control = new Int32Array(buffer, 0, CONTROL_WORDS)
const data = new Float64Array(buffer, 8 * Math.ceil(CONTROL_WORDS / 2))

async function run(): Promise<void> {
  const {StatsCore} = await import('./stats-core.js')
  const core = new StatsCore(opts)
  for (let i = 0; ; i = (i + 1) % CHUNKS) {
    while (Atomics.load(control, i) === 0) Atomics.wait(control, i, 0)
    const length = control[CHUNKS + i]
    if (length < 0) break
    measureChunk(core, i * CHUNK * 4, length)
    Atomics.add(control, MEASURED_WORD, 1)
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

run().catch((e: unknown) => {
  Atomics.store(control, ERROR_WORD, 1)
  for (let i = 0; i < CHUNKS; i++) Atomics.notify(control, i)
  parentPort!.postMessage({ok: false, message: e instanceof Error ? e.message : String(e)})
})
