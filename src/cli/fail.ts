/**
 * How the CLI reports an error (CLI glue: this folder may print). One line on stderr — the message
 * and a hint — or, under `--json`, one envelope on stdout and nothing else:
 *   {"error": {"code", "message", "exit_code", "where"}}
 * The exit code is the error's own (see EXIT_CODES); anything that is not a typed error is a bug
 * and exits 70. Also: translation of the oclif parser's errors into typed usage errors, and the
 * "did you mean" suggestions for flags and commands.
 */
import {TailsimError, UsageError, type Location} from '../errors.js'

/** The documented exit codes (README, every command's --help). */
export const EXIT_CODES: readonly (readonly [number, string])[] = [
  [0, 'success'],
  [1, 'the sweep is incomplete: compare had failing cells (the others were kept), or report --strict found missing cells'],
  [64, 'usage: unknown command or flag, bad flag or TAILSIM_* value, missing or unexpected argument'],
  [65, 'data: a trace, machine file or result file is malformed'],
  [69, 'plug-in policy: the module is missing, fails to load, has the wrong shape, throws, or breaks an invariant'],
  [70, 'internal error: a bug in tailsim (run again with --debug and report it)'],
  [73, 'output: a file exists (use --force), is one of the inputs, or cannot be written'],
  [75, 'limit: a configured limit was hit (overload, --max-sort-rows, --max-sim-time, memory)'],
  [130, 'interrupted (SIGINT, Ctrl-C): replay printed partial statistics, compare kept its finished cells'],
  [143, 'terminated (SIGTERM): as for 130'],
]

/** Levenshtein edit distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}

/**
 * The candidate closest to `word` by edit distance, if it is close enough to be a plausible typo
 * (at most max(2, a third of the word's length) edits) or `word` is a prefix of it.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 3 ? 0.5 : editDistance(word, c)
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c
      bestD = d
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

/** The long names a command's flags can be spelled with (`--no-x` for negatable booleans). */
export function flagNames(flags: Record<string, {allowNo?: boolean; type?: string}> | undefined): string[] {
  const names: string[] = []
  for (const [name, f] of Object.entries(flags ?? {})) {
    names.push(name)
    if (f.type === 'boolean' && f.allowNo) names.push(`no-${name}`)
  }
  return names
}

/** One line: newlines (oclif's multi-line messages, lists of failures) become "; ". */
function oneLine(s: string): string {
  return s
    .replace(/\u001B\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('; ')
}

/**
 * A typed usage error from an error the oclif parser threw (unknown flag, bad integer, option not
 * in the list, exclusive flags, missing or unexpected argument). `flags` are the command's flag
 * definitions, for "did you mean". Errors that are already typed pass through unchanged.
 */
export function fromParseError(err: unknown, flags?: Record<string, {allowNo?: boolean; type?: string}>): Error {
  if (err instanceof TailsimError) return err
  if (!(err instanceof Error)) return new UsageError(`Expected a valid command line, got ${String(err)}`)
  const raw = err.message.replace(/\n?See more help with --help\s*$/, '')
  const name = err.constructor.name
  if (name === 'NonExistentFlagsError') {
    const given = ((err as Error & {flags?: string[]}).flags ?? []).map(String)
    const first = given[0] ?? ''
    const bare = first.replace(/^-+/, '').replace(/=.*$/, '')
    const guess = closest(bare, flagNames(flags))
    const what = given.length === 1 ? `Unknown flag ${first}` : `Unknown flags ${given.join(', ')}`
    return new UsageError(what + (guess !== undefined ? `; did you mean --${guess}?` : ''), 'UNKNOWN_FLAG', {flag: bare})
  }
  const parsing = /^Parsing --([\w-]+)\s*\n\s*([\s\S]*)$/.exec(raw)
  if (parsing) return new UsageError(`--${parsing[1]}: ${oneLine(parsing[2])}`, 'INVALID_FLAG_VALUE', {flag: parsing[1]})
  const option = /^Expected --([\w-]+)=([\s\S]*) to be one of: (.*)$/.exec(raw)
  if (option) return new UsageError(`--${option[1]}: Expected one of ${option[3]}, got "${option[2]}"`, 'INVALID_FLAG_VALUE', {flag: option[1]})
  const body = oneLine(raw.replace(/^The following errors? occurred:\s*/, ''))
  const flag = /--([\w-]+)/.exec(body)?.[1]
  const where: Location = flag !== undefined ? {flag} : {}
  if (name === 'RequiredArgsError') {
    const args = ((err as Error & {args?: {name?: string; description?: string}[]}).args ?? []).filter((a) => a.name)
    const what = args.map((a) => a.name!.toUpperCase() + (a.description ? ` (${a.description.replace(/\s+/g, ' ').replace(/\.$/, '')})` : '')).join(', ')
    return new UsageError(`Expected the argument ${what || 'that is missing'}, got nothing`, 'MISSING_ARGUMENT')
  }
  if (name === 'UnexpectedArgsError') return new UsageError(body, 'UNEXPECTED_ARGUMENT', where)
  if (name === 'FlagInvalidOptionError' || name === 'ArgInvalidOptionError') return new UsageError(body, 'INVALID_FLAG_VALUE', where)
  if (name === 'FailedFlagValidationError' || name === 'ViolatedFlagConstraintError') {
    // One reason is enough (oclif lists each side of an exclusive pair).
    const first = oneLine(raw.replace(/^The following errors? occurred:\s*/, '').split('\n').find((l) => l.trim() !== '') ?? body)
    return new UsageError(first, 'INVALID_FLAGS', where)
  }
  return new UsageError(body, 'USAGE_ERROR', where)
}

export interface ReportOptions {
  json: boolean
  debug: boolean
  /** The help to point at, e.g. "tailsim replay --help". */
  help: string
  stdout?: (s: string) => void
  stderr?: (s: string) => void
}

/** Print an error as documented and return its exit code. */
export function reportError(err: Error, o: ReportOptions): number {
  const out = o.stdout ?? ((s: string) => process.stdout.write(s))
  const errOut = o.stderr ?? ((s: string) => process.stderr.write(s))
  const known = err instanceof TailsimError
  const exitCode = known ? err.exitCode : 70 // EX_SOFTWARE: an unexpected failure is a bug
  const code = known ? err.code : 'INTERNAL_ERROR'
  const message = oneLine(err.message) || err.name
  if (o.json) {
    out(JSON.stringify({error: {code, message, exit_code: exitCode, where: known ? err.where : {}}}, null, 2) + '\n')
    if (o.debug && err.stack) errOut(err.stack + '\n')
    return exitCode
  }
  const hint = known ? `See \`${o.help}\`.` : 'This is a bug: run again with --debug for the stack trace and report it.'
  const sentence = /[.?!]$/.test(message) ? message : message.replace(/[;:,\s]+$/, '') + '.'
  errOut(`${known ? 'Error' : 'Internal error'}: ${sentence} ${hint}\n`)
  if (o.debug && err.stack) errOut(err.stack + '\n')
  return exitCode
}
