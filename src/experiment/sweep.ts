/**
 * A whole sweep, minus the CLI: plan the cells from the request, select the shard, skip cells
 * already finished (resume), run the rest on the pool, record each finished row as a part file,
 * and merge the parts into the output file when the shard completes.
 *
 * Outputs (`out`):
 * - a directory (`DIR/`, or an existing directory): one part per finished cell,
 *   `DIR/cell-NNNNN.parquet`; shards of one sweep may share the directory;
 * - a file (`.parquet`, `.arrow`, `.json`): parts are staged in `FILE.parts/` as cells finish;
 *   when every cell of the shard is done they are merged into FILE (atomically) and the staging
 *   directory is removed. An interrupted or incomplete run never writes FILE: its finished cells
 *   stay in `FILE.parts/` for `--resume`.
 */
import {existsSync, statSync} from 'node:fs'
import {sep} from 'node:path'

import {ConfigError, OutputError, ResultsError, TailsimError} from '../errors.js'
import {parsePolicySpec} from '../sim/policies/registry.js'
import {loadPolicyModules} from '../sim/plugin.js'
import {readResultsFile} from '../results/read.js'
import {PartStore} from '../results/parts.js'
import {withEfficiency} from '../results/row.js'
import type {ResultRow} from '../results/schema.js'
import {formatOfPath, writeResults, type ResultsMeta} from '../results/write.js'
import type {TraceOptions} from '../trace/types.js'
import {TOOL} from '../version.js'
import {planCells, shardCells, sweepId, type Cell, type PlannedTrace, type Shard, type SimBase, type SweepSpec} from './plan.js'
import {runCells, type CellFailure} from './pool.js'
import {DEFAULT_SEARCH, checkSearch, type SearchOptions} from './search.js'
import {DEFAULT_SLO, resolveSlo, sloNamesTypes, type SloSpec} from './slo.js'
import {SYNTHETIC_PREFIX, openInput, scanInput, traceInput, type SyntheticDefaults} from './trace-input.js'
import {scanTrace} from '../trace/scan.js'
import {DEFAULT_SYNTHETIC_REQUESTS} from '../trace/synthetic.js'
import {parseVary} from './vary.js'

export const REFERENCE_POLICY = 'mgn-fcfs'

/** Some cells failed (each reported with its parameters); the finished ones were kept. Exit 1. */
export class IncompleteSweepError extends TailsimError {
  override readonly exitCode: number = 1
  override readonly code = 'SWEEP_INCOMPLETE'
}

/** The sweep was stopped by a signal; finished cells were kept. Exit 130 (SIGINT) or 143 (SIGTERM). */
export class SweepInterruptedError extends TailsimError {
  override readonly code = 'INTERRUPTED'
  constructor(
    message: string,
    override readonly exitCode: number,
  ) {
    super(message)
  }
}

export interface SweepRequest {
  /** Trace names: file paths or `synthetic:SPEC`. */
  traces: string[]
  /** Policy specs; `mgn-fcfs` is added when missing (the efficiency reference). */
  policies: string[]
  loads: number[]
  replications?: number
  slo?: SloSpec
  search?: Partial<SearchOptions>
  /** Plan max-load search cells (default true). */
  maxLoad?: boolean
  sim: SimBase
  /** `--vary NAME=V1,V2,...` (parsed against the policies). */
  vary?: string
  traceOptions?: Partial<TraceOptions>
  synthetic?: Partial<SyntheticDefaults>
}

export interface PreparedSweep {
  spec: SweepSpec
  sweepId: string
  /** Every cell of the sweep (all shards). */
  cells: Cell[]
}

/** Canonical policy specs, de-duplicated, with the reference policy appended if absent. */
export function resolvePolicies(specs: readonly string[], flag = 'policies'): string[] {
  const out: string[] = []
  for (const s of specs) {
    if (s.trim() === '') continue
    const c = parsePolicySpec(s, flag).spec
    if (!out.includes(c)) out.push(c)
  }
  if (!out.includes(REFERENCE_POLICY)) out.push(REFERENCE_POLICY)
  return out
}

