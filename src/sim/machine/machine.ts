/**
 * The simulated server hardware (docs/model.md §3): `cores` cores, one NIC RX queue per core, RSS.
 *
 * RSS: a connection is hashed (murmur3 finaliser of the dense connection id, salted by the run's
 * seed) to one of `rssBuckets` (128) indirection-table buckets; buckets are assigned round-robin
 * to queues, so bucket b feeds queue b mod cores. A connection therefore always lands on the same
 * queue: its *home core*.
 */
import {mix32} from '../../rng.js'
import {ConfigError} from '../../errors.js'
import type {CostTable} from './costs.js'
import {IntQueue} from './int-queue.js'

export interface MachineConfig {
  cores: number
  /** Core clock, GHz: cycles per nanosecond. */
  ghz: number
  /** RSS indirection-table size (default 128). */
  rssBuckets: number
  /** NIC RX ring size in descriptors per queue; Infinity = unbounded (default). */
  nicRing: number
  costs: CostTable
  /** Salt for the RSS hash (derived from the run seed). */
  rssSalt: number
}

export class Machine {
  readonly cores: number
  readonly ghz: number
  readonly costs: CostTable
  /** Bucket -> queue. */
  readonly rssTable: Int32Array
  /** One NIC RX queue of request slots per core. */
  readonly rx: IntQueue[]
  private readonly salt: number
  /** Memo of homeQueue by dense connection id; -1 = not computed yet. Grows on demand. */
  private homeCache: Int32Array = new Int32Array(4096).fill(-1)

  constructor(readonly config: MachineConfig) {
    if (!Number.isInteger(config.cores) || config.cores < 1 || config.cores > 4096) {
      throw new ConfigError(`Expected \`cores\` to be an integer from 1 to 4096, got ${config.cores}`, {flag: 'cores'})
    }
    if (!Number.isInteger(config.rssBuckets) || config.rssBuckets < 1) {
      throw new ConfigError(`Expected \`rssBuckets\` to be a positive integer, got ${config.rssBuckets}`)
    }
    this.cores = config.cores
    this.ghz = config.ghz
    this.costs = config.costs
    this.salt = config.rssSalt | 0
    this.rssTable = new Int32Array(config.rssBuckets)
    for (let b = 0; b < config.rssBuckets; b++) this.rssTable[b] = b % config.cores
    this.rx = []
    for (let c = 0; c < config.cores; c++) this.rx.push(new IntQueue(64, config.nicRing))
  }

  /** The NIC queue (= home core) of a connection. */
  homeQueue(conn: number): number {
    const cache = this.homeCache
    if (conn < cache.length) {
      const q = cache[conn]
      if (q >= 0) return q
      return (cache[conn] = this.hashQueue(conn))
    }
    if (conn < 1 << 24) {
      this.growCache(conn)
      return (this.homeCache[conn] = this.hashQueue(conn))
    }
    return this.hashQueue(conn)
  }

  private hashQueue(conn: number): number {
    return this.rssTable[mix32(conn ^ this.salt) % this.rssTable.length]
  }

  private growCache(conn: number): void {
    let n = this.homeCache.length
    while (n <= conn) n *= 2
    const next = new Int32Array(n).fill(-1)
    next.set(this.homeCache)
    this.homeCache = next
  }

  /** Cycles for a duration in microseconds. */
  cyclesFromUs(us: number): number {
    return Math.round(us * 1000 * this.ghz)
  }
}
