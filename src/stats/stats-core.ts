/**
 * The statistics of one run: latencies and slowdowns of the completions, in HDR histograms cut
 * into batch-means slices, per request type, and the series the validity checks read. The
 * recorder (recorder.ts) feeds it each completion's (arrival, end, type, service), in its own
 * thread or, for large runs, in a statistics thread (stats-thread.ts): the statistics depend only
 * on those tuples, not on the order they come in or on the thread (see measure).
 *
 * Latency = (cycle the reply leaves the NIC) − (arrival at the NIC) + networkRtt (docs/model.md §2).
 * Warm-up: requests arriving before `warmupUntil` are counted as completed but not recorded in
 * any latency statistic. Batch means: the measured window [warmupUntil, lastArrival] is cut into
 * `batches` equal time slices by arrival; each slice's percentiles and mean give the 95%
 * sectioning intervals (intervals.ts), and its arrivals, completions and mean latency feed the
 * validity checks (validity.ts), as does the MSER series of every completion. Percentiles are
 * clamped to [min, max] of the measured latencies (an HDR histogram reports the top of a
 * percentile's bucket, which may lie above the maximum).
 *
 * Slowdown = (cycle the reply leaves the NIC − arrival at the NIC) / (the request's service time
 * in the trace): the time the request spent in the server, every modelled overhead included
 * (network stack, dispatcher, hand-off, preemptions, queueing), over the work it asked for;
 * `--network-rtt` is not part of it (a constant outside the server). It is at least 1 wherever a
 * request needs its whole service time. Recorded per measured request, like latency, as the
 * integer round(slowdown · SLOWDOWN_SCALE) (exact to 0.001 below 2.048, then within 0.1%); the
 * mean is the exact mean of those rounded values (within 0.0005 of the ratios' mean): an integer
 * sum, so it does not depend on the order in which completions are reported.
 */
import {Bins} from './bins.js'
import type {RunSeries, StatsOptions, StatsResults} from './recorder-types.js'
import type {HistogramFront} from './histogram.js'
import {type LatencySummary, PERCENTILES, SlicedHistogram, emptySummary} from './sliced.js'
import {SECTION_KEYS, SparseHistogram} from './sparse.js'

/** MSER-5: bins of about 5 requests each by arrival time, at most MSER_CAP bins. */
const MSER_BLOCK = 5
const MSER_CAP = 1 << 16

export class StatsCore {
  private sum = 0
  /** Sum of the measured slowdowns, in units of 1/SLOWDOWN_SCALE (integers: exact in any order). */
  private sdSum = 0
  /**
   * Measured latencies and slowdowns go into exactly one histogram each: the batch slice of their
   * arrival (or a single one when batch means are off); see sliced.ts.
   */
  private readonly lat: SlicedHistogram
  private readonly sd: SlicedHistogram
  /** Batch-means slices (0 when off). */
  private readonly slices: number
  /** Per request type (index >= 1): compact statistics, created at the type's first request. */
  private readonly types: (SparseHistogram | undefined)[] = []
  /** Per request type: slowdowns (fixed point, see SLOWDOWN_SCALE). */
  private readonly typesSd: (SparseHistogram | undefined)[] = []
  private readonly span: number
  private readonly warmupUntil: number
  private readonly networkRtt: number
  /*
   * The hot path (measure) must stay small: V8 inlines it into each policy's completion code,
   * and that code into the simulation loop (or the front records into it) only while the inlined
   * bytecode fits its budget (at 2 M requests, one call left out of mgn-fcfs's loop cost more than
   * all the statistics; a buffer of completions processed in batches, tried to keep the call
   * site tiny, cost mgn-fcfs 15 % more than this). So each binning of the time line is tracked
   * as "the current bin and the integer range of times that fall in it" (Bins): a completion
   * inside the range costs two comparisons and a count in a field, not a multiplication, a floor
   * and an indexed update; the bin changes, with the same formula as the bins' definition, in a
   * separate method called only when a time falls outside the range (see bins.ts).
   *
   * By arrival: the MSER bin (a few to a few dozen requests: its sums accumulate in
   * mserCurSum/mserCurCount and are stored when the bin changes) and the batch-means slice (its
   * latency and slowdown fronts are the current ones). `winLo`/`winHi` is the intersection of
   * their ranges: one check for both.
   */
  private winLo = Infinity
  private winHi = -Infinity
  /** Batch-means slice of an arrival (clamped to the first and last slice). */
  private readonly sliceBins: Bins
  private sliceIdx = 0
  private sliceLo = Infinity
  private sliceHi = -Infinity
  /** The current slice's fronts of `lat` and `sd`. */
  private latFront: HistogramFront
  private sdFront: HistogramFront
  /** MSER series (see RunSeries): latency sum and count per arrival-time bin. */
  private readonly mserSum: Float64Array
  private readonly mserCount: Float64Array
  private readonly mserBins: Bins
  private mserIdx = -1
  private mserLo = Infinity
  private mserHi = -Infinity
  private mserCurSum = 0
  private mserCurCount = 0
  /** Completions stored in mserCount (the others are in mserCurCount). */
  private mserStored = 0
  /** `measured`, kept when the fronts are released (-1 before). */
  private measuredFinal = -1
  /**
   * By reply time: completions per batch-means slice, and one more counter (index `slices`) for
   * the replies before the measured window or after its last slice. The current counter's
   * completions accumulate in doneCur.
   */
  private readonly batchDone: Float64Array
  private readonly doneBins: Bins
  private doneIdx = 0
  private doneLo = Infinity
  private doneHi = -Infinity
  private doneCur = 0

