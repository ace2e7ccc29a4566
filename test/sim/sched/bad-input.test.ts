/** Bad options of the dispatcher policies: one ConfigError naming the option and the value. */
import {describe, expect, test} from 'vitest'

import {ConfigError} from '../../../src/errors.js'
import {parsePolicySpec} from '../../../src/sim/policies/registry.js'
import {poissonColumns, expService, run} from '../../helpers.js'
import {darcBimodal, US} from './lib.js'

const cols = poissonColumns({n: 200, load: 0.5, cores: 4, mean: 10 * US, service: expService(10 * US), seed: 1})

async function fails(policy: string, cores: number, ...parts: string[]) {
  const err = await run(cols, {policy, cores}).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, policy).toBeInstanceOf(ConfigError)
  for (const p of parts) expect((err as Error).message, policy).toContain(p)
}

describe('bad input', () => {
  test('unknown options name the option and the known ones', () => {
    for (const p of ['shinjuku:quantum=5', 'concord:k=3', 'darc:groups=2', 'c-fcfs:q=1', 'd-fcfs:k=1', 'jbsq:q=1']) {
      expect(() => parsePolicySpec(p), p).toThrow(ConfigError)
      expect(() => parsePolicySpec(p), p).toThrow(`got "${p.split(':')[1].split('=')[0]}"`)
    }
  })

  test('q <= 0', async () => {
    await fails('shinjuku:q=0', 4, '`q`', '"0"')
    expect(() => parsePolicySpec('shinjuku:q=-1')).toThrow('`q`')
    expect(() => parsePolicySpec('concord:q=-2')).toThrow('"-2"')
    await fails('concord:q=0', 4, '`q`', '"0"')
  })

  test('k < 1, bad preempt mode, bad jitter', () => {
    expect(() => parsePolicySpec('jbsq:k=0')).toThrow('Expected option `k` of jbsq to be an integer >= 1, got "0"')
    expect(() => parsePolicySpec('jbsq:k=1.5')).toThrow('"1.5"')
    expect(() => parsePolicySpec('shinjuku:preempt=never')).toThrow('always, pending, got "never"')
    expect(() => parsePolicySpec('concord:jitter=-1')).toThrow('`jitter`')
  })

  test('reserve larger than the worker count, or not a number', async () => {
    await fails('darc:reserve=3', 4, '`reserve`', '"3"', 'worker count (2)')
    await fails('darc:reserve=0', 4, '"0"')
    await fails('darc:reserve=two', 4, '"two"')
  })

  test('too few cores for the dedicated ones', async () => {
    for (const p of ['shinjuku', 'concord', 'darc', 'c-fcfs', 'd-fcfs']) await fails(p, 2, 'at least 3 cores', p, 'got 2')
  })

  test('per-type SLOs: malformed, without queues=multi, or fewer than the trace has types', async () => {
    await fails('shinjuku:queues=multi:slo=10,x', 4, '`slo`', '"10,x"')
    await fails('shinjuku:slo=10', 4, '`slo`', 'queues=multi')
    const typed = darcBimodal(200, 0.3, 4, 1)
    const err = await run(typed, {policy: 'shinjuku:queues=multi:slo=10', cores: 4}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toContain('one SLO per type')
  })
})
