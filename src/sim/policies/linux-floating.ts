/**
 * `linux-floating` — Linux with every connection registered in every thread's epoll set
 * (level-triggered, not EPOLLEXCLUSIVE) (docs/model.md §5; code `ix-project/servers`). Mechanics
 * shared with `linux-partitioned` live in linux-common.ts.
 *
 * Thundering herd: a readiness event wakes *every* blocked thread (the socket's wait queue holds
 * one entry per epoll instance). Each woken thread pays `linux_wakeup` + `linux_epoll_wait` on its
 * own core; the first whose epoll_wait returns wins the connection's try-lock and drains it, and
 * the others find nothing left and go back to sleep (counted in `herd_wakeups`). Threads are woken
 * in thread order, so with equal costs the lowest-numbered blocked thread wins (deterministic).
 * A busy system keeps one shared FIFO of ready connections; a thread that finishes its work takes
 * the head without sleeping. A connection is held by at most one thread and drained in order, so
 * per-connection order holds.
 */
import {IntQueue} from '../machine/int-queue.js'
import type {PolicyDef, SimContext} from '../policy.js'
import {BLOCKED, LinuxServer} from './linux-common.js'

class LinuxFloating extends LinuxServer {
  /** The shared list of ready connections (state QUEUED), FIFO. */
  private readonly ready = new IntQueue(256)

  constructor(ctx: SimContext) {
    super(ctx)
  }

  protected onReady(conn: number, core: number): void {
    this.ready.push(conn)
    if (this.blocked === 0) return
    if (this.cores <= 32) {
      // The blocked threads in thread order, from a snapshot of the mask (a wake-up changes only
      // its own thread): the same sequence of wake-ups as the scan below.
      let m = this.blockedMask
      while (m !== 0) {
        const t = 31 - Math.clz32(m & -m)
        m &= m - 1
        this.wake(t, core)
      }
      return
    }
    for (let t = 0; t < this.cores; t++) if (this.tState[t] === BLOCKED) this.wake(t, core)
  }

  protected hasReady(): boolean {
    return this.ready.size > 0
  }

  protected takeReady(): number {
    return this.ready.size > 0 ? this.ready.shift() : -1
  }
}

export const linuxFloating: PolicyDef = {
  name: 'linux-floating',
  summary: 'Linux, every connection in every thread\'s epoll set: shared ready list, thundering-herd wake-ups, per-connection try-lock',
  family: 'system',
  options: [],
  create: (ctx) => new LinuxFloating(ctx),
}
