// The shell examples of the documentation files of shard `compare` (see run-examples.ts).
import {runExamples} from './run-examples.js'

runExamples('compare')
