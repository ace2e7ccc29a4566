import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {defineConfig} from 'vitest/config'

import {usableCpus} from './src/experiment/cpus.js'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Hang detectors, not speed checks: the slowest tests take up to ~25 s on an idle 2-core
    // machine; this leaves them more than 10x (a machine shared with other work).
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // One test file per usable CPU (Vitest's default is one fewer, i.e. one file at a time on two
    // cores, while CLI tests mostly wait for their child processes).
    maxWorkers: usableCpus(),
    // Console output goes to the process streams, where the CLI tests' capture (@oclif/test
    // runCommand) collects it into buffers: the run prints only Vitest's report.
    disableConsoleIntercept: true,
    // The stats cache of the commands the tests run (and of their children) lives in a temporary
    // folder, not in the user's ~/.cache.
    env: {XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'tailsim-test-cache-'))},
  },
})
