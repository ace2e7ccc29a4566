/**
 * The SHA-256 fingerprint of a trace file, computed off the critical path: in a worker thread of
 * its own, started when the fingerprint is first asked for and awaited when a result needs it, so
 * that hashing overlaps reading and simulating. The value is that of the file's bytes, whichever
 * thread computes it. From TypeScript sources (no compiled worker, e.g. under a test runner) the
 * file is hashed in this thread, streamed.
 */
import {createHash} from 'node:crypto'
import {createReadStream, existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {TraceError} from '../errors.js'

const WORKER_URL = new URL('./hash-worker.js', import.meta.url)

function workerAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL))
}

/** SHA-256 (hex) of a file's bytes, streamed in this thread. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** SHA-256 (hex) of a file's bytes, computed in a worker thread when one is available. */
export function hashFile(path: string): Promise<string> {
  if (!workerAvailable()) return fileSha256(path)
  return new Promise<string>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, {workerData: {path}, stdout: false, stderr: false})
    let settled = false
    worker.once('message', (m: {sha256?: string; error?: string; code?: string}) => {
      settled = true
      if (m.sha256 !== undefined) resolve(m.sha256)
      else reject(new TraceError(`Expected a readable trace file, got ${m.code ?? 'an error'} (${m.error})`, {file: path}))
    })
    worker.once('error', (error) => {
      if (!settled) reject(new TraceError(`Expected to fingerprint the trace, got ${error.message}`, {file: path}))
      settled = true
    })
    worker.once('exit', (code) => {
      if (!settled) reject(new TraceError(`Expected to fingerprint the trace, got a hashing thread that stopped (exit code ${code})`, {file: path}))
      settled = true
    })
  })
}
