import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';

describe.each(testDatabaseKinds())('POST /api/digest/subscribe on %s', (kind) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(kind, { clock: fakeClock('2026-12-05T10:00:00Z') });
  });
  afterAll(async () => ctx?.close());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    ctx.app.request('/api/digest/subscribe', {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
  const rows = () => ctx.db.selectFrom('digest_subscribers').selectAll().orderBy('id').execute();

  it('stores a new address lower-cased with its consent time, pending confirmation: 201', async () => {
    const res = await post({ email: '  Reader@Example.ORG ', consent: true });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ subscribed: false, confirmationSent: true });
    const [row] = await rows();
    expect(row).toMatchObject({ email: 'reader@example.org', source_ip: 'local', status: 'pending' });
    // The confirmation mail was queued with the sign-up (double opt-in).
    const mails = await ctx.db.selectFrom('mail_outbox').select(['kind', 'to_address']).execute();
    expect(mails).toEqual([{ kind: 'digest.confirm', to_address: 'reader@example.org' }]);
    expect(row!.consented_at.toISOString()).toBe('2026-12-05T10:00:00.000Z');
  });

  it('ignores a duplicate in any case, keeps the first consent, and answers as for a new address', async () => {
    ctx.clock.advance(3_600_000);
    const fresh = await post({ email: 'someone-new@example.org', consent: true });
    const res = await post({ email: 'READER@example.org', consent: true });
    expect(res.status).toBe(fresh.status);
    expect(await res.json()).toEqual(await fresh.json());
    await ctx.db.deleteFrom('digest_subscribers').where('email', '=', 'someone-new@example.org').execute();
    const all = await rows();
    expect(all).toHaveLength(1);
    // The known address asked again the same day: no second confirmation mail.
    const toReader = await ctx.db.selectFrom('mail_outbox').select('id').where('to_address', '=', 'reader@example.org').execute();
    expect(toReader).toHaveLength(1);
    expect(all[0]!.consented_at.toISOString()).toBe('2026-12-05T10:00:00.000Z');
  });

  it.each([
    ['no consent', { email: 'a@example.org' }, 'consent'],
    ['consent false', { email: 'a@example.org', consent: false }, 'consent'],
    ['consent "yes"', { email: 'a@example.org', consent: 'yes' }, 'consent'],
    ['bad e-mail', { email: 'not-an-email', consent: true }, 'email'],
    ['e-mail with HTML', { email: '<script>@x.org', consent: true }, 'email'],
    ['e-mail too long', { email: `${'a'.repeat(250)}@example.org`, consent: true }, 'email'],
    ['number as e-mail', { email: 42, consent: true }, 'email'],
    ['unknown field', { email: 'a@example.org', consent: true, admin: true }, 'admin'],
  ])('refuses %s with the error shape and writes nothing', async (_name, body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { code: string; message: string; field?: string } };
    expect(json.error.code).toBe('invalid_request');
    expect(json.error.message).toBeTruthy();
    expect(json.error.field).toBe(field);
    expect(await rows()).toHaveLength(1);
    // Only the two confirmations of the tests above (reader, someone-new): refusals mail nobody.
    expect(await ctx.db.selectFrom('mail_outbox').select('id').execute()).toHaveLength(2);
  });

  it('refuses malformed JSON and huge bodies', async () => {
    expect((await post('{"email":')).status).toBe(400);
    const huge = await post({ email: 'a@example.org', consent: true, pad: 'x'.repeat(64 * 1024) });
    expect(huge.status).toBe(413);
    expect(await rows()).toHaveLength(1);
  });
});
