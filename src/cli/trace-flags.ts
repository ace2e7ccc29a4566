/**
 * Command-line flags for reading a trace (column mapping, units, sorting, clock), shared by every
 * command that takes a TRACE argument, and their translation to TraceOptions. Definitions only:
 * nothing here prints or exits.
 */
import {Flags} from '@oclif/core'

import {ConfigError, show} from '../errors.js'
import {DEFAULT_MAX_SORT_ROWS} from '../trace/columns.js'
import type {TimeUnit, TraceFormat, TraceOptions} from '../trace/types.js'
import {DEFAULT_GHZ, checkGhz} from '../trace/units.js'

export const traceFlags = {
  'arrival-column': Flags.string({
    description: 'Name of the arrival-time column. [default: arrival_ns or arrival_us]',
    helpGroup: 'TRACE',
  }),
  'conn-column': Flags.string({description: 'Name of the connection-id column. [default: conn]', helpGroup: 'TRACE'}),
  'service-column': Flags.string({
    description: 'Name of the service-time column. [default: service_ns or service_us]',
    helpGroup: 'TRACE',
  }),
  'type-column': Flags.string({description: 'Name of the request-type column. [default: type, when present]', helpGroup: 'TRACE'}),
  'arrival-unit': Flags.string({
    description: 'Unit of the arrival column when its name has no _ns/_us suffix.',
    options: ['ns', 'us'],
    helpGroup: 'TRACE',
  }),
  'service-unit': Flags.string({
    description: 'Unit of the service column when its name has no _ns/_us suffix.',
    options: ['ns', 'us'],
    helpGroup: 'TRACE',
  }),
  'trace-format': Flags.string({
    description: 'Read the trace as this format instead of detecting it from magic bytes and extension.',
    options: ['arrow', 'parquet', 'csv'],
    helpGroup: 'TRACE',
  }),
  sort: Flags.boolean({
    description: 'Sort rows by arrival in memory instead of rejecting a decreasing arrival (bounded by --max-sort-rows).',
    helpGroup: 'TRACE',
  }),
  'max-sort-rows': Flags.integer({
    description: `Most rows --sort holds in memory (about 22 bytes each). [default: ${DEFAULT_MAX_SORT_ROWS}]`,
    min: 1,
    helpGroup: 'TRACE',
  }),
  'stats-cache': Flags.string({
    description:
      'Folder where the statistics of trace files (count, arrival span, mean service) are kept between runs, so that a CSV trace is decoded once per run from the second run on. [default: $XDG_CACHE_HOME/tailsim/stats, or ~/.cache/tailsim/stats]',
    helpGroup: 'TRACE',
    exclusive: ['no-stats-cache'],
  }),
  'no-stats-cache': Flags.boolean({
    description: 'Neither read nor write the stats cache.',
    helpGroup: 'TRACE',
  }),
}

/** The subset of parsed flag values `traceOptions` reads. */
export interface TraceFlagValues {
  'arrival-column'?: string
  'conn-column'?: string
  'service-column'?: string
  'type-column'?: string
  'arrival-unit'?: string
  'service-unit'?: string
  'trace-format'?: string
  sort?: boolean
  'max-sort-rows'?: number
  'stats-cache'?: string
  'no-stats-cache'?: boolean
}

/** Parse a `--ghz` value given as a string or number. */
export function parseGhz(raw: string | number | undefined): number {
  if (raw === undefined) return DEFAULT_GHZ
  const v = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw)
  if (!Number.isFinite(v) || v <= 0) {
    throw new ConfigError(`Expected a clock in GHz greater than 0, got ${show(raw)}`, {flag: 'ghz'})
  }
  return checkGhz(v)
}

/** TraceOptions from parsed trace flags and a clock. */
export function traceOptions(flags: TraceFlagValues, ghz: number): TraceOptions {
  const columns: NonNullable<TraceOptions['columns']> = {}
  if (flags['arrival-column'] !== undefined) columns.arrival = flags['arrival-column']
  if (flags['conn-column'] !== undefined) columns.conn = flags['conn-column']
  if (flags['service-column'] !== undefined) columns.service = flags['service-column']
  if (flags['type-column'] !== undefined) columns.type = flags['type-column']
  return {
    ghz,
    ...(Object.keys(columns).length > 0 ? {columns} : {}),
    ...(flags['arrival-unit'] ? {arrivalUnit: flags['arrival-unit'] as TimeUnit} : {}),
    ...(flags['service-unit'] ? {serviceUnit: flags['service-unit'] as TimeUnit} : {}),
    ...(flags['trace-format'] ? {format: flags['trace-format'] as TraceFormat} : {}),
    ...(flags.sort ? {sort: true} : {}),
    ...(flags['max-sort-rows'] !== undefined ? {maxSortRows: flags['max-sort-rows']} : {}),
    ...(flags['no-stats-cache'] ? {statsCache: false as const} : flags['stats-cache'] !== undefined ? {statsCache: flags['stats-cache']} : {}),
  }
}
