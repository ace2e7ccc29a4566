import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base.js'
import {replayDoc, showConfigDoc} from '../src/cli/json-docs.js'
import {inputFlags, resolveInput, traceOptions, type ResolvedInput} from '../src/cli/input.js'
import {createProgress, progressFlags, type ProgressMode} from '../src/cli/progress.js'
import {buildSimConfig, numberFlag, simFlags, type SimFlagValues} from '../src/cli/sim-flags.js'
import {ConfigError} from '../src/errors.js'
import {runReplications, type ReplicationSummary} from '../src/experiment/replications.js'
import {refuseInputAsOutput} from '../src/results/guard.js'
import {configDoc} from '../src/results/naming.js'
import {RecordsFile, type RecordsWritten} from '../src/results/records.js'
import {COST_DEFS} from '../src/sim/machine/costs.js'
import {MIN_TAIL_SAMPLES, samplesBeyond} from '../src/stats/intervals.js'
import {dispatcherCapacity, type DispatcherCapacity} from '../src/sim/mechanisms/capacity.js'
import {POLICIES, parsePolicySpec} from '../src/sim/policies/registry.js'
import {loadPolicyModules} from '../src/sim/plugin.js'
import {rescaleFactor, type RunResult, type SimConfig} from '../src/sim/simulate.js'
import {overRuns, replicationTypeLines, slowdownAndTypeLines} from '../src/report/type-summary.js'
import {TOOL} from '../src/version.js'
import {grouped} from '../src/grouped.js'

/** `replay --json`: the full result row of replication 0, plus the replication summary and records file. */
export type ReplayResult = RunResult & {
  input: {kind: 'file' | 'stdin' | 'synthetic'; name: string}
  replications?: ReplicationSummary
  records?: RecordsWritten
  /** Stopped by SIGINT/SIGTERM: the statistics cover the requests fed before it (also `partial: true`). */
  interrupted?: {signal: string; replication: number; replications: number; requests: number; requests_planned: number}
}

export interface ShowConfigResult {
  policy?: string
  machine: {cores: number; ghz: number; rss_buckets: number; nic_ring: number | null; cost_preset: string}
  costs: {name: string; cycles: number; us: number; description: string}[]
  /** Single-server capacity of the dispatcher designs' networker and dispatcher cores. */
  dispatcher_capacity: DispatcherCapacity
  /** With --policy: each option of the policy, its effective value, default and description. */
  policy_options?: {name: string; value: number | string; default: number | string; description: string}[]
}

const us = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-')
const pct = (v: number) => (Number.isFinite(v) ? (v * 100).toFixed(1) + '%' : '-')
const count = (v: number) => grouped(v)
const rate = (rps: number) => (rps >= 1e6 ? `${(rps / 1e6).toFixed(3)} M` : rps >= 1e3 ? `${(rps / 1e3).toFixed(2)} k` : rps.toFixed(1) + ' ')

export default class Replay extends BaseCommand {
  static override summary = 'Replay one trace through one scheduling policy and print its latency distribution.'

