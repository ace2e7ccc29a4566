/**
 * The example plug-ins (plain JavaScript with JSDoc types and `// @ts-check`) type-check against
 * the package's declarations (dist/src/index.d.ts, built first): the types a plug-in author
 * imports are exported and describe what the examples use.
 */
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'

import {expect, test} from 'vitest'

test('tsc --checkJs accepts examples/policies/*.mjs against the exported declarations', () => {
  const root = process.cwd()
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'examples/policies')], {cwd: root, encoding: 'utf8'})
  expect(r.stdout + r.stderr).toBe('')
  expect(r.status).toBe(0)
})
