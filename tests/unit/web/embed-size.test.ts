import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { EMBED_DONATE_FILE, EMBED_FILE, ensureWebBuilt } from '../../browser/helpers/build.js';

/**
 * SPEC §6/§8, issues 3 and 12: what a page loads before the banner paints, embed.js, is at most
 * 16 KB minified + gzipped; the donate dialog comes later as embed-donate.js, built on embed.js's
 * Preact rather than a copy of its own.
 */
export const EMBED_BUDGET_BYTES = 16 * 1024;
export const DONATE_BUDGET_BYTES = 10 * 1024;

describe('embed.js size budget', () => {
  let code: Buffer;
  let donate: Buffer;
  beforeAll(async () => {
    await ensureWebBuilt();
    code = readFileSync(EMBED_FILE);
    donate = readFileSync(EMBED_DONATE_FILE);
  });

  it(`is at most ${EMBED_BUDGET_BYTES} bytes min+gzip`, () => {
    const gz = gzipSync(code, { level: 9 }).length;
    console.log(`embed.js: ${code.length} bytes minified, ${gz} bytes gzipped (budget ${EMBED_BUDGET_BYTES})`);
    expect(gz).toBeLessThanOrEqual(EMBED_BUDGET_BYTES);
  });

  it("leaves the donate dialog to embed-donate.js, named by its content hash, sharing embed.js's Preact", () => {
    const gz = gzipSync(donate, { level: 9 }).length;
    console.log(`embed-donate.js: ${donate.length} bytes minified, ${gz} bytes gzipped (budget ${DONATE_BUDGET_BYTES})`);
    expect(gz).toBeLessThanOrEqual(DONATE_BUDGET_BYTES);
    const text = code.toString('utf8');
    const hash = createHash('sha256').update(donate).digest('hex').slice(0, 12);
    expect(text).toContain(`embed-donate.js?v=${hash}`);
    // The form's words are in the dialog script, not in what the first paint waits for.
    expect(donate.toString('utf8')).toContain('Other amount');
    expect(text).not.toContain('Other amount');
    // So are the pledge form and the other ways to give while payments are down (issue 13).
    for (const words of ['Online payments are unavailable right now', 'Other ways to give']) {
      expect(donate.toString('utf8')).toContain(words);
      expect(text).not.toContain(words);
    }
    // No second Preact: the dialog takes React's API from embed.js.
    expect(donate.toString('utf8')).toContain('Groundswell.runtime');
    expect(donate.toString('utf8')).not.toMatch(/__H|__hooks/);
    for (const f of [text, donate.toString('utf8')]) {
      expect(f).not.toMatch(/\bimport\s*\(/);
      expect(f).not.toMatch(/^\s*import\s/m);
    }
  });

  it('is one self-contained classic script: no imports, no chunks, no second request before first paint', () => {
    const text = code.toString('utf8');
    expect(text).not.toMatch(/\bimport\s*\(/);
    expect(text).not.toMatch(/^\s*import\s/m);
    expect(text).not.toMatch(/\.css['"]/);
    expect(text).not.toContain('sourceMappingURL');
    // Preact, not React: the pages' React must never leak into the widget.
    expect(text).not.toContain('__SECRET_INTERNALS');
    expect(text).not.toContain('react-dom');
  });
});
