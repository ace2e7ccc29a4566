/**
 * Flags shared by every command that simulates (`replay`, `compare`), and the one function that
 * turns them into a validated `SimConfig` (minus the policy). Precedence: built-in defaults <
 * `--machine` file < explicit flags.
 */
import {Flags} from '@oclif/core'

import {ConfigError} from '../errors.js'
import {parseGhz} from './trace-flags.js'
import {parseCostOverrides, resolveCosts} from '../sim/machine/costs.js'
import {readMachineFile} from '../sim/machine/machine-file.js'
import {DEFAULT_CONFIG, MAX_NETWORK_RTT_US, type SimConfig} from '../sim/simulate.js'

/** Largest seed: the generators take unsigned 32-bit seeds. */
export const MAX_SEED = 2 ** 32 - 1

/**
 * `--seed`, the same on every command that takes one (range, default, error text, and the
 * TAILSIM_SEED environment variable as its default); `what` says what it seeds.
 */
export function seedFlag(what: string) {
  return Flags.integer({description: `${what} An integer in [0, ${MAX_SEED}].`, default: 1, min: 0, max: MAX_SEED, env: 'TAILSIM_SEED'})
}

export const simFlags = {
  cores: Flags.integer({char: 'c', description: 'Number of cores (hardware threads); one NIC RX queue each. [default: 16]', min: 1, max: 4096, helpGroup: 'MACHINE'}),
  ghz: Flags.string({description: 'Core clock in GHz: simulated time is counted in cycles of it. [default: 2.4]', helpGroup: 'MACHINE'}),
  preset: Flags.string({
    description: 'Cost preset: `zero` (theoretical machine) or `paper` (calibrated to the ZygOS paper). [default: paper]',
    options: ['zero', 'paper'],
    helpGroup: 'MACHINE',
  }),
  cost: Flags.string({
    description: 'Override one cost, in cycles: name=value (repeatable). See `--show-config` for the names.',
    multiple: true,
    helpGroup: 'MACHINE',
  }),
  machine: Flags.string({description: 'JSON machine file: {cores, ghz, preset, costs, rssBuckets, nicRing}. Flags override it.', helpGroup: 'MACHINE'}),
  'nic-ring': Flags.integer({description: 'Bound each NIC RX ring to this many descriptors (the paper\'s NIC: 512); overflows are counted as drops. [default: unbounded]', min: 1, helpGroup: 'MACHINE'}),
  seed: seedFlag('Seed of every random choice (RSS salt, steal victims, random assignment); replication r uses seed + r.'),
  warmup: Flags.string({
    description: 'Fraction of the trace\'s time span excluded from statistics (warm-up), or `auto`: cut where MSER-5 says (one extra pilot run; the cut is recorded in the result).',
    default: '0.1',
  }),
  'network-rtt': Flags.string({description: 'Constant network round trip added to every latency, microseconds (at most 1e7).', default: '0'}),
  'allow-overload': Flags.boolean({description: 'Simulate an offered load >= 1 anyway (queues grow without bound).'}),
  'max-sim-time': Flags.string({description: 'Stop a run whose simulated time exceeds this many seconds.'}),
}

export type SimFlagValues = {
  cores?: number
  ghz?: string
  preset?: string
  cost?: string[]
  machine?: string
  'nic-ring'?: number
  seed: number
  warmup: string
  'network-rtt': string
  'allow-overload': boolean
  'max-sim-time'?: string
}

/** Parse a numeric flag given as a string (so that e.g. `--warmup abc` names the flag). */
export function numberFlag(raw: string | undefined, flag: string, what: string, ok: (v: number) => boolean): number | undefined {
  if (raw === undefined) return undefined
  const v = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(v) || !ok(v)) throw new ConfigError(`Expected ${what}, got "${raw}"`, {flag})
  return v
}

/** Everything of a SimConfig except the policy and the load/rate. */
export function buildSimConfig(flags: SimFlagValues): Omit<SimConfig, 'policy'> {
  const file = flags.machine !== undefined ? readMachineFile(flags.machine) : {}
  const preset = flags.preset ?? file.preset ?? 'paper'
  const costs = resolveCosts(preset, {...file.costs, ...parseCostOverrides(flags.cost ?? [])})
  const ghz = flags.ghz !== undefined ? parseGhz(flags.ghz) : (file.ghz ?? DEFAULT_CONFIG.ghz)
  return {
    ...DEFAULT_CONFIG,
    cores: flags.cores ?? file.cores ?? 16,
    ghz,
    seed: flags.seed,
    costPreset: preset,
    costs,
    ...(flags.warmup.trim() === 'auto'
      ? {warmup: DEFAULT_CONFIG.warmup, warmupAuto: true}
      : {warmup: numberFlag(flags.warmup, 'warmup', 'a fraction in [0, 1) or auto', (v) => v >= 0 && v < 1)!}),
    networkRttUs: numberFlag(flags['network-rtt'], 'network-rtt', `a number of microseconds in [0, ${MAX_NETWORK_RTT_US}]`, (v) => v >= 0 && v <= MAX_NETWORK_RTT_US)!,
    nicRing: flags['nic-ring'] ?? file.nicRing ?? Infinity,
    rssBuckets: file.rssBuckets ?? DEFAULT_CONFIG.rssBuckets,
    allowOverload: flags['allow-overload'],
    maxSimTimeS: numberFlag(flags['max-sim-time'], 'max-sim-time', 'a positive number of simulated seconds', (v) => v > 0) ?? Infinity,
  }
}
