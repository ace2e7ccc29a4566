/**
 * Policy registry: name → definition. A policy *spec* names a policy and its options:
 * `name` or `name:opt=value:opt=value` (e.g. `ix:batch=1`, `n-mg1-fcfs:assignment=random`).
 * To add a policy: write one file in this folder exporting a `PolicyDef`, and list it here.
 *
 * A name that is a file path (see `isModulePath`) names a plug-in policy module instead; it must
 * have been loaded by `loadPolicyModules` (src/sim/plugin.ts), which adds it here under its
 * absolute path. Its spec is the path as seen from the working directory, plus options.
 */
import {isAbsolute, relative, resolve} from 'node:path'

import {ConfigError} from '../../errors.js'
import type {PolicyDef, PolicyOptionValue} from '../policy.js'
import {mgnFcfs} from './mgn-fcfs.js'
import {nMg1Fcfs} from './n-mg1-fcfs.js'
import {mgnPs} from './mgn-ps.js'
import {nMg1Ps} from './n-mg1-ps.js'
import {ix} from './ix.js'
import {linuxPartitioned} from './linux-partitioned.js'
import {linuxFloating} from './linux-floating.js'
import {zygos, zygosNoIntr} from './zygos.js'
import {shinjuku} from './shinjuku.js'
import {concord} from './concord.js'
import {darc} from './darc.js'
import {cFcfs} from './c-fcfs.js'
import {dFcfs} from './d-fcfs.js'
import {jbsq} from './jbsq.js'
import {shenango} from './shenango.js'
import {caladan} from './caladan.js'

const DEFS: PolicyDef[] = [mgnFcfs, nMg1Fcfs, mgnPs, nMg1Ps, ix, linuxPartitioned, linuxFloating, zygos, zygosNoIntr]
DEFS.push(shinjuku, concord, darc, cFcfs, dFcfs, jbsq)
DEFS.push(shenango, caladan)

export const POLICIES: ReadonlyMap<string, PolicyDef> = new Map(DEFS.map((d) => [d.name, d]))

/** Register an extra policy (for library users and tests). Throws if the name is taken. */
export function registerPolicy(def: PolicyDef): void {
  if (POLICIES.has(def.name)) throw new ConfigError(`A policy named "${def.name}" is already registered`)
  ;(POLICIES as Map<string, PolicyDef>).set(def.name, def)
}

/** A loaded plug-in: its definition (named by its display path), file and SHA-256. */
export interface PolicyModuleInfo {
  def: PolicyDef
  /** Absolute path of the module file. */
  path: string
  sha256: string
  /** The `name` the module declares (specs and results use the path). */
  declaredName: string
}

const MODULES = new Map<string, PolicyModuleInfo>()

/** Whether a policy name is a module path: starts with ./ ../ or /, or ends with .js .mjs .cjs .ts. */
export function isModulePath(name: string): boolean {
  return /^\.{0,2}\//.test(name) || /\.(m|c)?[jt]s$/.test(name)
}

/** How a module path is shown in specs: relative to the working directory (`./x.mjs`), or absolute outside it. */
export function modulePathSpec(path: string): string {
  const abs = resolve(path)
  if (isAbsolute(path)) return abs
  const rel = relative(process.cwd(), abs)
  return rel.startsWith('..') ? rel : `./${rel}`
}

/** Called by the plug-in loader. */
export function addPolicyModule(info: PolicyModuleInfo): void {
  MODULES.set(info.path, info)
}

export function loadedPolicyModule(path: string): PolicyModuleInfo | undefined {
  return MODULES.get(resolve(path))
}

export interface PolicySpec {
  /** Canonical spec string: name plus non-default options in definition order. */
  spec: string
  def: PolicyDef
  options: Record<string, PolicyOptionValue>
  /** Plug-in policies: the module's absolute path and SHA-256. */
  module?: {path: string; sha256: string}
}

/** Parse and validate `name[:k=v]*`, filling defaults. `flag` names the flag in errors. */
export function parsePolicySpec(text: string, flag = 'policy'): PolicySpec {
  const [name, ...parts] = text.trim().split(':')
  const mod = POLICIES.has(name) || !isModulePath(name) ? undefined : MODULES.get(resolve(name))
  if (mod === undefined && isModulePath(name) && !POLICIES.has(name)) {
    throw new ConfigError(`Expected the policy module ${name} to be loaded first (loadPolicyModules), got a module not loaded`, {flag})
  }
  const def = mod?.def ?? POLICIES.get(name)
  if (def === undefined) {
    throw new ConfigError(`Expected a policy, one of ${[...POLICIES.keys()].join(', ')}, or a policy module path (./my-policy.mjs); got "${name}"`, {flag})
  }
  const options: Record<string, PolicyOptionValue> = {}
  for (const o of def.options) options[o.name] = o.default
  for (const part of parts) {
    const eq = part.indexOf('=')
    const key = eq < 0 ? part : part.slice(0, eq)
    const od = def.options.find((o) => o.name === key)
    if (od === undefined) {
      const known = def.options.map((o) => o.name).join(', ') || 'none'
      throw new ConfigError(`Expected an option of policy ${name} (${known}), got "${key}"`, {flag})
    }
    const raw = eq < 0 ? '' : part.slice(eq + 1)
    options[key] = parseOptionValue(od, raw, name, flag)
  }
  return {spec: canonicalSpec(def, options), def, options, ...(mod ? {module: {path: mod.path, sha256: mod.sha256}} : {})}
}

export function parseOptionValue(
  od: PolicyDef['options'][number],
  raw: string,
  policy: string,
  flag: string,
): PolicyOptionValue {
  if (typeof od.default === 'number') {
    const v = Number(raw)
    const okInt = od.integer !== true || Number.isInteger(v)
    const okMin = od.min === undefined || v >= od.min
    const okMax = od.max === undefined || v <= od.max
    if (raw === '' || !Number.isFinite(v) || !okInt || !okMin || !okMax) {
      const range = `${od.integer ? 'an integer' : 'a number'}${od.min !== undefined ? ` >= ${od.min}` : ''}${
        od.max !== undefined ? ` and <= ${od.max}` : ''
      }`
      throw new ConfigError(`Expected option \`${od.name}\` of ${policy} to be ${range}, got "${raw}"`, {flag})
    }
    return v
  }
  if (od.choices !== undefined && !od.choices.includes(raw)) {
    throw new ConfigError(`Expected option \`${od.name}\` of ${policy} to be one of ${od.choices.join(', ')}, got "${raw}"`, {
      flag,
    })
  }
  return raw
}

export function canonicalSpec(def: PolicyDef, options: Record<string, PolicyOptionValue>): string {
  const parts = [def.name]
  for (const o of def.options) if (options[o.name] !== o.default) parts.push(`${o.name}=${options[o.name]}`)
  return parts.join(':')
}
