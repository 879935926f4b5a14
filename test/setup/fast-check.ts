import fc from 'fast-check';

/**
 * One seed for every property in a run, so CI is reproducible: a property that fails in CI fails
 * the same way on a laptop. `CONCORD_FC_SEED=random npm test` explores new inputs (the failing seed
 * is printed with the counterexample); `CONCORD_FC_SEED=<n>` replays one.
 *
 * A property may run for at most two minutes, shrinking included: a counterexample that takes longer
 * to shrink is reported as it stands instead of holding CI for an hour.
 */
const raw = process.env.CONCORD_FC_SEED;
const DEFAULT_SEED = 20261203;
const seed =
  raw === undefined || raw === ''
    ? DEFAULT_SEED
    : raw === 'random'
      ? (Date.now() ^ (process.pid << 8)) | 0
      : Number.parseInt(raw, 10);
if (!Number.isSafeInteger(seed))
  throw new Error(`CONCORD_FC_SEED must be an integer or "random", got ${raw}`);

fc.configureGlobal({ seed, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true });
