/**
 * Worker-thread entry of the sweep pool (runs from dist/, compiled). It receives the sweep spec
 * once (workerData) and then cells one at a time; it answers each with its row or its error.
 * An error inside a cell is reported and the worker carries on; a crash (out of memory, a fatal
 * error) ends the thread and the pool reports the cell it was running.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {TailsimError} from '../errors.js'
import {runCell} from './cell.js'
import type {Cell, SweepSpec} from './plan.js'
import type {FromWorker, ToWorker} from './pool.js'
import {TraceCache} from './trace-input.js'

interface Init {
  spec: SweepSpec
  sweepId: string
  cacheRows: number
}

const init = workerData as Init
const cache = new TraceCache(init.cacheRows)
const port = parentPort!

async function run(cell: Cell): Promise<void> {
  let msg: FromWorker
  try {
    const row = await runCell(init.spec, init.sweepId, cell, {cache})
    msg = {type: 'row', index: cell.index, row}
  } catch (error) {
    const e = error as Error
    msg = {
      type: 'error',
      index: cell.index,
      error: {
        name: e?.name ?? 'Error',
        message: e?.message ?? String(error),
        code: error instanceof TailsimError ? error.code : 'INTERNAL_ERROR',
        stack: e?.stack,
      },
    }
  }
  port.postMessage(msg)
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'run') void run(m.cell)
  else if (m.type === 'stop') port.close()
})
