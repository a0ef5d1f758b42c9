import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMBED_APP_FILE, EMBED_DONATE_FILE, EMBED_FILE, ensureWebBuilt } from '../../browser/helpers/build.js';

/**
 * SPEC §6/§8, issues 3 and 12: what a page loads before the banner paints, embed.js, is at most
 * 16 KB minified + gzipped (as served, with the open campaigns folded in: tests/integration/site/
 * embed-fold.test.ts). It has no framework: the live banner, embed-app.js, comes after the first
 * paint, and the donate dialog, embed-donate.js, when a reader reaches for Donate, built on
 * embed-app.js's Preact rather than a copy of its own.
 */
export const EMBED_BUDGET_BYTES = 16 * 1024;
export const APP_BUDGET_BYTES = 16 * 1024;
export const DONATE_BUDGET_BYTES = 10 * 1024;

const hashOf = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 12);

describe('embed.js size budget', () => {
  let code: Buffer;
  let app: Buffer;
  let donate: Buffer;
  beforeAll(async () => {
    await ensureWebBuilt();
    code = readFileSync(EMBED_FILE);
    app = readFileSync(EMBED_APP_FILE);
    donate = readFileSync(EMBED_DONATE_FILE);
  });

  it(`is at most ${EMBED_BUDGET_BYTES} bytes min+gzip, and names the live banner it loads by content hash`, () => {
    const gz = gzipSync(code, { level: 9 }).length;
    console.log(`embed.js: ${code.length} bytes minified, ${gz} bytes gzipped (budget ${EMBED_BUDGET_BYTES})`);
    expect(gz).toBeLessThanOrEqual(EMBED_BUDGET_BYTES);
    const agz = gzipSync(app, { level: 9 }).length;
    console.log(`embed-app.js: ${app.length} bytes minified, ${agz} bytes gzipped (budget ${APP_BUDGET_BYTES})`);
    expect(agz).toBeLessThanOrEqual(APP_BUDGET_BYTES);
    expect(code.toString('utf8')).toContain(`embed-app.js?v=${hashOf(app)}`);
  });

  it('paints without a framework: Preact and the banner component are in embed-app.js only', () => {
    const text = code.toString('utf8');
    const live = app.toString('utf8');
    // Preact's hook and diff internals, and the banner's own component code.
    for (const marker of ['__H', 'aria-haspopup']) {
      expect(live).toContain(marker);
      expect(text).not.toContain(marker);
    }
  });

  it("leaves the donate dialog to embed-donate.js, named by its content hash, sharing embed-app.js's Preact", () => {
    const gz = gzipSync(donate, { level: 9 }).length;
    console.log(`embed-donate.js: ${donate.length} bytes minified, ${gz} bytes gzipped (budget ${DONATE_BUDGET_BYTES})`);
    expect(gz).toBeLessThanOrEqual(DONATE_BUDGET_BYTES);
    const live = app.toString('utf8');
    expect(live).toContain(`embed-donate.js?v=${hashOf(donate)}`);
    // The form's words are in the dialog script, not in what the banner waits for.
    for (const words of ['Other amount', 'Online payments are unavailable right now', 'Other ways to give']) {
      expect(donate.toString('utf8')).toContain(words);
      expect(live).not.toContain(words);
      expect(code.toString('utf8')).not.toContain(words);
    }
    // No second Preact: the dialog takes React's API from embed-app.js.
    expect(donate.toString('utf8')).toContain('Groundswell.runtime');
    expect(donate.toString('utf8')).not.toMatch(/__H|__hooks/);
  });

  it('is three self-contained classic scripts: no imports, no chunks, no React', () => {
    for (const f of [code, app, donate].map((b) => b.toString('utf8'))) {
      expect(f).not.toMatch(/\bimport\s*\(/);
      expect(f).not.toMatch(/^\s*import\s/m);
      expect(f).not.toMatch(/\.css['"]/);
      expect(f).not.toContain('sourceMappingURL');
      // Preact, not React: the pages' React must never leak into the widget.
      expect(f).not.toContain('__SECRET_INTERNALS');
      expect(f).not.toContain('react-dom');
    }
  });
});
