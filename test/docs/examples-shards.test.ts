/** The example shards cover every documentation file exactly once. */
import {expect, it} from 'vitest'

import {documentationFiles} from './examples.js'
import {EXAMPLE_SHARDS, shardFiles} from './run-examples.js'

it('every Markdown file with examples is in exactly one shard', () => {
  const all = documentationFiles(process.cwd())
  const shards = [...Object.keys(EXAMPLE_SHARDS), 'rest'].map(shardFiles)
  expect(shards.flat().sort()).toEqual([...all].sort())
  for (const named of Object.values(EXAMPLE_SHARDS)) for (const f of named) expect(all, `${f} is named in EXAMPLE_SHARDS but does not exist`).toContain(f)
})
