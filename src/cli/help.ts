/**
 * The help class (package.json `oclif.helpClass`): oclif's help, plus the EXIT CODES section on
 * every command's help and on the root help, so the codes are documented where users look.
 */
import {Help, type Command} from '@oclif/core'

import {EXIT_CODES} from './fail.js'

export default class TailsimHelp extends Help {
  private exitCodes(): string {
    return this.section(
      'EXIT CODES',
      EXIT_CODES.map(([code, what]) => [String(code), what]),
    )
  }

  protected override formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${this.exitCodes()}`
  }

  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(`\n${this.exitCodes()}`)
  }
}
