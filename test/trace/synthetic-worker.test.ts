// Synthetic traces generated in a worker thread (generateIsolated in src/trace/isolated.ts, the
// reader's credit and buffer-recycling protocol). The worker exists only in the compiled library,
// so these tests import dist/ (npm test builds first).
import {describe, expect, test} from 'vitest'

import {collectRows} from '../helpers.js'

const lib = (await import(new URL('../../dist/src/trace/synthetic.js', import.meta.url).href)) as typeof import('../../src/trace/synthetic.js')
const iso = (await import(new URL('../../dist/src/trace/isolated.js', import.meta.url).href)) as typeof import('../../src/trace/isolated.js')

type Opts = Parameters<typeof lib.syntheticTrace>[0]

async function rows(opts: Opts) {
  const src = lib.syntheticTrace(opts)
  return {...(await collectRows(src)), typeNames: [...src.typeNames], observed: {...src.observed}}
}

describe('synthetic traces in a worker thread', () => {
  test('long traces use the worker by default, short ones do not', () => {
    expect(iso.isolationAvailable()).toBe(true)
    expect(lib.ISOLATE_MIN_REQUESTS).toBeGreaterThan(1000)
  })

  test.each([
    {service: 'mix:a=1*exp:5us;b=3*bimodal1:2us', arrivals: 'mmpp:high=3,low=0.25,dwell=30us'},
    {service: 'exp:10us', arrivals: 'poisson'},
    {service: 'lognormal:10us,1', arrivals: 'replay:traces/tpcc-like.parquet'},
  ])('$service / $arrivals: the worker yields exactly the in-thread trace', async ({service, arrivals}) => {
    const opts = {requests: 150_000, service, arrivals, load: 0.7, seed: 12, batchSize: 8192}
    const before = {...iso.readerWorkerCounts}
    const inWorker = await rows({...opts, isolate: true})
    expect(iso.readerWorkerCounts.started + iso.readerWorkerCounts.reused).toBe(before.started + before.reused + 1)
    const inThread = await rows({...opts, isolate: false})
    expect(inWorker.a.length).toBe(arrivals.startsWith('replay') ? 50_000 : 150_000)
    expect(inWorker).toEqual(inThread)
  })

  test('a second pass over one source reuses the idle worker and regenerates the same trace', async () => {
    const src = lib.syntheticTrace({requests: 100_000, service: 'bimodal2:10us', load: 0.8, seed: 3, isolate: true})
    const pass = async () => {
      const s: number[] = []
      for await (const b of src.batches()) for (let i = 0; i < b.length; i++) s.push(b.service[i] + b.arrival[i])
      return s
    }
    const first = await pass()
    const before = iso.readerWorkerCounts.reused
    expect(await pass()).toEqual(first)
    expect(iso.readerWorkerCounts.reused).toBe(before + 1)
    await iso.closeIdleReader()
  })
})
