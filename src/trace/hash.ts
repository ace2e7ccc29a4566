/**
 * The SHA-256 fingerprint of a trace file, computed off the critical path: in a worker thread of
 * its own, started when the fingerprint is first asked for and awaited when a result needs it, so
 * that hashing overlaps reading and simulating. The value is that of the file's bytes, whichever
 * thread computes it. A small file (up to HASH_INLINE_MAX_BYTES) is hashed in this thread: that
 * takes a few milliseconds, where starting the thread costs 0.2–0.3 s of CPU. From TypeScript
 * sources (no compiled worker, e.g. under a test runner) every file is hashed in this thread,
 * streamed.
 */
import {createHash} from 'node:crypto'
import {createReadStream, existsSync, statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {TraceError} from '../errors.js'

const WORKER_URL = new URL('./hash-worker.js', import.meta.url)

/**
 * Files up to this size are hashed in the calling thread (read whole: at most this much memory).
 * SHA-256 runs at several hundred MB/s, so 4 MiB takes about 10 ms: less than a tenth of what a
 * hashing thread costs to start.
 */
export const HASH_INLINE_MAX_BYTES = 4 << 20

function workerAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL))
}

/** SHA-256 (hex) of a file's bytes, streamed in this thread. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** A read error, in this thread or reported by the hashing thread, as one TraceError. */
function unreadable(path: string, error: unknown): TraceError {
  const e = error as NodeJS.ErrnoException
  return new TraceError(`Expected a readable trace file, got ${e?.code ?? 'an error'} (${e?.message ?? String(error)})`, {file: path})
}

/** SHA-256 (hex) of a small file's bytes, in this thread; a read error as the hashing thread reports it. */
async function smallFileSha256(path: string): Promise<string> {
  try {
    return await fileSha256(path)
  } catch (error) {
    throw unreadable(path, error)
  }
}

/** Size of a regular file in bytes, or undefined (not a regular file, or not readable). */
function regularSize(path: string): number | undefined {
  try {
    const st = statSync(path)
    return st.isFile() ? st.size : undefined
  } catch {
    return undefined
  }
}

/**
 * SHA-256 (hex) of a file's bytes: in this thread for a regular file of at most `inlineMaxBytes`
 * (default HASH_INLINE_MAX_BYTES; -1 sends every file to the worker), else in a worker
 * thread when one is available.
 */
export function hashFile(path: string, inlineMaxBytes: number = HASH_INLINE_MAX_BYTES): Promise<string> {
  if (!workerAvailable()) return fileSha256(path)
  const size = regularSize(path)
  if (size !== undefined && size <= inlineMaxBytes) return smallFileSha256(path)
  return new Promise<string>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, {workerData: {path}, stdout: false, stderr: false})
    let settled = false
    worker.once('message', (m: {sha256?: string; error?: string; code?: string}) => {
      settled = true
      if (m.sha256 !== undefined) resolve(m.sha256)
      else reject(unreadable(path, {code: m.code, message: m.error}))
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
