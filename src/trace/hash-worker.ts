/**
 * Worker-thread side of `hashFile` (hash.ts): streams one file through SHA-256 and posts the hex
 * digest (or the error message) to the parent.
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {parentPort, workerData} from 'node:worker_threads'

const {path} = workerData as {path: string}
const h = createHash('sha256')
try {
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) h.update(chunk as Buffer)
  parentPort!.postMessage({sha256: h.digest('hex')})
} catch (error) {
  const e = error as NodeJS.ErrnoException
  parentPort!.postMessage({error: e?.message ?? String(error), code: e?.code})
}
