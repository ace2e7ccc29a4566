// Fuzzing of every trace reader (Arrow IPC file and stream, Parquet, CSV) and of the machine
// file parser. Shared by the bounded suite in `npm test` (test/fuzz/) and the long run
// `npm run fuzz -- --minutes 10` (bench/fuzz.js). Runs against the compiled library (dist/).
//
// Each case starts from a small valid file, mutates it (truncation, bit flips, garbage, wrong
// types, huge numbers, unicode ids, duplicate or missing headers, long lines), then opens and
// scans it. The outcome must be a valid result or a TailsimError with a message. Anything else
// (an unhandled exception of another type, a hang past the time limit) is a finding.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Field, Float64, Int32, RecordBatchFileWriter, Schema, Table, Utf8, tableToIPC, vectorFromArray} from 'apache-arrow'

import {TailsimError} from '../../dist/src/errors.js'
import {parseMachineFile} from '../../dist/src/sim/machine/machine-file.js'
import {openTrace, scanTrace, syntheticTrace, parseServiceSpec, writeTrace} from '../../dist/src/trace/index.js'

/** A small deterministic PRNG (mulberry32) so that a failing case can be replayed from its seed. */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = (r, xs) => xs[Math.floor(r() * xs.length)]

/** Write valid seed files of each format into `dir`. Returns {format: bytes}. */
export async function seedFiles(dir) {
  const source = syntheticTrace({
    requests: 300,
    service: parseServiceSpec('exp:10us'),
    load: 0.7,
    cores: 4,
    connections: 40,
    seed: 3,
  })
  const out = {}
  for (const [fmt, name] of [
    ['arrow', 'seed.arrow'],
    ['arrow-stream', 'seed.arrows'],
    ['parquet', 'seed.parquet'],
    ['csv', 'seed.csv'],
  ]) {
    const p = join(dir, name)
    await writeTrace(source, p, {format: fmt, force: true})
    out[fmt] = new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(p)))
  }
  return out
}

/** Arrow tables with wrong column types, made directly with apache-arrow. */
export function wrongTypeArrow(r) {
  const n = 1 + Math.floor(r() * 50)
  const variant = Math.floor(r() * 4)
  const nums = Array.from({length: n}, (_, i) => i * 1000)
  const cols = {
    arrival_ns: vectorFromArray(nums, new Float64()),
    conn: vectorFromArray(nums.map((_, i) => i % 3), new Int32()),
    service_ns: vectorFromArray(nums.map(() => 5000), new Float64()),
  }
  if (variant === 0) cols.service_ns = vectorFromArray(nums.map((x) => String(x)), new Utf8())
  if (variant === 1) cols.arrival_ns = vectorFromArray(nums.map((x) => (r() < 0.3 ? null : x)), new Float64())
  if (variant === 2) delete cols.conn
  if (variant === 3) cols.service_ns = vectorFromArray(nums.map(() => pick(r, [NaN, -1, 0, Infinity, 1e308])), new Float64())
  return tableToIPC(new Table(cols), pick(r, ['file', 'stream']))
}

const CSV_EDITS = [
  (r, s) => s.replace(/\n/, '\n' + s.split('\n')[0] + '\n'), // duplicate header
  (r, s) => s.replace(/^[^\n]*/, (h) => h.split(',').slice(0, 2).join(',')), // missing column
  (r, s) => s.replace(/^[^\n]*/, (h) => h + ',' + h.split(',')[0]), // duplicate column name
  (r, s) => replaceField(r, s, pick(r, ['1e308', '9e999', '-0', 'NaN', 'nan', '', '""', '-5', '0x10', '1_000', 'Infinity'])),
  (r, s) => replaceField(r, s, pick(r, ['"😀 conn"', 'ünïcødé', '"a,b"', '"unterminated', '\u0000', '\ufeff1'])),
  (r, s) => s + 'x'.repeat(Math.floor(r() * 3_000_000)), // long line with no newline
  (r, s) => s.replace(/\n/g, pick(r, ['\r\n', '\r', '\n\n'])),
  (r, s) => '\ufeff' + s, // BOM
  (r, s) => s.split('\n').reverse().join('\n'), // header last, arrivals decreasing
]

function replaceField(r, s, value) {
  const lines = s.split('\n')
  const i = 1 + Math.floor(r() * Math.max(1, lines.length - 2))
  const fields = (lines[i] ?? '').split(',')
  fields[Math.floor(r() * fields.length)] = value
  lines[i] = fields.join(',')
  return lines.join('\n')
}

