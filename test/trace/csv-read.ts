/** Test helper: read CSV text through the CSV reader in memory, every batch flattened. */
import {Readable} from 'node:stream'

import {TypeIndexer} from '../../src/trace/columns.js'
import {type CsvParser, readCsv} from '../../src/trace/csv.js'
import type {TraceOptions} from '../../src/trace/types.js'

export interface Read {
  arrival: number[]
  conn: number[]
  service: number[]
  type: string[]
  error?: string
}

/**
 * Read CSV text (split into chunks of `chunk` bytes) with one parser, as the file `name`; batches
 * of 7 rows unless `opts.batchSize` says otherwise. A read that fails keeps the rows before the
 * error and its message.
 */
export async function readCsvText(text: string | Buffer, parser: CsvParser, chunk = 1 << 20, opts: Partial<TraceOptions> = {}, name = 'mem.csv'): Promise<Read> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text
  const chunks: Buffer[] = []
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk))
  const names: string[] = []
  const out: Read = {arrival: [], conn: [], service: [], type: []}
  try {
    for await (const b of readCsv(Readable.from(chunks), name, {ghz: 2.4, batchSize: 7, ...opts}, new TypeIndexer(names), parser)) {
      for (let i = 0; i < b.length; i++) {
        out.arrival.push(b.arrival[i])
        out.conn.push(b.conn[i])
        out.service.push(b.service[i])
        if (b.type) out.type.push(names[b.type[i]])
      }
    }
  } catch (error) {
    out.error = (error as Error).message
  }
  return out
}
