/**
 * The one base class of every tailsim command (CLI glue, not library: this folder may print and
 * exit; nothing else under src/ may). It adds the shared `--debug` flag, `--json` output, and maps
 * the library's typed errors to a one-line message (no stack trace unless `--debug`), a JSON
 * error envelope under `--json`, and the error's exit code.
 */
import {Command, Flags} from '@oclif/core'

import {TailsimError} from '../errors.js'

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

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own errors (flag parsing, exit requests) already carry a message and an exit code.
    if (err.oclif !== undefined) return super.catch(err)
    const known = err instanceof TailsimError
    const exitCode = known ? err.exitCode : 70 // EX_SOFTWARE for an unexpected failure
    const code = known ? err.code : 'INTERNAL_ERROR'
    if (this.jsonEnabled()) {
      this.logJson({
        error: {code, message: err.message, exitCode, ...(known ? {where: err.where} : {})},
      })
    } else {
      const prefix = known ? 'Error: ' : 'Internal error: '
      process.stderr.write(prefix + err.message + '\n')
      if (this.debugEnabled && err.stack) process.stderr.write(err.stack + '\n')
      else if (!known) process.stderr.write('(run again with --debug for the stack trace)\n')
    }
    return this.exit(exitCode)
  }
}
