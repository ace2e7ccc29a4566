/**
 * The machine file (`--machine file.json`): a whole machine in one JSON object.
 *
 *   { "cores": 16, "ghz": 2.4, "preset": "paper", "costs": { "rx_packet": 900 },
 *     "rssBuckets": 128, "nicRing": 512 }
 *
 * Every key is optional; unknown keys are errors (a typo must not be silently ignored). Flags given
 * on the command line override the file.
 */
import {readFileSync} from 'node:fs'

import {ConfigError} from '../../errors.js'
import {COST_NAMES, MAX_COST_CYCLES, PRESETS} from './costs.js'

export interface MachineFile {
  cores?: number
  ghz?: number
  preset?: string
  costs?: Record<string, number>
  rssBuckets?: number
  nicRing?: number
}

const KEYS = ['cores', 'ghz', 'preset', 'costs', 'rssBuckets', 'nicRing']

/** Parse and validate machine-file text. `file` is used in messages. */
export function parseMachineFile(text: string, file: string): MachineFile {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`Expected valid JSON: ${(error as Error).message}`, {file})
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`Expected a JSON object, got ${Array.isArray(data) ? 'an array' : typeof data}`, {file})
  }
  const obj = data as Record<string, unknown>
  for (const k of Object.keys(obj)) {
    if (!KEYS.includes(k)) throw new ConfigError(`Expected keys among ${KEYS.join(', ')}; got unknown key "${k}"`, {file, column: k})
  }
  const posInt = (k: string, max: number) => {
    const v = obj[k]
    if (v === undefined) return undefined
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      throw new ConfigError(`Expected \`${k}\` to be an integer from 1 to ${max}, got ${JSON.stringify(v)}`, {file, column: k})
    }
    return v
  }
  const out: MachineFile = {}
  out.cores = posInt('cores', 4096)
  out.rssBuckets = posInt('rssBuckets', 1 << 16)
  out.nicRing = posInt('nicRing', 1 << 30)
  if (obj.ghz !== undefined) {
    if (typeof obj.ghz !== 'number' || !(obj.ghz > 0) || obj.ghz > 100) {
      throw new ConfigError(`Expected \`ghz\` to be a number in (0, 100], got ${JSON.stringify(obj.ghz)}`, {file, column: 'ghz'})
    }
    out.ghz = obj.ghz
  }
  if (obj.preset !== undefined) {
    if (typeof obj.preset !== 'string' || !(obj.preset in PRESETS)) {
      throw new ConfigError(`Expected \`preset\` to be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(obj.preset)}`, {
        file,
        column: 'preset',
      })
    }
    out.preset = obj.preset
  }
  if (obj.costs !== undefined) {
    if (typeof obj.costs !== 'object' || obj.costs === null || Array.isArray(obj.costs)) {
      throw new ConfigError(`Expected \`costs\` to be an object of name: cycles, got ${JSON.stringify(obj.costs)}`, {file, column: 'costs'})
    }
    const costs: Record<string, number> = {}
    for (const [k, v] of Object.entries(obj.costs as Record<string, unknown>)) {
      if (!COST_NAMES.includes(k)) {
        throw new ConfigError(`Expected a cost name among ${COST_NAMES.join(', ')}; got "${k}"`, {file, column: `costs.${k}`})
      }
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_COST_CYCLES) {
        throw new ConfigError(`Expected cost \`${k}\` to be a number of cycles in [0, ${MAX_COST_CYCLES}], got ${JSON.stringify(v)}`, {
          file,
          column: `costs.${k}`,
        })
      }
      costs[k] = v
    }
    out.costs = costs
  }
  return out
}

export function readMachineFile(path: string): MachineFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`Cannot read the machine file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      file: path,
    })
  }
  return parseMachineFile(text, path)
}
