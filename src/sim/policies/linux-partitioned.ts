/**
 * `linux-partitioned` — Linux with one thread per core, each with a private epoll set holding
 * only the connections it accepted (docs/model.md §5; code `ix-project/servers`). Mechanics shared
 * with `linux-floating` live in linux-common.ts.
 *
 * Connection → thread: SO_REUSEPORT hashes the connection's 4-tuple to one of the listening
 * sockets, independently of the NIC's RSS hash. Modelled as a second murmur3 hash of the
 * connection id with its own salt drawn from the run's generator (`ctx.rng`), so a connection's
 * owner thread and its RSS core coincide only by chance (1 in `cores`); otherwise a readiness
 * event found by the softirq on the RSS core wakes the owner on another core (counted in
 * `linux_wakeups_remote`). Each thread serves its ready connections FIFO.
 */
import {mix32} from '../../rng.js'
import {IntQueue} from '../machine/int-queue.js'
import type {PolicyDef, SimContext} from '../policy.js'
import {BLOCKED, LinuxServer} from './linux-common.js'

class LinuxPartitioned extends LinuxServer {
  private readonly salt: number
  /** Per thread: its epoll ready list (connections in state QUEUED), FIFO. */
  private readonly ready: IntQueue[] = []

  constructor(ctx: SimContext) {
    super(ctx)
    this.salt = ctx.rng.uint32() | 0
    for (let t = 0; t < this.cores; t++) this.ready.push(new IntQueue(64))
  }

  /** The thread that accepted `conn` (SO_REUSEPORT hash). */
  owner(conn: number): number {
    return mix32(conn ^ this.salt) % this.cores
  }

  protected onReady(conn: number, core: number): void {
    const t = this.owner(conn)
    this.ready[t].push(conn)
    if (this.tState[t] === BLOCKED) this.wake(t, core)
  }

  protected hasReady(t: number): boolean {
    return this.ready[t].size > 0
  }

  protected takeReady(t: number): number {
    const q = this.ready[t]
    return q.size > 0 ? q.shift() : -1
  }
}

export const linuxPartitioned: PolicyDef = {
  name: 'linux-partitioned',
  summary: 'Linux, one thread per core with its own epoll set (SO_REUSEPORT), IRQ/softirq on the RSS core, cross-core wake-ups',
  family: 'system',
  options: [],
  create: (ctx) => new LinuxPartitioned(ctx),
}
