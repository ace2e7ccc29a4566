/**
 * A full disk while `--records` spools rows is an output error (exit 73) naming the file, not an
 * internal error; the spool is removed and no file appears under the destination name. The write
 * error is injected (node:fs writeSync fails with ENOSPC from a given call on), as a full file
 * system would make it fail. (By hand: `mount -t tmpfs -o size=256k tmpfs /mnt/full` and
 * `tailsim replay --synthetic exp:10us -n 200000 --policy mgn-fcfs --load 0.5 --records
 * /mnt/full/r.parquet` exits 73 with the same message.)
 */
import {mkdtempSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, test, vi} from 'vitest'

const failing = vi.hoisted(() => ({from: Infinity, calls: 0}))

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
    if (++failing.calls >= failing.from) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC', errno: -28, syscall: 'write'})
    }
    return (fs.writeSync as (...a: unknown[]) => number)(...args)
  }) as typeof fs.writeSync
  return {...fs, default: {...fs, writeSync}, writeSync}
})

const {RecordsFile} = await import('../../src/results/records.js')
const {OutputError} = await import('../../src/errors.js')

function batch(n: number) {
  const seq = new Float64Array(n).map((_, i) => i)
  return {
    length: n,
    seq,
    arrival: seq.slice(),
    conn: new Uint32Array(n),
    queue: new Int32Array(n),
    core: new Int32Array(n),
    start: seq.slice(),
    end: seq.map((v) => v + 10),
    latency: new Float64Array(n).fill(10),
  }
}

describe('records on a full disk', () => {
  test('ENOSPC while spooling is an OutputError (exit 73) naming --records and the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailsim-enospc-'))
    const path = join(dir, 'r.parquet')
    const rec = RecordsFile.open(path, {ghz: 2.4})
    failing.calls = 0
    failing.from = 4 // the first batch's header and two columns are written, then the disk is full
    let caught: unknown
    try {
      rec.write(batch(1000))
    } catch (error) {
      caught = error
    }
    failing.from = Infinity
    expect(caught).toBeInstanceOf(OutputError)
    const e = caught as InstanceType<typeof OutputError>
    expect(e.exitCode).toBe(73)
    expect(e.where).toEqual({file: path, flag: 'records'})
    expect(e.message).toMatch(/^Expected to write the records next to ".*r\.parquet", got ENOSPC/)
    await rec.abort()
    expect(readdirSync(dir)).toEqual([])
  })
})
