/**
 * Every shell example of README.md and docs/*.md runs and exits 0 (see ./examples.ts for how the
 * blocks are found and the `<!-- example: ... -->` directives). The Markdown files are split over
 * a few test files (examples-*.test.ts, by `EXAMPLE_SHARDS`), so that Vitest runs them side by
 * side; within one Markdown file the commands run in order. `tailsim` is the built
 * bin/run.js (`npm test` builds first); each Markdown file gets its own temporary working
 * directory holding a copy of the repository's traces/ (and examples/), with HOME pointing there,
 * and its commands run in document order (a block marked fresh-dir gets a directory of its own).
 * Output is captured and shown only when a command fails. The environment sets TAILSIM_JOBS=1
 * (see sh() below: one worker thread per `compare` unless the example passes --jobs).
 */
import {spawn} from 'node:child_process'
import {chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {documentationFiles, exampleName, examplesOf, type Example} from './examples.js'

const root = process.cwd()
const scratch = mkdtempSync(join(tmpdir(), 'tailsim-examples-'))
const shims = join(scratch, 'bin')
const standIns = join(scratch, 'stand-in')

/**
 * `sbatch` stand-in: runs the tasks of a job array one after another, here and now, with the
 * variables Slurm gives each task. The array and CPUs come, as in Slurm, from the command line,
 * else SBATCH_ARRAY_INX, else the script's #SBATCH lines.
 */
const SBATCH = `#!/bin/bash
set -e
array=""; cpus=""
while [ $# -gt 0 ]; do
  case "$1" in
    --array=*) array="\${1#--array=}";;
    --cpus-per-task=*) cpus="\${1#--cpus-per-task=}";;
    -*) ;;
    *) break;;
  esac
  shift
done
job="$1"; shift
array="\${array:-\${SBATCH_ARRAY_INX:-$(sed -n 's/^#SBATCH --array=//p' "$job" | head -1)}}"
cpus="\${cpus:-$(sed -n 's/^#SBATCH --cpus-per-task=//p' "$job" | head -1)}"
lo="\${array%-*}"; hi="\${array#*-}"
for i in $(seq "$lo" "$hi"); do
  SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=$lo SLURM_ARRAY_TASK_MAX=$hi SLURM_ARRAY_TASK_COUNT=$((hi - lo + 1)) \\
    SLURM_CPUS_PER_TASK="\${cpus:-1}" bash "$job" "$@"
done
`

function script(path: string, text: string) {
  writeFileSync(path, text)
  chmodSync(path, 0o755)
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/commands/replay.js'))) throw new Error('dist/ is missing: run `npm run build` first')
  mkdirSync(shims)
  mkdirSync(standIns)
  script(join(shims, 'tailsim'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin/run.js')}" "$@"\n`)
  // Batch-cluster stand-ins: the same command line, on this machine.
  script(join(standIns, 'srun'), '#!/bin/sh\nexec "$@"\n')
  script(join(standIns, 'sbatch'), SBATCH)
  script(join(standIns, 'npx'), `#!/bin/sh\nif [ "$1" = tailsim ]; then shift; exec tailsim "$@"; fi\necho 'npx stand-in: only "npx tailsim" is available' >&2\nexit 127\n`)
})

afterAll(() => rmSync(scratch, {recursive: true, force: true}))

function sh(command: string, cwd: string, e: Example): Promise<{code: number | null; out: string}> {
  const path = [shims, ...(e.standIn ? [standIns] : []), process.env.PATH ?? ''].join(delimiter)
  // TAILSIM_JOBS=1: a `compare` without --jobs runs its cells in one worker thread, not one per
  // CPU. Each worker thread loads the simulator and the readers again (about 0.6 s of CPU each,
  // measured on `compare` of two synthetic traces: 7.7 s with two workers, 6.2 s with one), and
  // the suite already runs two test files on two cores. One worker still takes the pool path a
  // user's run takes; the rows do not depend on the worker count (test/experiment/pool.test.ts
  // compares a pooled sweep with an in-process one). An example's own --jobs wins over it.
  const env = {...process.env, NODE_ENV: 'production', TAILSIM_JOBS: '1', PATH: path, HOME: cwd, ...e.env}
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', command], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    const keep = (d: Buffer) => {
      out += d.toString('utf8')
      if (out.length > 200_000) out = out.slice(-100_000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('close', (code) => resolve({code, out}))
  })
}

/**
 * Which test file runs which Markdown files: the heaviest on their own, every other file in
 * `rest` (examples-parse.test.ts checks the split covers every file once).
 */
export const EXAMPLE_SHARDS: Record<string, readonly string[]> = {
  readme: ['README.md'],
  compare: ['docs/compare.md'],
  policies: ['docs/policies.md', 'docs/synthetic.md', 'docs/batch.md'],
}

/** The Markdown files of one shard (`rest`: those no other shard names). */
export function shardFiles(shard: string): string[] {
  const named = new Set(Object.values(EXAMPLE_SHARDS).flat())
  return documentationFiles(root).filter((f) => (shard === 'rest' ? !named.has(f) : (EXAMPLE_SHARDS[shard] ?? []).includes(f)))
}

/** Define the tests of one shard's examples. */
export function runExamples(shard: string): void {
  for (const file of shardFiles(shard)) {
    const examples = examplesOf(root, file)
    if (examples.length === 0) continue
    describe.sequential(file, () => {
      for (const e of examples) {
        const cwd = join(scratch, e.dir)
        const name = exampleName(e)
        if (e.skip) {
          test.skip(name, () => {})
          continue
        }
        test(name, async () => {
          if (!existsSync(cwd)) {
            mkdirSync(cwd, {recursive: true})
            cpSync(join(root, 'traces'), join(cwd, 'traces'), {recursive: true})
            if (existsSync(join(root, 'examples'))) cpSync(join(root, 'examples'), join(cwd, 'examples'), {recursive: true})
          }
          if (e.firstOfBlock) {
            for (const s of e.setup) {
              const r = await sh(s, cwd, e)
              expect(r.code, `setup \`${s}\` failed:\n${r.out.slice(-4000)}`).toBe(0)
            }
          }
          const r = await sh(e.command, cwd, e)
          expect(r.code, `${e.file}:${e.line} exited ${r.code}:\n${e.command}\n--- output (last 4000 characters) ---\n${r.out.slice(-4000)}`).toBe(0)
        })
      }
    })
  }
}
