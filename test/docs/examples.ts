/**
 * The shell examples of the documentation, as test cases: every fenced `sh` block of README.md and
 * docs/*.md, with the directives written above it in HTML comments.
 *
 * Directives (one per comment, on the lines right above the fence; blank lines may separate them):
 *   <!-- example: skip reason="..." -->      not run; the reason is part of the test's name
 *   <!-- example: env NAME=VALUE ... -->     environment variables for the block
 *   <!-- example: setup COMMAND -->          a shell command run before the block (repeatable)
 *   <!-- example: stand-in reason="..." -->  a batch-cluster script run on this machine: `srun CMD`
 *                                            runs CMD, `npx tailsim` is the built tailsim, `sbatch`
 *                                            runs the array's tasks one after another
 *   <!-- example: fresh-dir -->              the block starts in a new working directory (a separate
 *                                            session), not in the one of the file's earlier blocks
 *
 * A block that starts with `#!` is one script (one test case); otherwise each command — a line,
 * joined with the following ones while it ends in `\` — is its own test case, and the commands of
 * one file run in document order in one working directory, as a reader would type them.
 */
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

export interface Example {
  /** Markdown file, relative to the repository root. */
  file: string
  /** 1-based line of the command (of the block for a script). */
  line: number
  /** Shell text to run. */
  command: string
  /** Set when the block is not run. */
  skip?: string
  env: Record<string, string>
  setup: string[]
  /** Run with the cluster stand-ins (srun, npx tailsim) on PATH. */
  standIn?: string
  /** True for the first command of its block (setup runs before it). */
  firstOfBlock: boolean
  /** Working directory name (the file's, or the block's own with fresh-dir). */
  dir: string
}

const FENCE = /^```(\w*)\s*$/
const DIRECTIVE = /^<!--\s*example:\s*(\w[\w-]*)\s*(.*?)\s*-->\s*$/

/** `reason="..."` and `NAME=VALUE` pairs (values may be double-quoted). */
function pairs(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/([A-Za-z_][\w-]*)=(?:"([^"]*)"|(\S+))/g)) out[m[1]] = m[2] ?? m[3]
  return out
}

function directives(lines: string[], fenceIndex: number, file: string) {
  const found: {kind: string; args: string; line: number}[] = []
  for (let i = fenceIndex - 1; i >= 0; i--) {
    const l = lines[i].trim()
    if (l === '') continue
    const m = DIRECTIVE.exec(l)
    if (!m) break
    found.unshift({kind: m[1], args: m[2], line: i + 1})
  }
  const block = {env: {} as Record<string, string>, setup: [] as string[], skip: undefined as string | undefined, standIn: undefined as string | undefined, fresh: false}
  for (const d of found) {
    const where = `${file}:${d.line}`
    if (d.kind === 'skip' || d.kind === 'stand-in') {
      const reason = pairs(d.args).reason
      if (!reason) throw new Error(`${where}: <!-- example: ${d.kind} --> needs reason="..." saying why`)
      if (d.kind === 'skip') block.skip = reason
      else block.standIn = reason
    } else if (d.kind === 'env') {
      Object.assign(block.env, pairs(d.args))
    } else if (d.kind === 'fresh-dir') {
      block.fresh = true
    } else if (d.kind === 'setup') {
      if (d.args === '') throw new Error(`${where}: <!-- example: setup --> needs a command`)
      block.setup.push(d.args)
    } else {
      throw new Error(`${where}: unknown example directive "${d.kind}" (skip, env, setup, stand-in, fresh-dir)`)
    }
  }
  return block
}

/** The examples of one Markdown file. */
export function examplesOf(root: string, file: string): Example[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const out: Example[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (!open) continue
    let end = i + 1
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++
    if (open[1] === 'sh') {
      const block = directives(lines, i, file)
      const body = lines.slice(i + 1, end)
      const dir = file.replace(/[^\w.-]+/g, '_') + (block.fresh ? `-${i + 1}` : '')
      const base = {file, dir, skip: block.skip, env: block.env, setup: block.setup, standIn: block.standIn}
      if (body[0]?.startsWith('#!')) {
        out.push({...base, line: i + 2, command: body.join('\n'), firstOfBlock: true})
      } else {
        let first = true
        for (let j = 0; j < body.length; j++) {
          const start = j
          let cmd = body[j]
          // A continued line keeps its backslash-newline: bash joins the lines as the reader does.
          while (/\\\s*$/.test(cmd) && j + 1 < body.length) cmd = cmd.replace(/\\\s*$/, '\\\n') + body[++j]
          if (cmd.trim() === '' || cmd.trim().startsWith('#')) continue
          out.push({...base, line: i + 2 + start, command: cmd, firstOfBlock: first})
          first = false
        }
      }
    }
    i = end
  }
  return out
}

/** README.md and docs/*.md, in that order. */
export function documentationFiles(root: string): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
}

/** A short, unique test name: file:line and the command's first line. */
export function exampleName(e: Example): string {
  const first = (e.command.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? e.command).replace(/\\$/, '')
  const text = first.length > 100 ? first.slice(0, 97) + '...' : first
  return `${e.file}:${e.line} ${text}${e.skip ? ` [skipped: ${e.skip}]` : ''}`
}
