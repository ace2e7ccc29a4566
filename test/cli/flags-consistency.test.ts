/**
 * The same concept is spelled the same on every command: one long name, one short letter, one
 * default, one range, one environment variable. Checked over the flag definitions of the real
 * command classes (dist/), so a new flag that drifts fails here; the documented exceptions are
 * listed with their reason.
 */
import {runCommand} from '@oclif/test'
import {describe, expect, test} from 'vitest'
import {DEFAULT_SYNTHETIC_REQUESTS} from '../../src/trace/synthetic.js'

const root = process.cwd()
const NAMES = ['replay', 'compare', 'generate', 'inspect', 'report'] as const

type FlagDef = {char?: string; default?: unknown; env?: string; min?: number; max?: number; options?: readonly string[]; type?: string}

async function flagsOf(name: string): Promise<Record<string, FlagDef>> {
  const mod = (await import(`${root}/dist/commands/${name}.js`)) as {default: {flags: Record<string, FlagDef>}}
  return mod.default.flags
}

/** One concept, two spellings (a list and a single value): the same letter. */
const SAME_CONCEPT: [string, string][] = [
  ['policy', 'policies'],
  ['load', 'loads'],
]

/** Flags whose property legitimately differs between commands, and why. */
const EXCEPTIONS: Record<string, {props: (keyof FlagDef)[]; why: string}> = {
  format: {props: ['options', 'env', 'default'], why: "generate's --format is the trace file format; compare/report's the table format (TAILSIM_FORMAT)"},
  cores: {props: ['default', 'max'], why: 'replay/compare take the cores from a --machine file unless given (documented default 16) and simulate at most 4096; generate/inspect only compute a load with them'},
  interval: {props: ['options'], why: 'replay also has the within-run `batch` interval'},
  requests: {props: ['default'], why: "generate's default (100000) is set at run time: with replay:FILE arrivals it is all of FILE's rows"},
}

describe('flags', () => {
  test('a flag on several commands has the same letter, default, range and environment variable', async () => {
    const all = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await flagsOf(n)] as const)))
    const where = new Map<string, string[]>()
    for (const n of NAMES) for (const f of Object.keys(all[n])) where.set(f, [...(where.get(f) ?? []), n])
    const problems: string[] = []
    for (const [flag, cmds] of where) {
      if (cmds.length < 2) continue
      for (const prop of ['char', 'default', 'env', 'min', 'max', 'options'] as const) {
        if (EXCEPTIONS[flag]?.props.includes(prop)) continue
        // A boolean without a default is false.
        const value = (c: string) => JSON.stringify(all[c][flag][prop] ?? (prop === 'default' && all[c][flag].type === 'boolean' ? false : null))
        const seen = new Set(cmds.map(value))
        if (seen.size > 1) problems.push(`--${flag} ${prop}: ${cmds.map((c) => `${c}=${value(c)}`).join(', ')}`)
      }
    }
    for (const [a, b] of SAME_CONCEPT) {
      const letters = new Set<string>()
      for (const n of NAMES) for (const f of [a, b]) if (all[n][f] !== undefined) letters.add(all[n][f].char ?? '(none)')
      if (letters.size !== 1) problems.push(`--${a}/--${b}: letters ${[...letters].join(', ')}`)
    }
    // A letter means one thing: no command uses it for two flags, no two concepts share it.
    const byLetter = new Map<string, Set<string>>()
    const concept = (f: string) => SAME_CONCEPT.find((p) => p.includes(f))?.[0] ?? f
    for (const n of NAMES) for (const [f, d] of Object.entries(all[n])) if (d.char) byLetter.set(d.char, new Set([...(byLetter.get(d.char) ?? []), concept(f)]))
    for (const [letter, fs] of byLetter) if (fs.size > 1) problems.push(`-${letter} stands for ${[...fs].join(' and ')}`)
    expect(problems).toEqual([])
  })

  test('the shared letters and defaults', async () => {
    const replay = await flagsOf('replay')
    const compare = await flagsOf('compare')
    const generate = await flagsOf('generate')
    for (const f of [replay, compare]) {
      expect(f.replications.char).toBe('k')
      expect(f.force.char).toBe('f')
      expect(f.requests.char).toBe('n')
      expect(f.cores.char).toBe('c')
      expect(f.seed.env).toBe('TAILSIM_SEED')
      expect(f.progress.env).toBe('TAILSIM_PROGRESS')
    }
    // --requests has no parser default (a TRACE file refuses it when given); the synthetic
    // trace's default is applied in code and stated in the help.
    for (const f of [replay, compare]) {
      expect(f.requests.default).toBeUndefined()
      expect(f.requests.description).toMatch(/default 100000/)
    }
    expect(DEFAULT_SYNTHETIC_REQUESTS).toBe(100_000)
    expect(generate.seed).toMatchObject({min: 0, max: 2 ** 32 - 1, default: 1, env: 'TAILSIM_SEED'})
    expect(compare.jobs.env).toBe('TAILSIM_JOBS')
  })

  test('every command refuses a negative seed with the same words', async () => {
    const messages = new Set<string>()
    for (const args of [
      ['generate', 'g.csv', '--load', '0.5', '--seed', '-5'],
      ['replay', '--synthetic', 'exp:10us', '-p', 'mgn-fcfs', '-l', '0.5', '--seed', '-5'],
      ['compare', 'synthetic:exp:10us', '--seed', '-5'],
      ['generate', 'g.csv', '--load', '0.5', '--seed', '4294967296'],
    ]) {
      const r = await runCommand(args, {root}, {testNodeEnv: 'production'} as never)
      expect((r.error as {oclif?: {exit?: number}}).oclif?.exit).toBe(64)
      messages.add(r.stderr.replace(/See `tailsim \w+ --help`\.\n$/, '').replace(/-5|4294967296/, 'N'))
    }
    expect([...messages].sort()).toEqual([
      'Error: --seed: Expected an integer greater than or equal to 0 but received: N. ',
      'Error: --seed: Expected an integer less than or equal to 4294967295 but received: N. ',
    ])
  })

  test('every command takes the same --ghz range, with the same words', async () => {
    for (const bad of ['0', '101', 'abc']) {
      const messages = new Set<string>()
      for (const args of [
        ['generate', 'g.csv', '--load', '0.5'],
        ['inspect', 'traces/sample.csv'],
        ['replay', '--synthetic', 'exp:10us', '-p', 'mgn-fcfs', '-l', '0.5'],
        ['compare', 'synthetic:exp:10us'],
      ]) {
        const r = await runCommand([...args, '--ghz', bad], {root}, {testNodeEnv: 'production'} as never)
        expect((r.error as {oclif?: {exit?: number}}).oclif?.exit).toBe(64)
        messages.add(r.stderr.replace(/See `tailsim \w+ --help`\.\n$/, ''))
      }
      expect([...messages]).toEqual([`Error: --ghz: Expected a clock in GHz greater than 0 and at most 100, got "${bad}". `])
    }
  })
})
