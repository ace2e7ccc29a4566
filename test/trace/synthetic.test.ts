import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../src/errors.js'
import {openTrace} from '../../src/trace/open.js'
import {scanTrace} from '../../src/trace/scan.js'
import {parseArrivalSpec, parseServiceSpec, splitSyntheticSpec, syntheticTrace} from '../../src/trace/synthetic.js'
import {collectRows, expectSameRows} from '../helpers.js'


describe('parseServiceSpec', () => {
  it.each([
    ['exp:10us', 10_000],
    ['fixed:10us', 10_000],
    ['fixed:2.5ms', 2_500_000],
    ['exp:800ns', 800],
    ['bimodal1:10us', 10_000],
    ['bimodal2:10us', 10_000],
    ['bimodal:0.9,5us,55us', 10_000],
    ['lognormal:10us,1', 10_000],
    ['pareto:1,1us,100us', ((100 * 1) / 99) * Math.log(100) * 1000],
  ])('%s has mean %d ns', (spec, mean) => {
    expect(parseServiceSpec(spec).meanNs).toBeCloseTo(mean, 6)
  })

  it('bounded Pareto mean matches numeric integration', () => {
    const spec = parseServiceSpec('pareto:1.5,2us,1ms')
    const [a, lo, hi] = [1.5, 2000, 1_000_000]
    // density f(x) = a lo^a x^(-a-1) / (1 - (lo/hi)^a) on [lo, hi]; integrate x f(x) on a log grid
    let m = 0
    const steps = 200_000
    for (let i = 0; i < steps; i++) {
      const x0 = lo * Math.pow(hi / lo, i / steps)
      const x1 = lo * Math.pow(hi / lo, (i + 1) / steps)
      const x = Math.sqrt(x0 * x1)
      m += x * ((a * Math.pow(lo, a) * Math.pow(x, -a - 1)) / (1 - Math.pow(lo / hi, a))) * (x1 - x0)
    }
    expect(spec.meanNs / m).toBeCloseTo(1, 4)
  })

  it.each([
    ['', /one of exp:MEAN/],
    ['exp', /one of exp:MEAN/],
    ['exp:10', /duration > 0 with a unit/],
    ['exp:-1us', /duration > 0/],
    ['exp:10us,3', /of the form exp:MEAN/],
    ['weibull:1,2', /one of exp:MEAN/],
    ['bimodal:1.5,1us,2us', /P in \[0, 1\]/],
    ['bimodal:0.5,1us', /of the form bimodal:P,A,B/],
    ['lognormal:10us,abc', /SIGMA is a number/],
    ['pareto:1,5us,1us', /MAX > MIN/],
    ['pareto:0,1us,5us', /ALPHA > 0/],
    ['cdf:/no/such/file', /readable file/],
    ['mix:a=1', /mix:NAME=WEIGHT\*SPEC/],
    ['mix:a=0*exp:1us', /weights are > 0/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseServiceSpec(spec)).toThrow(ConfigError)
    expect(() => parseServiceSpec(spec)).toThrow(message)
    try {
      parseServiceSpec(spec)
    } catch (error) {
      expect((error as Error).message).toMatch(/^--service: Expected `service` to be/)
    }
  })

  it('reads an empirical CDF file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-cdf-'))
    const file = join(dir, 'cdf.txt')
    writeFileSync(file, '# service CDF\nvalue,p\n5us,0.5\n15us,0.9\n105us,1\n')
    const spec = parseServiceSpec(`cdf:${file}`)
    expect(spec.meanNs).toBeCloseTo(5000 * 0.5 + 15000 * 0.4 + 105000 * 0.1, 6)
    const src = syntheticTrace({requests: 20_000, service: spec, load: 0.5, seed: 3})
    const {s} = await collectRows(src)
    const values = new Set(s)
    expect([...values].sort((x, y) => x - y)).toEqual([12_000, 36_000, 252_000])
    const share = s.filter((v) => v === 12_000).length / s.length
    expect(share).toBeGreaterThan(0.48)
    expect(share).toBeLessThan(0.52)
    writeFileSync(file, '5us,0.5\n3us,1\n')
    expect(() => parseServiceSpec(`cdf:${file}`)).toThrow(/increasing VALUEs/)
    writeFileSync(file, '5us,0.5\n8us,0.9\n')
    expect(() => parseServiceSpec(`cdf:${file}`)).toThrow(/last P is 1/)
  })
})

