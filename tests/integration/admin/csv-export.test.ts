import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvChunk, spreadsheetSafe } from '../../../server/admin/csv.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { makeCampaign } from '../../helpers/factories.js';
import { type AdminClient, signIn } from './helpers.js';

/** What a spreadsheet runs as a formula: a cell whose first visible character starts one. */
const LIVE = /^[\s\u200B-\u200D\u2060\uFEFF]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B\u2212]|^[\t\r\n]/;
const inert = (cell: string) => cell === '' || cell.startsWith("'") || !LIVE.test(cell);

describe('spreadsheetSafe covers every way a cell becomes a formula', () => {
  it.each([
    '=1+1',
    '+1',
    '-2',
    '@SUM(A1)',
    '\tx',
    '\rx',
    '\n=1',
    ' =1',
    '\t=1',
    '\u200B=1',
    '\uFEFF@x',
    '\uFF1D1+1',
    '\uFF0B1',
    '\uFF0D1',
    '\uFF20SUM(A1)',
    '\uFE661',
    '\u22121',
  ])('%j is prefixed with a quote', (input) => expect(spreadsheetSafe(input)).toBe(`'${input}`));
  it.each(['plain', 'a=b', 'thanks\n=x', '12', ''])('%j is left alone', (input) => expect(spreadsheetSafe(input)).toBe(input));

  it('quotes embedded line breaks, so one row stays one row', () => {
    const text = csvChunk([['a\nb', 'c\rd', 'e\r\nf', '=g']]);
    const rows = parse(text, { relax_column_count: false }) as string[][];
    expect(rows).toEqual([['a\nb', 'c\rd', 'e\r\nf', "'=g"]]);
  });
});

describe.each(testDatabaseKinds())('donations.csv with hostile donor text on %s', (kind) => {
  let ctx: TestContext;
  let admin: AdminClient;
  const slug = 'csv';
  const payload = "thanks\n=cmd|' /C calc'!A0";
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z'), env: { CHECKOUT_RATE_LIMIT: '1000' } });
    admin = await signIn(ctx);
    await makeCampaign(ctx.db, { slug });
    // A checkout nobody pays: no card needed to put text in the export, once it expires.
    const bodies = [
      { comment: payload, name: 'Eve' },
      { comment: "ok\r@SUM(1+1)*cmd|' /C calc'!A0", name: '\uFF1DHYPERLINK("http://evil.example")' },
      { comment: '\r\n+1', dedication: { kind: 'honor', name: '-2+3' } },
    ];
    for (const body of bodies) {
      const res = await ctx.app.request(`/api/campaigns/${slug}/checkout`, {
        method: 'POST',
        body: JSON.stringify({ amount: 1000, frequency: 'once', ...body }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(201);
      await ctx.emulator.expireCheckout(((await res.json()) as { id: string }).id);
    }
    await ctx.emulator.flush();
  });
  afterAll(async () => ctx?.close());

  it('keeps one row per gift and every cell inert, as a real CSV parser reads it', async () => {
    const res = await admin.req(`/campaigns/${slug}/donations.csv`);
    expect(res.status).toBe(200);
    const text = (await res.text()).replace(/^\uFEFF/, '');
    const rows = parse(text, { relax_column_count: false }) as string[][];
    const [header, ...gifts] = rows;
    expect(gifts).toHaveLength(3);
    expect(gifts.every((r) => r.length === header!.length)).toBe(true);
    expect(gifts.map((r) => r[header!.indexOf('Status')])).toEqual(['expired', 'expired', 'expired']);
    for (const cell of rows.flat()) expect(inert(cell), JSON.stringify(cell)).toBe(true);
    // The donor's words are all there, as text (line breaks normalised to \n by the API).
    const comments = gifts.map((r) => r[header!.indexOf('Comment')]);
    expect(comments).toContain(payload);
    expect(comments).toContain("ok\n@SUM(1+1)*cmd|' /C calc'!A0");
    expect(comments).toContain("'+1"); // trimmed to "+1", then neutralised
  });

  it('refuses line breaks in names, where they have no use', async () => {
    for (const body of [{ name: 'Eve\n=1+1' }, { dedication: { kind: 'honor', name: 'a\rb' } }]) {
      const res = await ctx.app.request(`/api/campaigns/${slug}/checkout`, {
        method: 'POST',
        body: JSON.stringify({ amount: 1000, frequency: 'once', ...body }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
    }
  });
});
