/**
 * npm run test:repeat [-- N [vitest args...]]: runs the whole suite N times (default 5), one run
 * after another, and prints pass/fail counts and the duration of each run. A flaky test shows up
 * as a run that differs from the others; its full output is kept in
 * test-artifacts/test-repeat/run-<i>.log (a failing property test's log ends with the
 * FC_SEED=... command that replays it). Exits non-zero if any run failed.
 *
 * Examples:  npm run test:repeat            five runs of everything
 *            npm run test:repeat -- 10 tests/unit    ten runs of the unit tests
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'test-artifacts/test-repeat');

const args = process.argv.slice(2);
const times = args[0] && /^\d+$/.test(args[0]) ? Number(args.shift()) : 5;
if (times < 1) {
  console.error('usage: npm run test:repeat -- [N>=1] [vitest args...]');
  process.exit(2);
}

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string }[] }[];
}

interface RunResult {
  run: number;
  code: number | null;
  seconds: number;
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
  replays: string[];
}

function runOnce(run: number): Promise<RunResult> {
  const log = path.join(outDir, `run-${run}.log`);
  const json = path.join(outDir, `run-${run}.json`);
  rmSync(json, { force: true });
  const started = Date.now();
  const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
  const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = createWriteStream(log);
  child.stdout.pipe(file, { end: false });
  child.stderr.pipe(file, { end: false });
  return new Promise((resolve) => {
    child.on('close', async (code) => {
      await new Promise((done) => file.end(done));
      const seconds = (Date.now() - started) / 1000;
      let report: JsonReport | undefined;
      try {
        report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
      } catch {
        // vitest died before writing its report: the log says why
      }
      const failures = report
        ? report.testResults.flatMap((f) => {
            const tests = f.assertionResults
              .filter((a) => a.status === 'failed')
              .map((a) => `${path.relative(root, f.name)} > ${a.fullName}`);
            return tests.length > 0 || f.status !== 'failed'
              ? tests
              : [`${path.relative(root, f.name)} (file failed: ${(f.message ?? '').split('\n')[0]})`];
          })
        : [`no report; see ${path.relative(root, log)}`];
      resolve({
        run,
        code,
        seconds,
        passed: report?.numPassedTests ?? 0,
        failed: report?.numFailedTests ?? 0,
        skipped: (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0),
        failures,
        // A failing property prints how to replay it (tests/helpers/property.ts).
        replays: [...new Set(readFileSync(log, 'utf8').match(/^Replay: FC_SEED=.*$/gm) ?? [])],
      });
    });
  });
}

mkdirSync(outDir, { recursive: true });
const results: RunResult[] = [];
for (let i = 1; i <= times; i++) {
  process.stdout.write(`run ${i}/${times} ... `);
  const r = await runOnce(i);
  results.push(r);
  const ok = r.code === 0;
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped  in ${r.seconds.toFixed(0)} s`);
  if (!ok) for (const f of r.failures) console.log(`      ✗ ${f}`);
  for (const line of r.replays) console.log(`      ${line}`);
}
const green = results.filter((r) => r.code === 0).length;
console.log(`\n${green} of ${times} runs green; logs in ${path.relative(root, outDir)}/`);
process.exit(green === times ? 0 : 1);
