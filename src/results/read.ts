/**
 * Reading and merging result files: Parquet (parquet-wasm), Arrow IPC file or stream, JSON (the
 * `{tailsim_results, rows}` document, a bare array of rows, or one row per line). Files of schema
 * version 4 on hold rows in their stored form (./file-columns.ts); versions 1–3 are read too.
 *
 * `readResults(paths)` takes files or directories (a directory contributes its `.parquet`,
 * `.arrow`, `.feather`, `.ipc`, `.arrows` and `.json` files, not recursively; temporary names of
 * interrupted writes are skipped) and returns the merged rows in cell order. It refuses:
 * - a file whose schema_version is newer than this tailsim reads (it would be misread);
 * - parts of different sweeps (different `sweep_id`), naming one file of each, unless they differ
 *   only in the values of one `--vary` parameter (same `sweep_base_id`);
 * - a file that is not a tailsim results file.
 * A cell present in several files (e.g. a merged file next to its parts) is kept once (the first
 * read, in sorted path order): cells are deterministic, so copies agree except for `wall_ms`.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {tableFromIPC, type Table} from '../arrow-lib.js'

import {ResultsError} from '../errors.js'
import {META, perTypeOf, tableToRows, upgradeLegacyRow} from './arrow.js'
import {fromRecord} from './file-columns.js'
import {COLUMNS, SCHEMA_VERSION, type ResultRow} from './schema.js'
import {formatOfPath, isTempName} from './write.js'

function checkVersion(v: unknown, file: string): number {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new ResultsError(`${file}: Expected a tailsim results file with a schema_version, got ${JSON.stringify(v ?? null)}`, {file, column: 'schema_version'})
  }
  if (n > SCHEMA_VERSION) {
    throw new ResultsError(
      `${file}: Expected schema_version <= ${SCHEMA_VERSION} (what this tailsim reads), got ${n}: it was written by a newer tailsim; upgrade tailsim to read it`,
      {file, column: 'schema_version'},
    )
  }
  return n
}

function fromTable(t: Table, file: string, fileMeta: Map<string, string>): ResultRow[] {
  const declared = fileMeta.get(META.schemaVersion) ?? t.schema.metadata.get(META.schemaVersion)
  let version = declared !== undefined ? checkVersion(declared, file) : undefined
  const col = t.getChild('schema_version')
  if (col === null && declared === undefined) checkVersion(undefined, file)
  if (col !== null) {
    for (let i = 0; i < t.numRows; i++) {
      const v = checkVersion(col.get(i), `${file} row ${i + 1}`)
      if (version === undefined) version = v
      else if (v !== version) {
        throw new ResultsError(`${file} row ${i + 1}: Expected every row of a file to have schema_version ${version}, got ${v}`, {file, row: i + 1, column: 'schema_version'})
      }
    }
  }
  return tableToRows(t, file, version ?? SCHEMA_VERSION)
}

type ParquetWasm = typeof import('parquet-wasm')
let wasm: Promise<ParquetWasm> | undefined
const parquetWasm = (): Promise<ParquetWasm> => (wasm ??= import('parquet-wasm'))

/** A file's rows and its tailsim metadata (the `tailsim.*` keys, as META names them). */
interface FileContents {
  rows: ResultRow[]
  meta: Map<string, string>
}

async function readParquetFile(file: string, bytes: Uint8Array): Promise<FileContents> {
  const pq = await parquetWasm()
  let table: Table
  const meta = new Map<string, string>()
  try {
    const pf = await pq.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]))
    try {
      const kv = pf.metadata().fileMetadata().keyValueMetadata() as Map<string, string>
      for (const [k, v] of kv) meta.set(String(k), String(v))
    } finally {
      pf.free()
    }
    table = tableFromIPC(pq.readParquet(bytes).intoIPCStream())
  } catch (error) {
    throw new ResultsError(`${file}: Expected a valid Parquet file, got an unreadable one (${(error as Error).message ?? String(error)})`, {file})
  }
  return {rows: fromTable(table, file, meta), meta}
}

