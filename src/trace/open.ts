/**
 * `openTrace`: one TraceSource over a trace file or stdin, whatever its format.
 * The format comes from magic bytes first (`ARROW1` Arrow IPC file, 0xFFFFFFFF Arrow IPC stream,
 * `PAR1` Parquet), then the extension; anything else that looks like text is CSV.
 */
import {createHash} from 'node:crypto'
import {closeSync, createReadStream, openSync, readSync, statSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {extname} from 'node:path'

import {ConfigError, LimitError, TraceError, show} from '../errors.js'
import {DEFAULT_BATCH_SIZE, DEFAULT_MAX_SORT_ROWS, TypeIndexer, sortColumns} from './columns.js'
import {readCsv} from './csv.js'
import {isGzip, isOnePass, gunzip, looksBinary, textChunks} from './streams.js'
import type {TraceBatch, TraceFormat, TraceIngest, TraceOptions, TraceSource} from './types.js'
import {DEFAULT_GHZ, checkGhz} from './units.js'
import {quickStatsOf} from './fast-stats.js'
import {fileSha256, hashFile} from './hash.js'
import {isolationAvailable, quickStatsIsolated, readIsolated} from './isolated.js'
import {readColumns, sliceColumns} from './memory.js'
import {cachedStats, storeStats} from './stats-cache.js'

export {fileSha256}

/**
 * A CSV file up to this size (a gzip-compressed one up to an eighth of it, which inflates to about
 * as many rows) is read in the calling thread by default instead of a reader worker
 * (`TraceOptions.isolate` undefined). Starting the worker costs 0.2–0.35 s of CPU, more than
 * reading such a file (up to ~200 000 rows at 4–6 M rows per CPU-second); a small command (a
 * replay in a script, a test) then runs in one thread. Isolation is kept for larger files
 * (decoding overlaps the simulation) and for Arrow and Parquet files of any size: their
 * third-party decoders can hang or trap on a corrupt file (isolated.ts); the CSV reader is ours.
 * The rows are the same either way (test/cli/startup.test.ts).
 */
export const INLINE_MAX_BYTES = 4 << 20

const ARROW_EXT = new Set(['.arrow', '.arrows', '.feather', '.ipc'])
const PARQUET_EXT = new Set(['.parquet', '.pq'])

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
}

/** Format from the first bytes of a file (or stdin), else undefined. */
export function sniffFormat(head: Uint8Array): TraceFormat | 'arrow-stream' | undefined {
  const s = Buffer.from(head.buffer, head.byteOffset, head.byteLength)
  if (s.length >= 6 && s.toString('latin1', 0, 6) === 'ARROW1') return 'arrow'
  if (s.length >= 4 && s.readUInt32LE(0) === 0xffffffff) return 'arrow-stream'
  if (s.length >= 4 && s.toString('latin1', 0, 4) === 'PAR1') return 'parquet'
  return undefined
}

/** Format of a file: forced, by magic bytes, by extension, or CSV for text. Throws TraceError. */
export async function detectFormat(path: string, forced?: TraceFormat): Promise<TraceFormat> {
  const fh = await openFile(path)
  let head: Uint8Array
  try {
    const buf = Buffer.alloc(4096)
    const {bytesRead} = await fh.read(buf, 0, buf.length, 0)
    head = buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
  if (head.length === 0) throw new TraceError('Expected a trace, got an empty file (0 bytes)', {file: path})
  const magic = sniffFormat(head)
  const ext = extname(path).toLowerCase()
  const want = forced ?? (ARROW_EXT.has(ext) ? 'arrow' : PARQUET_EXT.has(ext) ? 'parquet' : undefined)
  const first = hex(head.subarray(0, 8))
  if (want === 'arrow' && magic !== 'arrow' && magic !== 'arrow-stream') {
    throw new TraceError(`Expected an Arrow IPC file (magic ARROW1) or stream (0xFFFFFFFF), got bytes ${first}`, {file: path})
  }
  if (want === 'parquet' && magic !== 'parquet') {
    throw new TraceError(`Expected a Parquet file (magic PAR1), got bytes ${first}`, {file: path})
  }
  if (want === 'csv' || (magic === undefined && want === undefined)) {
    if (!isGzip(head) && looksBinary(head)) {
      throw new TraceError(`Expected an Arrow IPC, Parquet or CSV trace, got binary data (first bytes ${first})`, {file: path})
    }
    return 'csv'
  }
  return magic === 'arrow-stream' ? 'arrow' : (magic as TraceFormat)
}

/** True when the file starts with the gzip magic bytes, or cannot be read (the worker then says why). */
function gzipped(path: string): boolean {
  const head = Buffer.alloc(2)
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return true
  }
  try {
    return readSync(fd, head, 0, 2, 0) === 2 && isGzip(head)
  } catch {
    return true
  } finally {
    closeSync(fd)
  }
}

async function openFile(path: string) {
  try {
    return await open(path, 'r')
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    throw new TraceError(`Expected a readable trace file, got ${e.code ?? 'an error'} (${e.message})`, {file: path})
  }
}

