import path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * One configuration for every property test (vitest loads this file before each test file, see
 * vitest.config.ts `setupFiles`).
 *
 * - Each run draws a fresh seed, so runs keep exploring, and a failure prints the command that
 *   replays it: `FC_SEED=<seed> FC_PATH=<path> npx vitest run <file>` (FC_PATH jumps straight to
 *   the shrunk counterexample; FC_SEED alone replays the whole run).
 * - FC_NUM_RUNS=<n> overrides every property's number of runs (more to hunt, fewer to bisect);
 *   tests ask for their default through `runs(n)`.
 * - No property has a time limit: fast-check's `interruptAfterTimeLimit` and the like would make
 *   a result depend on the machine's speed. The vitest test timeout is the only ceiling.
 */

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

// fast-check's own default draws from Date.now() ^ Math.random(); drawing it here lets us print it.
export const FC_SEED = envInt('FC_SEED') ?? (Math.random() * 2 ** 32) ^ 0;
const FC_PATH = process.env.FC_PATH?.trim() || undefined;
const FC_NUM_RUNS = envInt('FC_NUM_RUNS');

/** The number of runs a property asks for, unless FC_NUM_RUNS overrides it. */
export function runs(n: number): number {
  return FC_NUM_RUNS ?? n;
}

/** Replaces fast-check's default reporter: the same message, plus how to replay the failure. */
function reporter(details: fc.RunDetails<unknown>): void {
  if (!details.failed) return;
  const message = fc.defaultReportMessage(details) ?? 'Property failed';
  const { testPath, currentTestName } = expect.getState();
  const env = [`FC_SEED=${details.seed}`];
  if (details.counterexamplePath) env.push(`FC_PATH=${details.counterexamplePath}`);
  const file = testPath ? path.relative(process.cwd(), testPath) : '<test file>';
  // -t (a regular expression): a path only makes sense for the property it came from.
  const name = currentTestName?.split(' > ').at(-1);
  const only = name ? ` -t '${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll("'", "'\\''")}'` : '';
  throw new Error(`${message}\n\nReplay: ${env.join(' ')} npx vitest run ${file}${only}`, { cause: details.errorInstance ?? undefined });
}

fc.configureGlobal({
  seed: FC_SEED,
  ...(FC_PATH ? { path: FC_PATH } : {}),
  ...(FC_NUM_RUNS !== undefined ? { numRuns: FC_NUM_RUNS } : {}),
  reporter,
});
