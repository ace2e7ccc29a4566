/**
 * A directory of per-cell result parts: `cell-00042.parquet` holds the row of cell 42 of a sweep,
 * written atomically when the cell finishes. This is what makes an interrupted sweep lose nothing:
 * a killed `compare --out DIR/` leaves only complete parts (temporary names aside), and
 * `--resume` reads them back and skips their cells.
 *
 * Opening a directory that already holds parts: without `resume` or `force` it is refused (so a
 * new sweep never silently mixes with an old one); with `force` the old parts are deleted; with
 * `resume` they are read, and a part of another sweep (different `sweep_id`) is refused by name.
 */
import {mkdirSync, readdirSync, rmdirSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {OutputError, ResultsError} from '../errors.js'
import {readResultsFile} from './read.js'
import type {ResultRow} from './schema.js'
import {isTempName, writeResults, type ResultsMeta} from './write.js'

const PART = /^cell-(\d+)\.parquet$/

export function partName(cellIndex: number): string {
  return `cell-${String(cellIndex).padStart(5, '0')}.parquet`
}

export interface PartStoreOptions {
  sweepId: string
  resume: boolean
  force: boolean
  meta: ResultsMeta
  /**
   * Cell indexes this run owns (its shard). Parts of other cells are left alone — shards of one
   * sweep may share a directory — and are neither read, refused nor deleted. Default: all.
   */
  mine?: ReadonlySet<number>
}

export class PartStore {
  /** Rows already in the directory (resume), by cell_id. */
  readonly existing = new Map<string, ResultRow>()

  private constructor(
    readonly dir: string,
    private readonly meta: ResultsMeta,
  ) {}

  static async open(dir: string, opts: PartStoreOptions): Promise<PartStore> {
    try {
      mkdirSync(dir, {recursive: true})
      if (!statSync(dir).isDirectory()) throw new Error('not a directory')
    } catch (error) {
      throw new OutputError(`Cannot use ${dir} as a results directory: ${(error as Error).message}`, {file: dir})
    }
    const store = new PartStore(dir, opts.meta)
    const names = readdirSync(dir)
    for (const n of names) if (isTempName(n)) rmSync(join(dir, n), {force: true}) // debris of a killed write
    const owned = (n: string) => opts.mine === undefined || opts.mine.has(Number(PART.exec(n)![1]))
    const parts = names.filter((n) => PART.test(n) && owned(n)).sort()
    if (parts.length === 0) return store
    if (opts.force) {
      for (const n of parts) rmSync(join(dir, n), {force: true})
      return store
    }
    if (!opts.resume) {
      throw new OutputError(
        `${dir} already holds ${parts.length} result part(s); pass --resume to continue that sweep or --force to start over`,
        {file: dir, flag: 'out'},
      )
    }
    for (const n of parts) {
      const file = join(dir, n)
      for (const row of await readResultsFile(file)) {
        if (row.sweep_id !== opts.sweepId) {
          throw new ResultsError(
            `${file}: Expected a part of this sweep (${opts.sweepId.slice(0, 12)}), got one of sweep ${row.sweep_id.slice(0, 12)}: ` +
              'the traces, policies, loads or simulation flags differ. Run with the same flags, or pass --force to start over',
            {file},
          )
        }
        store.existing.set(row.cell_id, row)
      }
    }
    return store
  }

  /** Write one finished cell's row (atomically). */
  async write(row: ResultRow): Promise<void> {
    await writeResults(join(this.dir, partName(row.cell_index)), [row], this.meta)
  }

  /** Names of the part files now in the directory. */
  parts(): string[] {
    return readdirSync(this.dir)
      .filter((n) => PART.test(n))
      .sort()
  }

  /** Delete the directory (after its rows were merged into one file). */
  remove(): void {
    for (const n of this.parts()) rmSync(join(this.dir, n), {force: true})
    try {
      rmdirSync(this.dir)
    } catch {
      // not empty (someone else's files): leave it
    }
  }
}
