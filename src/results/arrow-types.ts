/**
 * The Arrow types of the stored result columns (./file-columns.ts). Apart from file-columns.ts so
 * that what only renames and converts rows (the --json documents of replay and inspect) does not
 * load Arrow (~0.05 s of CPU per process).
 */
import {Bool, Field, Float64, Int32, Int64, List, Struct, Utf8, type DataType} from '../arrow-lib.js'

import {PER_TYPE_FIELDS} from './schema.js'
import type {FileKind} from './file-columns.js'

/** The Arrow type of the `per_type` column: list<struct<type: utf8, count: int64, the statistics: float64>>. */
export function perTypeArrowType(): List {
  const fields = [new Field('type', new Utf8(), false), ...PER_TYPE_FIELDS.map((n) => new Field(n, n === 'count' ? new Int64() : new Float64(), true))]
  return new List(new Field('item', new Struct(fields), false))
}

const pairStruct = (value: DataType) => new Struct([new Field('name', new Utf8(), false), new Field('value', value, true)])

/** The Arrow type of a stored column. */
export function arrowTypeOf(kind: FileKind): DataType {
  switch (kind) {
    case 'int32':
      return new Int32()
    case 'int64':
      return new Int64()
    case 'float64':
      return new Float64()
    case 'utf8':
      return new Utf8()
    case 'bool':
      return new Bool()
    case 'float64_list':
      return new List(new Field('item', new Float64(), true))
    case 'int_pairs':
      return new List(new Field('item', pairStruct(new Int64()), false))
    case 'float_pairs':
      return new List(new Field('item', pairStruct(new Float64()), false))
    case 'per_type':
      return perTypeArrowType()
    case 'warning_list':
      return new List(new Field('item', new Struct([new Field('code', new Utf8(), false), new Field('message', new Utf8(), false)]), false))
  }
}
