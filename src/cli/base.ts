/**
 * The one base class of every tailsim command (CLI glue, not library: this folder may print and
 * exit; nothing else under src/ may). It adds the shared `--debug` flag, `--json` output, turns the
 * oclif parser's errors into typed usage errors, and reports every error as documented (see
 * ./fail.ts): one line and a hint on stderr (no stack trace unless `--debug`), or a JSON envelope
 * on stdout under `--json`, and the error's exit code.
 */
import {Command, Flags} from '@oclif/core'

import {ConfigError, TailsimError} from '../errors.js'

import {fromParseError, reportError} from './fail.js'

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    debug: Flags.boolean({
      description: 'Print stack traces for errors.',
      helpGroup: 'GLOBAL',
    }),
  }

  /** True when the user asked for stack traces. */
  protected get debugEnabled(): boolean {
    return this.argv.includes('--debug')
  }

  /**
   * `--json` output. Piped (not a terminal), the JSON is written as it is, without oclif's
   * colouriser: that tokenises the whole text and took ~800 MB for the 40 MB result of a replay
   * with 65 535 request types. The text is the same.
   */
  override logJson(json: unknown): void {
    if (process.stdout.isTTY) super.logJson(json)
    else process.stdout.write(JSON.stringify(json, null, 2) + '\n')
  }

  protected override async catch(err: Error & {code?: string; oclif?: {exit?: number}}): Promise<unknown> {
    // An exit request (this.exit, --help, --version) is not an error.
    if (err.code === 'EEXIT' || (err.oclif !== undefined && err.oclif.exit === 0)) throw err
    // The parser's errors (CLIError with an exit code, or a flag's parse function failing, which
    // the parser rewrites to "Parsing --flag ... See more help with --help") are usage errors.
    const parseError = !(err instanceof TailsimError) && (err.oclif !== undefined || /See more help with --help\s*$/.test(err.message))
    const flags = {...this.ctor.baseFlags, ...this.ctor.flags} as Record<string, {allowNo?: boolean; type?: string; env?: string; char?: string}>
    // A refused value that came from a TAILSIM_* variable (the flag not on the command line) names
    // the variable and its literal value, not only the flag. Precedence is oclif's: the flag, then
    // the variable, then the default.
    const fromEnv = parseError ? envError(err, flags, this.argv) : undefined
    const exitCode = reportError(fromEnv ?? (parseError ? fromParseError(err, flags) : err), {
      json: this.jsonEnabled(),
      debug: this.debugEnabled,
      help: `${this.config.bin} ${this.id ?? ''} --help`.replace(/\s+/g, ' '),
    })
    return this.exit(exitCode)
  }
}

type EnvFlag = {env?: string; char?: string; type?: string}

/** True when `argv` (before `--`) gives the flag `name` (or its short letter) on the command line. */
export function givenOnCommandLine(argv: readonly string[], name: string, char?: string): boolean {
  for (const a of argv) {
    if (a === '--') break
    if (a === `--${name}` || a.startsWith(`--${name}=`)) return true
    if (char !== undefined && (a === `-${char}` || (a.startsWith(`-${char}`) && !a.startsWith('--')))) return true
  }
  return false
}

/**
 * A parse error caused by an environment variable's value, as a ConfigError naming the variable,
 * its literal value and the flag it is the default of; undefined for any other error.
 */
export function envError(error: unknown, flags: Record<string, EnvFlag>, argv: readonly string[]): ConfigError | undefined {
  if (!(error instanceof Error) || error instanceof TailsimError) return undefined
  const name = /^Parsing --([\w-]+)/.exec(error.message)?.[1] ?? /Expected --([\w-]+)=/.exec(error.message)?.[1]
  const flag = name === undefined ? undefined : flags[name]
  if (name === undefined || flag?.env === undefined) return undefined
  const value = process.env[flag.env]
  if (value === undefined || value === '' || givenOnCommandLine(argv, name, flag.char)) return undefined
  const reason = error.message
    .replace(/^Parsing --[\w-]+\s*/, '')
    .replace(/\n?See more help with --help\s*$/, '')
    .replace(/^Expected --[\w-]+=[\s\S]*? to be one of: (.*)$/m, 'Expected one of $1')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ')
  return new ConfigError(`${flag.env}=${JSON.stringify(value)} (the environment's default for --${name}): ${reason}`)
}
