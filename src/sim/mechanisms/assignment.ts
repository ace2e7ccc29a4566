/**
 * Dispatch disciplines for per-core queues: which queue a new request joins, shared by the
 * policies with one queue per core (`n-mg1-fcfs`, `ix`). Written as policy options
 * `assignment=…`, with `d` (power of d) and `k` (JBSQ bound) as options of their own, so that
 * `assignment=jsq:d=2` reads naturally in a policy spec:
 *
 *  - `rss`: by connection, through the machine's RSS hash (the connection's home core);
 *  - `random`: a uniformly random queue per request;
 *  - `rr`: round robin per request (queue 0, 1, …, n − 1, 0, …);
 *  - `jsq`: the queue holding fewest requests, the one in service included; ties go to a
 *    uniformly random one of the tied queues;
 *  - `jsq` with `d=D`: power of D choices: D distinct queues sampled uniformly (without
 *    replacement), the one holding fewest of them; ties go to the first sampled, so again to a
 *    uniformly random one of the tied;
 *  - `jsq-work`: the queue with the least unfinished work (the remaining service of the request in
 *    service plus the service of the queued ones); ties (idle queues, mostly) go to a uniformly
 *    random one. It needs every service time at dispatch: an oracle, an idealisation no real
 *    dispatcher has;
 *  - `jbsq` with `k=K`: a central queue in front of per-core queues bounded at K (the policy runs
 *    the JBSQ mechanism of jbsq.ts; this class never picks for it).
 *
 * Every random draw uses the run's seeded generator (random: `Rng.int`, as before the other
 * disciplines existed; the others one 32-bit draw per choice). `pick` costs O(1) for rss, random and rr,
 * O(D) for power of D and O(n) for jsq and jsq-work; it allocates nothing.
 */
import {ConfigError} from '../../errors.js'
import type {Machine} from '../machine/machine.js'
import type {PolicyOptionDef, PolicyOptionValue} from '../policy.js'
import type {Rng} from '../../rng.js'

export const RSS = 0
export const RANDOM = 1
export const RR = 2
export const JSQ = 3
export const JSQ_D = 4
export const JSQ_WORK = 5
export const JBSQ = 6

const NAMES = ['rss', 'random', 'rr', 'jsq', 'jsq', 'jsq-work', 'jbsq'] as const
export const ALL_ASSIGNMENTS = ['rss', 'random', 'rr', 'jsq', 'jsq-work', 'jbsq'] as const

/** A validated `assignment` with its `d` and `k`. */
export interface AssignmentChoice {
  mode: number
  /** Queues sampled per request (power of d); 0 unless mode = JSQ_D. */
  d: number
  /** Per-core bound; 0 unless mode = JBSQ. */
  k: number
}

/** The `assignment`, `d` and `k` option definitions, `choices` the assignments a policy offers. */
export function assignmentOptionDefs(choices: readonly string[], help: string): PolicyOptionDef[] {
  return [
    {name: 'assignment', description: help, default: 'rss', choices},
    ...(choices.includes('jsq')
      ? [{name: 'd', description: 'with assignment=jsq: sample d distinct queues per request and join the shortest of them (power of d, 1 <= d <= cores); absent: all queues', default: 0, min: 1, integer: true}]
      : []),
    ...(choices.includes('jbsq')
      ? [{name: 'k', description: 'with assignment=jbsq (required): requests a core may hold, the running one included (k = 1 is M/G/n)', default: 0, min: 1, integer: true}]
      : []),
  ]
}

/**
 * Checks the combination of `assignment`, `d` and `k` (each alone was checked by the spec parser)
 * against `queues`; throws one ConfigError (flag `policy`) for `d` without jsq, `k` without jbsq,
 * jbsq without `k`, and d above the number of queues.
 */
