/**
 * Plug-in policies: `--policy ./my-policy.mjs[:opt=value]...` loads an ES module whose default
 * export is a `PolicyDef` (the interface of the built-in policies, src/sim/policy.ts), checks its
 * shape, fingerprints the file (SHA-256 of its bytes) and adds it to the registry under its
 * absolute path, wrapped so that it runs under the checks of plugin-guard.ts. docs/writing-a-policy.md
 * is the guide.
 *
 * A name is a module path when it starts with `./`, `../` or `/`, or ends with `.js`, `.mjs`,
 * `.cjs` or `.ts` (registry.ts `isModulePath`); paths are relative to the working directory and
 * may not contain `:` (it separates the options). Each thread loads a module once (the sweep's
 * worker threads load it too, and refuse a file whose SHA-256 changed since the sweep planned).
 * Only the module file itself is fingerprinted, not what it imports.
 */
import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {PolicyModuleError, TailsimError} from '../errors.js'
import {type ModuleLabel, GuardedPolicy, describeThrown} from './plugin-guard.js'
import type {PolicyDef, PolicyOptionDef} from './policy.js'
import {POLICIES, addPolicyModule, isModulePath, loadedPolicyModule, modulePathSpec, type PolicyModuleInfo} from './policies/registry.js'

/** The shape a module's default export must have, as error messages state it. */
export const EXPECTED_EXPORT = 'export default {name, summary, family, options, create}'

const loading = new Map<string, Promise<PolicyModuleInfo>>()

/** The module path of a policy spec (`./x.mjs:opt=v` → `./x.mjs`), or undefined for a built-in name. */
export function modulePathOf(spec: string): string | undefined {
  const name = spec.trim().split(':')[0]
  return !POLICIES.has(name) && isModulePath(name) ? name : undefined
}

export interface LoadOptions {
  /** Flag named in errors. */
  flag?: string
  /** Expected SHA-256 by absolute path (a sweep's workers): a different file is refused. */
  expect?: Readonly<Record<string, string>>
}

/**
 * Load the plug-in modules named by these policy specs (built-in names are skipped); each module
 * is loaded once per thread. Returns the modules, in order.
 */
export async function loadPolicyModules(specs: readonly (string | undefined)[], opts: LoadOptions = {}): Promise<PolicyModuleInfo[]> {
  const out: PolicyModuleInfo[] = []
  for (const spec of specs) {
    const path = spec === undefined ? undefined : modulePathOf(spec)
    if (path === undefined) continue
    const info = await loadPolicyModule(path, opts.flag)
    const want = opts.expect?.[info.path]
    if (want !== undefined && want !== info.sha256) {
      throw new PolicyModuleError(
        `Policy module ${modulePathSpec(path)} changed since the sweep started: SHA-256 ${info.sha256.slice(0, 16)}…, expected ${want.slice(0, 16)}…; rerun the sweep with the new file`,
        'POLICY_MODULE_CHANGED',
        {file: info.path},
      )
    }
    out.push(info)
  }
  return out
}

/** Load one module file (once per thread; later calls return the first load). */
export function loadPolicyModule(path: string, flag = 'policy'): Promise<PolicyModuleInfo> {
  const abs = resolve(path)
  const known = loadedPolicyModule(abs)
  if (known !== undefined) return Promise.resolve(known)
  let p = loading.get(abs)
  if (p === undefined) {
    p = load(path, abs, flag)
    loading.set(abs, p)
    // A failed load is not cached: the next call tries again (the file may have been fixed).
    p.catch(() => loading.delete(abs))
  }
  return p
}