/** Byte-level mutation of any file. */
export function mutateBytes(r, bytes) {
  const b = new Uint8Array(bytes)
  switch (Math.floor(r() * 5)) {
    case 0:
      return b.slice(0, Math.floor(r() * b.length)) // truncation
    case 1: {
      const flips = 1 + Math.floor(r() * 8)
      for (let i = 0; i < flips; i++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8)
      return b
    }
    case 2: {
      const at = Math.floor(r() * b.length)
      const len = 1 + Math.floor(r() * 64)
      for (let i = at; i < Math.min(b.length, at + len); i++) b[i] = Math.floor(r() * 256)
      return b
    }
    case 3: {
      const at = Math.floor(r() * b.length)
      const junk = Uint8Array.from({length: 1 + Math.floor(r() * 32)}, () => Math.floor(r() * 256))
      const out = new Uint8Array(b.length + junk.length)
      out.set(b.subarray(0, at))
      out.set(junk, at)
      out.set(b.subarray(at), at + junk.length)
      return out
    }
    default:
      return Uint8Array.from({length: Math.floor(r() * 512)}, () => Math.floor(r() * 256)) // garbage
  }
}

async function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HANG: ${what} did not finish in ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Run one fuzz case. Returns {ok: true, outcome: 'valid'|'error', message?} or
 * {ok: false, finding} for an unhandled exception or a hang.
 */
export const TARGETS = ['arrow', 'arrow-stream', 'parquet', 'csv', 'csv', 'wrong-type', 'machine']

export async function runCase(seed, seeds, dir, timeoutMs = 20_000, targets = TARGETS) {
  const r = prng(seed)
  const target = pick(r, targets)
  let file
  let bytes
  if (target === 'machine') return machineCase(r, seed)
  if (target === 'wrong-type') {
    bytes = wrongTypeArrow(r)
    file = join(dir, `case-${seed}.arrow`)
  } else if (target === 'csv' && r() < 0.6) {
    const text = pick(r, CSV_EDITS)(r, Buffer.from(seeds.csv).toString('utf8'))
    bytes = Buffer.from(text, 'utf8')
    file = join(dir, `case-${seed}.csv`)
  } else {
    bytes = mutateBytes(r, seeds[target])
    const ext = {arrow: 'arrow', 'arrow-stream': 'arrows', parquet: 'parquet', csv: 'csv'}[target]
    file = join(dir, `case-${seed}.${ext}`)
  }
  writeFileSync(file, bytes)
  try {
    const source = openTrace(file, {ghz: 2.4, stallTimeoutMs: 5000})
    const stats = await withTimeout(scanTrace(source), timeoutMs, `${target} case ${seed}`)
    return {ok: true, target, outcome: 'valid', rows: stats.requests}
  } catch (error) {
    if (error instanceof TailsimError && error.message.length > 0) return {ok: true, target, outcome: 'error', message: error.message}
    return {ok: false, target, seed, finding: `${error?.constructor?.name ?? typeof error}: ${error?.message ?? error}`, stack: error?.stack}
  } finally {
    rmSync(file, {force: true})
  }
}

function machineCase(r, seed) {
  const valid = {cores: 16, ghz: 2.4, preset: 'paper', costs: {rx_packet: 900, ipi_latency: 2000}, rssBuckets: 128, nicRing: 512}
  let text
  switch (Math.floor(r() * 4)) {
    case 0:
      text = JSON.stringify(valid)
      text = Buffer.from(mutateBytes(r, Buffer.from(text))).toString('latin1')
      break
    case 1: {
      const o = structuredClone(valid)
      const key = pick(r, ['cores', 'ghz', 'preset', 'costs', 'rssBuckets', 'nicRing', 'bogus'])
      o[key] = pick(r, [null, -1, 0, 1.5, 1e308, 'x', [], {}, true, {rx_packet: -3}, {nope: 1}, '😀'])
      text = JSON.stringify(o)
      break
    }
    case 2:
      text = pick(r, ['', 'null', '[]', '"x"', '{', '{"cores": 1e999}', '1', '{"costs": {"rx_packet": "1"}}'])
      break
    default:
      text = JSON.stringify(randomJson(r, 3))
  }
  try {
    parseMachineFile(text, 'fuzz.json')
    return {ok: true, target: 'machine', outcome: 'valid'}
  } catch (error) {
    if (error instanceof TailsimError && error.message.length > 0) return {ok: true, target: 'machine', outcome: 'error', message: error.message}
    return {ok: false, target: 'machine', seed, finding: `${error?.constructor?.name}: ${error?.message}`, stack: error?.stack}
  }
}

function randomJson(r, depth) {
  const k = Math.floor(r() * (depth > 0 ? 7 : 5))
  if (k === 0) return null
  if (k === 1) return r() * 1e6 - 5e5
  if (k === 2) return pick(r, ['cores', 'paper', '', '😀'])
  if (k === 3) return r() < 0.5
  if (k === 4) return Math.floor(r() * 100)
  if (k === 5) return Array.from({length: Math.floor(r() * 4)}, () => randomJson(r, depth - 1))
  const o = {}
  for (let i = 0; i < Math.floor(r() * 5); i++) o[pick(r, ['cores', 'ghz', 'preset', 'costs', 'rssBuckets', 'nicRing', 'rx_packet', 'x'])] = randomJson(r, depth - 1)
  return o
}

/** A scratch directory for a fuzz session. */
export function scratchDir() {
  return mkdtempSync(join(tmpdir(), 'tailsim-fuzz-'))
}