  static override description = `Streams the requests of TRACE (Arrow IPC, Parquet or CSV; - reads stdin) — or of a synthetic trace (--synthetic SPEC) — through the simulated server: one policy, one machine, one load. Prints latency percentiles in µs (HDR histogram, ≤ 0.1% error), throughput, utilisation (application / network stack / idle), 95% intervals on the mean and every percentile (sectioning over batch-means slices of the run; with --replications k, t-intervals over k independent seeds as well, for the slowdown and each request type too; a statistic some run cannot report stays n/a), the policy's counters, and validity warnings with stable codes: saturated, not_stationary, warmup_too_short (MSER-5), too_few_samples (a percentile with fewer than 10 samples above it prints as n/a, never a number), no_interval, type_too_few_samples (the same per request type). --json prints the full result row with its provenance (tool version, seed, effective config, trace SHA-256).

Load: --load ρ or --rate R rescales every inter-arrival gap by one factor so the offered load ρ = λ·E[S]/cores (or the rate) hits the target; service times never change. Without either the trace replays at its own timestamps. Requests that arrive in the first --warmup fraction of the time span are simulated but not measured.

Policies: ${[...POLICIES.keys()].join(', ')}. Options follow the name: n-mg1-fcfs:assignment=random, ix:batch=64 (--batch B is a shortcut for ix:batch=B). A path (starting with ./, ../ or /, or ending in .js/.mjs) loads your own policy from an ES module, options likewise: --policy ./my-policy.mjs:opt=value (see docs/writing-a-policy.md); the result records its path and SHA-256.

--records FILE.parquet|FILE.arrow writes one row per request: seq, arrival_ns, conn, queue, core (-1 when no single core ran it), start_ns, end_ns, latency_ns — times in nanoseconds, rows in completion order (in arrival order for mgn-fcfs and n-mg1-fcfs, which settle each request when it arrives; sort by end_ns or seq for a fixed order), warm-up rows included (the cut-off is in the file metadata). The file is written under a temporary name and renamed at the end; an existing file is kept unless --force.

Ctrl-C (SIGINT) or SIGTERM while simulating stops feeding requests, simulates the ones already fed to completion and prints their statistics marked PARTIAL (\`partial: true\` under --json; a --records file holds their rows), then exits 130 (SIGINT) or 143 (SIGTERM). Before the simulation starts, while writing the records file, or on a second signal, it exits at once with the same code and writes nothing.

--synthetic generates the trace at --load for --cores (or at --rate) with the generator of \`tailsim generate\` and trace seed --seed; replication r uses seed + r for both the trace and the simulator.`

  static override examples = [
    {description: 'The reference M/M/16 model on a synthetic 10 µs exponential workload at 80% load.', command: '<%= config.bin %> replay --synthetic exp:10us --requests 1000000 --policy mgn-fcfs --cores 16 --load 0.8'},
    {description: 'ZygOS on a trace file at a target load, with 5 replications.', command: '<%= config.bin %> replay traces/exp-10us.parquet --policy zygos --load 0.7 --replications 5'},
    {description: 'IX with batches of up to 64 packets; per-request records to Parquet.', command: '<%= config.bin %> replay trace.parquet --policy ix --batch 64 --load 0.6 --records requests.parquet'},
    {description: 'Random assignment to 16 M/G/1 queues, at a fixed arrival rate.', command: '<%= config.bin %> replay trace.csv --policy n-mg1-fcfs:assignment=random --rate 1000000'},
    {description: 'The effective costs and machine, without simulating.', command: '<%= config.bin %> replay --show-config --preset paper --cost ipi_latency=1200'},
    {description: 'Machine-readable result.', command: '<%= config.bin %> replay --synthetic bimodal1:10us --policy mgn-ps --load 0.9 --json'},
  ]

  static override args = {
    trace: Args.string({description: 'Trace file (.arrow, .arrows, .parquet, .csv), or - for stdin. Omit with --synthetic or --show-config.'}),
  }

  static override flags = {
    policy: Flags.string({char: 'p', description: 'Policy spec: NAME[:OPTION=VALUE]..., or a policy module ./FILE.mjs[:OPTION=VALUE]... (see the description).'}),
    batch: Flags.integer({description: 'Shortcut for --policy ix:batch=B (IX batch size, packets).', min: 1}),
    load: Flags.string({char: 'l', description: 'Target offered load ρ = λ·E[S]/cores (rescales the arrivals).', exclusive: ['rate']}),
    rate: Flags.string({char: 'r', description: 'Target arrival rate, requests per second (rescales the arrivals).', exclusive: ['load']}),
    replications: Flags.integer({char: 'k', description: 'Independent replications (seeds seed..seed+k−1); prints the mean and 95% t-interval across them of each latency statistic, the slowdown, and each request type.', default: 1, min: 1, max: 10_000}),
    records: Flags.string({description: 'Write one row per request to this .parquet or .arrow file (replication 0).'}),
    force: Flags.boolean({char: 'f', description: 'Overwrite an existing --records file.'}),
    'ci-batches': Flags.integer({description: 'Batch-means slices of the single-run intervals and validity checks (0 turns them off).', default: 10, min: 0, max: 1000}),
    interval: Flags.string({
      description: 'Which interval to require: `batch` (sectioning within one run) or `replications` (a t-interval over --replications k >= 2). [default: batch, and replications too when k >= 2]',
      options: ['batch', 'replications'],
    }),
    'show-config': Flags.boolean({description: 'Print the effective machine and costs (name, cycles, µs, description), then exit without simulating.'}),
    ...progressFlags,
    ...simFlags,
    ...inputFlags,
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Replay)
    const base = buildSimConfig(flags as SimFlagValues)
    await loadPolicyModules([flags.policy]) // a plug-in policy module (./my-policy.mjs)
    const policy = this.policySpec(flags.policy, flags.batch)

