/**
 * The recorder of one run, the object policies report to: a completion (`complete` for a request
 * in a slot, `completeRequest` for one settled without a slot) or a drop. It keeps what the run
 * loop needs as it goes (the last completion's cycle, drops, the per-request records of
 * `--records`) and hands each completion's (arrival, end, type, service) to the run's statistics
 * (stats-core.ts: latencies, slowdowns, batch-means slices, per-type statistics, validity series).
 *
 * Where the statistics are computed:
 *  - in this thread (the default): `measure` calls StatsCore.measure, which V8 inlines into each
 *    policy's completion code;
 *  - in a statistics thread (`statsThread`, stats-thread.ts), for large runs: completions are
 *    written into shared buffers (four stores) and a thread of its own computes the same
 *    StatsCore over them while the simulation goes on. The hot loop then pays the stores only.
 *    The results are identical (StatsCore depends on the tuples alone; the tests compare both).
 * With a statistics thread, `finish()` must be awaited once after the last completion, before the
 * summaries; in this thread, the first summary settles the statistics (no completion may follow).
 */
import type {RequestTable} from '../sim/machine/requests.js'
import type {RecordSink, RecorderOptions, RequestRecordBatch, RunSeries, StatsResults} from './recorder-types.js'
import type {LatencySummary} from './sliced.js'
import {StatsCore} from './stats-core.js'
import type {StatsLink} from './stats-thread.js'

export {PERCENTILES, type LatencySummary, type PercentileKey, type StatKey} from './sliced.js'
export type {RecordSink, RecorderOptions, RequestRecordBatch, RunSeries, StatsOptions, StatsResults} from './recorder-types.js'

/** Slowdowns are recorded as integers round(slowdown · SLOWDOWN_SCALE). */
export const SLOWDOWN_SCALE = 1000

const RECORD_CHUNK = 65536

export class Recorder {
  dropped = 0
  /** Cycle of the last completion. */
  lastEnd = 0
  private readonly networkRtt: number
  /** The statistics, when computed in this thread. */
  private readonly core: StatsCore | undefined
  /** The statistics thread, when they are computed there. */
  private readonly link: StatsLink | undefined
  private results: StatsResults | undefined
  private readonly sink: RecordSink | undefined
  private readonly rec: RequestRecordBatch | undefined

  /** `link`: a statistics thread started for these options (stats-thread.ts); none: this thread. */
  constructor(
    private readonly requests: RequestTable,
    opts: RecorderOptions,
    link?: StatsLink,
  ) {
    this.networkRtt = opts.networkRtt
    this.link = link
    this.core = link === undefined ? new StatsCore(opts) : undefined
    this.sink = opts.records
    if (this.sink) {
      this.rec = {
        length: 0,
        seq: new Float64Array(RECORD_CHUNK),
        arrival: new Float64Array(RECORD_CHUNK),
        conn: new Uint32Array(RECORD_CHUNK),
        queue: new Int32Array(RECORD_CHUNK),
        core: new Int32Array(RECORD_CHUNK),
        start: new Float64Array(RECORD_CHUNK),
        end: new Float64Array(RECORD_CHUNK),
        latency: new Float64Array(RECORD_CHUNK),
      }
    }
  }

  /** Whether the statistics are computed in a statistics thread. */
  get threaded(): boolean {
    return this.link !== undefined
  }

  /** The reply of request `slot` leaves the NIC at cycle `end`. Frees the slot. */
  complete(slot: number, end: number): void {
    const r = this.requests
    const arrival = r.arrival[slot]
    const latency = this.measure(arrival, end, r.type[slot], r.service[slot])
    // The other fields are read only when records are written.
    if (this.rec !== undefined) this.record(r.seq[slot], arrival, r.conn[slot], r.queue[slot], r.core[slot], r.start[slot], end, latency)
    r.release(slot)
  }

  /**
   * The reply of a request that has no slot (a policy's `arriveDirect` path) leaves the NIC at
   * cycle `end`: the request's fields as `RequestTable` holds them (type 0 = none; `service` is
   * the trace's service time, cycles).
   */
  completeRequest(seq: number, arrival: number, conn: number, type: number, queue: number, core: number, start: number, end: number, service: number): void {
    const latency = this.measure(arrival, end, type, service)
    if (this.rec !== undefined) this.record(seq, arrival, conn, queue, core, start, end, latency)
  }

  /** Hand a completion to the statistics; returns its latency. */
  private measure(arrival: number, end: number, type: number, service: number): number {
    if (end > this.lastEnd) this.lastEnd = end
    if (this.core !== undefined) return this.core.measure(arrival, end, type, service)
    this.link!.push(arrival, end, type, service)
    return end - arrival + this.networkRtt
  }

  /** Request `slot` was dropped (bounded NIC ring overflow). Frees the slot. */
  drop(slot: number): void {
    this.dropped++
    this.requests.release(slot)
  }

  /** Completions so far (every one, measured or not). */
  get completed(): number {
    if (this.results !== undefined) return this.results.completed
    return this.core !== undefined ? this.core.completed : this.link!.pushed
  }

  /** Flush buffered per-request records to the sink. */
  flush(): void {
    if (this.rec !== undefined && this.rec.length > 0) {
      this.sink!.write(this.rec)
      this.rec.length = 0
    }
  }

  /**
   * After the last completion: settle the statistics (in a statistics thread, wait for its
   * results). Call once, before the summaries.
   */
  async finish(): Promise<void> {
    if (this.results === undefined && this.link !== undefined) this.results = await this.link.finish()
  }

  /** The results: settled on first use in this thread; from a statistics thread, after `finish()`. */
  private done(): StatsResults {
    if (this.results === undefined) {
      if (this.core === undefined) throw new Error('internal: Recorder.finish() must be awaited before the summaries')
      this.results = this.core.results()
    }
    return this.results
  }

  /** Measured completions (arrival after the warm-up). */
  get measured(): number {
    return this.done().measured
  }

  summary(): LatencySummary {
    return this.done().summary
  }

  /** Slowdowns of the measured requests, in units of SLOWDOWN_SCALE (divide every value by it). */
  slowdownSummary(): LatencySummary {
    return this.done().slowdown
  }

  /**
   * Per request class (type index >= 1; index 0 means "no type"), keyed by index.
   * Type indices come from the trace's type dictionary, offset by one.
   */
  typeSummaries(): Map<number, LatencySummary> {
    return this.done().types
  }

  /** Per request type, as `typeSummaries`: slowdowns in units of SLOWDOWN_SCALE. */
  typeSlowdownSummaries(): Map<number, LatencySummary> {
    return this.done().typesSlowdown
  }

  /** The per-slice and MSER series of the run, for the validity checks. */
  series(): RunSeries {
    return this.done().series
  }

  /** Bytes held by the per-type statistics of an in-thread recorder (for the memory test). */
  typeBytes(): number {
    return this.core?.typeBytes() ?? 0
  }

  /** Release the statistics' memory (and stop a statistics thread). */
  destroy(): void {
    this.core?.destroy()
    this.link?.close()
  }

  private record(seq: number, arrival: number, conn: number, queue: number, core: number, start: number, end: number, latency: number): void {
    const rec = this.rec!
    const i = rec.length++
    rec.seq[i] = seq
    rec.arrival[i] = arrival
    rec.conn[i] = conn
    rec.queue[i] = queue
    rec.core[i] = core
    rec.start[i] = start
    rec.end[i] = end
    rec.latency[i] = latency
    if (rec.length === RECORD_CHUNK) this.flush()
  }
}
