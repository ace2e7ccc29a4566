/**
 * The example extractor (blocks, commands, continuations, scripts and directives), and the split
 * of the documentation files over the example shards (one test file: each file Vitest starts
 * costs a worker process).
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect, test} from 'vitest'

import {documentationFiles, exampleName, examplesOf} from './examples.js'
import {EXAMPLE_SHARDS, shardFiles} from './run-examples.js'

function doc(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tailsim-examples-parse-'))
  writeFileSync(join(dir, 'x.md'), text)
  return () => examplesOf(dir, 'x.md')
}

test('one test case per command, continuation lines joined; comments and other languages ignored', () => {
  const ex = doc(['# t', '```sh', 'tailsim a', '# a comment', '', 'tailsim b \\', '  --flag', '```', '```yaml', 'x: 1', '```', '```sql', 'SELECT 1', '```'].join('\n'))()
  expect(ex.map((e) => [e.line, e.command, e.firstOfBlock])).toEqual([
    [3, 'tailsim a', true],
    [6, 'tailsim b \\\n  --flag', false],
  ])
  expect(exampleName(ex[1])).toBe('x.md:6 tailsim b ')
})

test('a #! block is one script', () => {
  const ex = doc(['```sh', '#!/bin/bash', '#SBATCH --array=1-2', 'srun tailsim x', '```'].join('\n'))()
  expect(ex).toHaveLength(1)
  expect(ex[0].command).toBe('#!/bin/bash\n#SBATCH --array=1-2\nsrun tailsim x')
  expect(exampleName(ex[0])).toBe('x.md:2 srun tailsim x')
})

test('directives above the fence', () => {
  const ex = doc(
    [
      '<!-- example: skip reason="needs a cluster" -->',
      '```sh',
      'tailsim a',
      '```',
      '<!-- example: env A=1 B="two words" -->',
      '',
      '<!-- example: setup tailsim generate t.csv -->',
      '<!-- example: stand-in reason="no Slurm here" -->',
      '```sh',
      'tailsim b',
      'tailsim c',
      '```',
    ].join('\n'),
  )()
  expect(ex[0].skip).toBe('needs a cluster')
  expect(exampleName(ex[0])).toMatch(/\[skipped: needs a cluster\]$/)
  expect(ex[1]).toMatchObject({env: {A: '1', B: 'two words'}, setup: ['tailsim generate t.csv'], standIn: 'no Slurm here', firstOfBlock: true})
  expect(ex[2]).toMatchObject({command: 'tailsim c', firstOfBlock: false, skip: undefined, dir: 'x.md'})
  const fresh = doc('```sh\ntailsim a\n```\n<!-- example: fresh-dir -->\n```sh\ntailsim b\n```\n')()
  expect(fresh.map((e) => e.dir)).toEqual(['x.md', 'x.md-5'])
})

test('a skip or stand-in without a reason, and an unknown directive, are errors', () => {
  expect(doc('<!-- example: skip -->\n```sh\ntailsim a\n```\n')).toThrow(/x\.md:1: .*needs reason=/)
  expect(doc('<!-- example: stand-in -->\n```sh\ntailsim a\n```\n')).toThrow(/needs reason=/)
  expect(doc('<!-- example: sikp reason="x" -->\n```sh\ntailsim a\n```\n')).toThrow(/unknown example directive "sikp"/)
})

test('every Markdown file with examples is in exactly one shard', () => {
  const all = documentationFiles(process.cwd())
  const shards = [...Object.keys(EXAMPLE_SHARDS), 'rest'].map(shardFiles)
  expect(shards.flat().sort()).toEqual([...all].sort())
  for (const named of Object.values(EXAMPLE_SHARDS)) for (const f of named) expect(all, `${f} is named in EXAMPLE_SHARDS but does not exist`).toContain(f)
})
