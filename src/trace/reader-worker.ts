/**
 * Worker-thread side of `readIsolated` (isolated.ts): reads one trace file with the ordinary
 * in-thread readers and posts each batch (copied into fresh, transferred buffers) to the parent.
 * Flow control: the parent grants credits; one batch is sent per credit, so at most a few batches
 * are ever in flight. Errors are posted as plain data and re-thrown by the parent as the same
 * typed error.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {TailsimError} from '../errors.js'
import {openTrace} from './open.js'
import type {TraceOptions} from './types.js'

interface Job {
  path: string
  opts: TraceOptions
}

const port = parentPort!
const {path, opts} = workerData as Job
let credits = 0
let wake: (() => void) | undefined
port.on('message', (m: unknown) => {
  if (m === 'credit') {
    credits++
    wake?.()
  }
})

async function main(): Promise<void> {
  const source = openTrace(path, {...opts, isolate: false})
  let sentTypes = 0
  for await (const b of source.batches()) {
    while (credits === 0) await new Promise<void>((r) => (wake = r))
    credits--
    const n = b.length
    const arrival = b.arrival.slice(0, n)
    const conn = b.conn.slice(0, n)
    const service = b.service.slice(0, n)
    const type = b.type?.slice(0, n)
    const newTypes = source.typeNames.slice(sentTypes)
    sentTypes = source.typeNames.length
    const transfer: ArrayBuffer[] = [arrival.buffer, conn.buffer, service.buffer]
    if (type) transfer.push(type.buffer as ArrayBuffer)
    port.postMessage({kind: 'batch', length: n, arrival, conn, service, type, newTypes}, transfer)
  }
  port.postMessage({kind: 'end', newTypes: source.typeNames.slice(sentTypes)})
}

main().catch((error: unknown) => {
  const e = error as Error & {where?: unknown; code?: string}
  port.postMessage({
    kind: 'error',
    name: e?.constructor?.name ?? 'Error',
    typed: error instanceof TailsimError,
    message: String(e?.message ?? error),
    where: e?.where,
  })
})
