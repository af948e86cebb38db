// Property tests run from a fixed seed, so `make test` (and CI) is reproducible: a failure there is
// the same failure on every machine. `make fuzz` sets BULKHEAD_SEED=random and raises the run
// counts to look for new counterexamples; any seed it prints replays with BULKHEAD_SEED=<seed>.
import fc from 'fast-check';

export const FIXED_SEED = 20261126;

/** The seed for this run: BULKHEAD_SEED (a number, or "random"), else the fixed one. */
export function testSeed(env: NodeJS.ProcessEnv = process.env): number {
  const value = env['BULKHEAD_SEED'];
  if (value === undefined || value === '') return FIXED_SEED;
  if (value === 'random') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(value);
  if (!Number.isInteger(seed)) throw new Error(`BULKHEAD_SEED must be an integer or "random", not ${JSON.stringify(value)}`);
  return seed;
}

/** How many runs a property gets: its default, times BULKHEAD_RUNS_FACTOR (make fuzz). */
export function runs(base: number, env: NodeJS.ProcessEnv = process.env): number {
  const factor = Number(env['BULKHEAD_RUNS_FACTOR'] ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

const seed = testSeed();
fc.configureGlobal({ seed, numRuns: runs(100) });
if (process.env['BULKHEAD_SEED'] === 'random') process.stderr.write(`[seed] fast-check seed ${seed} (BULKHEAD_SEED=${seed} to replay)\n`);
