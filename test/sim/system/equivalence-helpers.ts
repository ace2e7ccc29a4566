/**
 * Shared pieces of the behaviour locks for performance work on the system models
 * (zygos-perf-equivalence, system-perf-equivalence): a trace generator independent of src/rng.ts,
 * and digests of a run's records and of the behavioural part of its result row.
 */
import {createHash} from 'node:crypto'

import {Rng} from '../../../src/rng.js'
import {resolveCosts} from '../../../src/sim/machine/costs.js'
import type {RunResult} from '../../../src/sim/simulate.js'
import type {TraceColumns} from '../../../src/trace/memory.js'
import type {CollectSink} from '../../helpers.js'

/** mulberry32: a tiny local generator, so the traces do not move when src/rng.ts does. */
export function localRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Poisson arrivals, exponential service (mean cycles), uniform connections. Times in cycles. */
export function trace(n: number, load: number, cores: number, mean: number, conns: number, seed: number): TraceColumns {
  const u = localRng(seed)
  const rate = (load * cores) / mean
  const arrival = new Float64Array(n)
  const conn = new Uint32Array(n)
  const service = new Float64Array(n)
  let t = 0
  for (let i = 0; i < n; i++) {
    t += -Math.log(1 - u()) / rate
    arrival[i] = Math.round(t)
    conn[i] = Math.floor(u() * conns)
    service[i] = Math.max(1, Math.round(-Math.log(1 - u()) * mean))
  }
  return {arrival, conn, service}
}

/** Everything behavioural in a result row (not `events`, `wall_ms`, `sim_rate_rps`, nor the statistics methods: intervals, validity checks). */
export function resultDigest(r: RunResult): string {
  const l = r.latency
  const keep = {
    completed: r.completed,
    measured: r.measured,
    dropped: r.dropped,
    throughput_rps: r.throughput_rps,
    // The simulated latencies only: not their confidence intervals (a statistics method, not the model).
    latency: {count: l.count, mean_us: l.mean_us, p50_us: l.p50_us, p90_us: l.p90_us, p99_us: l.p99_us, p999_us: l.p999_us, max_us: l.max_us},
    util: r.util,
    util_app: r.util_app,
    util_net: r.util_net,
    util_per_core: r.util_per_core,
    counters: r.counters,
    metrics: r.metrics,
    sim_time_us: r.sim_time_us,
  }
  return createHash('sha256').update(JSON.stringify(keep)).digest('hex').slice(0, 16)
}

export function recordsDigest(rows: CollectSink['rows']): string {
  const buf = new Float64Array(rows.length * 8)
  rows.forEach((x, i) => {
    buf.set([x.seq, x.arrival, x.conn, x.queue, x.core, x.start, x.end, x.latency], i * 8)
  })
  return createHash('sha256').update(new Uint8Array(buf.buffer)).digest('hex').slice(0, 16)
}

export interface Golden {
  records: string
  result: string
  rows: number
  counters: Record<string, number>
}

/** src/rng.ts outputs and the `paper` preset the goldens were captured with. */
/** The `paper` costs the goldens were captured with (costs added since serve other policies). */
const GOLDEN_COSTS = [
  'rx_packet', 'tx_reply', 'user_kernel', 'shuffle_packet', 'steal_attempt', 'steal_transfer', 'remote_syscall',
  'ipi_send', 'ipi_latency', 'ipi_handler', 'ipi_throttle', 'linux_irq', 'linux_irq_interval', 'linux_softirq_packet',
  'linux_wakeup', 'linux_wakeup_send', 'linux_epoll_wait', 'linux_read', 'linux_write',
]

export function inputFingerprint(): string {
  const g = new Rng(12345)
  const d = g.derive(2)
  const xs = [g.uint32(), g.int(16), d.uint32(), d.int(1000)]
  const paper = resolveCosts('paper')
  return createHash('sha256')
    .update(JSON.stringify([xs, Object.fromEntries(GOLDEN_COSTS.map((n) => [n, paper[n]]))]))
    .digest('hex')
    .slice(0, 16)
}

