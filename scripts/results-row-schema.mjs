#!/usr/bin/env node
// Regenerates docs/schemas/results-row.schema.json from the stored columns (src/results/file-columns.ts,
// built into dist/): run `npx tsc -p tsconfig.json && node scripts/results-row-schema.mjs` after
// adding a result column. test/cli/json-schemas.test.ts fails while the two disagree.
import {writeFileSync} from 'node:fs'

import {FILE_COLUMNS} from '../dist/src/results/file-columns.js'
import {SCHEMA_VERSION} from '../dist/src/results/schema.js'

const scalar = (t, nullable) => ({type: nullable ? [t, 'null'] : t})
const pairs = (t) => ({
  type: 'array',
  items: {type: 'object', required: ['name', 'value'], additionalProperties: false, properties: {name: {type: 'string'}, value: {type: [t, 'null']}}},
})
const SCHEMAS = {
  int32: (n) => scalar('integer', n),
  int64: (n) => scalar('integer', n),
  float64: (n) => scalar('number', n),
  utf8: (n) => scalar('string', n),
  bool: (n) => scalar('boolean', n),
  float64_list: () => ({type: 'array', items: {type: ['number', 'null']}}),
  int_pairs: () => pairs('integer'),
  float_pairs: () => pairs('number'),
  warning_list: () => ({
    type: 'array',
    items: {type: 'object', required: ['code', 'message'], additionalProperties: false, properties: {code: {type: 'string'}, message: {type: 'string'}}},
  }),
}
const properties = {}
for (const c of FILE_COLUMNS) {
  // Columns derived from the config (c.from undefined) are null when a row has no config.
  const s = SCHEMAS[c.kind](c.nullable || c.from === undefined)
  properties[c.name] = c.from === undefined && s.type === 'array' ? {anyOf: [s, {type: 'null'}]} : s
}
properties.schema_version = {const: SCHEMA_VERSION}
properties.kind = {enum: ['latency', 'max_load']}
properties.search_status = {enum: ['ok', 'unmet', 'at_upper_bound', null]}
const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:tailsim:results-row',
  title: `tailsim result row (schema version ${SCHEMA_VERSION})`,
  description:
    'One row of a results file (.json rows, and the rows of compare --json); the same columns and types as the Parquet and Arrow files. See docs/output.md.',
  type: 'object',
  required: Object.keys(properties),
  additionalProperties: false,
  propertyNames: {pattern: '^[a-z][a-z0-9_]*$'},
  properties,
}
writeFileSync(new URL('../docs/schemas/results-row.schema.json', import.meta.url), JSON.stringify(schema, null, 2) + '\n')