  constructor(opts: StatsOptions) {
    this.warmupUntil = opts.warmupUntil
    this.networkRtt = opts.networkRtt
    const k = Math.min(opts.batches ?? 10, SECTION_KEYS)
    const span = opts.lastArrival - opts.warmupUntil
    this.span = span
    this.slices = k >= 2 && span > 0 ? k : 0
    const batchScale = this.slices > 0 ? k / span : 0
    this.lat = new SlicedHistogram(this.slices)
    this.sd = new SlicedHistogram(this.slices)
    this.latFront = this.lat.fronts[0]
    this.sdFront = this.sd.fronts[0]
    this.sliceBins = new Bins(opts.warmupUntil, batchScale, Math.max(1, this.slices), true)
    this.batchDone = new Float64Array(this.slices + 1)
    this.doneBins = new Bins(opts.warmupUntil, batchScale, this.slices, false)
    if (this.slices === 0) {
      // One counter (unused), for every reply.
      this.doneLo = -Infinity
      this.doneHi = Infinity
    }
    const bins = Math.max(1, Math.min(MSER_CAP, Math.floor((opts.expectedRequests ?? MSER_BLOCK * MSER_CAP) / MSER_BLOCK)))
    this.mserSum = new Float64Array(bins)
    this.mserCount = new Float64Array(bins)
    const mserFirst = opts.firstArrival ?? 0
    const mserSpan = opts.lastArrival - mserFirst
    this.mserBins = new Bins(mserFirst, mserSpan > 0 ? bins / mserSpan : 0, bins, true)
  }

  /** Count a completion and, after the warm-up, its latency and slowdown; returns the latency. */
  measure(arrival: number, end: number, type: number, service: number): number {
    const latency = end - arrival + this.networkRtt
    if (end >= this.doneLo && end <= this.doneHi) this.doneCur++
    else this.doneMiss(end)
    if (arrival >= this.winLo && arrival <= this.winHi) {
      this.mserCurSum += latency
      this.mserCurCount++
    } else this.arrivalMiss(arrival, latency)
    if (arrival >= this.warmupUntil) {
      this.sum += latency
      this.latFront.record(latency)
      const sdKey = Math.round(((end - arrival) / service) * 1000) // SLOWDOWN_SCALE, a literal: less bytecode
      this.sdSum += sdKey
      this.sdFront.record(sdKey)
      if (type !== 0) this.recordType(type, latency, sdKey, this.sliceIdx)
    }
    return latency
  }

  /** Completions (every one is counted in the MSER series). */
  get completed(): number {
    return this.mserStored + this.mserCurCount
  }

  /** Measured completions (arrival after the warm-up). */
  get measured(): number {
    if (this.measuredFinal >= 0) return this.measuredFinal
    let n = 0
    for (const f of this.lat.fronts) n += f.pending
    return n
  }

  /**
   * A completion whose arrival is outside the current window: its MSER bin and slice become the
   * current ones (completions out of arrival order go back and forth: correct, a little slower).
   */
  private arrivalMiss(arrival: number, latency: number): void {
    const m = this.mserBins
    const i = m.of(arrival)
    if (i !== this.mserIdx) {
      // The next bin (arrivals in order) starts after the current one's last integer.
      const lo = i === this.mserIdx + 1 && this.mserIdx >= 0 && Number.isFinite(this.mserHi) ? this.mserHi + 1 : m.low(i)
      this.mserFlush()
      this.mserIdx = i
      this.mserLo = lo
      this.mserHi = m.high(i)
    }
    this.mserCurSum += latency
    this.mserCurCount++
    if (!(arrival >= this.sliceLo && arrival <= this.sliceHi)) this.sliceMove(arrival)
    this.winLo = Math.max(this.mserLo, this.sliceLo)
    this.winHi = Math.min(this.mserHi, this.sliceHi)
  }

  /** A measured arrival outside the current slice's range: its slice becomes the current one. */
  private sliceMove(arrival: number): void {
    const sb = this.sliceBins
    const b = sb.of(arrival)
    this.sliceIdx = b
    this.latFront = this.lat.fronts[b]
    this.sdFront = this.sd.fronts[b]
    this.sliceLo = sb.low(b)
    this.sliceHi = sb.high(b)
  }

