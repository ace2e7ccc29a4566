/**
 * Behaviour lock for performance work on the `ix` and Linux models and on the engine under them
 * (the same lock as zygos-perf-equivalence.test.ts, for the other system models): per-request
 * records and the behavioural part of the result row must stay bit-identical to the goldens below,
 * captured from the models before the engine gained per-lane timers. Only `events` (engine events
 * executed; stale no-op events may disappear), `wall_ms` and `sim_rate_rps` may change, and, for
 * the lazy `ix` (events=lazy, the default), the order of the per-request records.
 *
 * Traces come from a local PRNG (equivalence-helpers.ts); `INPUT_FINGERPRINT` pins src/rng.ts and
 * the `paper` preset, which the models' random choices (RSS salt, SO_REUSEPORT salt) depend on.
 */
import {appendFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {resolveCosts} from '../../../src/sim/machine/costs.js'
import {CollectSink, run} from '../../helpers.js'
import {type Golden, inputFingerprint, recordsDigest, resultDigest, trace} from './equivalence-helpers.js'

interface Case {
  name: string
  policies: string[]
  n: number
  load: number
  conns: number
  seed: number
  costs?: Record<string, number>
  nicRing?: number
}

const MEAN = 24_000 // 10 us at 2.4 GHz
const CORES = 16
const IX = ['ix', 'ix:batch=1']
const LINUX = ['linux-partitioned', 'linux-floating']
const CASES: Case[] = [
  {name: '2720 conns, load 0.7', policies: IX, n: 100_000, load: 0.7, conns: 2720, seed: 702},
  {name: '2720 conns, load 0.95, nic ring 8', policies: IX, n: 60_000, load: 0.95, conns: 2720, seed: 952, nicRing: 8},
  {name: '12 conns, load 0.5', policies: IX, n: 40_000, load: 0.5, conns: 12, seed: 502},
  {name: '2720 conns, load 0.3', policies: LINUX, n: 60_000, load: 0.3, conns: 2720, seed: 303},
  {name: '2720 conns, load 0.45', policies: LINUX, n: 60_000, load: 0.45, conns: 2720, seed: 453},
  {name: '12 conns, load 0.3', policies: LINUX, n: 30_000, load: 0.3, conns: 12, seed: 123},
  // Interrupt moderation (moderated interrupts pending), a bounded ring with drops.
  {name: '2720 conns, load 0.4, irq interval 12000, nic ring 16', policies: LINUX, n: 40_000, load: 0.4, conns: 2720, seed: 404, nicRing: 16, costs: {linux_irq_interval: 12_000}},
]

async function measure(c: Case, policy: string): Promise<{golden: Golden; rows: CollectSink['rows']}> {
  const cols = trace(c.n, c.load, CORES, MEAN, c.conns, c.seed)
  const sink = new CollectSink()
  const r = await run(
    cols,
    {policy, cores: CORES, seed: c.seed, costPreset: 'paper', costs: resolveCosts('paper', c.costs ?? {}), nicRing: c.nicRing ?? Infinity, allowOverload: true},
    sink,
  )
  return {golden: {records: recordsDigest(sink.rows), result: resultDigest(r), rows: sink.rows.length, counters: r.counters}, rows: sink.rows}
}

const bySeq = (rows: CollectSink['rows']) => [...rows].sort((x, y) => x.seq - y.seq)

const INPUT_FINGERPRINT = '23dfd9d6429e2f97'
/** Captured from ix.ts and linux-*.ts as they were before the engine's per-lane timers. */
const GOLDEN: Record<string, Golden> = {
  "ix | 2720 conns, load 0.7": {"records":"896c8dc244009a53","result":"36cc683238e1bc2b","rows":100000,"counters":{"ix_batches":48362,"ix_packets":100000,"nic_drops":0}},
  "ix:batch=1 | 2720 conns, load 0.7": {"records":"37682c041f64c452","result":"d9a6aec02c43ec9a","rows":100000,"counters":{"ix_batches":100000,"ix_packets":100000,"nic_drops":0}},
  "ix | 2720 conns, load 0.95, nic ring 8": {"records":"be8a3607e1022bbf","result":"c0ebedbff8faf62e","rows":52606,"counters":{"ix_batches":15367,"ix_packets":52606,"nic_drops":7394}},
  "ix:batch=1 | 2720 conns, load 0.95, nic ring 8": {"records":"2f70c190c11178bc","result":"c7cdcb3077a67e59","rows":51563,"counters":{"ix_batches":51563,"ix_packets":51563,"nic_drops":8437}},
  "ix | 12 conns, load 0.5": {"records":"949674bcc0969b82","result":"086122b901301003","rows":40000,"counters":{"ix_batches":6130,"ix_packets":40000,"nic_drops":0}},
  "ix:batch=1 | 12 conns, load 0.5": {"records":"516f679fab6ae833","result":"fd9b076506a34501","rows":40000,"counters":{"ix_batches":40000,"ix_packets":40000,"nic_drops":0}},
  "linux-partitioned | 2720 conns, load 0.3": {"records":"96e55ec1686b8f85","result":"d39e98fb57c34750","rows":60000,"counters":{"linux_irqs":54364,"linux_softirq_packets":60000,"linux_wakeups":24174,"linux_wakeups_remote":22993,"herd_wakeups":0,"linux_epoll_waits":59595,"linux_reads":59798,"nic_drops":0}},
  "linux-floating | 2720 conns, load 0.3": {"records":"bc6e7aa2b0e6a608","result":"1535ec69b645e265","rows":60000,"counters":{"linux_irqs":52913,"linux_softirq_packets":60000,"linux_wakeups":116860,"linux_wakeups_remote":115134,"herd_wakeups":78969,"linux_epoll_waits":148305,"linux_reads":59987,"nic_drops":0}},
  "linux-partitioned | 2720 conns, load 0.45": {"records":"851ae1128e4d7d11","result":"baf033a954a08b95","rows":60000,"counters":{"linux_irqs":52111,"linux_softirq_packets":60000,"linux_wakeups":8522,"linux_wakeups_remote":8017,"herd_wakeups":0,"linux_epoll_waits":58659,"linux_reads":58903,"nic_drops":0}},
  "linux-floating | 2720 conns, load 0.45": {"records":"f431864e90630ec0","result":"414dfa24fd44861f","rows":60000,"counters":{"linux_irqs":51638,"linux_softirq_packets":60000,"linux_wakeups":31268,"linux_wakeups_remote":31001,"herd_wakeups":13901,"linux_epoll_waits":78942,"linux_reads":59926,"nic_drops":0}},
  "linux-partitioned | 12 conns, load 0.3": {"records":"0044d97c1d22719e","result":"79f0112685fc8983","rows":30000,"counters":{"linux_irqs":24871,"linux_softirq_packets":30000,"linux_wakeups":4153,"linux_wakeups_remote":4153,"herd_wakeups":0,"linux_epoll_waits":4189,"linux_reads":9538,"nic_drops":0}},
  "linux-floating | 12 conns, load 0.3": {"records":"01391ddfc2f18925","result":"90f3a10e9083536a","rows":30000,"counters":{"linux_irqs":23821,"linux_softirq_packets":30000,"linux_wakeups":40865,"linux_wakeups_remote":39630,"herd_wakeups":34022,"linux_epoll_waits":43515,"linux_reads":19654,"nic_drops":0}},
  "linux-partitioned | 2720 conns, load 0.4, irq interval 12000, nic ring 16": {"records":"1ade0374a8df5866","result":"79a6beaa2c50282e","rows":40000,"counters":{"linux_irqs":35122,"linux_softirq_packets":40000,"linux_wakeups":9014,"linux_wakeups_remote":8501,"herd_wakeups":0,"linux_epoll_waits":39401,"linux_reads":39578,"nic_drops":0}},
  "linux-floating | 2720 conns, load 0.4, irq interval 12000, nic ring 16": {"records":"c4b31a010ecdbbd2","result":"e37d16972b268666","rows":40000,"counters":{"linux_irqs":34612,"linux_softirq_packets":40000,"linux_wakeups":36523,"linux_wakeups_remote":36147,"herd_wakeups":19046,"linux_epoll_waits":63951,"linux_reads":39972,"nic_drops":0}},
}

describe('ix and Linux performance work keeps behaviour bit-identical', () => {
  it('inputs (src/rng.ts, paper preset) are the ones the goldens were captured with', () => {
    expect(inputFingerprint(), 'src/rng.ts or the paper preset changed: recapture GOLDEN from an unoptimised build').toBe(INPUT_FINGERPRINT)
  })

  for (const c of CASES) {
    for (const policy of c.policies) {
      const key = `${policy} | ${c.name}`
      it(key, async () => {
        // ix runs its cores lazily by default (no engine events; replies are reported core by
        // core, so per-request records come out of time order). The goldens were captured from
        // the event-driven loop, which is now `events=eager` and must still match them exactly;
        // the lazy default must give the same records (compared in trace order) and result row.
        const isIx = policy.startsWith('ix')
        const m = await measure(c, isIx ? `${policy}:events=eager` : policy)
        // Recapture: SYSTEM_GOLDEN_FILE=/tmp/goldens.txt appends each case's golden line there.
        const out = process.env.SYSTEM_GOLDEN_FILE
        if (out !== undefined) appendFileSync(out, `  ${JSON.stringify(key)}: ${JSON.stringify(m.golden)},\n`)
        expect(m.golden).toEqual(GOLDEN[key])
        if (isIx) {
          const lazy = await measure(c, policy)
          expect(lazy.golden.result).toBe(GOLDEN[key].result)
          expect(lazy.golden.counters).toEqual(GOLDEN[key].counters)
          expect(lazy.rows.length).toBe(m.rows.length)
          expect(recordsDigest(bySeq(lazy.rows))).toBe(recordsDigest(bySeq(m.rows)))
        }
      })
    }
  }
})
