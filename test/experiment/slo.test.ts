/** `--slo` targets: slowdown, per type, several at once; errors name the flag and the literal. */
import {describe, expect, it} from 'vitest'

import {meetsSlo, sloValue} from '../../src/experiment/cell.js'
import {ConfigError} from '../../src/errors.js'
import {describeSlo, parseSlo, resolveSlo, rowSloTargets} from '../../src/experiment/slo.js'
import type {RunResult} from '../../src/sim/simulate.js'

describe('parsing', () => {
  it('slowdown targets, with or without a percentile', () => {
    expect(parseSlo('slowdown:p99.9:10')).toEqual({targets: [{metric: 'slowdown', percentile: 99.9, bound: {ratio: 10}}]})
    expect(parseSlo('slowdown:3.5')).toEqual({targets: [{metric: 'slowdown', percentile: 99, bound: {ratio: 3.5}}]})
    expect(parseSlo('SLOWDOWN:P50:1')).toEqual({targets: [{metric: 'slowdown', percentile: 50, bound: {ratio: 1}}]})
  })
  it('per-type targets on latency and slowdown', () => {
    expect(parseSlo('type=short:p99:50us')).toEqual({targets: [{metric: 'latency', type: 'short', percentile: 99, bound: {us: 50}}]})
    expect(parseSlo('type=long:slowdown:p99.9:4')).toEqual({targets: [{metric: 'slowdown', type: 'long', percentile: 99.9, bound: {ratio: 4}}]})
    expect(parseSlo('type=get:20x').targets[0]).toEqual({metric: 'latency', type: 'get', percentile: 99, bound: {timesMean: 20}})
  })
  it('several targets, comma-separated, all resolved', () => {
    const slo = resolveSlo(parseSlo('p99:200us, slowdown:p99.9:10,type=short:p99:5x'), 2, ['short', 'long'])
    expect(slo.targets).toEqual([
      {metric: 'latency', percentile: 99, bound: 200},
      {metric: 'slowdown', percentile: 99.9, bound: 10},
      {metric: 'latency', type: 'short', percentile: 99, bound: 10},
    ])
    expect(slo).toMatchObject({percentile: 99, us: 200})
    expect(describeSlo(slo)).toBe('p99 <= 200 µs, slowdown p99.9 <= 10, type=short p99 <= 10 µs')
    // The canonical form parses back to the same targets (result rows store it).
    expect(resolveSlo(parseSlo(slo.spec), 1234).targets).toEqual(slo.targets)
    expect(rowSloTargets({slo: slo.spec, slo_percentile: 99, slo_us: 200, service_mean_us: 7}).map((t) => t.bound)).toEqual([200, 10, 10])
    // Rows written before the `slo` column: the single latency target.
    expect(rowSloTargets({slo: '', slo_percentile: 99.9, slo_us: 50, service_mean_us: 7})).toEqual([{metric: 'latency', percentile: 99.9, bound: 50}])
  })
  it('a first target on the slowdown has no µs bound', () => {
    const slo = resolveSlo(parseSlo('slowdown:p99.9:10'), 3)
    expect(slo.percentile).toBe(99.9)
    expect(slo.us).toBeNaN()
  })
  it('malformed targets and non-positive bounds: one line naming --slo and the literal', () => {
    for (const bad of [
      'slowdown:p99.9:0',
      'slowdown:p99.9:-3',
      'slowdown:p99.9:0.5',
      'slowdown:p99.9:ten',
      'slowdown:p99.9:10us',
      'slowdown:p42:10',
      'slowdown:',
      'type=:p99:5us',
      'type=short',
      'p99:0us',
      'p99:-1us',
      'p99:0x',
      'p99:50us,',
      ',p99:50us',
      'latency:p99:50us',
    ]) {
      let error: unknown
      try {
        parseSlo(bad)
      } catch (e) {
        error = e
      }
      expect(error, bad).toBeInstanceOf(ConfigError)
      const msg = (error as Error).message
      expect(msg, bad).toMatch(/--slo/)
      expect(msg, bad).toContain(JSON.stringify(bad))
      expect(msg, bad).not.toContain('\n')
    }
  })
  it('a type absent from the trace is refused, naming the trace and its types', () => {
    const spec = parseSlo('type=nope:p99:5us')
    expect(() => resolveSlo(spec, 1, ['short', 'long'], 't.parquet')).toThrow(/--slo.*type=nope.*t\.parquet.*"short", "long"/)
    expect(() => resolveSlo(spec, 1, [], 'plain.csv')).toThrow(/type=nope.*plain\.csv.*no type column/)
  })
})

