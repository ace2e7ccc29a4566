/** The named bimodal workloads and the sample traces made from them. */
import {expect, test} from 'vitest'

import {openTrace} from '../../../src/trace/open.js'
import {scanTrace} from '../../../src/trace/scan.js'
import {parseServiceSpec} from '../../../src/trace/synthetic.js'

test('shinjuku-bimodal and darc-bimodal name typed mixes', () => {
  const a = parseServiceSpec('shinjuku-bimodal')
  expect(a.classes!.map((c) => [c.name, c.weight])).toEqual([
    ['short', 0.995],
    ['long', 0.005],
  ])
  expect(a.meanNs).toBeCloseTo(0.995 * 500 + 0.005 * 500_000, 6)
  const b = parseServiceSpec(' darc-bimodal ')
  expect(b.classes!.map((c) => c.name)).toEqual(['short', 'long'])
  expect(b.meanNs).toBeCloseTo(0.5 * 1000 + 0.5 * 100_000, 6)
})

test('the sample traces have a type column with the two classes in the right proportions', async () => {
  for (const [file, rows, shortShare] of [
    ['traces/shinjuku-bimodal.parquet', 200_000, 0.995],
    ['traces/darc-bimodal.parquet', 100_000, 0.5],
  ] as const) {
    const stats = await scanTrace(openTrace(file, {ghz: 2.4}))
    expect(stats.requests).toBe(rows)
    expect(Object.keys(stats.typeCounts).sort()).toEqual(['long', 'short'])
    expect(Math.abs(stats.typeCounts.short / rows - shortShare)).toBeLessThan(0.005)
  }
})
