/**
 * Machine costs (docs/model.md §3). Every cost is an integer number of **cycles** of the core clock
 * (`ghz`, default 2.4). Presets: `zero` (all 0: the theoretical machine) and `paper` (fitted so
 * the simulation reproduces the ZygOS paper's headline results; the fit is documented in the
 * README). Users override single costs with `--cost name=value` or give a whole machine file.
 */
import {ConfigError} from '../../errors.js'

export interface CostDef {
  name: string
  description: string
  /** Value in the `paper` preset, cycles. */
  paper: number
}

/** All costs, in the order `--show-config` prints them. */
export const COST_DEFS: readonly CostDef[] = [
  // Dataplane (IX, ZygOS) networking.
  {name: 'rx_packet', description: 'per-packet RX + TCP processing in the dataplane', paper: 2000},
  {name: 'tx_reply', description: 'per-reply TCP TX in the dataplane', paper: 1000},
  {name: 'user_kernel', description: 'one user/kernel crossing (dataplane batched syscalls)', paper: 300},
  // ZygOS shuffle layer and IPIs.
  {name: 'shuffle_packet', description: 'ZygOS shuffle layer, per packet on the home core: ready-queue lock + enqueue, event generation and completion bookkeeping', paper: 1500},
  {name: 'steal_attempt', description: 'one steal attempt (pick victim, trylock, look at its shuffle queue)', paper: 600},
  {name: 'steal_transfer', description: 'taking a connection and its pending events from a remote core', paper: 2400},
  {name: 'remote_syscall', description: 'enqueueing a remote syscall (a stolen request\'s reply) to its home core', paper: 1200},
  {name: 'ipi_send', description: 'sending an inter-processor interrupt', paper: 600},
  {name: 'ipi_latency', description: 'IPI delivery latency, end of the send to handler entry', paper: 1800},
  {name: 'ipi_handler', description: 'IPI handler entry + exit (excluding the work it does)', paper: 1200},
  {name: 'ipi_throttle', description: 'minimum time between two IPIs to the same target (4 us in ZygOS)', paper: 9600},
  // Linux.
  {name: 'linux_irq', description: 'NIC interrupt + softirq entry on the RSS core, per interrupt', paper: 2400},
  {name: 'linux_irq_interval', description: 'NIC interrupt moderation: minimum time between two interrupts of one RX queue (ITR)', paper: 0},
  {name: 'linux_softirq_packet', description: 'softirq TCP/IP receive processing, per packet', paper: 4800},
  {name: 'linux_wakeup', description: 'waking a thread blocked in epoll_wait (scheduler + context switch)', paper: 9600},
  {name: 'linux_wakeup_send', description: 'waking one thread from the softirq (try_to_wake_up, IPI send when remote), charged to the RSS core', paper: 1200},
  {name: 'linux_epoll_wait', description: 'one epoll_wait call that returns events', paper: 2400},
  {name: 'linux_read', description: 'one read() of a request', paper: 2400},
  {name: 'linux_write', description: 'one write() of a reply, including kernel TCP TX', paper: 9600},
  // Dispatcher-based designs (shinjuku, concord, darc, c-fcfs, d-fcfs): dedicated cores, UDP-style
  // packets without a TCP stack. The paper values are plausible ranges, not measurements.
  {name: 'net_packet', description: 'networker core, per packet: poll the NIC queue and pass the request to the dispatcher (no TCP; 150 ns, unverified)', paper: 360},
  {name: 'dispatch_cost', description: 'dispatcher core, per event handled (new request, completion report, preemption report); 100 ns, i.e. about 5 M req/s at two events per request (unverified)', paper: 240},
  {name: 'handoff_latency', description: 'dispatcher to worker hand-off: one cache-line transfer, a delay not a busy cost (150 ns, unverified)', paper: 360},
  {name: 'preempt_interrupt', description: 'preemption by posted interrupt (shinjuku), on the worker: interrupt, context switch and save (1 us, the value Concord\'s authors use for Shinjuku)', paper: 2400},
  {name: 'preempt_yield', description: 'cooperative preemption at a compiler-inserted probe (concord), on the worker: yield and context switch (0.1 us)', paper: 240},
  // Core-allocating designs (shenango, caladan). Plausible figures, not measurements.
  {name: 'iokernel_packet', description: 'IOKernel core, per packet: steer the request to an active worker (about 100 cycles, unverified)', paper: 100},
  {name: 'rq_probe', description: 'one look at another worker\'s run queue (try-lock) while searching work to steal (120 ns, the figure of McClure et al.\'s simulator)', paper: 288},
  {name: 'rq_steal', description: 'taking half of a victim\'s run queue once found (120 ns, the figure of McClure et al.\'s simulator)', paper: 288},
  {name: 'core_grant', description: 'grant latency: from the IOKernel\'s decision to a parked worker running the application (5 us, unverified)', paper: 12000},
]

export type CostTable = Record<string, number>

export const COST_NAMES: readonly string[] = COST_DEFS.map((d) => d.name)

export const PRESETS: Record<string, CostTable> = {
  zero: Object.fromEntries(COST_DEFS.map((d) => [d.name, 0])),
  paper: Object.fromEntries(COST_DEFS.map((d) => [d.name, d.paper])),
}

/**
 * Largest accepted cost, cycles (2^32: 1.8 s at 2.4 GHz, far above any plausible per-event cost).
 * The bound keeps every simulated time an exact integer: a run stops with a LimitError before its
 * clock passes 2^53 cycles, and no single event can jump past that.
 */
export const MAX_COST_CYCLES = 2 ** 32

/**
 * The effective cost table: a preset, then overrides. Rejects unknown names and values that are
 * not finite numbers in [0, MAX_COST_CYCLES] (rounded to whole cycles).
 */
export function resolveCosts(preset: string, overrides: Record<string, number> = {}, flag = 'cost'): CostTable {
  const base = PRESETS[preset]
  if (base === undefined) {
    throw new ConfigError(`Expected a cost preset, one of ${Object.keys(PRESETS).join(', ')}; got "${preset}"`, {
      flag: 'preset',
    })
  }
  const out: CostTable = {...base}
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in base)) {
      throw new ConfigError(`Expected a cost name, one of ${COST_NAMES.join(', ')}; got "${name}"`, {flag})
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_COST_CYCLES) {
      throw new ConfigError(`Expected cost \`${name}\` to be a number of cycles in [0, ${MAX_COST_CYCLES}], got ${String(value)}`, {
        flag,
      })
    }
    out[name] = Math.round(value)
  }
  return out
}

/** Parse `name=value` strings (from repeated `--cost` flags). */
export function parseCostOverrides(items: readonly string[], flag = 'cost'): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of items) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new ConfigError(`Expected \`name=cycles\`, got "${item}"`, {flag})
    const name = item.slice(0, eq).trim()
    const raw = item.slice(eq + 1).trim()
    const value = Number(raw)
    if (raw === '' || !Number.isFinite(value) || value < 0 || value > MAX_COST_CYCLES) {
      throw new ConfigError(`Expected cost \`${name}\` to be a number of cycles in [0, ${MAX_COST_CYCLES}], got "${raw}"`, {flag})
    }
    out[name] = value
  }
  return out
}
