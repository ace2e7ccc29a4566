/**
 * Capacity of the dedicated stages of the dispatcher-based designs for a cost table: the most
 * requests per second each single server can pass, ignoring queueing. Shown by
 * `replay --show-config` so that a preset whose networker or dispatcher saturates before the
 * workers is visible before any run.
 */
import type {CostTable} from '../machine/costs.js'

export interface DispatcherCapacity {
  /** Networker: 1 / net_packet, requests/s (Infinity when free). */
  networker_rps: number
  /** Dispatcher at two events per request (new + completion report), requests/s. */
  dispatcher_rps: number
  /** Dispatcher at one event per request (d-fcfs: no completion reports), requests/s. */
  dispatcher_no_reports_rps: number
  /** Workers left on `cores` after the networker and the dispatcher. */
  workers: number
  /** Worker-side overhead of one request under k = 1 (dispatch + hand-off round trip), µs. */
  round_trip_us: number
}

export function dispatcherCapacity(costs: CostTable, ghz: number, cores: number): DispatcherCapacity {
  const hz = ghz * 1e9
  const net = costs.net_packet ?? 0
  const disp = costs.dispatch_cost ?? 0
  return {
    networker_rps: net > 0 ? hz / net : Infinity,
    dispatcher_rps: disp > 0 ? hz / (2 * disp) : Infinity,
    dispatcher_no_reports_rps: disp > 0 ? hz / disp : Infinity,
    workers: Math.max(0, cores - 2),
    round_trip_us: (disp + (costs.handoff_latency ?? 0)) / (ghz * 1000),
  }
}
