/**
 * Writing Arrow record batches to a byte sink with bounded buffering: the Arrow writer's byte
 * queue is drained into `write` concurrently with producing batches, and production waits while
 * more than `limitBytes` (estimated as rows × `bytesPerRow`) are queued but not yet written.
 * Used by the trace writer (`tailsim generate`) and the per-request records file.
 */
import {type RecordBatch, type RecordBatchWriter, type Schema, Table} from '../arrow-lib.js'

export async function pipeArrowBatches(
  writer: RecordBatchWriter,
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  write: (chunk: Uint8Array) => Promise<void>,
  /** `emptySchema`: written as an empty table when no batch came, so the output still has a schema. */
  opts: {bytesPerRow: number; limitBytes: number; emptySchema?: Schema},
): Promise<{rows: number; bytes: number}> {
  let produced = 0
  let written = 0
  let wake: (() => void) | undefined
  let failure: unknown
  const poke = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const drain = (async () => {
    for await (const chunk of writer) {
      await write(chunk)
      written += chunk.length
      poke()
    }
  })()
  drain.catch((error: unknown) => {
    failure = error
    poke()
  })
  let rows = 0
  let count = 0
  try {
    for await (const rb of batches) {
      writer.write(rb)
      count++
      rows += rb.numRows
      produced += rb.numRows * opts.bytesPerRow
      while (produced - written > opts.limitBytes && failure === undefined) await new Promise<void>((r) => (wake = r))
      if (failure !== undefined) throw failure
    }
    if (count === 0 && opts.emptySchema !== undefined) writer.write(new Table(opts.emptySchema))
    // With autoDestroy (the default), finish() writes the footer / end-of-stream and closes the queue.
    writer.finish()
  } catch (error) {
    writer.abort()
    await drain.catch(() => {})
    throw error
  }
  await drain
  return {rows, bytes: written}
}
