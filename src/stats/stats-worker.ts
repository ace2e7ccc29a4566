/**
 * The statistics thread's entry (stats-thread.ts describes the hand-over): measure each full
 * buffer of completions in order with the run's StatsCore, free it, and after the end mark send
 * back the results. Any failure, loading the statistics included, is flagged in shared memory,
 * where a simulation waiting for a free buffer sees it.
 */
import {parentPort, workerData} from 'node:worker_threads'
import {controlWords, type StatsWorkerData} from './stats-thread.js'
import type {StatsCore} from './stats-core.js'

const {opts, layout, buffer} = workerData as StatsWorkerData
const {chunk, chunks} = layout
const cw = controlWords(layout)
const control = new Int32Array(buffer, 0, cw.words)
const data = new Float64Array(buffer, cw.bytes)

async function run(): Promise<void> {
  const {StatsCore} = await import('./stats-core.js')
  const core = new StatsCore(opts)
  for (let i = 0; ; i = (i + 1) % chunks) {
    while (Atomics.load(control, i) === 0) Atomics.wait(control, i, 0)
    const length = control[chunks + i]
    if (length < 0) break
    measureChunk(core, 4 * i * chunk, length)
    Atomics.add(control, cw.measured, 1)
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
  Atomics.store(control, cw.error, 1)
  for (let i = 0; i < chunks; i++) Atomics.notify(control, i)
  parentPort!.postMessage({ok: false, message: e instanceof Error ? e.message : String(e)})
})
