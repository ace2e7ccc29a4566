/**
 * The one naming scheme of tailsim's machine-readable output (every `--json` document, every
 * result file column): snake_case, and a number's unit in its name.
 *
 * | suffix | meaning |
 * |---|---|
 * | `_us`, `_ns`, `_ms`, `_s`, `_cycles` | a time (microseconds, nanoseconds, milliseconds, seconds, core clock cycles) |
 * | `_rps` | a rate, requests per second |
 * | `_fraction` | a share of a whole as a number (1 = all of it; an offered load above 1 is overload) |
 * | `_pct` | the same as a percentage |
 * | `_bytes` | a size |
 * | `ghz` | the core clock, GHz |
 *
 * Names without a unit are counts (`requests`, `events`, `connections`), identifiers and text,
 * or dimensionless ratios that say so (`*_ratio`, `slowdown*`, `efficiency`, `*_per_*`).
 * A number that cannot be finite (an unbounded NIC ring, no simulated-time limit) is `null`, and
 * the field's documentation says what null means; JSON never holds a number as a string.
 *
 * This module holds the renamings of objects whose in-memory names differ (the simulation config);
 * ./file-columns.ts holds the result columns', and src/cli/json-docs.ts the commands'.
 */

/** camelCase → snake_case (`networkRttUs` → `network_rtt_us`). */
export function snakeKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}

/** In-memory SimConfig keys whose document name adds a unit (others are only snake-cased). */
const CONFIG_NAMES: Readonly<Record<string, string>> = {
  costs: 'costs_cycles',
  load: 'load_fraction',
  rate: 'rate_rps',
  warmup: 'warmup_fraction',
  nicRing: 'nic_ring_descriptors',
  maxSimTimeS: 'max_sim_time_s',
}

/** A finite number, or null (unbounded/unlimited; see the field's documentation). */
const finiteOrNull = (v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? null : v)

/**
 * The simulation config as a document: snake_case names with units (`warmup_fraction`,
 * `network_rtt_us`, `costs_cycles: {rx_packet: 2000, ...}`), `null` for an unbounded NIC ring
 * (`nic_ring_descriptors`) or no simulated-time limit (`max_sim_time_s`). Accepts a SimConfig or
 * a config already in this form (then returned with non-finite numbers as null).
 */
export function configDoc(config: unknown): Record<string, unknown> {
  if (config === null || typeof config !== 'object') return {}
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    if (v === undefined) continue
    const name = CONFIG_NAMES[k] ?? snakeKey(k)
    out[name] = v !== null && typeof v === 'object' && !Array.isArray(v) ? mapValues(v as Record<string, unknown>) : finiteOrNull(v)
  }
  return out
}

function mapValues(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) out[k] = finiteOrNull(v)
  return out
}
