/**
 * Command-line flags for reading a trace (column mapping, units, sorting, clock), shared by every
 * command that takes a TRACE argument, and their translation to TraceOptions. Definitions only:
 * nothing here prints or exits.
 */
import {Flags} from '@oclif/core'

import {ConfigError, show} from '../errors.js'
import {DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_SORT_ROWS} from '../trace/columns.js'
import type {TimeUnit, TraceFormat, TraceOptions} from '../trace/types.js'
import {DEFAULT_GHZ, checkGhz} from '../trace/units.js'

export const traceFlags = {
  'arrival-column': Flags.string({
    description: 'Name of the arrival-time column. [default: arrival_ns, arrival_us, arrival_ms or arrival_s]',
    helpGroup: 'TRACE',
  }),
  'conn-column': Flags.string({description: 'Name of the connection-id column. [default: conn]', helpGroup: 'TRACE'}),
  'service-column': Flags.string({
    description: 'Name of the service-time column. [default: service_ns, service_us, service_ms or service_s]',
    helpGroup: 'TRACE',
  }),
  'type-column': Flags.string({description: 'Name of the request-type column. [default: type, when present]', helpGroup: 'TRACE'}),
  'arrival-unit': Flags.string({
    description:
      'Unit of numeric arrival times (overrides a _s/_ms/_us/_ns name suffix). Epoch clocks are rebased exactly; timestamp columns and ISO-8601 text need no unit.',
    options: ['s', 'ms', 'us', 'ns'],
    helpGroup: 'TRACE',
  }),
  'service-unit': Flags.string({
    description: 'Unit of the service-time column (overrides a _s/_ms/_us/_ns name suffix).',
    options: ['s', 'ms', 'us', 'ns'],
    helpGroup: 'TRACE',
  }),
  delimiter: Flags.string({
    description: 'CSV field delimiter: one character, or `tab`. [default: tab for .tsv files, else comma]',
    helpGroup: 'TRACE',
  }),
  connections: Flags.integer({
    description:
      'A trace without a connection column: draw each request\'s connection uniformly from N ids (seeded by --conn-seed). With --synthetic: connections of the synthetic trace. At most 1e7 (the simulator keeps state per connection). [default for synthetic traces: 2720]',
    min: 1,
    max: 10_000_000,
    helpGroup: 'TRACE',
  }),
  'conn-seed': Flags.integer({description: 'Seed of the connections drawn by --connections for a trace without a connection column. [default: 1]', helpGroup: 'TRACE'}),
  'conn-per-request': Flags.boolean({description: 'A trace without a connection column: every request on its own connection.', helpGroup: 'TRACE'}),
  'max-connections': Flags.integer({
    description: `Most distinct connection ids a trace may have (about 20 bytes each while reading, plus the simulator's per-connection state). [default: ${DEFAULT_MAX_CONNECTIONS}]`,
    min: 1,
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
  delimiter?: string
  connections?: number
  'conn-seed'?: number
  'conn-per-request'?: boolean
  'max-connections'?: number
}

/** Largest accepted `--ghz` (every command: the same range and words). */
export const MAX_GHZ = 100

/** Parse a `--ghz` value given as a string or number. */
export function parseGhz(raw: string | number | undefined): number {
  if (raw === undefined) return DEFAULT_GHZ
  const v = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw)
  if (!Number.isFinite(v) || v <= 0 || v > MAX_GHZ) {
    throw new ConfigError(`Expected a clock in GHz greater than 0 and at most ${MAX_GHZ}, got ${show(raw)}`, {flag: 'ghz'})
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
    ...(flags.delimiter !== undefined ? {delimiter: flags.delimiter === 'tab' || flags.delimiter === '\\t' ? '\t' : flags.delimiter} : {}),
    ...(flags.connections !== undefined ? {connections: flags.connections} : {}),
    ...(flags['conn-seed'] !== undefined ? {connSeed: flags['conn-seed']} : {}),
    ...(flags['conn-per-request'] ? {connPerRequest: true} : {}),
    ...(flags['max-connections'] !== undefined ? {maxConnections: flags['max-connections']} : {}),
  }
}
