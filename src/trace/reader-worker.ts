/**
 * Worker-thread side of `readIsolated` and `generateIsolated` (isolated.ts): reads one trace file
 * with the ordinary in-thread readers, or generates a synthetic trace, and posts each batch
 * (copied into transferred buffers) to the parent.
 * Flow control: the parent grants credits; one batch is sent per credit, so at most a few batches
 * are ever in flight. Errors are posted as plain data and re-thrown by the parent as the same
 * typed error.
 *
 * Reuse: after `end`, the worker waits; a `restart` message starts another pass over the same
 * source (the parent keeps its last idle worker, see isolated.ts), so a second read (the
 * simulation after the scan) skips the worker's start-up and runs already-optimised code.
 *
 * Buffer recycling: a credit may carry the arrays of a batch the parent has finished with
 * (TraceSource batches are only valid until the next one is pulled); they are reused for the
 * next batches instead of allocating fresh ones. Allocating (and page-faulting, and later
 * collecting) 1–2 MB of new memory per batch cost about as much CPU as decoding the file.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {TailsimError} from '../errors.js'
import {currentThreadId} from './stall.js'
import type {WorkerData} from './isolated.js'
import type {TraceSource} from './types.js'

const port = parentPort!
const job = workerData as WorkerData
Atomics.store(job.tid, 0, currentThreadId())
/** Arrays of one batch, as sent and as returned with a credit. */
interface Buffers {
  arrival: Float64Array
  conn: Uint32Array
  service: Float64Array
  type?: Uint16Array
}

let credits = 0
let wake: (() => void) | undefined
/** Set below: starts another pass (the parent reuses an idle worker for a second read). */
let restart: () => void = () => {}
const pool: Buffers[] = []
port.on('message', (m: unknown) => {
  const kind = (m as {kind?: string})?.kind
  if (kind === 'credit') {
    const back = (m as {buffers?: Buffers}).buffers
    if (back !== undefined) pool.push(back)
    credits++
    wake?.()
  } else if (kind === 'restart') {
    // Ordered after the previous pass's last credits, which it discards.
    restart()
  } else if (kind === 'stats') {
    stats()
  }
})

/** Quick statistics of the file (null when only a full pass can tell), posted to the parent. */
function stats(): void {
  if (!('path' in job)) {
    port.postMessage({kind: 'stats', value: null})
    return
  }
  import('./fast-stats.js').then(({quickStatsOf}) => quickStatsOf(job.path, job.opts)).then(
    (value) => port.postMessage({kind: 'stats', value: value ?? null}),
    () => port.postMessage({kind: 'stats', value: null}),
  )
}

/** A set of arrays with room for n rows (and types when `typed`), from the pool when possible. */
function take(n: number, typed: boolean): Buffers {
  while (pool.length > 0) {
    const b = pool.pop()!
    if (b.arrival.length >= n && (!typed || (b.type !== undefined && b.type.length >= n))) return b
  }
  return {
    arrival: new Float64Array(n),
    conn: new Uint32Array(n),
    service: new Float64Array(n),
    ...(typed ? {type: new Uint16Array(n)} : {}),
  }
}

/**
 * The same source serves every pass: a re-read after `restart` keeps its warm code and type ids.
 * A synthetic job generates its trace here (its module is loaded only then, and the file readers
 * only for a file or a `replay:FILE` arrival trace).
 */
const source: TraceSource =
  'synthetic' in job
    ? (await import('./synthetic.js')).syntheticTrace({...job.synthetic, isolate: false})
    : (await import('./open.js')).openTrace(job.path, {...job.opts, isolate: false})
let sentTypes = 0

/** One pass over the file: a batch per credit, then `end`. */
async function pass(): Promise<void> {
  for await (const b of source.batches()) {
    while (credits === 0) await new Promise<void>((r) => (wake = r))
    credits--
    const n = b.length
    const out = take(n, b.type !== undefined)
    out.arrival.set(b.arrival.subarray(0, n))
    out.conn.set(b.conn.subarray(0, n))
    out.service.set(b.service.subarray(0, n))
    if (b.type !== undefined) out.type!.set(b.type.subarray(0, n))
    const {arrival, conn, service} = out
    const type = b.type !== undefined ? out.type : undefined
    const typesFrom = sentTypes
    const newTypes = source.typeNames.slice(sentTypes)
    sentTypes = source.typeNames.length
    const transfer = [arrival.buffer, conn.buffer, service.buffer] as ArrayBuffer[]
    if (type) transfer.push(type.buffer as ArrayBuffer)
    port.postMessage({kind: 'batch', length: n, arrival, conn, service, type, typesFrom, newTypes}, transfer)
  }
  const typesFrom = sentTypes
  sentTypes = source.typeNames.length
  port.postMessage({kind: 'end', typesFrom, newTypes: source.typeNames.slice(typesFrom), ingest: source.ingest})
}

function run(): void {
  pass().catch((error: unknown) => {
    const e = error as Error & {where?: unknown; code?: string}
    port.postMessage({
      kind: 'error',
      name: e?.constructor?.name ?? 'Error',
      typed: error instanceof TailsimError,
      message: String(e?.message ?? error),
      where: e?.where,
    })
  })
}

restart = () => {
  credits = 0
  // The parent may read into a new TraceSource (a new type-name list): send every name again;
  // the parent stores them by index, so a repeat is harmless.
  sentTypes = 0
  run()
}
if (job.mode === 'stats') stats()
else run()
