/**
 * Property tests are reproducible: fast-check draws from a fixed seed in `npm test` (so a run on
 * a CI machine tests exactly the cases a developer's run tested). Set TAILSIM_FC_SEED to explore
 * other cases; `npm run fuzz` runs long randomised fuzzing.
 */
import fc from 'fast-check'

const seed = Number(process.env.TAILSIM_FC_SEED ?? 20261128)
fc.configureGlobal({seed})
