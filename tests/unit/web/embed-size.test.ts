import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMBED_FILE, ensureWebBuilt } from '../../browser/helpers/build.js';

/** SPEC §6/§8 and issue 3: the widget is at most 20 KB minified + gzipped, in one file. */
export const EMBED_BUDGET_BYTES = 20 * 1024;

describe('embed.js size budget', () => {
  let code: Buffer;
  beforeAll(async () => {
    await ensureWebBuilt();
    code = readFileSync(EMBED_FILE);
  });

  it(`is at most ${EMBED_BUDGET_BYTES} bytes min+gzip`, () => {
    const gz = gzipSync(code, { level: 9 }).length;
    console.log(`embed.js: ${code.length} bytes minified, ${gz} bytes gzipped (budget ${EMBED_BUDGET_BYTES})`);
    expect(gz).toBeLessThanOrEqual(EMBED_BUDGET_BYTES);
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