function readArrowFile(file: string, bytes: Uint8Array): FileContents {
  let table: Table
  try {
    table = tableFromIPC(bytes)
  } catch (error) {
    throw new ResultsError(`${file}: Expected a valid Arrow IPC file, got an unreadable one (${(error as Error).message})`, {file})
  }
  return {rows: fromTable(table, file, new Map()), meta: new Map(table.schema.metadata)}
}

function readJsonFile(file: string, text: string): FileContents {
  let rows: unknown[]
  let declared: unknown
  const meta = new Map<string, string>()
  try {
    const trimmed = text.trim()
    if (trimmed.startsWith('[')) rows = JSON.parse(trimmed) as unknown[]
    else if (trimmed.startsWith('{') && !/^\{[^\n]*\}\s*\n\s*\{/.test(trimmed)) {
      const doc = JSON.parse(trimmed) as {tailsim_results?: {schema_version?: unknown; sweep_id?: unknown; cells_planned?: unknown; shard?: unknown}; rows?: unknown[]}
      if (!Array.isArray(doc.rows)) throw new Error('no `rows` array')
      declared = doc.tailsim_results?.schema_version
      const head = doc.tailsim_results
      if (typeof head?.sweep_id === 'string') meta.set(META.sweepId, head.sweep_id)
      if (typeof head?.cells_planned === 'number') meta.set(META.cellsPlanned, String(head.cells_planned))
      if (typeof head?.shard === 'string') meta.set(META.shard, head.shard)
      rows = doc.rows
    } else rows = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown)
  } catch (error) {
    throw new ResultsError(`${file}: Expected tailsim results as JSON, got invalid JSON (${(error as Error).message})`, {file})
  }
  if (declared !== undefined) checkVersion(declared, file)
  const out: ResultRow[] = []
  rows.forEach((raw, i) => {
    const where = `${file} row ${i + 1}`
    if (raw === null || typeof raw !== 'object') throw new ResultsError(`${where}: Expected an object, got ${JSON.stringify(raw)}`, {file, row: i + 1})
    const r = raw as Record<string, unknown>
    if (checkVersion(r.schema_version, where) >= 4) {
      out.push(fromRecord(r, file, i + 1))
      return
    }
    const row: Record<string, unknown> = {}
    for (const c of COLUMNS) {
      let v = r[c.name]
      if (v === undefined && c.since !== undefined) {
        row[c.name] = c.type === 'per_type' ? [] : c.type === 'utf8' && !c.nullable ? '' : null
        continue
      }
      if (c.type === 'per_type') {
        const list = Array.isArray(v) ? perTypeOf(v) : undefined
        if (list === undefined) {
          throw new ResultsError(`${where}: Expected column \`${c.name}\` to be a list of per-type objects, got ${JSON.stringify(v)}`, {file, row: i + 1, column: c.name})
        }
        row[c.name] = list
        continue
      }
      if (v === undefined || v === null) {
        if (!c.nullable) throw new ResultsError(`${where}: Expected column \`${c.name}\` to have a value, got none`, {file, row: i + 1, column: c.name})
        v = null
      } else if ((c.type === 'utf8') !== (typeof v === 'string') || (c.type !== 'utf8' && typeof v !== 'number')) {
        throw new ResultsError(`${where}: Expected column \`${c.name}\` to be a ${c.type === 'utf8' ? 'string' : 'number'}, got ${JSON.stringify(v)}`, {
          file,
          row: i + 1,
          column: c.name,
        })
      }
      row[c.name] = v
    }
    out.push(upgradeLegacyRow(row as unknown as ResultRow))
  })
  return {rows: out, meta}
}

/** Rows of one results file. */
export async function readResultsFile(file: string): Promise<ResultRow[]> {
  return (await readResultsFileContents(file)).rows
}