function checkOptions(opts: TraceOptions): Required<Pick<TraceOptions, 'ghz' | 'batchSize' | 'maxSortRows'>> & TraceOptions {
  const ghz = checkGhz(opts.ghz ?? DEFAULT_GHZ)
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1 << 24) {
    throw new ConfigError(`Expected \`batchSize\` to be an integer in [1, 16777216], got ${show(batchSize)}`)
  }
  const maxSortRows = opts.maxSortRows ?? DEFAULT_MAX_SORT_ROWS
  if (!Number.isInteger(maxSortRows) || maxSortRows < 1) {
    throw new ConfigError(`Expected \`max-sort-rows\` to be an integer >= 1, got ${show(maxSortRows)}`, {flag: 'max-sort-rows'})
  }
  checkIngestOptions(opts)
  return {...opts, ghz, batchSize, maxSortRows}
}


/** The connection and delimiter options, checked once. */
function checkIngestOptions(opts: TraceOptions): void {
  if (opts.connections !== undefined && opts.connPerRequest) {
    throw new ConfigError('Expected at most one of --connections and --conn-per-request, got both', {flag: 'connections'})
  }
  if (opts.connections !== undefined && !(Number.isInteger(opts.connections) && opts.connections >= 1 && opts.connections <= 2 ** 32)) {
    throw new ConfigError(`Expected \`connections\` to be an integer from 1 to 2^32, got ${show(opts.connections)}`, {flag: 'connections'})
  }
  if (opts.maxConnections !== undefined && !(Number.isInteger(opts.maxConnections) && opts.maxConnections >= 1)) {
    throw new ConfigError(`Expected \`max-connections\` to be an integer >= 1, got ${show(opts.maxConnections)}`, {flag: 'max-connections'})
  }
  const d = opts.delimiter
  if (d !== undefined && (d.length !== 1 || d === '"' || d === '\n' || d === '\r')) {
    throw new ConfigError(`Expected \`delimiter\` to be one character other than a quote or newline, got ${show(d)}`, {flag: 'delimiter'})
  }
}

/**
 * Open a trace file (Arrow IPC file or stream, Parquet, CSV) or `-` for stdin (Arrow IPC stream
 * or CSV). Nothing is read until `batches()` is iterated; every problem in the data surfaces
 * then, as a TraceError naming the file, row and column.
 */
