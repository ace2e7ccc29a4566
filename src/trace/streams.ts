/**
 * Byte streams of text traces: gzip-compressed CSV/TSV (recognised by its magic bytes 1f 8b and
 * decompressed as it streams), and one-pass inputs (named pipes, character devices, sockets),
 * which are read once like stdin instead of being opened twice (a second open of a FIFO after its
 * writer finished waits for ever for a new writer).
 */
import {createReadStream, statSync} from 'node:fs'
import {createGunzip} from 'node:zlib'

import {TraceError} from '../errors.js'

/** True when the bytes start a gzip member. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b
}

/** True for a path that can be read only once (not a regular file): a FIFO, a device, a socket. */
export function isOnePass(path: string): boolean {
  if (path === '-') return true
  try {
    const st = statSync(path)
    return st.isFIFO() || st.isCharacterDevice() || st.isSocket()
  } catch {
    return false
  }
}

/** Whether the first bytes of a file are not text (a NUL or a control character other than tab, LF, FF, CR). */
export function looksBinary(head: Uint8Array): boolean {
  for (let i = 0; i < head.length; i++) {
    const b = head[i]
    if (b === 0 || (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12)) return true
  }
  return false
}

/**
 * Decompress a gzip stream as it is read. A corrupt or truncated stream is a TraceError naming
 * the file; the decompressed text must not look binary (only CSV/TSV may be compressed).
 */
export async function* gunzip(chunks: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Buffer> {
  const z = createGunzip({chunkSize: 1 << 20})
  const feed = (async () => {
    try {
      for await (const c of chunks) {
        if (!z.write(c)) await new Promise<void>((r) => z.once('drain', r))
      }
      z.end()
    } catch (error) {
      z.destroy(error as Error)
    }
  })()
  let first = true
  try {
    for await (const out of z as AsyncIterable<Buffer>) {
      if (first && out.length > 0) {
        first = false
        if (looksBinary(out.subarray(0, 4096))) {
          throw new TraceError('Expected gzip-compressed CSV or TSV text, got binary data inside the gzip stream', {file})
        }
      }
      yield out
    }
  } catch (error) {
    if (error instanceof TraceError) throw error
    const e = error as NodeJS.ErrnoException
    throw new TraceError(`Expected a valid gzip stream, got a corrupt or truncated one (${e.message})`, {file})
  } finally {
    z.destroy()
    await feed
  }
}

/** The bytes of a text trace file, decompressed when it is gzip. */
export async function* textChunks(path: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, {highWaterMark: 1 << 20})
  try {
    const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
    const first = await it.next()
    if (first.done) return
    const rest = async function* (): AsyncGenerator<Buffer> {
      yield first.value
      for (;;) {
        const r = await it.next()
        if (r.done) return
        yield r.value
      }
    }
    if (isGzip(first.value)) yield* gunzip(rest(), path)
    else yield* rest()
  } finally {
    stream.destroy()
  }
}
