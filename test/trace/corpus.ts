/**
 * The bad-trace corpus, generated at test time into a temporary folder: each entry is a broken
 * trace and the specific message (a regular expression) reading it must fail with.
 */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {Table, makeVector, tableToIPC, vectorFromArray, Utf8, Float64} from 'apache-arrow'

import {syntheticTrace} from '../../src/trace/synthetic.js'
import {writeTrace} from '../../src/trace/writer.js'

export interface BadTrace {
  /** File name inside the corpus folder. */
  file: string
  /** What the reader must say (matched against the error message). */
  message: RegExp
  /** Expected exit code of the CLI (TraceError 65 unless stated). */
  exitCode?: number
  /** Extra CLI flags. */
  flags?: string[]
}

function arrowTable(cols: Record<string, unknown>, format: 'file' | 'stream' = 'file'): Uint8Array {
  return tableToIPC(new Table(cols as never), format)
}

const good = {
  arrival_ns: makeVector(Float64Array.from([0, 10, 20, 30])),
  conn: makeVector(Uint32Array.from([1, 2, 1, 3])),
  service_ns: makeVector(Float64Array.from([5000, 6000, 7000, 8000])),
}

/** Write the corpus into `dir` and return its entries. */
export async function writeCorpus(dir: string): Promise<BadTrace[]> {
  mkdirSync(dir, {recursive: true})
  const put = (file: string, data: string | Uint8Array) => writeFileSync(join(dir, file), data)
  const list: BadTrace[] = []
  const add = (file: string, data: string | Uint8Array, message: RegExp, extra: Partial<BadTrace> = {}) => {
    put(file, data)
    list.push({file, message, ...extra})
  }

  add('empty.csv', '', /empty file/)
  add('empty.arrow', '', /empty file/)
  add('header-only.csv', 'arrival_ns,conn,service_ns\n', /at least one data row after the header, got none/)
  add('blank-lines.csv', '\n\n\n', /header row.*got an empty file/)
  add('missing-column.csv', 'arrival_ns,conn\n0,1\n', /Expected a column named `service_ns` or `service_us`.*got columns "arrival_ns", "conn"/)
  add('wrong-type.csv', 'arrival_ns,conn,service_ns\n0,1,5000\n10,2,fast\n', /row 3, column `service_ns`: Expected a number, got "fast"/)
  add('nan.csv', 'arrival_ns,conn,service_ns\n0,1,5000\n10,2,NaN\n', /row 3, column `service_ns`: Expected a finite number > 0, got NaN/)
  add('negative-service.csv', 'arrival_ns,conn,service_ns\n0,1,5000\n10,2,-3\n', /row 3, column `service_ns`: Expected a finite number > 0, got -3/)
  add('zero-service.csv', 'arrival_ns,conn,service_ns\n0,1,5000\n10,2,0\n', /row 3, column `service_ns`: Expected a finite number > 0, got 0/)
  add('infinite-service.csv', 'arrival_ns,conn,service_ns\n0,1,Infinity\n', /row 2, column `service_ns`: Expected a finite number > 0, got Infinity/)
  add('negative-arrival.csv', 'arrival_ns,conn,service_ns\n-5,1,5000\n', /row 2, column `arrival_ns`: Expected a number >= 0, got -5/)
  add(
    'decreasing.csv',
    'arrival_ns,conn,service_ns\n0,1,5000\n100,2,5000\n50,3,5000\n',
    /row 4, column `arrival_ns`: Expected arrivals to be non-decreasing \(>= 100 from row 3\), got 50/,
  )
  add('empty-field.csv', 'arrival_ns,conn,service_ns\n0,,5000\n', /row 2, column `conn`: Expected a connection id, got an empty field/)
  add('field-count.csv', 'arrival_ns,conn,service_ns\n0,1,5000\n10,2\n', /row 3: Expected 3 fields \(as in the header\), got 2/)
  add('quoted-bad.csv', 'arrival_ns,conn,service_ns\n0,"a",5000\n10,"b",oops\n', /row 3, column `service_ns`: Expected a number, got "oops"/)
  add('unclosed-quote.csv', 'arrival_ns,conn,service_ns\n0,"a,5000\n', /Expected valid CSV, got Quote Not Closed/)
  const big = Buffer.alloc(3 << 20, 0x37) // 3 MiB of '7' and no newline
  add('long-line.csv', Buffer.concat([Buffer.from('arrival_ns,conn,service_ns\n0,1,'), big]), /row 2: Expected lines of at most 1048576 bytes/)
  add('long-header.csv', big, /row 1: Expected lines of at most 1048576 bytes/)

  const arrowFile = arrowTable(good)
  add('truncated.arrow', arrowFile.subarray(0, Math.floor(arrowFile.length / 2)), /Expected a valid Arrow IPC file or stream, got an unreadable or truncated file/)
  const arrowStream = arrowTable(good, 'stream')
  add('truncated.arrows', arrowStream.subarray(0, arrowStream.length - 40), /Expected a valid Arrow IPC file or stream, got an unreadable or truncated file/)
  const garbage = Buffer.from(Array.from({length: 4096}, (_, i) => (i * 7919 + 13) % 256))
  add('garbage.arrow', garbage, /Expected an Arrow IPC file \(magic ARROW1\) or stream \(0xFFFFFFFF\), got bytes/)
  add('garbage.parquet', garbage, /Expected a Parquet file \(magic PAR1\), got bytes/)
  add('garbage.bin', garbage, /Expected an Arrow IPC, Parquet or CSV trace, got binary data/)
  add('garbage-magic.arrow', Buffer.concat([Buffer.from('ARROW1\0\0'), garbage]), /Expected a valid Arrow IPC file or stream, got an unreadable or truncated file/)
  add('fake.parquet', Buffer.concat([Buffer.from('PAR1'), garbage, Buffer.from('PAR1')]), /Expected a valid Parquet file, got an unreadable or truncated file/)
  add(
    'wrong-type.arrow',
    arrowTable({...good, service_ns: vectorFromArray(['a', 'b', 'c', 'd'], new Utf8())}),
    /column `service_ns`: Expected a numeric column, got Utf8/,
  )
  add(
    'null.arrow',
    arrowTable({...good, service_ns: vectorFromArray([5000, null, 7000, 8000], new Float64())}),
    /row 2, column `service_ns`: Expected a value, got null/,
  )
  add(
    'missing-column.arrow',
    arrowTable({arrival_ns: good.arrival_ns, service_ns: good.service_ns}),
    /Expected a column named `conn`.*got columns "arrival_ns", "service_ns"/,
  )
  add(
    'decreasing.arrow',
    arrowTable({...good, arrival_ns: makeVector(Float64Array.from([0, 10, 5, 30]))}),
    /row 3, column `arrival_ns`: Expected arrivals to be non-decreasing \(>= 10 from row 2\), got 5/,
  )
  add(
    'float-conn.arrow',
    arrowTable({...good, conn: makeVector(Float64Array.from([1, 2.5, 1, 3]))}),
    /row 2, column `conn`: Expected an integer or string connection id, got 2.5/,
  )
  add(
    'no-rows.arrow',
    arrowTable({arrival_ns: makeVector(new Float64Array(0)), conn: makeVector(new Uint32Array(0)), service_ns: makeVector(new Float64Array(0))}),
    /Expected at least one row, got none/,
  )
  add('no-unit.csv', 'ts,conn,service_ns\n0,1,5000\n', /Expected a unit for column `ts`/, {flags: ['--arrival-column', 'ts'], exitCode: 64})
  add(
    'too-many-to-sort.csv',
    'arrival_ns,conn,service_ns\n' + Array.from({length: 20}, (_, i) => `${20 - i},1,5000`).join('\n') + '\n',
    /Expected at most 10 rows to sort in memory \(--max-sort-rows\)/,
    {flags: ['--sort', '--max-sort-rows', '10'], exitCode: 75},
  )
  // A Parquet file whose first page header is corrupt: parquet-wasm panics (a WebAssembly trap
  // inside its async reader), which must still surface as a TraceError, not a crash.
  const pq = join(dir, 'panic.parquet')
  await writeTrace(syntheticTrace({requests: 300, service: 'exp:10us', load: 0.7, cores: 4, connections: 40, seed: 3}), pq, {force: true})
  const bytes = readFileSync(pq)
  bytes[4] = 0xff
  add('panic.parquet', bytes, /Expected a valid Parquet file, got an unreadable or truncated file \(the decoder failed on corrupt data\)/)
  return list
}