describe('syntheticTrace', () => {
  it('is bit-identical for the same seed and differs for another seed', async () => {
    const opts = {requests: 100_000, service: 'exp:10us', load: 0.7, cores: 16, seed: 42, batchSize: 7000}
    const x = await collectRows(syntheticTrace(opts))
    const y = await collectRows(syntheticTrace(opts))
    expectSameRows(y, x)
    const again = syntheticTrace(opts)
    expectSameRows(await collectRows(again), await collectRows(again)) // batches() restarts from the seed
    const z = await collectRows(syntheticTrace({...opts, seed: 43}))
    expect(z.a).not.toEqual(x.a)
  })

  it('does not depend on the batch size', async () => {
    const base = {requests: 30_000, service: 'bimodal1:10us', load: 0.5, seed: 9}
    expectSameRows(await collectRows(syntheticTrace({...base, batchSize: 1000})), await collectRows(syntheticTrace({...base, batchSize: 65536})))
  })

  it('yields integer cycles, non-decreasing arrivals, service >= 1, connections in range', async () => {
    const src = syntheticTrace({requests: 50_000, service: 'lognormal:1us,2', load: 0.9, cores: 4, connections: 100, seed: 5})
    let prev = 0
    let bad = 0
    for await (const b of src.batches()) {
      for (let i = 0; i < b.length; i++) {
        if (!(Number.isInteger(b.arrival[i]) && b.arrival[i] >= prev)) bad++
        prev = b.arrival[i]
        if (!(Number.isInteger(b.service[i]) && b.service[i] >= 1)) bad++
        if (!(b.conn[i] < 100)) bad++
      }
    }
    expect(bad).toBe(0)
  })

  it.each(['exp:10us', 'fixed:10us', 'bimodal1:10us', 'bimodal2:10us', 'lognormal:10us,0.5'])(
    '%s: mean service and offered load within sampling error',
    async (spec) => {
      const n = 200_000
      const src = syntheticTrace({requests: n, service: spec, load: 0.7, cores: 16, seed: 11})
      const st = await scanTrace(src)
      const mean = st.serviceMean / 2400 // µs
      // 5 standard errors of the mean (CV at most ~22 for bimodal2)
      const cv = spec.startsWith('bimodal2') ? 22.3 : spec.startsWith('bimodal1') ? 1.5 : 1
      const tol = spec === 'fixed:10us' ? 1e-9 : (5 * cv * 10) / Math.sqrt(n)
      expect(Math.abs(mean - 10)).toBeLessThan(tol)
      const load = (st.ratePerCycle * st.serviceMean) / 16
      expect(Math.abs(load - 0.7)).toBeLessThan(0.7 * (tol / 10 + 5 / Math.sqrt(n)))
      expect(st.connections).toBe(2720)
    },
  )

  it('bimodal presets put the right mass on each mode', async () => {
    const {s} = await collectRows(syntheticTrace({requests: 100_000, service: 'bimodal1:10us', load: 0.5, seed: 2}))
    expect(new Set(s)).toEqual(new Set([12_000, 132_000]))
    const short = s.filter((v) => v === 12_000).length / s.length
    expect(Math.abs(short - 0.9)).toBeLessThan(0.005)
    const b2 = await collectRows(syntheticTrace({requests: 100_000, service: 'bimodal2:10us', load: 0.5, seed: 2}))
    expect(new Set(b2.s)).toEqual(new Set([12_000, 12_012_000]))
  })

  it('mix: specs carry class names and indices', async () => {
    const src = syntheticTrace({requests: 40_000, service: 'mix:a=3*fixed:1us;b=1*fixed:9us', load: 0.5, seed: 1})
    expect(src.typeNames).toEqual(['a', 'b'])
    expect(src.spec.meanNs).toBeCloseTo(3000, 9)
    const {s, t} = await collectRows(src)
    expect(s.every((v, i) => v === (t[i] === 0 ? 2400 : 21_600))).toBe(true)
    const shareA = t.filter((x) => x === 0).length / t.length
    expect(Math.abs(shareA - 0.75)).toBeLessThan(0.01)
  })

  it('rate and load are exclusive, and one is required', () => {
    expect(() => syntheticTrace({requests: 10, service: 'exp:1us'})).toThrow(/got neither/)
    expect(() => syntheticTrace({requests: 10, service: 'exp:1us', load: 0.5, ratePerCycle: 1e-3})).toThrow(/got both/)
    expect(() => syntheticTrace({requests: 0, service: 'exp:1us', load: 0.5})).toThrow(/`requests` to be an integer/)
    expect(() => syntheticTrace({requests: 10, service: 'exp:1us', load: -1})).toThrow(/`load` to be a number > 0/)
  })

  it('fingerprint is the SHA-256 of the canonical spec', async () => {
    const a = syntheticTrace({requests: 10, service: 'exp:1us', load: 0.5, seed: 1})
    const b = syntheticTrace({requests: 10, service: 'exp:1us', load: 0.5, seed: 2})
    expect(await a.digest()).toMatch(/^[0-9a-f]{64}$/)
    expect(await a.digest()).not.toBe(await b.digest())
    expect((await scanTrace(a)).sha256).toBe(await a.digest())
  })

  it('streams 10 million requests in bounded memory', async () => {
    const src = syntheticTrace({requests: 10_000_000, service: 'exp:10us', load: 0.7, seed: 1})
    const before = process.memoryUsage().heapUsed
    let n = 0
    let peak = 0
    for await (const b of src.batches()) {
      n += b.length
      if ((n & 0xfffff) < b.length) peak = Math.max(peak, process.memoryUsage().heapUsed - before)
    }
    expect(n).toBe(10_000_000)
    expect(peak).toBeLessThan(64 << 20)
  })
})

