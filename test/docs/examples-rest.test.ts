// The shell examples of the documentation files of shard `rest` (see run-examples.ts).
import {runExamples} from './run-examples.js'

runExamples('rest')
