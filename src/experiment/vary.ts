/**
 * `compare --vary NAME=V1,V2,...`: one parameter axis in a sweep. Every cell of the sweep is run
 * once per value; the value is written in the `vary_name`/`vary_value` columns and `report` draws
 * max load against it.
 *
 * NAME is one of:
 * - a cost name (see `replay --show-config`): the value is cycles, or `xF` for F times the
 *   sweep's value of that cost (`rx_packet=x0.5,x2`);
 * - `cores`: the number of cores (loads stay fractions of the cores);
 * - `ghz`: the core clock of the costs. Service times and arrivals are nanoseconds, converted to
 *   cycles once at ingest at `--ghz`; a clock of V GHz is modelled by scaling every cost by
 *   ghz/V (the same time in fewer or more cycles), the simulation clock staying at `--ghz`;
 * - `POLICY:OPTION` (e.g. `ix:batch`): that option of every swept policy named POLICY; other
 *   policies run unchanged (once per value, so every value has its reference row).
 */
import {ConfigError, show} from '../errors.js'
import {COST_DEFS, type CostTable} from '../sim/machine/costs.js'
import {parsePolicySpec} from '../sim/policies/registry.js'
import type {SimBase} from './plan.js'

export interface Vary {
  name: string
  /** Values as given (canonical text). */
  values: string[]
}

const COST_NAMES = new Set(COST_DEFS.map((d) => d.name))

export function parseVary(text: string, policies: readonly string[], flag = 'vary'): Vary {
  const eq = text.indexOf('=')
  const name = eq < 0 ? '' : text.slice(0, eq).trim()
  const values = eq < 0 ? [] : text.slice(eq + 1).split(',').map((v) => v.trim())
  if (name === '' || values.length === 0 || values.some((v) => v === '')) {
    throw new ConfigError(`Expected NAME=V1,V2,... (a cost, ghz, cores or POLICY:OPTION), got ${show(text)}`, {flag})
  }
  if (new Set(values).size !== values.length) throw new ConfigError(`Expected distinct values, got ${show(text)}`, {flag})
  const num = (v: string, what: string, ok: (x: number) => boolean) => {
    const x = Number(v)
    if (!Number.isFinite(x) || !ok(x)) throw new ConfigError(`Expected ${what} for ${name}, got ${show(v)}`, {flag})
  }
  if (COST_NAMES.has(name)) {
    for (const v of values) {
      if (v.startsWith('x')) num(v.slice(1), 'xF with F >= 0 (a multiple of the cost)', (x) => x >= 0)
      else num(v, 'a number of cycles >= 0 or xF', (x) => x >= 0)
    }
  } else if (name === 'cores') {
    for (const v of values) num(v, 'an integer number of cores from 1 to 4096', (x) => Number.isInteger(x) && x >= 1 && x <= 4096)
  } else if (name === 'ghz') {
    for (const v of values) num(v, 'a clock in GHz greater than 0 and at most 100', (x) => x > 0 && x <= 100)
  } else if (name.includes(':')) {
    const [policy, option] = name.split(':')
    const matching = policies.filter((p) => parsePolicySpec(p, flag).def.name === policy)
    if (matching.length === 0) throw new ConfigError(`Expected --vary ${policy}:... to name a swept policy, got ${show(policy)} (policies: ${policies.join(', ')})`, {flag})
    // Validates the option and every value.
    for (const v of values) parsePolicySpec(`${policy}:${option}=${v}`, flag)
  } else {
    throw new ConfigError(`Expected --vary NAME to be a cost (${[...COST_NAMES].join(', ')}), ghz, cores or POLICY:OPTION, got ${show(name)}`, {flag})
  }
  return {name, values}
}

/** The simulation config and policy of one value of the axis. */
export function applyVary(sim: SimBase, policy: string, vary: Vary | undefined, value: string | undefined): {sim: SimBase; policy: string} {
  if (vary === undefined || value === undefined) return {sim, policy}
  const name = vary.name
  if (COST_NAMES.has(name)) {
    const base = sim.costs[name as keyof CostTable]
    const cycles = value.startsWith('x') ? Math.round(base * Number(value.slice(1))) : Number(value)
    return {sim: {...sim, costs: {...sim.costs, [name]: cycles}}, policy}
  }
  if (name === 'cores') return {sim: {...sim, cores: Number(value)}, policy}
  if (name === 'ghz') {
    const f = sim.ghz / Number(value)
    const costs = Object.fromEntries(Object.entries(sim.costs).map(([k, c]) => [k, Math.round((c as number) * f)])) as unknown as CostTable
    return {sim: {...sim, costs}, policy}
  }
  const [pname, option] = name.split(':')
  const spec = parsePolicySpec(policy)
  if (spec.def.name !== pname) return {sim, policy}
  return {sim, policy: parsePolicySpec(`${policy}:${option}=${value}`).spec}
}
