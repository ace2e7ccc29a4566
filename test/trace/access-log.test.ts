/**
 * The bundled example access log (traces/access-log.tsv.gz, written by traces/make-access-log.mjs
 * and read as docs/trace-recipes.md describes): it reads as a trace with the recipe's flags, is
 * exactly what its script writes, and is not Poisson.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {openTrace} from '../../src/trace/open.js'
import {scanTrace} from '../../src/trace/scan.js'
import type {TraceOptions} from '../../src/trace/types.js'

const LOG = 'traces/access-log.tsv.gz'
const OPTS: TraceOptions = {
  ghz: 2.4,
  isolate: false,
  columns: {arrival: 'start', conn: 'client', service: 'upstream_time_us', type: 'route'},
}

describe('traces/access-log.tsv.gz', () => {
  it('is what traces/make-access-log.mjs writes', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tailsim-log-')), 'log.tsv.gz')
    execFileSync(process.execPath, ['traces/make-access-log.mjs', out])
    expect(readFileSync(out).equals(readFileSync(LOG))).toBe(true)
  }, 60_000)

  it('reads with the recipe flags: ISO-8601 clock, client connections, route types', async () => {
    const src = openTrace(LOG, OPTS)
    const stats = await scanTrace(src, {ghz: 2.4})
    expect(stats.requests).toBe(40_000)
    expect(Object.keys(stats.typeCounts).sort()).toEqual(['GET /api/search', 'GET /api/user', 'GET /static', 'POST /api/cart'])
    expect(stats.connections).toBe(400)
    expect(src.ingest?.clock).toMatchObject({kind: 'iso', epoch: true, baseSeconds: Date.UTC(2024, 10, 27, 9) / 1000})
  })

  it('is bursty and its rate swings: not a Poisson trace', async () => {
    const gaps: number[] = []
    let prev = -1
    const arrivals: number[] = []
    for await (const b of openTrace(LOG, OPTS).batches()) {
      for (let i = 0; i < b.length; i++) {
        if (prev >= 0) gaps.push(b.arrival[i] - prev)
        prev = b.arrival[i]
        arrivals.push(b.arrival[i])
      }
    }
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length)
    // Exponential gaps have CV 1 (± ~0.01 at this size); bursts and the swing push it well above.
    expect(sd / mean).toBeGreaterThan(1.3)
    // Requests per tenth of the span: the middle (peak) tenth has at least twice the first (trough).
    const span = arrivals[arrivals.length - 1] - arrivals[0]
    const tenth = new Array(10).fill(0)
    for (const a of arrivals) tenth[Math.min(9, Math.floor(((a - arrivals[0]) / span) * 10))]++
    expect(Math.max(tenth[4], tenth[5])).toBeGreaterThan(2 * tenth[0])
  })
})
