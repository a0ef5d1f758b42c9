import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { type MailWorker, createMailWorker } from '../../../server/mail/worker.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type SmtpPeer, startSmtpPeer } from '../mail/smtp-peer.js';
import { ADMIN_PASSWORD, type AdminClient, clientFromLogin, loginRequest, makeAdmin, signIn } from './helpers.js';

/** Invitations and password resets arrive by e-mail, through a real SMTP server on loopback. */
describe.each(testDatabaseKinds())('admin e-mail links on %s', (kind) => {
  let ctx: TestContext;
  let peer: SmtpPeer;
  let worker: MailWorker;
  let owner: AdminClient;
  const clock = fakeClock('2026-12-05T10:00:00Z');

  const post = (path: string, body: unknown) =>
    ctx.app.request(`/api/admin${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
    });
  /** Sends what is queued and returns the messages that arrived for `to` since `from`. */
  const deliveredTo = async (to: string, from = 0) => {
    await worker.runOnce();
    return peer.messages.slice(from).filter((m) => m.envelopeTo.includes(to));
  };
  const linkToken = (text: string, kind: 'invite' | 'reset') =>
    new RegExp(`http://groundswell\\.test/admin/${kind}/([\\w-]{43})`).exec(text)?.[1];

  beforeAll(async () => {
    peer = await startSmtpPeer();
    ctx = await createTestContext(kind, { clock, env: { SMTP_URL: peer.url, ORG_NAME: 'Riverside Ledger' } });
    worker = createMailWorker({ db: ctx.db, config: ctx.config, clock, log: createLogger('silent') });
    owner = await signIn(ctx);
  });
  afterAll(async () => {
    await ctx?.close();
    await peer?.close();
  });

  it('mails the invitation; the link sets the invited admin’s password once', async () => {
    const res = await owner.req('/admins', { method: 'POST', body: { email: 'Sam@Example.org', role: 'editor' } });
    expect(res.status).toBe(201);
    const [mail, ...more] = await deliveredTo('sam@example.org');
    expect(more).toEqual([]);
    expect(mail!.subject).toBe('You are invited to the Riverside Ledger fundraising admin');
    expect(mail!.text).toContain('ops@example.org invited you');
    expect(mail!.text).toContain('as an editor');
    const token = linkToken(mail!.text!, 'invite')!;
    expect(mail!.html).toContain(`/admin/invite/${token}`);
    // The owner sees the same link once, in case the mail goes astray.
    expect((await res.json()).invitation.url).toBe(`http://groundswell.test/admin/invite/${token}`);

    expect(await (await ctx.app.request(`/api/admin/invitations/${token}`)).json()).toMatchObject({ email: 'sam@example.org' });
    const accepted = await post(`/invitations/${token}`, { password: 'a new long password' });
    expect(accepted.status).toBe(200);
    expect((await post(`/invitations/${token}`, { password: 'another long password' })).status).toBe(404);
    expect((await loginRequest(ctx, 'sam@example.org', 'a new long password')).status).toBe(200);
  });

  it('a renewed invitation mails a new link and the old one stops working', async () => {
    const made = await owner.json('/admins', { method: 'POST', body: { email: 'late@example.org', role: 'viewer' } });
    const first = linkToken((await deliveredTo('late@example.org'))[0]!.text!, 'invite')!;
    const from = peer.messages.length;
    await owner.json(`/admins/${made.admin.id}/invitation`, { method: 'POST' });
    const renewed = await deliveredTo('late@example.org', from);
    expect(renewed).toHaveLength(1);
    const second = linkToken(renewed[0]!.text!, 'invite')!;
    expect(second).not.toBe(first);
    expect((await ctx.app.request(`/api/admin/invitations/${first}`)).status).toBe(404);
    expect((await ctx.app.request(`/api/admin/invitations/${second}`)).status).toBe(200);
  });

  it('a reset request answers the same for any address and mails only an active admin', async () => {
    await makeAdmin(ctx, 'gone@example.org', 'editor');
    await ctx.db.updateTable('admins').set({ disabled_at: clock() }).where('email', '=', 'gone@example.org').execute();
    const from = peer.messages.length;
    const answers = await Promise.all(
      ['ops@example.org', 'stranger@example.org', 'late@example.org', 'gone@example.org'].map(async (email) => {
        const res = await post('/password-reset', { email });
        return [res.status, await res.json()];
      }),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]![0]).toBe(202);
    await worker.runOnce();
    expect(peer.messages.slice(from).map((m) => m.envelopeTo)).toEqual([['ops@example.org']]);
    expect((await post('/password-reset', { email: 'not an address' })).status).toBe(400);
  });

  it('the reset link sets a new password once, and signs out everyone who had the old one', async () => {
    const from = peer.messages.length;
    expect((await post('/password-reset', { email: 'ops@example.org' })).status).toBe(202);
    const [mail] = await deliveredTo('ops@example.org', from);
    expect(mail!.subject).toBe('Reset your Riverside Ledger admin password');
    const token = linkToken(mail!.text!, 'reset')!;
    // The earlier request's link was replaced by this one.
    const earlier = linkToken(peer.messages.slice(0, from).findLast((m) => m.envelopeTo.includes('ops@example.org'))!.text!, 'reset')!;
    expect((await ctx.app.request(`/api/admin/password-reset/${earlier}`)).status).toBe(404);

    expect(await (await ctx.app.request(`/api/admin/password-reset/${token}`)).json()).toMatchObject({ email: 'ops@example.org' });
    expect((await post(`/password-reset/${token}`, { password: 'short' })).status).toBe(400);
    const done = await post(`/password-reset/${token}`, { password: 'the brand new password' });
    expect(done.status).toBe(200);
    const fresh = await clientFromLogin(ctx, done);
    expect((await fresh.req('/me')).status).toBe(200);
    expect((await owner.req('/me')).status).toBe(401);
    expect((await loginRequest(ctx, 'ops@example.org', ADMIN_PASSWORD)).status).toBe(401);
    expect((await loginRequest(ctx, 'ops@example.org', 'the brand new password')).status).toBe(200);
    expect((await post(`/password-reset/${token}`, { password: 'yet another password' })).status).toBe(404);
    const audit = await ctx.db.selectFrom('admin_audit_log').select('action').where('action', 'like', 'admin.password_reset%').execute();
    expect(audit.map((a) => a.action)).toContain('admin.password_reset');
    owner = fresh;
  });

  it('a reset link expires after an hour', async () => {
    const from = peer.messages.length;
    await post('/password-reset', { email: 'sam@example.org' });
    const token = linkToken((await deliveredTo('sam@example.org', from))[0]!.text!, 'reset')!;
    clock.advance(61 * 60_000);
    expect((await ctx.app.request(`/api/admin/password-reset/${token}`)).status).toBe(404);
    expect((await post(`/password-reset/${token}`, { password: 'the brand new password' })).status).toBe(404);
    expect((await loginRequest(ctx, 'sam@example.org', 'a new long password')).status).toBe(200);
  });

  it('limits requests: a few mails per address, then a 429 for the connection', async () => {
    await makeAdmin(ctx, 'target@example.org', 'viewer');
    const from = peer.messages.length;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post('/password-reset', { email: 'target@example.org' })).status);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(3);
    await worker.runOnce();
    expect(peer.messages.slice(from).filter((m) => m.envelopeTo.includes('target@example.org'))).toHaveLength(3);
    let last: Response | undefined;
    for (let i = 0; i < 12 && last?.status !== 429; i++) last = await post('/password-reset', { email: 'someone@example.org' });
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toBeTruthy();
    const rows = await ctx.db.selectFrom('rate_limits').select('key').execute();
    expect(rows.filter((r) => r.key.includes('@'))).toEqual([]);
  });
});