    if (flags['show-config']) return showConfigDoc({...this.showConfig(base, policy)})
    if (policy === undefined) {
      throw new ConfigError(`Expected --policy, one of ${[...POLICIES.keys()].join(', ')} (with options NAME:OPTION=VALUE), got nothing`, {flag: 'policy'})
    }
    if (flags.interval === 'replications' && flags.replications < 2) {
      throw new ConfigError(`Expected --replications >= 2 for --interval replications (a t-interval needs two runs), got --replications ${flags.replications}`, {flag: 'replications'})
    }
    if (flags.interval === 'batch' && flags['ci-batches'] < 2) {
      throw new ConfigError(`Expected --ci-batches >= 2 for --interval batch, got --ci-batches ${flags['ci-batches']}`, {flag: 'ci-batches'})
    }
    const load = numberFlag(flags.load, 'load', 'a load > 0, e.g. 0.8', (v) => v > 0)
    const rateRps = numberFlag(flags.rate, 'rate', 'a rate > 0 in requests per second', (v) => v > 0)
    const config: SimConfig = {
      ...base,
      policy,
      batches: flags['ci-batches'],
      ...(load !== undefined ? {load} : {}),
      ...(rateRps !== undefined ? {rate: rateRps} : {}),
    }

    // SIGINT/SIGTERM: while simulating, stop feeding requests and print the partial statistics
    // (exit 130/143 after them); at any other moment (reading/scanning the input, writing the
    // records file) or on a second signal, discard the records spool and exit 130/143 at once.
    const abort = new AbortController()
    let simulating = false
    let stoppedBy: NodeJS.Signals | undefined
    let records: RecordsFile | undefined
    const exitCode = (s: NodeJS.Signals) => (s === 'SIGTERM' ? 143 : 130)
    const onSignal = (s: NodeJS.Signals) => {
      if (simulating && !abort.signal.aborted) {
        stoppedBy = s
        progress.log(`${s}: stopping; the statistics of the requests fed so far follow (a second ${s === 'SIGINT' ? 'Ctrl-C' : s} exits at once)`)
        abort.abort()
        return
      }
      progress.stop()
      records?.discardSync()
      process.stderr.write(`Error: Interrupted by ${s}; nothing written.\n`)
      process.exit(exitCode(s))
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const progress = createProgress({
      label: policy,
      unit: 'req',
      mode: flags.progress as ProgressMode,
      intervalMs: flags['progress-interval'] * 1000,
    })
    let input: ResolvedInput
    let first: RunResult
    let summary: ReplicationSummary
    let written: RecordsWritten | undefined
    let interrupted: {replication: number; of: number} | undefined
    try {
      // Opened first: an existing records file is refused before any work is done.
      refuseInputAsOutput(flags.records, [args.trace, flags.machine], 'records')
      records = flags.records !== undefined ? RecordsFile.open(flags.records, {ghz: config.ghz, force: flags.force}) : undefined
      input = await resolveInput({
        trace: args.trace,
        synthetic: flags.synthetic,
        arrivals: flags.arrivals,
        requests: flags.requests,
        connections: flags.connections ?? 2720,
        seed: config.seed,
        ghz: config.ghz,
        cores: config.cores,
        load,
        rate: rateRps,
        trace_options: traceOptions(flags, config.ghz),
      })
      const ri = input
      simulating = true
      const outcome = await runReplications(config, {
        replications: flags.replications,
        traceVaries: ri.traceVaries,
        input: (r) => ri.replica(r),
        records,
        signal: abort.signal,
        partialOnAbort: true,
        onProgress: (done, total) => progress.update(done, total),
      })
      simulating = false
      progress.stop()
      first = outcome.runs[0]
      summary = outcome.summary
      interrupted = outcome.interrupted
      if (records !== undefined) {
        const {factor} = rescaleFactor(input.stats, config)
        const start = input.stats.firstArrival
        const last = start + Math.round((input.stats.lastArrival - start) * factor)
        const warmupUntil = start + config.warmup * (last - start)
        written = await records.finish({
          'tailsim.tool_version': TOOL.version,
          'tailsim.policy': first.policy,
          'tailsim.seed': String(first.seed),
          'tailsim.trace': first.trace,
          'tailsim.trace_sha256': first.trace_sha256,
          ...(first.policy_module ? {'tailsim.policy_module': first.policy_module.path, 'tailsim.policy_module_sha256': first.policy_module.sha256} : {}),
          'tailsim.warmup_until_ns': String(warmupUntil / config.ghz),
          'tailsim.config': JSON.stringify(configDoc(config)),
          ...(first.partial ? {'tailsim.partial': `interrupted after ${first.requests} of ${first.requests_planned} requests`} : {}),
        })
      }
    } catch (error) {
      await records?.abort()
      throw error
    } finally {
      simulating = false
      progress.stop()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    const result: ReplayResult = {
      ...first,
      input: {kind: input.kind, name: input.source.name},
      ...(flags.replications > 1 ? {replications: summary} : {}),
      ...(written ? {records: written} : {}),
    }
    if (interrupted !== undefined) {
      result.partial = true
      result.interrupted = {
        signal: stoppedBy ?? 'abort',
        replication: interrupted.replication,
        replications: interrupted.of,
        requests: first.requests,
        requests_planned: first.requests_planned ?? first.requests,
      }
      // The statistics are printed (or returned as JSON) and the exit code still says "interrupted".
      process.exitCode = exitCode(stoppedBy ?? 'SIGINT')
    }
    this.log(renderSummary(result))
    return replayDoc({...result})
  }

  /** The policy spec from --policy and --batch (a shortcut for ix:batch=B). */
  private policySpec(policy: string | undefined, batch: number | undefined): string | undefined {
    if (batch !== undefined) {
      const spec = parsePolicySpec(policy ?? 'ix')
      if (spec.def.name !== 'ix') throw new ConfigError(`Expected --batch only with the ix policy, got --policy ${policy}`, {flag: 'batch'})
      if (policy !== undefined && /(^|:)batch=/.test(policy)) {
        throw new ConfigError(`Expected the batch size once, got --batch ${batch} and --policy ${policy}`, {flag: 'batch'})
      }
      return parsePolicySpec(`${policy ?? 'ix'}:batch=${batch}`).spec
    }
    if (policy === undefined) return undefined
    return parsePolicySpec(policy).spec
  }

  private showConfig(base: Omit<SimConfig, 'policy'>, policy: string | undefined): ShowConfigResult {
    const cyclesPerUs = base.ghz * 1000
    const costs = COST_DEFS.map((d) => ({name: d.name, cycles: base.costs[d.name], us: base.costs[d.name] / cyclesPerUs, description: d.description}))
    const machine = {
      cores: base.cores,
      ghz: base.ghz,
      rss_buckets: base.rssBuckets,
      nic_ring: Number.isFinite(base.nicRing) ? base.nicRing : null,
      cost_preset: base.costPreset,
    }
    const w = Math.max(...costs.map((c) => c.name.length))
    const lines = [
      `machine: ${machine.cores} cores at ${machine.ghz} GHz, ${machine.rss_buckets} RSS buckets, NIC ring ${machine.nic_ring ?? 'unbounded'}, cost preset ${machine.cost_preset}`,
      ...(policy ? [`policy: ${policy}${parsePolicySpec(policy).def.family === 'theory' ? ' (a theoretical model: costs are not used)' : ''}`] : []),
      '',
      `${'cost'.padEnd(w)}  ${'cycles'.padStart(8)}  ${'µs'.padStart(8)}  description`,
      ...costs.map((c) => `${c.name.padEnd(w)}  ${String(c.cycles).padStart(8)}  ${c.us.toFixed(3).padStart(8)}  ${c.description}`),
    ]
    // Dispatcher-based designs (shinjuku, concord, darc, c-fcfs, d-fcfs): what the dedicated cores can pass.
    const cap = dispatcherCapacity(base.costs, base.ghz, base.cores)
    const mrps = (v: number) => (Number.isFinite(v) ? `${(v / 1e6).toFixed(2)} M req/s` : 'unbounded')
    lines.push(
      '',
      `dispatcher designs: networker ${mrps(cap.networker_rps)}; dispatcher ${mrps(cap.dispatcher_rps)} at two events per request ` +
        `(${mrps(cap.dispatcher_no_reports_rps)} without completion reports, less with preemptions); ${cap.workers} workers, ` +
        `each losing ${cap.round_trip_us.toFixed(3)} µs per request to the dispatch round trip when k = 1`,
    )
    let options: ShowConfigResult['policy_options']
    if (policy) {
      const spec = parsePolicySpec(policy)
      options = spec.def.options.map((o) => ({name: o.name, value: spec.options[o.name], default: o.default, description: o.description}))
      if (options.length > 0) {
        const ow = Math.max(...options.map((o) => o.name.length))
        lines.push('', `${'option'.padEnd(ow)}  ${'value'.padStart(8)}  ${'default'.padStart(8)}  description (policy ${spec.def.name})`)
        for (const o of options) lines.push(`${o.name.padEnd(ow)}  ${String(o.value).padStart(8)}  ${String(o.default).padStart(8)}  ${o.description}`)
      }
    }
    this.log(lines.join('\n'))
    return {...(policy ? {policy} : {}), machine, costs, dispatcher_capacity: cap, ...(options ? {policy_options: options} : {})}
  }
}

/** The readable summary of a replay (what the terminal shows). */
export function renderSummary(r: ReplayResult): string {
  const l = r.latency
  const slo = 10 * r.service_mean_us
  const lines: string[] = []
  const costs = r.family === 'theory' ? 'zero-overhead model' : `${r.cost_preset} costs`
  if (r.interrupted !== undefined) {
    const i = r.interrupted
    const which = i.replications > 1 ? (i.replication === 0 ? ` in replication 1 of ${i.replications}` : `: ${i.replication} of ${i.replications} replications finished, the one running is left out`) : ''
    lines.push(
      `PARTIAL  interrupted by ${i.signal}${which}: ${count(i.requests)} of ${count(i.requests_planned)} requests fed (${pct(i.requests / i.requests_planned)}), ` +
        'simulated to completion; the statistics below are of those requests only' +
        (r.measured === 0 ? ` (none measured: the interruption came within the warm-up, the first ${pct(r.config.warmup)} of the whole trace's time span)` : ''),
    )
  }
  lines.push(`${r.policy} on ${r.cores} cores (${r.ghz} GHz, ${costs}), seed ${r.seed}`)
  lines.push(`trace    ${r.trace}  sha256 ${r.trace_sha256.slice(0, 16)}…`)
  if (r.policy_module) lines.push(`module   ${r.policy_module.path}  sha256 ${r.policy_module.sha256.slice(0, 16)}…`)
  lines.push(
    `requests ${count(r.requests)} over ${count(r.connections)} connections; measured ${count(r.measured)} after ${pct(r.config.warmup)} warm-up` +
      (r.dropped > 0 ? `; DROPPED ${count(r.dropped)}` : ''),
  )
  lines.push(`offered  load ${r.offered_load.toFixed(3)} = ${rate(r.offered_rate_rps)}req/s × ${us(r.service_mean_us, 2)} µs mean service / ${r.cores} cores`)
  lines.push('')
  const stats = [
    ['mean', 'mean', null],
    ['p50', 'p50', 50],
    ['p90', 'p90', 90],
    ['p99', 'p99', 99],
    ['p99.9', 'p999', 99.9],
    ['p99.99', 'p9999', 99.99],
  ] as const
  const heads = [...stats.map(([h]) => h), 'max']
  const shown = (key: (typeof stats)[number][1], p: number | null): string => {
    const v = l[`${key}_us`]
    if (Number.isFinite(v)) return us(v)
    return p === null || l.count === 0 ? '-' : `n/a: ${samplesBeyond(l.count, p)} samples`
  }
  const vals = [...stats.map(([, key, p]) => shown(key, p)), us(l.max_us)]
  const ivs = [
    ...stats.map(([, key]) => {
      const lo = l[`${key}_ci_low_us`]
      const hi = l[`${key}_ci_high_us`]
      return Number.isFinite(lo) ? `[${us(lo)}, ${us(hi)}]` : 'n/a'
    }),
    '',
  ]
  const widths = heads.map((h, i) => Math.max(h.length, vals[i].length, ivs[i].length) + 2)
  lines.push('latency (µs)' + heads.map((h, i) => h.padStart(widths[i])).join(''))
  lines.push(''.padEnd(12) + vals.map((v, i) => v.padStart(widths[i])).join(''))
  lines.push('95% int.'.padEnd(12) + ivs.map((v, i) => v.padStart(widths[i])).join(''))
  const slices = r.interrupted ? `the batch-means slices of ${r.config.batches} that the requests fed reach` : `${r.config.batches} batch-means slices of the run`
  lines.push(`         (intervals: sectioning over ${slices}; n/a: fewer than ${MIN_TAIL_SAMPLES} samples above the percentile)`)
  lines.push(...slowdownAndTypeLines(r))
  if (r.replications) {
    // Over the replications that finished (fewer than asked when interrupted).
    const s = r.replications
    const k = s.seeds.length
    const row = stats.map(([h, key]) => `${h} ${overRuns(s.latency[key], k, 1)}`)
    lines.push(
      `over ${k} replication${k === 1 ? '' : 's'} (mean, 95% t-interval, µs${s.traceVaries ? '' : '; same trace each time: simulator randomness only'}):`,
      '  ' + row.slice(0, 3).join(', '),
      '  ' + row.slice(3).join(', '),
      ...replicationTypeLines(s),
    )
  }
  const saturated = r.warnings.some((w) => w.code === 'saturated')
  const verdict = !Number.isFinite(l.p99_us) ? 'unknown (p99 n/a)' : saturated ? 'NOT met (saturated)' : l.p99_us <= slo ? 'met' : 'NOT met'
  lines.push(`SLO      p99 ≤ 10 × mean service = ${us(slo)} µs: ${verdict}`)
  const mser = r.mser_cut_us === null ? 'MSER-5 n/a' : `MSER-5 cut ${us(r.mser_cut_us)} µs`
  lines.push(`warm-up  ${r.config.warmupAuto ? 'auto: ' : ''}first ${us(r.warmup_cut_us)} µs not measured (${mser}); achieved/offered over the measured window ${r.achieved_ratio === null ? '-' : r.achieved_ratio.toFixed(4)}`)
  for (const w of r.warnings) lines.push(`WARNING  [${w.code}] ${w.message}`)
  if (r.replications) {
    const codes = Object.entries(r.replications.warnings)
    if (codes.length > 0) lines.push(`warnings over the replications: ${codes.map(([c, n]) => `${c} in ${n} of ${r.replications!.seeds.length}`).join(', ')}`)
  }
  lines.push('')
  lines.push(`throughput ${rate(r.throughput_rps)}req/s over ${us(r.sim_time_us / 1000, 3)} ms simulated`)
  lines.push(`utilisation ${pct(r.util)} (application ${pct(r.util_app)}, network/kernel ${pct(r.util_net)}, idle ${pct(1 - r.util)})`)
  const extra = {...r.counters, ...r.metrics}
  const keys = Object.keys(extra)
  if (keys.length > 0) lines.push('counters ' + keys.map((k) => `${k} ${Number.isInteger(extra[k]) ? count(extra[k]) : extra[k].toFixed(3)}`).join(', '))
  if (r.records) lines.push(`records  ${count(r.records.rows)} rows → ${r.records.path} (${r.records.format})`)
  lines.push(`simulated ${count(r.requests)} requests in ${(r.wall_ms / 1000).toFixed(2)} s (${rate(r.sim_rate_rps)}req/s)`)
  return lines.join('\n')
}
