// The shell examples of the documentation files of shard `policies` (see run-examples.ts).
import {runExamples} from './run-examples.js'

runExamples('policies')