/** Rows and tailsim metadata of one results file. */
async function readResultsFileContents(file: string): Promise<FileContents> {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (error) {
    throw new ResultsError(`Cannot read results ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {file})
  }
  const format = formatOfPath(file) ?? sniff(bytes)
  if (format === 'parquet') return readParquetFile(file, bytes)
  if (format === 'arrow') return readArrowFile(file, bytes)
  if (format === 'json') return readJsonFile(file, new TextDecoder().decode(bytes))
  throw new ResultsError(`${file}: Expected a results file (.parquet, .arrow or .json), got an unknown format`, {file})
}

function sniff(bytes: Uint8Array): 'parquet' | 'arrow' | 'json' | undefined {
  const head = new TextDecoder().decode(bytes.subarray(0, 6))
  if (head.startsWith('PAR1')) return 'parquet'
  if (head.startsWith('ARROW1') || (bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff)) return 'arrow'
  if (/^\s*[[{]/.test(head)) return 'json'
  return undefined
}

/** The result files a path stands for: itself, or a directory's result files (sorted). */
export function resultFiles(path: string): string[] {
  let st
  try {
    st = statSync(path)
  } catch {
    throw new ResultsError(`Expected a results file or directory, got ${JSON.stringify(path)}, which does not exist`, {file: path})
  }
  if (!st.isDirectory()) return [path]
  return readdirSync(path)
    .filter((n) => !isTempName(n) && !n.startsWith('.') && formatOfPath(n) !== undefined)
    .sort()
    .map((n) => join(path, n))
}

/**
 * Read and merge result files and directories of parts. Rows come back sorted by
 * (cell_index, cell_id); see the module comment for what is refused.
 */
export async function readResults(paths: readonly string[]): Promise<ResultRow[]> {
  return (await readResultsPlanned(paths)).rows
}

/** What the files say their sweep planned: per sweep id, the planned cell count and the shards seen. */
export interface SweepPlan {
  sweepId: string
  /** Cells of the whole sweep (indexes 0 … cells − 1); undefined when no file recorded it (older files). */
  cells?: number
  /** Shards (`i/n`) whose files were read. */
  shards: string[]
  /** Cell indexes present among the rows of this sweep. */
  present: Set<number>
}

/** `readResults`, plus the plan of each sweep the rows belong to (for a completeness check). */
export async function readResultsPlanned(paths: readonly string[]): Promise<{rows: ResultRow[]; plans: SweepPlan[]}> {
  if (paths.length === 0) throw new ResultsError('Expected at least one results file or directory, got none')
  const files: string[] = []
  for (const p of paths) {
    const fs = resultFiles(p)
    if (fs.length === 0) throw new ResultsError(`${p}: Expected a directory holding results parts (.parquet, .arrow, .json), got none`, {file: p})
    files.push(...fs)
  }
  const seen = new Map<string, ResultRow>()
  const plans = new Map<string, SweepPlan>()
  const plan = (id: string) => {
    let p = plans.get(id)
    if (p === undefined) plans.set(id, (p = {sweepId: id, shards: [], present: new Set()}))
    return p
  }
  let sweep: {id: string; file: string} | undefined
  for (const file of files) {
    const {rows, meta} = await readResultsFileContents(file)
    const metaId = meta.get(META.sweepId)
    if (metaId !== undefined) {
      const p = plan(metaId)
      const n = Number(meta.get(META.cellsPlanned))
      if (Number.isInteger(n) && n > 0) p.cells = Math.max(p.cells ?? 0, n)
      const shard = meta.get(META.shard)
      if (shard !== undefined && !p.shards.includes(shard)) p.shards.push(shard)
    }
    for (const row of rows) {
      plan(row.sweep_id).present.add(row.cell_index)
      // Sweeps that differ only in the values of one --vary parameter share a base id and merge.
      const id = row.vary_name !== '' && row.sweep_base_id !== '' ? `vary:${row.sweep_base_id}` : row.sweep_id
      if (sweep === undefined) sweep = {id, file}
      else if (id !== sweep.id) {
        throw new ResultsError(
          `Expected parts of one sweep, got two: ${sweep.file} (sweep ${sweep.id.slice(0, 12)}) and ${file} (sweep ${id.slice(0, 12)}); ` +
            'they were run with different traces, policies, loads or simulation flags (sweeps that differ only in the values of one --vary parameter merge)',
          {file},
        )
      }
      if (!seen.has(row.cell_id)) seen.set(row.cell_id, row)
    }
  }
  const rows = [...seen.values()].sort((a, b) => a.cell_index - b.cell_index || (a.cell_id < b.cell_id ? -1 : a.cell_id > b.cell_id ? 1 : 0))
  return {rows, plans: [...plans.values()]}
}
