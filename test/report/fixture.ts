/**
 * Result rows for the report tests, from real (small) simulations: per policy, a latency cell at
 * each load and a max-load cell whose "search" is a scan of those loads (the largest load meeting
 * the SLO; the run at that load gives the latency columns). Small enough to build in ~1 s.
 */
import {toRow} from '../../src/results/row.js'
import type {ResultRow, SearchStatus} from '../../src/results/schema.js'
import {expService, poissonColumns, run} from '../helpers.js'

export interface FixtureOptions {
  policies?: string[]
  loads?: number[]
  sweepId?: string
  trace?: string
  /** Mean service time, cycles (2.4 GHz: 24000 = 10 µs). */
  mean?: number
  cores?: number
  n?: number
  seed?: number
}

export const FIXTURE_POLICIES = ['mgn-fcfs', 'n-mg1-fcfs', 'mgn-ps']

export async function fixtureRows(o: FixtureOptions = {}): Promise<ResultRow[]> {
  const policies = o.policies ?? FIXTURE_POLICIES
  const loads = o.loads ?? [0.2, 0.4, 0.6, 0.8]
  const sweep = o.sweepId ?? 'f'.repeat(64)
  const trace = o.trace ?? 'synthetic:exp(10us)'
  const mean = o.mean ?? 24000
  const cores = o.cores ?? 4
  const cols = poissonColumns({n: o.n ?? 3000, load: 0.5, cores, mean, service: expService(mean), seed: o.seed ?? 7})
  const slo = {percentile: 99, us: (10 * mean) / 2400}
  const rows: ResultRow[] = []
  let i = 0
  for (const policy of policies) {
    let best: {load: number; result: Awaited<ReturnType<typeof run>>} | undefined
    let failed = false
    for (const load of loads) {
      const r = await run(cols, {policy, cores, load, seed: o.seed ?? 1})
      rows.push(toRow(r, {kind: 'latency', sweep_id: sweep, cell_id: `L|${policy}|${load}`, cell_index: i++, trace, replication: 0, load, slo}))
      if (!failed && r.latency.p99_us <= slo.us) best = {load, result: r}
      else failed = true
    }
    const status: SearchStatus = best === undefined ? 'unmet' : failed ? 'ok' : 'at_upper_bound'
    const first = rows[rows.length - 1]
    rows.push(
      toRow(best?.result ?? null, {
        kind: 'max_load',
        sweep_id: sweep,
        cell_id: `M|${policy}`,
        cell_index: i++,
        trace,
        replication: 0,
        slo,
        search: {maxLoad: best?.load ?? 0, status, lo: loads[0], hi: loads[loads.length - 1], tol: 0.2, evals: loads.length},
        service_mean_us: first.service_mean_us,
        trace_sha256: first.trace_sha256,
        policy: first.policy,
        family: first.family,
        seed: first.seed,
        cores: first.cores,
        ghz: first.ghz,
        cost_preset: first.cost_preset,
        tool_version: first.tool_version,
      }),
    )
  }
  return rows
}