/** Scan the traces (one pass each), resolve the SLO per trace, plan the cells. */
export async function prepareSweep(req: SweepRequest): Promise<PreparedSweep> {
  if (req.traces.length === 0) throw new ConfigError('Expected at least one trace, got none')
  // Plug-in policies load (and fail) before any trace is read.
  const modules = await loadPolicyModules(req.policies, {flag: 'policies'})
  const replications = req.replications ?? 1
  if (!(Number.isInteger(replications) && replications >= 1)) {
    throw new ConfigError(`Expected \`replications\` to be an integer >= 1, got ${replications}`, {flag: 'replications'})
  }
  const slo = req.slo ?? DEFAULT_SLO
  const search = checkSearch({...DEFAULT_SEARCH, ...req.search})
  if (search.hi >= 1 && !req.sim.allowOverload) {
    throw new ConfigError(`Expected the search range to end below load 1, got ${search.hi}; pass --allow-overload to search beyond`, {flag: 'search-range'})
  }
  const traceOptions: TraceOptions = {...req.traceOptions, ghz: req.sim.ghz}
  const synthetic: SyntheticDefaults = {
    requests: req.synthetic?.requests ?? DEFAULT_SYNTHETIC_REQUESTS,
    connections: req.synthetic?.connections ?? 2720,
    seed: req.synthetic?.seed ?? req.sim.seed,
  }
  if (req.synthetic?.requests !== undefined && !req.traces.some((t) => t.startsWith(SYNTHETIC_PREFIX))) {
    throw new ConfigError(
      `Expected --requests only with a ${SYNTHETIC_PREFIX}SPEC trace (trace files are replayed whole), got --requests ${req.synthetic.requests} with ${req.traces.join(', ')}`,
      {flag: 'requests'},
    )
  }
  const traces: PlannedTrace[] = []
  for (const name of req.traces) {
    const input = traceInput(name, traceOptions, synthetic)
    const stats = await scanInput(input)
    // An SLO on a request type must name one of the trace's types: a full pass lists them.
    const types = sloNamesTypes(slo) ? Object.keys((await scanTrace(openInput(input), {ghz: req.sim.ghz})).typeCounts) : undefined
    traces.push({name, input, stats, slo: resolveSlo(slo, stats.serviceMean / (req.sim.ghz * 1000), types, name)})
  }
  const policies = resolvePolicies(req.policies)
  const spec: SweepSpec = {
    ...(modules.length > 0 ? {policyModules: Object.fromEntries(modules.map((m) => [m.path, m.sha256]))} : {}),
    traces,
    policies,
    ...(req.vary !== undefined ? {vary: parseVary(req.vary, policies)} : {}),
    loads: req.loads,
    replications,
    slo,
    search,
    maxLoad: req.maxLoad ?? true,
    sim: req.sim,
  }
  return {spec, sweepId: sweepId(spec), cells: planCells(spec)}
}

export interface SweepRunOptions {
  shard?: Shard
  /** Worker threads (0 = in this thread). */
  jobs: number
  /** Output directory (parts) or file; see the module comment. */
  out?: string
  resume?: boolean
  force?: boolean
  /** Stop at once: running cells are abandoned. */
  signal?: AbortSignal
  /** Stop gracefully: start no new cell, let the running ones finish (and keep them). */
  stop?: AbortSignal
  onStart?: (cell: Cell) => void
  /** Each finished row (before its part is written). */
  onRow?: (row: ResultRow) => void
  /** After each finished or failed cell: cells done (incl. resumed) of the shard's total. */
  onProgress?: (done: number, total: number) => void
  onFailure?: (f: CellFailure) => void
  workerMemoryMb?: number
  cacheRows?: number
}

export interface SweepOutcome {
  prepared: PreparedSweep
  /** The shard's cells. */
  cells: Cell[]
  /** Finished rows of the shard's cells (resumed ones included), in cell order. */
  rows: ResultRow[]
  /** Cells taken from earlier parts instead of being run. */
  resumed: number
  failures: CellFailure[]
  notRun: Cell[]
  /** Of `notRun`: cells that were running when the run was stopped at once. */
  abandoned: Cell[]
  interrupted: boolean
  /** Where finished cells are kept: the parts directory (undefined without --out). */
  partsDir?: string
  /** The merged output file, when one was written. */
  outFile?: string
  complete: boolean
}

