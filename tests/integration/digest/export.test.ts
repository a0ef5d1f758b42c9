import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type AdminClient, signIn } from '../admin/helpers.js';

/** The export for the newsletter tool, from the public form through confirmation (SPEC §10). */
describe.each(testDatabaseKinds())('digest subscribers export on %s', (kind) => {
  let ctx: TestContext;
  let editor: AdminClient;
  const clock = fakeClock('2026-12-05T10:00:00Z');

  const signUp = (email: string, referer: string) =>
    ctx.app.request('/api/digest/subscribe', {
      method: 'POST',
      body: JSON.stringify({ email, consent: true }),
      headers: { 'content-type': 'application/json', referer },
    });
  /** The confirmation link's token, as the mail in the outbox carries it. */
  const confirm = async (email: string) => {
    const mail = await ctx.db
      .selectFrom('mail_outbox')
      .select('data')
      .where('kind', '=', 'digest.confirm')
      .where('to_address', '=', email)
      .executeTakeFirstOrThrow();
    const { token } = mail.data as { token: string };
    const res = await ctx.app.request('/digest/confirm', {
      method: 'POST',
      body: new URLSearchParams({ token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock });
    await signUp('Early@Example.org', 'https://news.example/2026/12/lead-pipes?utm_source=mail&who=early#comments');
    clock.advance(30 * 60_000);
    await confirm('early@example.org');
    clock.advance(60 * 60_000);
    await signUp('late@example.org', 'https://other.example/newsletter');
    clock.advance(60_000);
    await confirm('late@example.org');
    await signUp('pending@example.org', 'https://news.example/');
    // Signed in now: the export wants a password entered in the last 10 minutes.
    editor = await signIn(ctx, 'editor@example.org', 'editor');
  });
  afterAll(async () => ctx?.close());

  it('lists only confirmed addresses, with the time of consent, of confirmation and the page (origin and path)', async () => {
    const res = await editor.req('/digest-subscribers.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(parseCsv(await res.text())).toEqual([
      ['Email', 'Consented at', 'Confirmed at', 'Source page'],
      ['late@example.org', '2026-12-05T11:30:00.000Z', '2026-12-05T11:31:00.000Z', 'https://other.example/newsletter'],
      ['early@example.org', '2026-12-05T10:00:00.000Z', '2026-12-05T10:30:00.000Z', 'https://news.example/2026/12/lead-pipes'],
    ]);
  });

  it('is for editors and owners, not viewers', async () => {
    const viewer = await signIn(ctx, 'viewer@example.org', 'viewer');
    expect((await viewer.req('/digest-subscribers.csv')).status).toBe(403);
  });
});
