#!/usr/bin/env node
/**
 * Writes traces/access-log.tsv.gz: a small, realistic, non-Poisson access log of a
 * microsecond-scale HTTP/RPC service, in the shape of a proxy's access log (see
 * docs/trace-recipes.md): one line per request with its start time (ISO-8601, microseconds, UTC),
 * the client address and port (= the connection), the route (= request type), the status and the
 * upstream service time in microseconds.
 *
 *   node traces/make-access-log.mjs [OUT] [--requests N] [--seed S]
 *
 * Deterministic for the same arguments (its own seeded generator; no dependencies). What makes it
 * unlike a Poisson trace:
 *   - a daily rate swing compressed into the log's span: the rate follows
 *     1 + 0.5·sin(2π·t/T − π/2) over the span T (trough, peak ×3 of the trough, trough);
 *   - bursts: a two-state Markov-modulated process; in a burst (mean 20 ms, every ~300 ms on
 *     average) the rate is 6× the current daily rate;
 *   - four routes with different log-normal service times, a few 404s answered at once, and
 *     keep-alive clients with skewed popularity (a Zipf(1) choice among 400 client connections).
 */
import {writeFileSync} from 'node:fs'
import {gzipSync} from 'node:zlib'

const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const out = args[0] !== undefined && !args[0].startsWith('--') ? args[0] : new URL('./access-log.tsv.gz', import.meta.url).pathname
const requests = flag('--requests', 40_000)
const seed = flag('--seed', 1)

// mulberry32: a small seeded 32-bit generator, plenty for an example log.
let state = seed >>> 0
function uniform() {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const exp = (mean) => -Math.log(1 - uniform()) * mean
function normal() {
  const u = 1 - uniform()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform())
}
/** Log-normal with the given mean and shape sigma. */
const lognormal = (mean, sigma) => Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * normal())

const routes = [
  {name: 'GET /api/user', weight: 0.5, mean: 15, sigma: 0.4},
  {name: 'POST /api/cart', weight: 0.2, mean: 45, sigma: 0.5},
  {name: 'GET /api/search', weight: 0.15, mean: 120, sigma: 0.8},
  {name: 'GET /static', weight: 0.15, mean: 6, sigma: 0.3},
]
const clients = Array.from({length: 400}, (_, i) => `10.0.${1 + (i >> 8)}.${(i * 37) % 256}:${40000 + ((i * 7919) % 20000)}`)
// Zipf(1) popularity among the clients.
const zipf = clients.map((_, i) => 1 / (i + 1))
const zipfTotal = zipf.reduce((a, b) => a + b, 0)
function pick(weights, total) {
  let u = uniform() * total
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]
    if (u < 0) return i
  }
  return weights.length - 1
}

// Mean rate 20 000 requests/s before bursts: the log spans about 1.5 s. Replay it with --load to
// study any offered load: rescaling multiplies every gap by one factor, keeping the shape.
const baseRate = 20_000 // per second
const span = requests / (baseRate * 1.3) // seconds, accounting for the bursts' extra requests
const maxRate = baseRate * 1.5 * 6
const start = Date.UTC(2024, 10, 27, 9, 0, 0) / 1000 // 2024-11-27T09:00:00Z, whole seconds
let t = 0
let burst = false
let nextSwitch = exp(0.3)
const lines = ['start\tclient\troute\tstatus\tupstream_time_us']
let written = 0
while (written < requests) {
  t += exp(1 / maxRate)
  while (t >= nextSwitch) {
    burst = !burst
    nextSwitch += exp(burst ? 0.02 : 0.3)
  }
  const daily = 1 + 0.5 * Math.sin((2 * Math.PI * t) / span - Math.PI / 2)
  const rate = baseRate * daily * (burst ? 6 : 1)
  if (uniform() * maxRate >= rate) continue // thinning: a non-homogeneous Poisson process
  const route = routes[pick(routes.map((r) => r.weight), 1)]
  const missing = uniform() < 0.01
  const service = missing ? 2 + uniform() * 2 : lognormal(route.mean, route.sigma)
  const micros = Math.round(t * 1e6)
  const whole = Math.floor(micros / 1e6)
  const iso = new Date((start + whole) * 1000).toISOString().slice(0, 19) + '.' + String(micros - whole * 1e6).padStart(6, '0') + 'Z'
  const client = clients[pick(zipf, zipfTotal)]
  lines.push(`${iso}\t${client}\t${route.name}\t${missing ? 404 : 200}\t${service.toFixed(1)}`)
  written++
}
writeFileSync(out, gzipSync(lines.join('\n') + '\n', {level: 9}))
process.stdout.write(`${out}: ${written} requests over ${t.toFixed(3)} s\n`)
