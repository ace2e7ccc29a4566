/**
 * Behaviour lock for performance work on the dispatcher-based and core-allocating policies
 * (dispatched.ts and the mechanisms under it, shenango/caladan) and on the engine and recorder
 * beneath them: per-request records and the behavioural part of the result row must stay
 * bit-identical to the goldens below, captured from the code before that work. Only `events`,
 * `wall_ms` and `sim_rate_rps` may change (resultDigest leaves them out).
 *
 * Traces: exponential 10 µs service from a local PRNG (equivalence-helpers.ts), and the
 * 99.5 % × 0.5 µs / 0.5 % × 500 µs bimodal with a type column; 16 cores, `paper` costs.
 */
import {createHash} from 'node:crypto'
import {appendFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {resolveCosts} from '../../../src/sim/machine/costs.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import {CollectSink, run} from '../../helpers.js'
import {type Golden, recordsDigest, resultDigest, trace} from '../system/equivalence-helpers.js'
import {shinjukuBimodal} from './lib.js'

const CORES = 16
const POLICIES = [
  'shinjuku',
  'shinjuku:preempt=pending:jitter=1',
  'shinjuku:queues=multi:slo=10,1000',
  'concord',
  'darc',
  'c-fcfs',
  'd-fcfs',
  'jbsq:k=2',
  'shenango',
  'caladan',
  'shenango:alloc=static',
]
const TRACES: [string, () => TraceColumns][] = [
  ['exp 10us load 0.7', () => trace(8000, 0.7, CORES, 24_000, 2720, 71)],
  ['bimodal load 0.7', () => shinjukuBimodal(8000, 0.7, CORES, 72)],
]

/** Per-type statistics (the bimodal has a type column), intervals included. */
type LockGolden = Golden & {perType: string}

async function measure(cols: TraceColumns, policy: string): Promise<LockGolden> {
  const sink = new CollectSink()
  const r = await run(cols, {policy, cores: CORES, seed: 7, costPreset: 'paper', costs: resolveCosts('paper')}, sink)
  const rows = [...sink.rows].sort((a, b) => a.seq - b.seq)
  const perType = createHash('sha256').update(JSON.stringify(r.per_type)).digest('hex').slice(0, 16)
  return {records: recordsDigest(rows), result: resultDigest(r), rows: rows.length, counters: r.counters, perType}
}

/** Captured from the policies as they were before the performance work. */
const GOLDEN: Record<string, LockGolden> = {
  "shinjuku | exp 10us load 0.7": {"records":"a80de32792dd0372","result":"fd4044638afc3679","rows":8000,"counters":{"preemptions":12459,"dispatcher_events":28459},"perType":"44136fa355b3678a"},
  "shinjuku:preempt=pending:jitter=1 | exp 10us load 0.7": {"records":"f87b6f49d0d90e42","result":"d8f091236b11e212","rows":8000,"counters":{"preemptions":7441,"dispatcher_events":23441},"perType":"44136fa355b3678a"},
  "concord | exp 10us load 0.7": {"records":"b96678b728e1c1b5","result":"69eb1b524062f8ab","rows":8000,"counters":{"preemptions":12454,"dispatcher_events":28449,"dispatcher_slices":70},"perType":"44136fa355b3678a"},
  "darc | exp 10us load 0.7": {"records":"f243038e784cea0d","result":"3d6288b5fd331606","rows":8000,"counters":{"dispatcher_events":16000},"perType":"44136fa355b3678a"},
  "c-fcfs | exp 10us load 0.7": {"records":"f243038e784cea0d","result":"1dfc2502e5575098","rows":8000,"counters":{"dispatcher_events":16000},"perType":"44136fa355b3678a"},
  "d-fcfs | exp 10us load 0.7": {"records":"4567b0100833078c","result":"06f6b96a0bf0acb6","rows":8000,"counters":{"dispatcher_events":8000},"perType":"44136fa355b3678a"},
  "jbsq:k=2 | exp 10us load 0.7": {"records":"24c2835d1a3d514d","result":"2d4ed3a589418a10","rows":8000,"counters":{"dispatcher_events":16000},"perType":"44136fa355b3678a"},
  "shenango | exp 10us load 0.7": {"records":"cf8313d8b2ce0974","result":"e1124808023f8cd1","rows":8000,"counters":{"core_grants":495,"core_grants_allocator":494,"core_parks":495,"steals":4752,"stolen_requests":5213,"steal_probes":31848},"perType":"44136fa355b3678a"},
  "caladan | exp 10us load 0.7": {"records":"9cdbdae0362f89fa","result":"dc07b9842ce57c16","rows":8000,"counters":{"core_grants":206,"core_grants_allocator":205,"core_parks":206,"steals":3208,"stolen_requests":4204,"steal_probes":12312},"perType":"44136fa355b3678a"},
  "shenango:alloc=static | exp 10us load 0.7": {"records":"c30d74471c2c0374","result":"450b652962bc8ce5","rows":8000,"counters":{"core_grants":0,"core_grants_allocator":0,"core_parks":0,"steals":5143,"stolen_requests":5235,"steal_probes":47485},"perType":"44136fa355b3678a"},
  "shinjuku | bimodal load 0.7": {"records":"4502dfde3c96bc8e","result":"0a89722c3564f821","rows":8000,"counters":{"preemptions":3564,"dispatcher_events":19564},"perType":"936d64ab33e8a0fe"},
  "shinjuku:preempt=pending:jitter=1 | bimodal load 0.7": {"records":"a6befcf14b179ed3","result":"078f22b284b7147f","rows":8000,"counters":{"preemptions":1028,"dispatcher_events":17028},"perType":"d98cfb2329c8df7b"},
  "shinjuku:queues=multi:slo=10,1000 | bimodal load 0.7": {"records":"7a90a0e2b35d7c26","result":"9c5cedceb86d4f04","rows":8000,"counters":{"preemptions":3564,"dispatcher_events":19564},"perType":"711b85f8b2765ea5"},
  "concord | bimodal load 0.7": {"records":"3d89524778042819","result":"afefbfb5369dacfa","rows":8000,"counters":{"preemptions":3564,"dispatcher_events":19564,"dispatcher_slices":0},"perType":"691cfd1a395c08b7"},
  "darc | bimodal load 0.7": {"records":"b928a66b553037e7","result":"47d501287a162b6e","rows":8000,"counters":{"dispatcher_events":16000},"perType":"19e83290636ac42d"},
  "c-fcfs | bimodal load 0.7": {"records":"b9590876f98a788c","result":"3d189429fb22052e","rows":8000,"counters":{"dispatcher_events":16000},"perType":"19e83290636ac42d"},
  "d-fcfs | bimodal load 0.7": {"records":"0c72ae0f0ce8a463","result":"bdee678b951dad2e","rows":8000,"counters":{"dispatcher_events":8000},"perType":"4426f641c68824ab"},
  "jbsq:k=2 | bimodal load 0.7": {"records":"8a7e8482b1d9ea9c","result":"23db0875c32a1464","rows":8000,"counters":{"dispatcher_events":16000},"perType":"068af1aac00a17c3"},
  "shenango | bimodal load 0.7": {"records":"f2b41d8b89947e11","result":"c8c8878af2908827","rows":8000,"counters":{"core_grants":107,"core_grants_allocator":106,"core_parks":107,"steals":4265,"stolen_requests":5377,"steal_probes":24402},"perType":"ecc049af7af7a27b"},
  "caladan | bimodal load 0.7": {"records":"8d615fe8379fe023","result":"ca5439102ddc611d","rows":8000,"counters":{"core_grants":36,"core_grants_allocator":35,"core_parks":36,"steals":3896,"stolen_requests":5650,"steal_probes":16119},"perType":"a202026a3e01bb88"},
  "shenango:alloc=static | bimodal load 0.7": {"records":"711c8b2978428841","result":"6f5e8d230c17a951","rows":8000,"counters":{"core_grants":0,"core_grants_allocator":0,"core_parks":0,"steals":3749,"stolen_requests":4399,"steal_probes":36100},"perType":"9f735a48999a18aa"},
}

describe('dispatcher and core-allocating policies: performance work keeps behaviour bit-identical', () => {
  for (const [name, make] of TRACES) {
    const cols = make()
    for (const policy of POLICIES) {
      if (name.startsWith('exp') && policy.includes('queues=multi')) continue
      const key = `${policy} | ${name}`
      it(key, async () => {
        const golden = await measure(cols, policy)
        // Recapture: SCHED_GOLDEN_FILE=/tmp/goldens.txt appends each case's golden line there.
        const out = process.env.SCHED_GOLDEN_FILE
        if (out !== undefined) appendFileSync(out, `  ${JSON.stringify(key)}: ${JSON.stringify(golden)},\n`)
        expect(golden).toEqual(GOLDEN[key])
      })
    }
  }
})