async function load(path: string, abs: string, flag: string): Promise<PolicyModuleInfo> {
  const label: ModuleLabel = {spec: modulePathSpec(path), path: abs}
  const where = {file: abs, flag}
  const fail = (what: string, code: string) => new PolicyModuleError(`Policy module ${label.spec}${what}`, code, where)
  if (/\.[mc]?ts$/.test(abs)) {
    throw fail(`: expected a JavaScript ES module (.mjs or .js), got a TypeScript file; compile it first (tsc) and pass the .js file`, 'POLICY_MODULE_LOAD')
  }
  let bytes: Buffer
  try {
    bytes = await readFile(abs)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? `no file ${abs}` : code === 'EISDIR' ? `${abs} is a directory` : `${abs} cannot be read (${code ?? describeError(error)})`
    throw fail(` not found: ${why}; expected a JavaScript ES module file (.mjs or .js) exporting a policy`, 'POLICY_MODULE_NOT_FOUND')
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  let mod: Record<string, unknown>
  try {
    // The query keeps a changed file from being served from the module cache of this thread.
    mod = (await import(`${pathToFileURL(abs).href}?sha256=${sha256}`)) as Record<string, unknown>
  } catch (error) {
    const message = String((error as Error)?.message)
    const hint =
      error instanceof SyntaxError && /Unexpected token 'export'|Cannot use import statement/.test(message)
        ? ' (Node took the file for CommonJS: name it .mjs, or use .js in a folder whose package.json says "type": "module")'
        : error instanceof ReferenceError && /\b(require|module|exports) is not defined/.test(message)
          ? ' (a CommonJS module: tailsim loads ES modules, write `export default {...}`)'
          : error instanceof SyntaxError && !/\.[mc]?js:\d+\)$/.test(describeThrown(error, abs))
            ? ` (\`node --check ${abs}\` shows where)`
            : ''
    throw fail(` failed to load: ${describeThrown(error, abs)}${hint}`, 'POLICY_MODULE_LOAD')
  }
  const user = checkShape(mod, (what) => fail(`: expected \`${EXPECTED_EXPORT}\` (a PolicyDef), ${what}`, 'POLICY_MODULE_SHAPE'))
  const def: PolicyDef = {
    // Specs and results name a plug-in by its path (its declared name is kept in `declaredName`).
    name: label.spec,
    summary: user.summary,
    family: user.family,
    options: user.options,
    create: (ctx, options) => new GuardedPolicy(ctx, user, options, label),
  }
  const info: PolicyModuleInfo = {def, path: abs, sha256, declaredName: user.name}
  addPolicyModule(info)
  return info
}

function describeError(e: unknown): string {
  if (e instanceof TailsimError) return e.message
  if (e instanceof Error) return `${e.name}: ${e.message.split('\n')[0]}`
  return String(e)
}

/** The module's default export as a PolicyDef, or the first thing wrong with it. */
function checkShape(mod: Record<string, unknown>, wrong: (what: string) => PolicyModuleError): PolicyDef {
  const d = mod.default as Record<string, unknown> | undefined | null
  if (d === undefined) {
    const names = Object.keys(mod)
    throw wrong(`got no default export${names.length > 0 ? ` (named exports: ${names.join(', ')})` : ''}`)
  }
  if (d === null || typeof d !== 'object') throw wrong(`got a default export of type ${d === null ? 'null' : typeof d}`)
  if (typeof d.name !== 'string' || !/^[\w.-]+$/.test(d.name)) throw wrong(`got name ${JSON.stringify(d.name) ?? 'undefined'} (a non-empty string of letters, digits, _ . -)`)
  if (typeof d.summary !== 'string') throw wrong(`got summary ${JSON.stringify(d.summary) ?? 'undefined'} (a one-line string)`)
  if (d.family !== 'theory' && d.family !== 'system') throw wrong(`got family ${JSON.stringify(d.family) ?? 'undefined'} ("theory" or "system")`)
  if (typeof d.create !== 'function') throw wrong(`got create of type ${typeof d.create} (a function (ctx, options) => policy)`)
  const options = d.options ?? []
  if (!Array.isArray(options)) throw wrong(`got options of type ${typeof options} (an array of {name, description, default, choices?, min?, max?, integer?})`)
  const seen = new Set<string>()
  options.forEach((o: Partial<PolicyOptionDef> | null, i) => {
    const at = `options[${i}]`
    if (o === null || typeof o !== 'object') throw wrong(`got ${at} of type ${o === null ? 'null' : typeof o}`)
    if (typeof o.name !== 'string' || !/^[\w.-]+$/.test(o.name)) throw wrong(`got ${at}.name ${JSON.stringify(o.name) ?? 'undefined'} (letters, digits, _ . -)`)
    if (seen.has(o.name)) throw wrong(`got option ${o.name} twice`)
    seen.add(o.name)
    if (typeof o.description !== 'string') throw wrong(`got ${at}.description ${JSON.stringify(o.description) ?? 'undefined'} (a string)`)
    if (typeof o.default === 'number') {
      if (o.choices !== undefined) throw wrong(`got choices on numeric option ${o.name} (choices are for string options)`)
      const okInt = o.integer !== true || Number.isInteger(o.default)
      if (!Number.isFinite(o.default) || !okInt || (o.min !== undefined && !(o.default >= o.min)) || (o.max !== undefined && !(o.default <= o.max))) {
        throw wrong(`got default ${o.default} for option ${o.name}, outside its own bounds`)
      }
    } else if (typeof o.default === 'string') {
      if (o.choices !== undefined && !(Array.isArray(o.choices) && o.choices.every((c) => typeof c === 'string') && o.choices.includes(o.default))) {
        throw wrong(`got choices ${JSON.stringify(o.choices)} for option ${o.name} (strings, including the default ${JSON.stringify(o.default)})`)
      }
    } else {
      throw wrong(`got default ${JSON.stringify(o.default) ?? 'undefined'} for option ${o.name} (a number or a string)`)
    }
  })
  return {name: d.name, summary: d.summary, family: d.family, options: options as PolicyOptionDef[], create: (d.create as PolicyDef['create']).bind(d)}
}
