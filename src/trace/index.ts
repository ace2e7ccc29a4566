/** Trace ingest, synthetic traces, statistics and writing: the public surface of src/trace. */
export type {ConnSource, PreStats, QuickStats, TimeUnit, TraceBatch, TraceClock, TraceFormat, TraceIngest, TraceOptions, TraceSource, TraceStats} from './types.js'
export {showInstant, instantOf, parseIso, formatIso} from './clock.js'
export {DEFAULT_MAX_CONNECTIONS} from './conn-map.js'
export {openTrace, detectFormat, sniffFormat, fileSha256, traceRowsHint} from './open.js'
export {scanTrace, preScan, offeredLoad, LogHistogram, type ScanOptions} from './scan.js'
export {
  syntheticTrace,
  parseServiceSpec,
  rateForLoad,
  parseArrivalSpec,
  type ArrivalSpec,
  type ServiceSpec,
  type SyntheticOptions,
  type SyntheticSource,
} from './synthetic.js'
export {writeTrace, outputFormat, OUTPUT_FORMATS, type OutputFormat, type WriteOptions, type WriteResult} from './writer.js'
export {DEFAULT_GHZ, parseDuration, cyclesToNs, nsDecimals, checkGhz} from './units.js'
export {MAX_LINE_BYTES} from './csv.js'
export {DEFAULT_BATCH_SIZE, DEFAULT_MAX_SORT_ROWS} from './columns.js'
