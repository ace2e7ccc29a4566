/**
 * Sweeps with replications and a parameter axis, in-process (jobs 0): one max-load search per
 * replication with a t-interval in the table, `--vary` values in the rows and the tables, the
 * merge rule of `readResults` for sweeps that differ only in the varied values, and the
 * explanation of an infeasible SLO.
 */
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {prepareSweep, runSweep} from '../../src/experiment/sweep.js'
import {parseVary} from '../../src/experiment/vary.js'
import {parseSlo} from '../../src/experiment/slo.js'
import {buildTables, renderTables} from '../../src/report/tables.js'
import {readResults} from '../../src/results/read.js'
import {resolveCosts} from '../../src/sim/machine/costs.js'
import {DEFAULT_CONFIG} from '../../src/sim/simulate.js'
import {meanCi} from '../../src/stats/intervals.js'

const sim = {...DEFAULT_CONFIG, cores: 4, costs: resolveCosts('paper'), costPreset: 'paper'}
const base = {traces: ['synthetic:exp:10us'], loads: [0.5], sim, synthetic: {requests: 8000, connections: 64}, search: {tol: 0.02}}

describe('sweeps: replications, --vary, infeasible SLOs', () => {
  it('--replications 3: one search per replication, the table shows their mean with its t-interval clamped to the range, and each value', async () => {
    const prepared = await prepareSweep({...base, policies: ['n-mg1-fcfs'], replications: 3})
    const out = await runSweep(prepared, {jobs: 0})
    const ml = out.rows.filter((r) => r.kind === 'max_load' && r.policy === 'n-mg1-fcfs')
    expect(ml.map((r) => r.replication)).toEqual([0, 1, 2])
    const t = buildTables(out.rows).traces[0].max_load
    const row = t.rows.find((r) => r[0] === 'n-mg1-fcfs')!
    const values = ml.map((r) => r.max_load!)
    const {mean, half} = meanCi(values)
    expect(row[t.columns.indexOf('max load')]).toBeCloseTo(mean, 12)
    // Clamped to [0, the search's upper bound]: a max load lies there.
    const top = Math.max(...ml.map((r) => r.search_hi!))
    const b = t.intervals![t.rows.indexOf(row)][t.columns.indexOf('max load')]!
    expect(b.low).toBeCloseTo(Math.max(0, mean - half), 12)
    expect(b.high).toBeCloseTo(Math.min(top, mean + half), 12)
    expect(row[t.columns.indexOf('max load per replication')]).toBe(values.map((v) => v.toFixed(3)).join(' '))
    expect(t.title).toMatch(/mean \[95% t-interval over 3 replications, clamped to \[0, the search's upper bound\]\]/)
    // The latency table: the replications' mean with its t-interval.
    const lat = buildTables(out.rows).traces[0].latency
    const col = lat.columns.indexOf('n-mg1-fcfs')
    const p99s = out.rows.filter((r) => r.kind === 'latency' && r.policy === 'n-mg1-fcfs').map((r) => r.p99_us!)
    expect(p99s).toHaveLength(3)
    expect(lat.rows[0][col]).toBeCloseTo(meanCi(p99s).mean, 9)
    // Clamped to the runs' [min, max] latency.
    const latRows = out.rows.filter((r) => r.kind === 'latency' && r.policy === 'n-mg1-fcfs')
    const lb = lat.intervals![0][col]!
    expect(lb.low).toBeCloseTo(Math.max(Math.min(...latRows.map((r) => r.min_us!)), meanCi(p99s).mean - meanCi(p99s).half), 9)
    expect(lb.high).toBeCloseTo(Math.min(Math.max(...latRows.map((r) => r.max_us!)), meanCi(p99s).mean + meanCi(p99s).half), 9)
    expect(renderTables(out.rows, {format: 'table'})).toMatch(/\d \[\d+\.\d+, \d+\.\d+\]/)
    // One replication: the run's batch-means interval, as it is.
    const one = out.rows.filter((r) => r.replication === 0)
    const r0 = one.find((r) => r.kind === 'latency' && r.policy === 'n-mg1-fcfs')!
    const lat1 = buildTables(one).traces[0].latency
    const got = lat1.intervals![0][lat1.columns.indexOf('n-mg1-fcfs')]
    if (r0.p99_ci_low_us === null || r0.p99_ci_high_us === null) expect(got).toBeNull() // no interval: none shown
    else expect(got).toEqual({low: r0.p99_ci_low_us, high: r0.p99_ci_high_us})
    const mean1 = one.find((r) => r.kind === 'latency' && r.policy === 'mgn-fcfs')!
    const m = buildTables(one, 'mean').traces[0].latency
    expect(m.intervals![0][m.columns.indexOf('mgn-fcfs')]).toEqual({low: mean1.mean_ci_low_us, high: mean1.mean_ci_high_us})
  }, 120_000)

  it('--vary cores=2,4: every cell once per value, the value in the rows and the tables; sweeps differing only in values merge', async () => {
    const a = await prepareSweep({...base, policies: ['n-mg1-fcfs'], vary: 'cores=2,4'})
    const b = await prepareSweep({...base, policies: ['n-mg1-fcfs'], vary: 'cores=8'})
    expect(a.sweepId).not.toBe(b.sweepId)
    const dirA = mkdtempSync(join(tmpdir(), 'tailsim-vary-'))
    const dirB = mkdtempSync(join(tmpdir(), 'tailsim-vary-'))
    const ra = await runSweep(a, {jobs: 0, out: dirA + '/'})
    await runSweep(b, {jobs: 0, out: dirB + '/'})
    expect(new Set(ra.rows.map((r) => `${r.vary_name}=${r.vary_value}`))).toEqual(new Set(['cores=2', 'cores=4']))
    expect(ra.rows.filter((r) => r.vary_value === '2').every((r) => r.cores === 2)).toBe(true)
    const merged = await readResults([dirA, dirB])
    const t = buildTables(merged).traces[0]
    expect(t.max_load.columns[t.max_load.columns.length - 1]).toBe('cores')
    expect(t.latency.columns).toContain('n-mg1-fcfs [cores=8]')
    // A plain sweep of another config is still refused.
    const c = await prepareSweep({...base, policies: ['mgn-ps']})
    const dirC = mkdtempSync(join(tmpdir(), 'tailsim-vary-'))
    await runSweep(c, {jobs: 0, out: dirC + '/'})
    await expect(readResults([dirA, dirC])).rejects.toThrow(/Expected parts of one sweep/)
  }, 120_000)

  it('an SLO below the service time is unmet, and the row says why', async () => {
    const prepared = await prepareSweep({...base, policies: ['n-mg1-fcfs'], slo: parseSlo('5us')})
    const out = await runSweep(prepared, {jobs: 0})
    const row = out.rows.find((r) => r.kind === 'max_load' && r.policy === 'n-mg1-fcfs')!
    expect(row.search_status).toBe('unmet')
    expect(row.warnings.split(',')).toContain('slo_infeasible')
    expect(row.warnings_json).toMatch(/service-time p99 alone \([\d.]+ µs\) exceeds the bound of 5 µs/)
    expect(buildTables(out.rows).traces[0].max_load.notes!.join('\n')).toMatch(/n-mg1-fcfs: SLO p99 <= 5 µs cannot be met/)
  }, 120_000)

  it('--vary names are checked', () => {
    const policies = ['ix', 'mgn-fcfs']
    expect(parseVary('rx_packet=x0.5,1200', policies)).toEqual({name: 'rx_packet', values: ['x0.5', '1200']})
    expect(parseVary('ix:batch=1,64', policies).values).toEqual(['1', '64'])
    expect(() => parseVary('bogus=1,2', policies)).toThrow(/--vary NAME to be a cost/)
    expect(() => parseVary('zygos:batch=1', policies)).toThrow(/swept policy/)
    expect(() => parseVary('cores=0', policies)).toThrow(/cores/)
    expect(() => parseVary('rx_packet=', policies)).toThrow(/NAME=V1,V2/)
  })
})