describe('arrival processes: parsing', () => {
  it.each([
    ['poisson', 'poisson'],
    ['FIXED', 'fixed'],
    ['mmpp', 'mmpp:high=4,low=0.5,dwell=1ms'],
    ['mmpp:dwell=250us,high=8', 'mmpp:high=8,low=0.5,dwell=250us'],
    ['mmpp:high=2.5,low=0,dwell=1500ns', 'mmpp:high=2.5,low=0,dwell=1500ns'],
    ['replay:traces/sample.csv', 'replay:traces/sample.csv'],
  ])('%s is %s', (text, canonical) => {
    expect(parseArrivalSpec(text).text).toBe(canonical)
  })

  it.each([
    ['uniform', /one of poisson \| fixed \| mmpp/],
    ['poisson:3', /poisson without parameters/],
    ['mmpp:high=1', /high in \(1, 1e6\]/],
    ['mmpp:high=x', /high a number \(got high "x"\)/],
    ['mmpp:low=1', /low in \[0, 1\)/],
    ['mmpp:low=-0.5', /low in \[0, 1\)/],
    ['mmpp:dwell=5', /dwell a duration > 0 with a unit/],
    ['mmpp:dwell=0ms', /dwell a duration > 0/],
    ['mmpp:burst=3', /bad part "burst=3"/],
    ['mmpp:high=3,high=4', /high given once/],
    ['replay:', /replay:FILE naming a trace file/],
  ])('rejects %j with one line naming --arrivals and the value', (text, message) => {
    expect(() => parseArrivalSpec(text)).toThrow(ConfigError)
    expect(() => parseArrivalSpec(text)).toThrow(message)
    expect(() => parseArrivalSpec(text)).toThrow(new RegExp(`^--arrivals: Expected \`arrivals\` to be .*, got ${JSON.stringify(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))
  })

  it('SERVICE@ARRIVALS splits at the first @; giving the arrivals twice is refused', () => {
    expect(splitSyntheticSpec('exp:10us@mmpp:high=4')).toEqual({service: 'exp:10us', arrivals: 'mmpp:high=4'})
    expect(splitSyntheticSpec('exp:10us')).toEqual({service: 'exp:10us'})
    expect(syntheticTrace({requests: 10, service: 'exp:10us@fixed', load: 0.5}).arrivals.kind).toBe('fixed')
    expect(() => syntheticTrace({requests: 10, service: 'exp:10us@fixed', arrivals: 'poisson', load: 0.5})).toThrow(/arrival process once/)
  })
})

describe('arrival processes: traces', () => {
  it.each(['poisson', 'fixed', 'mmpp:high=3,low=0.2,dwell=20us'])('%s: does not depend on the batch size, and differs by seed', async (arrivals) => {
    const base = {requests: 30_000, service: 'mix:a=1*exp:5us;b=1*lognormal:8us,0.7', arrivals, load: 0.6, seed: 4}
    const x = await collectRows(syntheticTrace({...base, batchSize: 999}))
    expectSameRows(await collectRows(syntheticTrace({...base, batchSize: 65536})), x)
    expect((await collectRows(syntheticTrace({...base, seed: 5}))).s).not.toEqual(x.s)
  })

  it('common random numbers: traces of one seed share arrivals and connections whatever their service spec', async () => {
    const opts = {requests: 20_000, ratePerCycle: 1e-3, seed: 8}
    const a = await collectRows(syntheticTrace({...opts, service: 'exp:10us'}))
    const b = await collectRows(syntheticTrace({...opts, service: 'fixed:10us'}))
    const c = await collectRows(syntheticTrace({...opts, service: 'mix:x=1*exp:1us;y=2*fixed:2us'}))
    expect(b.a).toEqual(a.a)
    expect(c.a).toEqual(a.a)
    expect(b.c).toEqual(a.c)
    expect(c.c).toEqual(a.c)
    expect(b.s).not.toEqual(a.s)
  })

  it('the arrival rate of every process is the one asked for, within sampling error', async () => {
    for (const arrivals of ['poisson', 'fixed', 'mmpp:high=2,low=0.5,dwell=5us']) {
      const src = syntheticTrace({requests: 200_000, service: 'exp:10us', load: 0.7, cores: 16, seed: 3, arrivals})
      const st = await scanTrace(src)
      // MMPP here: bursts of ~2.7 gaps; its IDC(∞) is a few units, so 10/sqrt(n) is ~5 sd.
      expect(Math.abs(st.ratePerCycle / src.ratePerCycle - 1)).toBeLessThan(arrivals === 'fixed' ? 1e-6 : 10 / Math.sqrt(200_000))
    }
  })

  it('replay:FILE keeps the arrivals and connections of FILE exactly and draws service from the spec', async () => {
    const file = 'traces/sample.csv'
    const original = await collectRows(openTrace(file, {ghz: 2.4, isolate: false}))
    const src = syntheticTrace({requests: 1e9, service: 'bimodal1:10us', arrivals: `replay:${file}`, seed: 2, isolate: false, batchSize: 3000})
    expect(src.rowsHint).toBeUndefined() // a CSV's row count is not known before reading
    const got = await collectRows(src)
    expect(got.a).toEqual(original.a)
    expect(got.c).toEqual(original.c)
    expect(new Set(got.s)).toEqual(new Set([12_000, 132_000]))
    expect(src.observed).toMatchObject({rows: original.a.length, firstArrival: original.a[0], lastArrival: original.a.at(-1), connections: Math.max(...original.c) + 1})
    // --requests caps the rows taken.
    const capped = await collectRows(syntheticTrace({requests: 1234, service: 'exp:1us', arrivals: `replay:${file}`, isolate: false}))
    expect(capped.a).toEqual(original.a.slice(0, 1234))
    // The fingerprint covers the file's bytes.
    const other = syntheticTrace({requests: 1e9, service: 'bimodal1:10us', arrivals: 'replay:traces/exp-10us.parquet', seed: 2, isolate: false})
    expect(await src.digest()).not.toBe(await other.digest())
  })

  it('replay:FILE of a missing file is refused naming the file', () => {
    expect(() => syntheticTrace({requests: 10, service: 'exp:1us', arrivals: 'replay:/no/such.csv', isolate: false})).toThrow(/\/no\/such\.csv: Expected a readable trace file/)
  })
})
