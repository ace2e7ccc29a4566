/**
 * Per-request records (`replay --records out.parquet|out.arrow`): one row per simulated request,
 * written through the simulator's synchronous `RecordSink` interface with bounded memory.
 *
 * Columns (one row per request, including warm-up requests; see metadata `tailsim.warmup_until_ns`):
 *   seq        uint32   index of the request in the trace (0-based)
 *   arrival_ns float64  arrival at the NIC (after --load/--rate rescaling)
 *   conn       uint32   dense connection index
 *   queue      int32    NIC / run queue the request entered
 *   core       int32    core that ran it (-1: no single core, e.g. mgn-ps shares all cores)
 *   start_ns   float64  start of its service (= arrival for processor sharing)
 *   end_ns     float64  the reply leaves the NIC
 *   latency_ns float64  end − arrival + network_rtt
 * Times are nanoseconds from the trace's time origin, rounded to `nsDecimals(ghz)` decimals (one
 * decimal at 2.4 GHz), which converts back to the exact simulated cycle counts. Rows are in
 * completion order, except for policies that settle each request at its arrival (the FCFS
 * recursions: arrival order); sort by `seq` for trace order.
 *
 * How: `write` (called synchronously from inside the simulation loop) appends the raw columns to a
 * spool file next to the destination with blocking writes — no unbounded buffering, no async work
 * in the hot loop. `finish` then streams the spool into the final format under a temporary name
 * and renames it into place; `abort` (or any failure) removes both, so a failed or interrupted run
 * never leaves a partial file under the destination name. An existing destination is refused
 * unless `force`.
 */
import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, openSync, rmSync, statSync, writeSync} from 'node:fs'
import {open, rename, rm} from 'node:fs/promises'
import {basename, dirname, extname, join} from 'node:path'


import {ConfigError, OutputError, show} from '../errors.js'
import type {RecordSink, RequestRecordBatch} from '../stats/recorder.js'

export type RecordFormat = 'parquet' | 'arrow'

/** Bytes per spooled row: seq f64, arrival f64, conn u32, queue i32, core i32, start/end/latency f64. */
export const ROW_BYTES = 8 + 8 + 4 + 4 + 4 + 8 + 8 + 8
/** Column bytes per row in the Arrow output (a lower bound of what the writer emits for it). */
export const ARROW_ROW_BYTES = 4 + 8 + 4 + 4 + 4 + 8 + 8 + 8
/** Rows per batch in the final file. */
export const OUT_BATCH = 65536

export function recordFormat(path: string): RecordFormat {
  const ext = extname(path).toLowerCase()
  if (ext === '.parquet' || ext === '.pq') return 'parquet'
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return 'arrow'
  throw new ConfigError(`Expected the records file to end in .parquet or .arrow, got ${show(path)}`, {flag: 'records'})
}

export interface RecordsFileOptions {
  /** Clock of the simulated cycles, GHz (for the ns conversion). */
  ghz: number
  /** Replace an existing destination (default false: OutputError). */
  force?: boolean
}

export interface RecordsWritten {
  path: string
  format: RecordFormat
  rows: number
  bytes: number
}

function bytesOf(a: Float64Array | Uint32Array | Int32Array, n: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT)
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
}



/** A RecordSink that ends up as a Parquet or Arrow IPC file. */
export class RecordsFile implements RecordSink {
  readonly format: RecordFormat
  rows = 0
  private fd: number
  private readonly spool: string
  private readonly tmp: string
  private closed = false