  private mserFlush(): void {
    if (this.mserCurCount > 0) {
      this.mserSum[this.mserIdx] += this.mserCurSum
      this.mserCount[this.mserIdx] += this.mserCurCount
      this.mserStored += this.mserCurCount
      this.mserCurSum = 0
      this.mserCurCount = 0
    }
  }

  /** A reply left at `end`, outside the current counter's range: its counter becomes the current one. */
  private doneMiss(end: number): void {
    this.doneFlush()
    const k = this.batchDone.length - 1
    let e = k
    let lo: number
    let hi: number
    if (!(end >= this.warmupUntil)) {
      // Before the window: every time below the cut-off (the first slice's low end is at or after it).
      lo = -Infinity
      hi = Math.ceil(this.warmupUntil) - 1
    } else {
      e = this.doneBins.of(end)
      if (e >= k) {
        e = k
        lo = this.doneBins.low(k)
        hi = Infinity
      } else {
        lo = Math.max(this.doneBins.low(e), this.warmupUntil)
        hi = this.doneBins.high(e)
      }
    }
    this.doneIdx = e
    this.doneLo = lo
    this.doneHi = hi
    this.doneCur = 1
  }

  private doneFlush(): void {
    this.batchDone[this.doneIdx] += this.doneCur
    this.doneCur = 0
  }

  summary(): LatencySummary {
    return this.lat.summary(this.measured, this.sum)
  }

  /** Slowdowns of the measured requests, in units of SLOWDOWN_SCALE (divide every value by it). */
  slowdownSummary(): LatencySummary {
    return this.sd.summary(this.measured, this.sdSum)
  }

  /**
   * Per request class (type index >= 1; index 0 means "no type"), keyed by index.
   * Type indices come from the trace's type dictionary, offset by one.
   */
  typeSummaries(): Map<number, LatencySummary> {
    return this.sparseSummaries(this.types)
  }

  /** Per request type, as `typeSummaries`: slowdowns in units of SLOWDOWN_SCALE. */
  typeSlowdownSummaries(): Map<number, LatencySummary> {
    return this.sparseSummaries(this.typesSd)
  }

  private sparseSummaries(hs: (SparseHistogram | undefined)[]): Map<number, LatencySummary> {
    const out = new Map<number, LatencySummary>()
    const ps = PERCENTILES.map(([, p]) => p)
    const k = this.slices
    hs.forEach((h, i) => {
      if (h === undefined) return
      const s = h.summarize(ps, k)
      const sum = emptySummary()
      sum.count = s.count
      sum.mean = s.mean
      sum.min = s.min
      sum.max = s.max
      PERCENTILES.forEach(([key], j) => {
        sum[key] = s.pct[j]
        sum.ci[key] = s.ci[j]
      })
      sum.ci.mean = s.ci[ps.length]
      out.set(i, sum)
    })
    return out
  }

  /** The per-slice and MSER series of the run, for the validity checks. */
  series(): RunSeries {
    const k = this.slices
    this.mserFlush()
    this.doneFlush()
    const bins = this.mserSum.length
    const cnt = this.mserCount
    let m = 0
    for (let i = 0; i < bins; i++) if (cnt[i] !== 0) m++
    const z = new Float64Array(m)
    const ends = new Float64Array(m)
    let n = 0
    for (let i = 0, j = 0; i < bins; i++) {
      if (cnt[i] === 0) continue
      z[j] = this.mserSum[i] / cnt[i]
      ends[j++] = this.mserBins.end(i)
      n += cnt[i]
    }
    return {
      arrivals: this.lat.sliceCounts(),
      completions: k >= 2 && this.span > 0 ? Array.from(this.batchDone.subarray(0, k)) : [],
      means: this.lat.sliceMeans(),
      mser: z,
      mserArrival: ends,
      blockSize: z.length > 0 ? n / z.length : MSER_BLOCK,
    }
  }

  /** Everything a run reports from its statistics, as plain data (it crosses threads). */
  results(): StatsResults {
    return {
      completed: this.completed,
      measured: this.measured,
      summary: this.summary(),
      slowdown: this.slowdownSummary(),
      types: this.typeSummaries(),
      typesSlowdown: this.typeSlowdownSummaries(),
      series: this.series(),
    }
  }

  /** Bytes held by the per-type statistics (for the memory test). */
  typeBytes(): number {
    let b = 0
    for (const h of this.types) if (h !== undefined) b += h.bytes()
    for (const h of this.typesSd) if (h !== undefined) b += h.bytes()
    return b
  }

  destroy(): void {
    this.measuredFinal = this.measured
    this.lat.destroy()
    this.sd.destroy()
    this.types.length = 0
    this.typesSd.length = 0
  }

  private recordType(t: number, latency: number, sdKey: number, section: number): void {
    let h = this.types[t]
    if (h === undefined) {
      h = new SparseHistogram()
      this.types[t] = h
      this.typesSd[t] = new SparseHistogram()
    }
    h.record(latency, section)
    this.typesSd[t]!.record(sdKey, section)
  }
}
