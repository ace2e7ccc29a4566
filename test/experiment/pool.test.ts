import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'

import {beforeAll, describe, expect, it} from 'vitest'

import {runCells} from '../../src/experiment/pool.js'
import {prepareSweep, runSweep, type PreparedSweep} from '../../src/experiment/sweep.js'
import type {ResultRow} from '../../src/results/schema.js'
import {resolveCosts} from '../../src/sim/machine/costs.js'
import {DEFAULT_CONFIG} from '../../src/sim/simulate.js'

const strip = (rows: ResultRow[]) => rows.map(({wall_ms: _w, ...r}) => r)
let prepared: PreparedSweep

beforeAll(async () => {
  // The pool runs the compiled worker: make sure dist/ is there (npm test builds first).
  if (!existsSync('dist/src/experiment/worker.js')) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], {stdio: 'ignore'})
  // Small cells (2000 requests, a coarse search): these tests are about the pool (which thread
  // runs a cell, failures, stops), not the numbers, which need only be equal between runs.
  prepared = await prepareSweep({
    traces: ['synthetic:exp:10us'],
    policies: ['n-mg1-fcfs'],
    loads: [0.3, 0.6],
    replications: 2,
    search: {lo: 0.2, hi: 0.9, tol: 0.1},
    sim: {...DEFAULT_CONFIG, cores: 4, costs: resolveCosts('zero')},
    synthetic: {requests: 2000},
  })
})

describe('sweep pool', () => {
  it('worker threads give exactly the rows of the in-process run', async () => {
    const inProcess = await runSweep(prepared, {jobs: 0})
    const pooled = await runSweep(prepared, {jobs: 2})
    expect(inProcess.complete && pooled.complete).toBe(true)
    expect(inProcess.rows).toHaveLength(prepared.cells.length)
    expect(strip(pooled.rows)).toEqual(strip(inProcess.rows))
    // replications of a synthetic trace are independent draws
    const reps = inProcess.rows.filter((r) => r.kind === 'latency' && r.load === 0.3 && r.policy === 'mgn-fcfs')
    expect(reps.map((r) => r.replication)).toEqual([0, 1])
    expect(reps[0].trace_sha256).not.toBe(reps[1].trace_sha256)
  })

  it('a dying worker fails only its cell; the others finish', async () => {
    const failures: string[] = []
    const out = await runCells(prepared.spec, prepared.sweepId, prepared.cells, {
      jobs: 2,
      workerUrl: new URL('./fixtures/crash-worker.mjs', import.meta.url),
      workerMemoryMb: 32,
      onFailure: (f) => failures.push(`${f.cell.index}:${f.code}`),
    })
    expect(failures.sort()).toEqual(['1:WORKER_DIED', '2:WORKER_DIED'])
    expect(out.failures.find((f) => f.cell.index === 1)!.message).toMatch(/exit code 7/)
    expect(out.failures.find((f) => f.cell.index === 2)!.message).toMatch(/memory/i)
    expect(out.rows.map((r) => r.cell_index).sort((a, b) => a - b)).toEqual(prepared.cells.map((c) => c.index).filter((i) => i !== 1 && i !== 2))
    expect(out.notRun).toEqual([])
  })

  it('an abort stops the pool and lists the cells not run', async () => {
    const ac = new AbortController()
    let started = 0
    const out = await runCells(prepared.spec, prepared.sweepId, prepared.cells, {
      jobs: 1,
      signal: ac.signal,
      onStart: () => {
        if (++started === 3) ac.abort()
      },
    })
    expect(out.interrupted).toBe(true)
    expect(out.rows.length).toBeLessThan(prepared.cells.length)
    expect(out.rows.length + out.notRun.length + out.failures.length).toBe(prepared.cells.length)
  })

  it('a graceful stop starts no new cell and delivers the running ones (in this thread and on workers)', async () => {
    for (const jobs of [0, 2]) {
      const stop = new AbortController()
      const started: number[] = []
      const out = await runCells(prepared.spec, prepared.sweepId, prepared.cells, {
        jobs,
        stop: stop.signal,
        onStart: (c) => {
          started.push(c.index)
          if (started.length === 2) stop.abort()
        },
      })
      expect(out.interrupted).toBe(true)
      // Every cell started was finished and delivered; none was abandoned; no cell started after the stop.
      expect(out.rows.map((r) => r.cell_index).sort((a, b) => a - b)).toEqual([...started].sort((a, b) => a - b))
      expect(out.abandoned).toEqual([])
      expect(started.length).toBeLessThanOrEqual(Math.max(2, jobs))
      expect(out.notRun.map((c) => c.index)).toEqual(prepared.cells.map((c) => c.index).filter((i) => !started.includes(i)))
    }
  })
})
