/**
 * Bad options of shenango and caladan: one ConfigError naming the option and the literal value; one
 * line from the CLI. And `replay --show-config --policy` lists the options with their defaults and sources.
 */
import {runCommand} from '@oclif/test'
import {describe, expect, test} from 'vitest'

import {ConfigError} from '../../../src/errors.js'
import {parsePolicySpec} from '../../../src/sim/policies/registry.js'
import {expService, poissonColumns, run} from '../../helpers.js'
import {US} from './lib.js'

const cols = poissonColumns({n: 50, load: 0.5, cores: 4, mean: 10 * US, service: expService(10 * US), seed: 1})

async function fails(policy: string, cores: number, ...parts: string[]) {
  const err = await run(cols, {policy, cores, allowOverload: true}).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, policy).toBeInstanceOf(ConfigError)
  for (const p of parts) expect((err as Error).message, policy).toContain(p)
}

describe('bad input', () => {
  test('intervals, qdelay, spin, slice: negative or zero where a positive value is needed', async () => {
    await fails('shenango:interval=-5', 4, 'Expected option `interval` of shenango to be a positive number of µs, got "-5"')
    await fails('caladan:interval=0', 4, '`interval`', '"0"')
    await fails('caladan:qdelay=0', 4, 'Expected option `qdelay` of caladan to be a positive number of µs, got "0"')
    await fails('caladan:qdelay=-1', 4, '`qdelay`', '"-1"')
    await fails('shenango:spin=-2', 4, '`spin`', '"-2"')
    await fails('caladan:slice=-100', 4, '`slice`', '"-100"')
    await fails('shenango:alloc=delay-range:min_delay=5:max_delay=2', 4, '`max_delay`', 'min_delay (5)', '"2"')
    await fails('caladan:alloc=utilization-range:util_max=120', 4, '`util_max`', '"120"')
    await fails('shenango:alloc=buffer-cores:buffer_min=3:buffer_max=1', 4, '`buffer_max`', '"1"')
  })

  test('unknown allocation mode, unknown option, static cores beyond the workers, too few cores', async () => {
    expect(() => parsePolicySpec('shenango:alloc=greedy')).toThrow('Expected option `alloc` of shenango to be one of default, delay-range, utilization-range, buffer-cores, static, got "greedy"')
    expect(() => parsePolicySpec('caladan:quantum=5')).toThrow('got "quantum"')
    expect(() => parsePolicySpec('shenango:qdelay=5')).toThrow('got "qdelay"')
    expect(() => parsePolicySpec('shenango:static_cores=1.5')).toThrow('"1.5"')
    await fails('shenango:alloc=static:static_cores=4', 4, 'Expected option `static_cores` of shenango to be an integer from 0 to the 3 workers (0 = all), got "4"')
    await fails('caladan', 1, 'Expected at least 2 cores for caladan')
  })

  test('the CLI prints one line and exits 64', async () => {
    for (const policy of ['caladan:qdelay=0', 'shenango:alloc=static:static_cores=40']) {
      const r = await runCommand(['replay', '--synthetic', 'exp:10us', '--requests', '100', '--load', '0.5', '--policy', policy], {root: process.cwd()}, {testNodeEnv: 'production'} as never)
      const exit = (r.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit
      expect(exit, policy).toBe(64)
      expect(r.stderr, policy).toMatch(/^Error: --policy: Expected option `[a-z_]+` of (shenango|caladan) to be [^\n]+\n$/)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })

  test('--show-config --policy lists the options (value, default, source) and the costs', async () => {
    const r = await runCommand(['replay', '--show-config', '--preset', 'paper', '--policy', 'caladan:qdelay=5', '--json'], {root: process.cwd()}, {testNodeEnv: 'production'} as never)
    const j = JSON.parse(r.stdout)
    const q = j.policy_options.find((o: {name: string}) => o.name === 'qdelay')
    expect(q).toMatchObject({value: 5, default: 10})
    expect(q.description).toContain('original configuration')
    expect(j.policy_options.map((o: {name: string}) => o.name)).toContain('alloc')
    expect(j.costs.find((c: {name: string}) => c.name === 'core_grant')).toMatchObject({cycles: 12000, us: 5})
  })
})
