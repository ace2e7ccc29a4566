// The shell examples of the documentation files of shard `readme` (see run-examples.ts).
import {runExamples} from './run-examples.js'

runExamples('readme')