export function openTrace(path: string, options: TraceOptions): TraceSource {
  // The Arrow and Parquet readers are imported on first use: apache-arrow takes ~0.23 s to load,
  // which a reader worker for a CSV trace then does not pay.
  const opts = checkOptions(options)
  // stdin, and any input that can be read only once (a named pipe, a device): one pass.
  const stdin = isOnePass(path)
  const name = path === '-' ? '-' : path
  let size = Infinity
  if (!stdin) {
    try {
      const st = statSync(path)
      if (st.isDirectory()) throw new TraceError('Expected a trace file, got a directory', {file: path})
      if (st.isFile()) size = st.size
    } catch (error) {
      if (error instanceof TraceError) throw error
      const e = error as NodeJS.ErrnoException
      throw new TraceError(`Expected a readable trace file, got ${e.code ?? 'an error'} (${e.message})`, {file: path})
    }
  }
  const typeNames: string[] = []
  const types = new TypeIndexer(typeNames)
  const ingest: TraceIngest = {}
  let stdinUsed = false
  let resolveHash!: (h: string) => void
  let rejectHash!: (e: Error) => void
  const onceHash = new Promise<string>((resolve, reject) => {
    resolveHash = resolve
    rejectHash = reject
  })
  onceHash.catch(() => {})
  let stdinHash: Promise<string> | undefined = path === '-' ? undefined : onceHash
  let sorted: ReturnType<typeof sortColumns> | undefined
  let rowsHint: number | undefined
  let fileHash: Promise<string> | undefined
  let inThreadDecision: Promise<boolean> | undefined

  /** True when this file is read in this thread, false when in a reader worker (see INLINE_MAX_BYTES). */
  function inThread(): Promise<boolean> {
    if (opts.isolate === false || !isolationAvailable()) return Promise.resolve(true)
    if (opts.isolate === true || size > INLINE_MAX_BYTES) return Promise.resolve(false)
    // A file whose format cannot be told goes to the worker, which reports the problem as before.
    inThreadDecision ??= detectFormat(path, opts.format).then(
      (format) => format === 'csv' && (size <= INLINE_MAX_BYTES / 8 || !gzipped(path)),
      () => false,
    )
    return inThreadDecision
  }

  async function* raw(): AsyncGenerator<TraceBatch> {
    if (stdin) {
      if (stdinUsed) {
        throw new ConfigError(
          path === '-'
            ? 'Expected stdin to be read once, got a second pass; save the trace to a file'
            : `Expected ${path} to be read once (it is a named pipe or device, not a regular file), got a second pass; save the trace to a file`,
        )
      }
      stdinUsed = true
      try {
        yield* readStdin()
      } catch (error) {
        rejectHash(error as Error)
        throw error
      }
      return
    }
    if (!(await inThread())) {
      yield* readIsolated(path, opts, typeNames, ingest)
      return
    }
    const format = await detectFormat(path, opts.format)
    if (format === 'parquet') {
      const {readParquet} = await import('./parquet.js')
      yield* readParquet(path, opts, types, ingest)
    } else if (format === 'arrow') {
      const fh = await openFile(path)
      try {
        const {readArrow} = await import('./arrow.js')
        yield* readArrow(fh, path, opts, types, ingest)
      } finally {
        await fh.close()
      }
    } else {
      yield* readCsv(textChunks(path), path, opts, types, undefined, ingest)
    }
  }

  async function* readStdin(): AsyncGenerator<TraceBatch> {
    const hash = createHash('sha256')
    stdinHash = onceHash
    const input = path === '-' ? (process.stdin as AsyncIterable<Buffer>) : createReadStream(path, {highWaterMark: 1 << 20})
    const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
    let first = await it.next()
    while (!first.done && first.value.length === 0) first = await it.next()
    if (first.done) throw new TraceError(path === '-' ? 'Expected a trace on stdin, got no bytes' : 'Expected a trace, got no bytes', {file: name})
    const head = first.value
    async function* all(): AsyncGenerator<Buffer> {
      hash.update(head)
      yield head
      for (;;) {
        const r = await it.next()
        if (r.done) break
        hash.update(r.value)
        yield r.value
      }
    }
    /** After a full pass: hash whatever the reader left unread (e.g. bytes after an Arrow end-of-stream). */
    async function finishHash(): Promise<void> {
      for (;;) {
        const r = await it.next()
        if (r.done) break
        hash.update(r.value)
      }
      resolveHash(hash.digest('hex'))
    }
    const magic = sniffFormat(head)
    const on = path === '-' ? 'stdin' : 'a named pipe or device'
    if (magic === 'parquet') {
      throw new TraceError(`Expected an Arrow IPC stream or CSV on ${on}, got Parquet (pass it as a regular file instead)`, {file: name})
    }
    if (opts.format === 'parquet') throw new ConfigError(`Expected a regular file for a Parquet trace, got ${path === '-' ? '- (stdin)' : `${name} (${on})`}`)
    if (magic !== undefined || opts.format === 'arrow') {
      const {readArrow} = await import('./arrow.js')
      yield* readArrow(all(), name, opts, types, ingest)
    } else if (isGzip(head)) {
      yield* readCsv(gunzip(all(), name), name, opts, types, undefined, ingest)
    } else {
      if (looksBinary(head.subarray(0, 4096))) {
        throw new TraceError(`Expected an Arrow IPC stream or CSV on ${on}, got binary data (first bytes ${hex(head.subarray(0, 8))})`, {file: name})
      }
      yield* readCsv(all(), name, opts, types, undefined, ingest)
    }
    await finishHash()
  }

  return {
    name,
    typeNames,
    ingest,
    get rowsHint() {
      return rowsHint
    },
    async digest() {
      if (stdin) {
        if (stdinHash === undefined) throw new ConfigError('Expected stdin to be read before its digest is asked for')
        // A named pipe's digest resolves when its one pass is over.
        return stdinHash
      }
      // Started once, in a thread of its own unless the file is small (hash.ts), and shared by
      // every caller of this source.
      if (fileHash === undefined) {
        fileHash = hashFile(path)
        fileHash.catch(() => {})
      }
      return fileHash
    },
    async quickStats() {
      if (stdin) return undefined
      const cached = await cachedStats(path, opts)
      if (cached !== undefined) return cached
      if (opts.sort) return undefined
      const quick = (await inThread()) ? await quickStatsOf(path, opts) : await quickStatsIsolated(path, opts)
      if (quick !== undefined) await storeStats(path, opts, quick)
      return quick
    },
    async rememberStats(stats) {
      if (!stdin) await storeStats(path, opts, stats)
    },
    async *batches(): AsyncGenerator<TraceBatch> {
      if (!opts.sort) {
        yield* raw()
        return
      }
      if (sorted === undefined) {
        const max = opts.maxSortRows
        const rows = await readColumns(
          {name, typeNames, batches: raw},
          {
            maxRows: max,
            tooMany: () =>
              new LimitError(
                `${name}: Expected at most ${max} rows to sort in memory (--max-sort-rows), got more; ` +
                  'raise --max-sort-rows or sort the file beforehand',
                {file: name, flag: 'max-sort-rows'},
              ),
          },
        )
        sorted = sortColumns(rows, Math.round(opts.ghz * 1e9))
        if (sorted.shiftSeconds !== 0 && ingest.clock) ingest.clock.baseSeconds -= sorted.shiftSeconds
        rowsHint = sorted.arrival.length
      }
      yield* sliceColumns(sorted, opts.batchSize)
    },
  } satisfies TraceSource
}

/** Row count from metadata when it is cheap (Parquet footer), else undefined. */
export async function traceRowsHint(path: string): Promise<number | undefined> {
  if (path === '-') return undefined
  try {
    if ((await detectFormat(path)) !== 'parquet') return undefined
    const {parquetRows} = await import('./parquet.js')
    return await parquetRows(path)
  } catch {
    return undefined
  }
}
