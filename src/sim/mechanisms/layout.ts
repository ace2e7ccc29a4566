/**
 * Dedicated cores taken out of `--cores` (networker, dispatcher), the rest are workers.
 *
 * Layout: the networker (if any) is core 0, the dispatcher (if any) the next core, and workers
 * take the remaining cores in order; worker w runs on core `firstWorker + w`. Load ρ stays
 * λ·E[S]/cores (the machine paid for); policies report `workers` in their metrics.
 */
import {ConfigError} from '../../errors.js'

export interface CoreLayout {
  /** Core of the networker, -1 = none. */
  readonly networker: number
  /** Core of the dispatcher, -1 = none. */
  readonly dispatcher: number
  /** Core of worker 0. */
  readonly firstWorker: number
  /** Number of workers (>= 1). */
  readonly workers: number
}

/** Throws a ConfigError (flag `cores`) when the dedicated cores leave no worker. */
export function coreLayout(policy: string, cores: number, networker: boolean, dispatcher: boolean): CoreLayout {
  const dedicated = (networker ? 1 : 0) + (dispatcher ? 1 : 0)
  if (cores < dedicated + 1) {
    const what = [networker ? 'a networker' : '', dispatcher ? 'a dispatcher' : ''].filter((x) => x).join(' and ')
    throw new ConfigError(
      `Expected at least ${dedicated + 1} cores for ${policy} (${what} on dedicated cores, and at least one worker), got ${cores}`,
      {flag: 'cores'},
    )
  }
  return {
    networker: networker ? 0 : -1,
    dispatcher: dispatcher ? dedicated - 1 : -1,
    firstWorker: dedicated,
    workers: cores - dedicated,
  }
}