function isDirTarget(out: string): boolean {
  if (out.endsWith('/') || out.endsWith(sep)) return true
  try {
    return statSync(out).isDirectory()
  } catch {
    return false
  }
}

export async function runSweep(prepared: PreparedSweep, opts: SweepRunOptions): Promise<SweepOutcome> {
  const {spec, sweepId: id} = prepared
  const cells = shardCells(prepared.cells, opts.shard)
  const meta: ResultsMeta = {
    toolVersion: TOOL.version,
    sweepId: id,
    traceSha256: [...new Set(spec.traces.map((t) => t.stats.sha256))],
    // What `report` needs to tell an incomplete sweep (a missing shard, an interrupted run).
    cellsPlanned: prepared.cells.length,
    shard: opts.shard ? `${opts.shard.index}/${opts.shard.count}` : '1/1',
  }
  const done = new Map<string, ResultRow>()
  let store: PartStore | undefined
  let outFile: string | undefined
  if (opts.out !== undefined) {
    let partsDir = opts.out
    if (!isDirTarget(opts.out)) {
      outFile = opts.out
      if (formatOfPath(outFile) === undefined) {
        throw new OutputError(`Expected --out to be a directory (DIR/) or a file ending in .parquet, .arrow or .json, got ${JSON.stringify(outFile)}`, {
          flag: 'out',
        })
      }
      partsDir = `${outFile}.parts`
      if (existsSync(outFile)) {
        if (opts.resume && !opts.force) {
          for (const row of await readResultsFile(outFile)) {
            if (row.sweep_id !== id) {
              throw new ResultsError(`${outFile}: Expected results of this sweep, got another sweep's; pass --force to overwrite it`, {file: outFile})
            }
            done.set(row.cell_id, row)
          }
        } else if (!opts.force) {
          throw new OutputError(`${outFile} exists; pass --force to overwrite it (or --resume to continue its sweep)`, {file: outFile, flag: 'out'})
        }
      }
    }
    store = await PartStore.open(partsDir, {
      sweepId: id,
      resume: opts.resume ?? false,
      force: opts.force ?? false,
      meta,
      mine: new Set(cells.map((c) => c.index)),
    })
    for (const [k, v] of store.existing) done.set(k, v)
  }
  const ids = new Set(cells.map((c) => c.id))
  const resumedRows = [...done.values()].filter((r) => ids.has(r.cell_id))
  const todo = cells.filter((c) => !done.has(c.id))
  let count = resumedRows.length
  opts.onProgress?.(count, cells.length)
  const result = await runCells(spec, id, todo, {
    jobs: opts.jobs,
    signal: opts.signal,
    stop: opts.stop,
    onStart: opts.onStart,
    workerMemoryMb: opts.workerMemoryMb,
    cacheRows: opts.cacheRows,
    onRow: async (row) => {
      opts.onRow?.(row)
      if (store) await store.write(row)
      opts.onProgress?.(++count, cells.length)
    },
    onFailure: (f) => {
      opts.onFailure?.(f)
      opts.onProgress?.(++count, cells.length)
    },
  })
  // `efficiency` needs the mgn-fcfs row of the same trace and SLO: filled once all rows are in.
  const rows = withEfficiency([...resumedRows, ...result.rows].sort((a, b) => a.cell_index - b.cell_index))
  const complete = !result.interrupted && result.failures.length === 0 && rows.length === cells.length
  let written: string | undefined
  if (complete && outFile !== undefined) {
    await writeResults(outFile, rows, meta)
    store?.remove()
    written = outFile
  } else if (store !== undefined) {
    // Parts kept in a directory: rewrite the max-load parts whose efficiency is now known.
    for (const r of rows) if (r.efficiency !== null) await store.write(r)
  }
  return {
    prepared,
    cells,
    rows,
    resumed: resumedRows.length,
    failures: result.failures,
    notRun: result.notRun,
    abandoned: result.abandoned,
    interrupted: result.interrupted,
    partsDir: store && written === undefined ? store.dir : undefined,
    outFile: written,
    complete,
  }
}