export function assignmentChoice(policy: string, o: Readonly<Record<string, PolicyOptionValue>>, queues: number): AssignmentChoice {
  const a = String(o.assignment)
  const d = o.d === undefined ? 0 : Number(o.d)
  const k = o.k === undefined ? 0 : Number(o.k)
  if (d !== 0 && a !== 'jsq') {
    throw new ConfigError(`Expected option \`d\` of ${policy} only with assignment=jsq (power of d choices), got d=${d} with assignment=${a}`, {flag: 'policy'})
  }
  if (k !== 0 && a !== 'jbsq') {
    throw new ConfigError(`Expected option \`k\` of ${policy} only with assignment=jbsq (the per-core bound), got k=${k} with assignment=${a}`, {flag: 'policy'})
  }
  if (a === 'jbsq' && k === 0) {
    throw new ConfigError(`Expected option \`k\` of ${policy} with assignment=jbsq (requests a core may hold, an integer >= 1, e.g. assignment=jbsq:k=1), got none`, {flag: 'policy'})
  }
  if (d > queues) {
    throw new ConfigError(`Expected option \`d\` of ${policy} to be at most the number of queues (${queues}), got "${d}"`, {flag: 'policy'})
  }
  const mode = a === 'jsq' && d !== 0 ? JSQ_D : NAMES.indexOf(a as (typeof NAMES)[number])
  if (mode < 0) throw new ConfigError(`Expected option \`assignment\` of ${policy} to be one of ${ALL_ASSIGNMENTS.join(', ')}, got "${a}"`, {flag: 'policy'})
  return {mode, d: mode === JSQ_D ? d : 0, k: mode === JBSQ ? k : 0}
}

/** What the queues hold, kept by the policy: read only by jsq (held) and jsq-work (work). */
export interface QueueState {
  /** Requests queue q holds, the one in service included, at the current instant. */
  held(q: number): number
  /** Unfinished work of queue q at the current instant, cycles (>= 0). */
  work(q: number): number
}

/**
 * Uniform integer in [0, m) from one 32-bit draw (Rng.int spends a 53-bit float, two draws): the
 * bias, at most m / 2^32, is below 1e-6 for m <= 4096 queues.
 */
function pickBelow(rng: Rng, m: number): number {
  return Math.floor(rng.uint32() * m * 2.3283064365386963e-10)
}

export class Assignment {
  readonly mode: number
  private readonly n: number
  private readonly d: number
  private next = 0
  /** A permutation of the queues; its first d entries are the current sample (partial shuffle). */
  private readonly perm: Int32Array

  constructor(
    choice: AssignmentChoice,
    private readonly machine: Machine,
    private readonly rng: Rng,
    queues = machine.cores,
  ) {
    this.mode = choice.mode
    this.n = queues
    this.d = choice.d
    this.perm = new Int32Array(queues)
    for (let i = 0; i < queues; i++) this.perm[i] = i
  }

  /** Whether `pick` reads the queues' state. */
  get stateful(): boolean {
    return this.mode === JSQ || this.mode === JSQ_D || this.mode === JSQ_WORK
  }

  /** The queue a new request of connection `conn` joins. Not for JBSQ. */
  pick(conn: number, s: QueueState): number {
    switch (this.mode) {
      case RSS:
        return this.machine.homeQueue(conn)
      case RANDOM:
        return this.rng.int(this.n)
      case RR: {
        const q = this.next
        this.next = q + 1 === this.n ? 0 : q + 1
        return q
      }
      case JSQ_D:
        return this.powerOfD(s)
      case JSQ:
      case JSQ_WORK:
        return this.shortest(s, this.mode === JSQ_WORK)
      default:
        throw new Error(`assignment mode ${this.mode} picks no queue`)
    }
  }

  /** Shortest of all queues, uniformly random among ties (reservoir sampling: one draw per tie). */
  private shortest(s: QueueState, byWork: boolean): number {
    const rng = this.rng
    let best = 0
    let bestLoad = byWork ? s.work(0) : s.held(0)
    let ties = 1
    for (let q = 1; q < this.n; q++) {
      const l = byWork ? s.work(q) : s.held(q)
      if (l < bestLoad) {
        best = q
        bestLoad = l
        ties = 1
      } else if (l === bestLoad && pickBelow(rng, ++ties) === 0) {
        best = q
      }
    }
    return best
  }

  /** d distinct queues by a partial Fisher–Yates shuffle of `perm`; the first sampled wins ties. */
  private powerOfD(s: QueueState): number {
    const rng = this.rng
    const n = this.n
    if (this.d === 2) {
      // The same law as the shuffle below, without touching `perm`: a, then b uniform among the others.
      const a = pickBelow(rng, n)
      let b = pickBelow(rng, n - 1)
      if (b >= a) b++
      return s.held(b) < s.held(a) ? b : a
    }
    const perm = this.perm
    let best = -1
    let bestLoad = Infinity
    for (let i = 0; i < this.d; i++) {
      const j = i + pickBelow(rng, n - i)
      const q = perm[j]
      perm[j] = perm[i]
      perm[i] = q
      const l = s.held(q)
      if (l < bestLoad) {
        best = q
        bestLoad = l
      }
    }
    return best
  }
}