  private constructor(
    readonly path: string,
    private readonly opts: RecordsFileOptions,
  ) {
    this.format = recordFormat(path)
    const dir = dirname(path)
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new OutputError(`Expected the folder of the records file to exist, got ${show(dir)}`, {file: path, flag: 'records'})
    }
    if (existsSync(path) && !opts.force) {
      throw new OutputError(`Expected the records file not to exist, got an existing file ${show(path)} (pass --force to overwrite)`, {
        file: path,
        flag: 'records',
      })
    }
    const tag = `${process.pid}.${randomBytes(4).toString('hex')}`
    this.spool = join(dir, `.${basename(path)}.${tag}.spool`)
    this.tmp = join(dir, `.${basename(path)}.${tag}.tmp`)
    try {
      this.fd = openSync(this.spool, 'wx')
    } catch (error) {
      throw new OutputError(`Expected to create ${show(this.spool)} for the records, got ${(error as Error).message}`, {file: path, flag: 'records'})
    }
  }

  /** Check the destination (no clobbering without `force`) and start spooling. */
  static open(path: string, opts: RecordsFileOptions): RecordsFile {
    return new RecordsFile(path, opts)
  }

  write(b: RequestRecordBatch): void {
    const n = b.length
    if (n === 0) return
    if (this.closed) throw new Error('internal: records written after finish/abort')
    if (b.seq[n - 1] > 0xffffffff) throw new OutputError('Expected at most 2^32 requests in a records file', {flag: 'records'})
    const header = new Uint32Array([n])
    const fd = this.fd
    try {
      writeAll(fd, bytesOf(header, 1))
      writeAll(fd, bytesOf(b.seq, n))
      writeAll(fd, bytesOf(b.arrival, n))
      writeAll(fd, bytesOf(b.conn, n))
      writeAll(fd, bytesOf(b.queue, n))
      writeAll(fd, bytesOf(b.core, n))
      writeAll(fd, bytesOf(b.start, n))
      writeAll(fd, bytesOf(b.end, n))
      writeAll(fd, bytesOf(b.latency, n))
    } catch (error) {
      // A full disk (ENOSPC), a quota (EDQUOT), an I/O error: the records cannot be written.
      const e = error as NodeJS.ErrnoException
      throw new OutputError(`Expected to write the records next to ${show(this.path)}, got ${e.code ?? 'an error'} (${e.message})`, {
        file: this.path,
        flag: 'records',
      })
    }
    this.rows += n
  }

  /**
   * Convert the spool into the destination format and rename it into place.
   * `metadata` is stored as Arrow schema metadata / Parquet key-value metadata.
   */
  async finish(metadata: Record<string, string> = {}): Promise<RecordsWritten> {
    if (this.closed) throw new Error('internal: records finished twice')
    this.closed = true
    closeSync(this.fd)
    const meta = new Map(
      Object.entries({
        'tailsim.records': 'v1',
        'tailsim.time_unit': 'ns',
        'tailsim.row_order': 'completion',
        'tailsim.ghz': String(this.opts.ghz),
        ...metadata,
      }),
    )
    try {
      if (!this.opts.force && existsSync(this.path)) {
        throw new OutputError(`Expected the records file not to exist, got an existing file ${show(this.path)} (pass --force to overwrite)`, {
          file: this.path,
          flag: 'records',
        })
      }
      const fh = await open(this.tmp, 'wx')
      let bytes = 0
      try {
        const {encodeRecords} = await import('./records-encode.js')
        bytes = await encodeRecords(this.format, fh, this.spool, this.opts.ghz, meta)
        await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(this.tmp, this.path)
      return {path: this.path, format: this.format, rows: this.rows, bytes}
    } catch (error) {
      await rm(this.tmp, {force: true})
      throw error instanceof OutputError || error instanceof ConfigError
        ? error
        : new OutputError(`Expected to write the records file ${show(this.path)}, got ${(error as Error).message}`, {file: this.path, flag: 'records'})
    } finally {
      rmSync(this.spool, {force: true})
    }
  }

  /** Discard everything written so far (no file appears under the destination name). */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      closeSync(this.fd)
    }
    rmSync(this.spool, {force: true})
    await rm(this.tmp, {force: true})
  }

  /** Synchronous `abort` for exit paths (a signal handler): removes the spool and temp file. */
  discardSync(): void {
    if (!this.closed) {
      this.closed = true
      closeSync(this.fd)
    }
    rmSync(this.spool, {force: true})
    rmSync(this.tmp, {force: true})
  }
}
