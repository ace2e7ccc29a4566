/**
 * oclif `command_not_found` hook: an unknown command is a usage error (exit 64) reported like every
 * other error (one line with "did you mean", or the JSON envelope under --json).
 */
import type {Hook} from '@oclif/core'

import {UsageError} from '../errors.js'
import {closest, reportError} from './fail.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const ids = opts.config.commandIDs.filter((id) => !opts.config.findCommand(id)?.hidden)
  // With spaces as topic separators oclif joins the first arguments into the id ("inspekt:t.csv").
  const id = opts.id.split(':')[0]
  const guess = closest(id, ids)
  const err = new UsageError(
    `Unknown command "${id}"` + (guess !== undefined ? `; did you mean "${guess}"?` : `; the commands are ${ids.join(', ')}`),
    'UNKNOWN_COMMAND',
  )
  const argv = opts.argv ?? []
  const code = reportError(err, {json: argv.includes('--json'), debug: argv.includes('--debug'), help: `${opts.config.bin} --help`})
  this.exit(code)
}

export default hook
