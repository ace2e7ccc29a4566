/**
 * The package entry point (`import … from 'tailsim'`): the library under the CLI.
 *
 * - Run one simulation: `openTrace` or `syntheticTrace` → `scanTrace` → `simulate`.
 * - Write a policy: implement `Policy` / `PolicyDef` against `SimContext` (engine, machine, request
 *   table, recorder, counters, usage) and `registerPolicy` it, or export it as the default of an ES
 *   module and pass its path (`--policy ./my-policy.mjs`, `loadPolicyModule`); docs/writing-a-policy.md
 *   walks through it.
 * - Sweeps and the max-load search: `prepareSweep` / `runSweep`, `maxLoadAtSlo`.
 * The library never prints or exits: it throws the typed errors exported here.
 */
export {TailsimError, TraceError, ConfigError, LimitError, OutputError, ResultsError, PolicyModuleError, type Location} from './errors.js'
export {TOOL} from './version.js'

export type {Policy, PolicyDef, PolicyOptionDef, PolicyOptionValue, SimContext, CoreUsage} from './sim/policy.js'
export {arriveFromSlot} from './sim/policy.js'
export {Engine, EventClass, type EventHandler} from './sim/engine/engine.js'
export {Machine, type MachineConfig} from './sim/machine/machine.js'
export {RequestTable} from './sim/machine/requests.js'
export {COST_DEFS, PRESETS, resolveCosts, type CostDef, type CostTable} from './sim/machine/costs.js'
export {POLICIES, registerPolicy, parsePolicySpec, isModulePath, type PolicySpec, type PolicyModuleInfo} from './sim/policies/registry.js'
export {loadPolicyModule, loadPolicyModules, EXPECTED_EXPORT} from './sim/plugin.js'
export {IntQueue} from './sim/machine/int-queue.js'
export {
  simulate,
  rescaleFactor,
  DEFAULT_CONFIG,
  InterruptedError,
  type SimConfig,
  type SimRunOptions,
  type RunResult,
  type LatencyUs,
  type SlowdownStats,
  type TypeResult,
} from './sim/simulate.js'
export {Recorder, type RecordSink, type RequestRecordBatch, type LatencySummary} from './stats/recorder.js'
export {Counters} from './stats/counters.js'
export {Rng} from './rng.js'

export type {TraceSource, TraceBatch, TraceStats, TraceOptions, TraceFormat} from './trace/types.js'
export {openTrace} from './trace/open.js'
export {scanTrace} from './trace/scan.js'
export {syntheticTrace, parseServiceSpec, type SyntheticOptions} from './trace/synthetic.js'
export {memoryTrace, memoryStats, type TraceColumns} from './trace/memory.js'

export {prepareSweep, runSweep, type SweepRequest, type SweepOutcome} from './experiment/sweep.js'
export {maxLoadAtSlo, type SearchOptions, type SearchResult} from './experiment/search.js'
export {parseSlo, resolveSlo, describeSlo, type SloSpec, type SloTarget, type Slo, type ResolvedTarget} from './experiment/slo.js'
