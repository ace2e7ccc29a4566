/**
 * The published shape of the package: `npm pack` makes a tarball that installs a working `tailsim`
 * bin (the path the Dockerfile and the Slurm example take). Uses the build `npm test` made first,
 * and npm's cache (filled by `npm ci`), falling back to the registry for what it lacks.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, describe, expect, it} from 'vitest'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

describe('npm pack', () => {
  let dir = ''
  afterAll(async () => {
    if (dir !== '') await rm(dir, {recursive: true, force: true})
  })

  it('packs the built CLI and installs a working tailsim bin from the tarball', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tailsim-pack-'))
    const env = {...process.env, NODE_ENV: 'production', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false'}
    const {stdout: packed} = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {cwd: ROOT, env})
    const info = JSON.parse(packed)[0] as {filename: string; files: {path: string}[]}
    const files = info.files.map((f) => f.path)
    for (const f of ['bin/run.js', 'dist/commands/replay.js', 'dist/src/index.js', 'oclif.manifest.json', 'traces/sample.csv', 'package.json']) {
      expect(files, f).toContain(f)
    }
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('node_modules/'))).toEqual([])
    expect(await readdir(dir)).toContain(info.filename)

    const prefix = join(dir, 'prefix')
    await run(
      NPM,
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(dir, info.filename)],
      {cwd: dir, env},
    )
    const bin = join(prefix, 'bin', 'tailsim')
    const {stdout: version} = await run(bin, ['--version'], {cwd: dir, env})
    expect(version).toMatch(/^tailsim\/\d+\.\d+\.\d+ /)
    const sample = join(prefix, 'lib', 'node_modules', 'tailsim', 'traces', 'sample.csv')
    const {stdout: replay} = await run(bin, ['replay', sample, '--policy', 'mgn-fcfs', '--cores', '16', '--load', '0.5', '--json'], {
      cwd: dir,
      env,
    })
    const result = JSON.parse(replay)
    expect(result.requests).toBe(50_000)
    expect(result.latency.p99_us).toBeGreaterThan(0)

    // The library entry point and its type declarations ship too.
    const pkgDir = join(prefix, 'lib', 'node_modules', 'tailsim')
    expect(files).toContain('dist/src/index.d.ts')
    const probe = `import('tailsim').then((m) => console.log(JSON.stringify([m.parsePolicySpec('ix:batch=1').spec, typeof m.simulate, m.TOOL.name])))`
    const {stdout: lib} = await run(process.execPath, ['--input-type=module', '-e', probe], {cwd: join(pkgDir, '..', '..'), env})
    expect(JSON.parse(lib)).toEqual(['ix:batch=1', 'function', 'tailsim'])
  }, 600_000)
})
