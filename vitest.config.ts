import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {defineConfig} from 'vitest/config'

import {usableCpus} from './src/experiment/cpus.js'

/**
 * Test files that only call the library in-process: no chdir, no environment changes, no child
 * processes, no policy registration, no check of module state (reader-worker counts). They share
 * their worker process (`isolate: false`): each file otherwise pays ~1.5 s of CPU to load and
 * evaluate the library again in a fresh process (the 55 files: 296 s of CPU isolated, 211 s shared;
 * user + sys, `npx vitest run --project shared`). A file added under these folders that changes
 * process state must go into OWN_PROCESS.
 */
const SHARED = [
  'test/sim/**/*.test.ts',
  'test/stats/**/*.test.ts',
  'test/results/**/*.test.ts',
  'test/calibration/**/*.test.ts',
  'test/report/**/*.test.ts',
  'test/trace/**/*.test.ts',
  'test/experiment/{plan,slo-search,sweep-stats,cpus}.test.ts',
]
/**
 * CLI tests that run the commands in-process (./test/cli/inproc.ts restores the working directory,
 * the environment and the exit code after each run) or spawn them, and the sweep tests that start
 * worker threads or a child: each restores what it changes (a chdir in beforeAll/afterAll, env
 * entries), registers no policy, mocks no module and counts no reader workers. They share a worker
 * process as well: oclif's config, the commands and the library are loaded and transformed once
 * per worker instead of once per file (the nine CLI files: 104 -> 87 s of CPU, user + sys).
 */
const CLI_SHARED = [
  'test/cli/{batch,compare,generate,inspect,json-schemas,report,errors,flags-consistency}.test.ts',
  'test/fuzz/flags.fuzz.test.ts',
  'test/experiment/{pool,slo}.test.ts',
]
/** Under the globs above, but in their own process: they register a policy, spawn the CLI, read env or count reader workers. */
const OWN_PROCESS = [
  'test/sim/fcfs-recursion.test.ts',
  'test/sim/sched/shenango-cli.test.ts',
  'test/trace/{access-log,fast-stats-isolated,ingest,isolated,synthetic-worker}.test.ts',
]

export default defineConfig({
  test: {
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
    // Four projects: the shared-process files, the ones under the same folders that need their own
    // process, the CLI files that share a process too, and everything else (docs, plugins,
    // scripts, ...), isolated as before.
    projects: [
      {extends: true, test: {name: 'shared', include: SHARED, exclude: OWN_PROCESS, isolate: false}},
      {extends: true, test: {name: 'own-process', include: OWN_PROCESS}},
      {extends: true, test: {name: 'cli-shared', include: CLI_SHARED, isolate: false}},
      {extends: true, test: {name: 'isolated', include: ['test/**/*.test.ts'], exclude: [...SHARED, ...CLI_SHARED]}},
    ],
  },
})
