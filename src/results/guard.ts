/**
 * The output guard: an output path must not be one of the command's inputs, even with `--force`
 * (`--force` replaces an earlier *output*, never the trace or file being read). "The same file" is
 * decided by the file system, not by the spelling: device and inode numbers, so a relative path,
 * a symbolic link and a hard link to an input are all refused.
 */
import {statSync} from 'node:fs'

import {OutputError, show} from '../errors.js'

/** The input paths that exist as files or folders (`-`, `synthetic:` and absent paths dropped). */
function identities(inputs: readonly (string | undefined)[]): {path: string; dev: number; ino: number}[] {
  const out: {path: string; dev: number; ino: number}[] = []
  for (const p of inputs) {
    if (p === undefined || p === '-' || p.startsWith('synthetic:')) continue
    const st = statSync(p, {throwIfNoEntry: false})
    if (st !== undefined) out.push({path: p, dev: st.dev, ino: st.ino})
  }
  return out
}

/**
 * Throw an OutputError (exit 73) when `out` names the same file as one of `inputs`. An output that
 * does not exist yet cannot be an input. `flag` names the output flag in the message (`--out`,
 * `--records`; omit it for a positional OUT).
 */
export function refuseInputAsOutput(out: string | undefined, inputs: readonly (string | undefined)[], flag?: string): void {
  if (out === undefined || out === '-') return
  const st = statSync(out, {throwIfNoEntry: false})
  if (st === undefined) return
  for (const input of identities(inputs)) {
    if (input.dev === st.dev && input.ino === st.ino) {
      const what = flag !== undefined ? `--${flag}` : 'the output'
      const same = input.path === out ? '' : ` (the same file as the input ${show(input.path)})`
      throw new OutputError(
        `Expected ${what} not to be one of the inputs, got ${show(out)}${same}; it is never overwritten, even with --force`,
        {file: out, ...(flag !== undefined ? {flag} : {})},
      )
    }
  }
}

/** The `cdf:FILE` paths a service spec reads (their files are inputs of `generate`). */
export function specInputFiles(spec: string): string[] {
  return [...spec.matchAll(/cdf:([^;]+)/g)].map((m) => m[1].trim())
}
