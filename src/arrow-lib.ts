/**
 * apache-arrow, loaded from its single-file build.
 *
 * Why: the package's Node entry point is an ES module graph of about 150 files; loading it costs
 * about 0.3 s of CPU in every process and worker thread that reads or writes Arrow or Parquet (a
 * third of a short command's start-up), while the same library's single-file build
 * (`Arrow.esnext.min.js`, the same version and sources, without the Node-stream adapters that
 * tailsim does not use) loads in about 0.03 s. Every module of tailsim imports Arrow through
 * this file, so all its objects come from one copy of the library (its classes are checked with
 * `instanceof`). Types come from the package's declarations.
 */
import {createRequire} from 'node:module'

import type * as A from 'apache-arrow'

const arrow = createRequire(import.meta.url)('apache-arrow/Arrow.esnext.min') as typeof A

export const {
  Bool,
  Dictionary,
  Field,
  Float64,
  Int16,
  Int32,
  Int64,
  List,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  Type,
  Uint32,
  Utf8,
  makeData,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} = arrow

export type {Data, DataType, RecordBatchWriter, TypeMap, Vector} from 'apache-arrow'
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Dictionary<T extends A.DataType = any> = A.Dictionary<T>
export type Field<T extends A.DataType = any> = A.Field<T>
export type Float64 = A.Float64
export type Int16 = A.Int16
export type Int32 = A.Int32
export type Int64 = A.Int64
export type List<T extends A.DataType = any> = A.List<T>
export type RecordBatch<T extends A.TypeMap = any> = A.RecordBatch<T>
export type RecordBatchFileWriter<T extends A.TypeMap = any> = A.RecordBatchFileWriter<T>
export type RecordBatchReader<T extends A.TypeMap = any> = A.RecordBatchReader<T>
export type RecordBatchStreamWriter<T extends A.TypeMap = any> = A.RecordBatchStreamWriter<T>
export type Schema<T extends A.TypeMap = any> = A.Schema<T>
export type Struct<T extends A.TypeMap = any> = A.Struct<T>
export type Table<T extends A.TypeMap = any> = A.Table<T>
export type Type = A.Type
export type Uint32 = A.Uint32
export type Utf8 = A.Utf8
