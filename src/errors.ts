/**
 * Typed errors. The library throws these and never prints or exits; the CLI's base command maps
 * them to a message and an exit code. Every error says *where* (file, row, column, flag) and
 * *what was expected*, in the form "Expected `x` to be …, got …".
 */

/** Where an input problem is. Rows are 1-based; for CSV the header is row 1. */
export interface Location {
  file?: string
  row?: number
  column?: string
  flag?: string
}

export class TailsimError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1
  /** Stable machine-readable code, used in the JSON error envelope. */
  readonly code: string = 'TAILSIM_ERROR'
  constructor(message: string, readonly where: Location = {}) {
    super(message)
    this.name = new.target.name
  }
}

function prefix(where: Location): string {
  const parts: string[] = []
  if (where.file !== undefined) parts.push(where.file)
  if (where.row !== undefined) parts.push(`row ${where.row}`)
  if (where.column !== undefined) parts.push(`column \`${where.column}\``)
  return parts.length > 0 ? parts.join(', ') + ': ' : ''
}

/** A trace file (or stream) is malformed. */
export class TraceError extends TailsimError {
  override readonly exitCode = 65 // EX_DATAERR
  override readonly code = 'TRACE_INVALID'
  constructor(detail: string, where: Location = {}) {
    super(prefix(where) + detail, where)
  }
}

/** A flag or configuration value is invalid. */
export class ConfigError extends TailsimError {
  override readonly exitCode = 64 // EX_USAGE
  override readonly code = 'CONFIG_INVALID'
  constructor(detail: string, where: Location = {}) {
    const p = where.flag !== undefined ? `--${where.flag}: ` : prefix(where)
    super(p + detail, where)
  }
}

/** A configured limit was hit (memory, simulated time, overload). Names the flag that changes it. */
export class LimitError extends TailsimError {
  override readonly exitCode = 75 // EX_TEMPFAIL-like: retry with a different limit
  override readonly code = 'LIMIT_EXCEEDED'
}

/** An output would clobber an existing file, or cannot be written. */
export class OutputError extends TailsimError {
  override readonly exitCode = 73 // EX_CANTCREAT
  override readonly code = 'OUTPUT_ERROR'
}

/**
 * The command line itself is wrong: an unknown flag or command, a missing or unexpected argument,
 * a flag value the parser rejects. `code` says which (UNKNOWN_FLAG, UNKNOWN_COMMAND, ...).
 */
export class UsageError extends TailsimError {
  override readonly exitCode = 64 // EX_USAGE
  override readonly code: string
  constructor(message: string, code = 'USAGE_ERROR', where: Location = {}) {
    super(message, where)
    this.code = code
  }
}

/** Stopped by a signal: exit 130 for SIGINT (Ctrl-C), 143 for SIGTERM. */
export class SignalError extends TailsimError {
  override readonly code = 'INTERRUPTED'
  override readonly exitCode: number
  constructor(message: string, signal: string) {
    super(message)
    this.exitCode = signal === 'SIGTERM' ? 143 : 130
  }
}

/** A result file cannot be read or merged (schema version, mismatched configs). */
export class ResultsError extends TailsimError {
  override readonly exitCode = 65
  override readonly code = 'RESULTS_INVALID'
}

/**
 * A plug-in policy module (`--policy ./my-policy.mjs`) is missing, fails to load, has the wrong
 * shape, throws, or breaks an invariant of the simulation (a request lost or completed twice, an
 * event in the past). `code` says which: POLICY_MODULE_NOT_FOUND, POLICY_MODULE_LOAD,
 * POLICY_MODULE_SHAPE, POLICY_MODULE_THREW, POLICY_MODULE_INVARIANT, POLICY_MODULE_CHANGED.
 */
export class PolicyModuleError extends TailsimError {
  override readonly exitCode = 69 // EX_UNAVAILABLE: the plug-in cannot be used
  override readonly code: string
  constructor(message: string, code: string, where: Location = {}) {
    super(message, where)
    this.code = code
  }
}

/** Format a value for an error message: short, quoted strings, visible NaN. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v)
  if (typeof v === 'bigint') return v.toString()
  if (v === null) return 'null'
  if (v === undefined) return 'nothing'
  return String(v)
}