describe('evaluation against a run', () => {
  const stats = (p99: number, p999: number) => ({p50: 1, p90: 1, p99, p999, p9999: NaN})
  const run = (over: Partial<RunResult> = {}): RunResult =>
    ({
      warnings: [],
      latency: {p50_us: 1, p90_us: 2, p99_us: 40, p999_us: 90, p9999_us: NaN, max_us: 100, mean_us: 3},
      slowdown: stats(4, 12),
      per_type: {
        short: {p50_us: 1, p90_us: 2, p99_us: 8, p999_us: NaN, p9999_us: NaN, max_us: 10, mean_us: 1, slowdown: stats(16, NaN)},
      },
      ...over,
    }) as unknown as RunResult
  it('reads the statistic each target bounds', () => {
    const slo = resolveSlo(parseSlo('p99:50us,slowdown:p99.9:20,type=short:p99:10us,type=short:slowdown:p99:20'), 1)
    expect(slo.targets.map((t) => sloValue(run(), t))).toEqual([40, 12, 8, 16])
    expect(meetsSlo(run(), slo)).toBe(true)
  })
  it('fails when one target fails, is n/a, names a type without requests, or the run is saturated', () => {
    const slo = (text: string) => resolveSlo(parseSlo(text), 1)
    expect(meetsSlo(run(), slo('p99:50us,slowdown:p99.9:11'))).toBe(false)
    expect(meetsSlo(run(), slo('type=short:slowdown:p99.9:100'))).toBe(false) // n/a
    expect(meetsSlo(run(), slo('type=long:p99:1000us'))).toBe(false) // no measured request of that type
    expect(meetsSlo(run({warnings: [{code: 'saturated', message: ''}]}), slo('p99:50us'))).toBe(false)
  })
})

describe('in a sweep and on the command line', () => {
  it('prepareSweep refuses a type the trace does not have, before running anything', async () => {
    const {prepareSweep} = await import('../../src/experiment/sweep.js')
    const {resolveCosts} = await import('../../src/sim/machine/costs.js')
    const {DEFAULT_CONFIG} = await import('../../src/sim/simulate.js')
    const req = (slo: string) => ({
      traces: ['synthetic:darc-bimodal'],
      policies: ['mgn-fcfs'],
      loads: [0.5],
      slo: parseSlo(slo),
      sim: {...DEFAULT_CONFIG, cores: 4, costs: resolveCosts('zero')},
      synthetic: {requests: 500},
    })
    await expect(prepareSweep(req('type=medium:p99:5us'))).rejects.toThrow(/--slo.*type=medium.*synthetic:darc-bimodal.*"short", "long"/)
    const ok = await prepareSweep(req('type=short:slowdown:p99:3'))
    expect(ok.spec.traces[0].slo.targets).toEqual([{metric: 'slowdown', type: 'short', percentile: 99, bound: 3}])
  })

  it('compare: a bad --slo is one line naming the flag and the value, exit 64', async () => {
    const {spawnSync} = await import('node:child_process')
    const r = spawnSync(process.execPath, ['bin/run.js', 'compare', 'synthetic:exp:10us', '--requests', '100', '--slo', 'slowdown:p99.9:0'], {
      encoding: 'utf8',
      env: {...process.env, NODE_ENV: 'production'},
    })
    expect(r.status).toBe(64)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toEqual([expect.stringMatching(/^Error: --slo: Expected a slowdown bound >= 1 .*got "0" in "slowdown:p99\.9:0"/)])
    expect(r.stdout).toBe('')
  })
})
