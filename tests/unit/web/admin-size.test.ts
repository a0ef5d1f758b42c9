import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST, adminInitialScripts, ensureWebBuilt } from '../../browser/helpers/build.js';

/** Issue 12: the console's first load is at most 150 KB of JavaScript min+gzip; its charts come later. */
export const ADMIN_INITIAL_BUDGET_BYTES = 150 * 1024;

describe.runIf(existsSync(path.resolve('web/admin/index.html')))('admin bundle', () => {
  let initial: string[];
  beforeAll(async () => {
    await ensureWebBuilt();
    initial = adminInitialScripts();
  });

  it(`loads at most ${ADMIN_INITIAL_BUDGET_BYTES} bytes of JavaScript min+gzip before it runs`, () => {
    expect(initial.length).toBeGreaterThanOrEqual(1);
    const gz = initial.reduce((a, f) => a + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    console.log(`admin initial JS: ${initial.map((f) => path.basename(f)).join(', ')} = ${gz} bytes gzipped`);
    expect(gz).toBeLessThanOrEqual(ADMIN_INITIAL_BUDGET_BYTES);
  });

  it('keeps recharts out of the first load: the chart is a chunk the dashboard imports when it shows', () => {
    for (const f of initial) expect(readFileSync(f, 'utf8'), path.basename(f)).not.toContain('recharts-wrapper');
    const entry = readFileSync(initial[0]!, 'utf8');
    const chunk = /import\(["'`]\.\/(DailyChart-[\w-]+\.js)["'`]\)/.exec(entry)?.[1];
    expect(chunk).toBeDefined();
    // Two charts (money per day, the funnel) share recharts: it may sit in a chunk of its own that
    // the chart chunk imports, never in the first load.
    const chartCode = readFileSync(path.join(DIST, 'assets', chunk!), 'utf8');
    const shared = [...chartCode.matchAll(/from\s*["'`]\.\/([\w-]+\.js)["'`]/g)].map((m) => m[1]!);
    const withRecharts = [chunk!, ...shared].filter((f) => readFileSync(path.join(DIST, 'assets', f), 'utf8').includes('recharts-wrapper'));
    expect(withRecharts.length).toBeGreaterThan(0);
    for (const f of withRecharts) expect(initial.map((i) => path.basename(i))).not.toContain(f);
  });
});
