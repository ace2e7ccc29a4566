/**
 * Run a tailsim command in the test's own process (the built CLI in dist/, through oclif, as
 * bin/run.js runs it), with its stdout, stderr and exit code: a spawned process costs 0.5–1 s of
 * CPU to start (node, oclif, our modules), an in-process run only the command's own work. Use a
 * real process only where the process is what is tested (a signal, the exit status of the bin,
 * a stdin pipe, binary stdout).
 *
 * The arguments reach the command as given (no re-splitting on spaces, unlike @oclif/test's
 * runCommand); the command runs in `cwd`; `env` entries are set for the run and restored after.
 */
import {Config, run} from '@oclif/core'
import {captureOutput} from '@oclif/test'

const root = process.cwd()
let config: Promise<Config> | undefined

export interface InProcessResult {
  stdout: string
  /** Same as stdout (the name the spawning helpers used). */
  out: string
  stderr: string
  exit: number
  result: unknown
}

export async function tailsimIn(cwd: string, argv: string[], env: Record<string, string | undefined> = {}): Promise<InProcessResult> {
  config ??= Config.load({root})
  const cfg = await config
  const here = process.cwd()
  const saved: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  process.chdir(cwd)
  process.exitCode = undefined
  try {
    const r = await captureOutput(async () => run(argv, cfg), {testNodeEnv: 'production'})
    const error = r.error as {oclif?: {exit?: number}} | undefined
    const exit = error?.oclif?.exit ?? (error ? 1 : Number(process.exitCode ?? 0))
    return {stdout: r.stdout, out: r.stdout, stderr: r.stderr, exit, result: r.result}
  } finally {
    process.exitCode = undefined
    process.chdir(here)
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}
