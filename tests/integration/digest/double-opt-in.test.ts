import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDigestSubscribers } from '../../../server/admin/digest.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { createLogger } from '../../../server/logger.js';
import { type TestContext, createTestContext, fakeClock } from '../../helpers/app.js';
import { testDatabaseKinds } from '../../helpers/db.js';
import { type SmtpPeer, startSmtpPeer } from '../mail/smtp-peer.js';

describe.each(testDatabaseKinds())('digest double opt-in on %s', (kind) => {
  let ctx: TestContext;
  let peer: SmtpPeer;
  let worker: ReturnType<typeof createMailWorker>;
  beforeAll(async () => {
    peer = await startSmtpPeer();
    ctx = await createTestContext(kind, {
      clock: fakeClock('2026-12-05T10:00:00Z'),
      env: { SMTP_URL: peer.url, ORG_NAME: 'The Riverside Ledger' },
    });
    worker = createMailWorker({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: createLogger('silent') });
  });
  afterAll(async () => {
    await worker?.stop();
    await ctx?.close();
    await peer?.close();
  });

  const signUp = (email: string) =>
    ctx.app.request('/api/digest/subscribe', {
      method: 'POST',
      body: JSON.stringify({ email, consent: true }),
      headers: { 'content-type': 'application/json', referer: 'https://news.example/2026/12/lead-pipes?utm_source=x#top' },
    });
  const subscriber = (email: string) =>
    ctx.db.selectFrom('digest_subscribers').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
  const mailsTo = (email: string) => peer.messages.filter((m) => m.envelopeTo.includes(email));
  /** The link in the last mail to `email`, as a reader would copy it from the plain-text part. */
  const linkIn = (email: string, path: string) => {
    const m = mailsTo(email).at(-1);
    const url = m?.text?.match(new RegExp(`https?://\\S+${path}\\?token=\\S+`))?.[0];
    if (!url) throw new Error(`no ${path} link in the last mail to ${email}`);
    return new URL(url);
  };
  const form = (body: Record<string, string>) => ({
    method: 'POST',
    body: new URLSearchParams(body).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

  it('sign-up stores a pending address and mails a confirmation link, in the organisation’s name', async () => {
    const res = await signUp('Reader@Example.org');
    expect(res.status).toBe(201);
    expect(((await res.json()) as { message: string }).message).toContain('confirm');
    expect(await subscriber('reader@example.org')).toMatchObject({
      status: 'pending',
      confirmed_at: null,
      source_page: 'https://news.example/2026/12/lead-pipes',
    });
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    const [m] = mailsTo('reader@example.org');
    expect(m!.subject).toBe('Please confirm your subscription to the daily digest of The Riverside Ledger');
    expect(m!.html).toContain('Confirm my subscription');
    const link = linkIn('reader@example.org', '/digest/confirm');
    expect(link.origin).toBe('http://groundswell.test');
    // Not a subscriber until confirmed.
    expect((await listDigestSubscribers(ctx.db, { limit: 10 })).total).toBe(0);
  });

  it('a GET on the confirmation link (what a mail scanner does) changes nothing and shows a button that POSTs', async () => {
    const link = linkIn('reader@example.org', '/digest/confirm');
    for (let i = 0; i < 3; i++) {
      const res = await ctx.app.request(link.pathname + link.search);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<form method="post" action="/digest/confirm">');
      expect(html).toContain('Confirm my subscription');
    }
    expect((await subscriber('reader@example.org')).status).toBe('pending');
  });

  it('refuses a tampered, a wrong-purpose or a missing token and changes nothing', async () => {
    const token = linkIn('reader@example.org', '/digest/confirm').searchParams.get('token')!;
    const tampered = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    for (const t of [tampered, token.slice(1), `${token}x`, '', '<script>']) {
      expect((await ctx.app.request('/digest/confirm', form({ token: t }))).status).toBe(400);
      expect((await ctx.app.request(`/digest/confirm?token=${encodeURIComponent(t)}`)).status).toBe(400);
    }
    // A confirmation token cannot unsubscribe.
    expect((await ctx.app.request(`/digest/unsubscribe?token=${token}`, form({ 'List-Unsubscribe': 'One-Click' }))).status).toBe(400);
    expect((await subscriber('reader@example.org')).status).toBe('pending');
  });

  it('the button confirms: the address becomes a subscriber and gets a welcome mail with one-click unsubscribe', async () => {
    const token = linkIn('reader@example.org', '/digest/confirm').searchParams.get('token')!;
    ctx.clock.advance(3_600_000);
    const res = await ctx.app.request('/digest/confirm', form({ token }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are subscribed');
    const row = await subscriber('reader@example.org');
    expect(row.status).toBe('confirmed');
    expect(row.confirmed_at!.toISOString()).toBe('2026-12-05T11:00:00.000Z');
    // A second press is harmless.
    expect((await ctx.app.request('/digest/confirm', form({ token }))).status).toBe(200);

    const list = await listDigestSubscribers(ctx.db, { limit: 10 });
    expect(list.subscribers).toMatchObject([
      { email: 'reader@example.org', confirmedAt: '2026-12-05T11:00:00.000Z', sourcePage: 'https://news.example/2026/12/lead-pipes' },
    ]);

    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    const welcome = mailsTo('reader@example.org').at(-1)!;
    expect(welcome.subject).toBe('You are subscribed to the daily digest of The Riverside Ledger');
    const header = (name: string) => welcome.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n\s+/g, ' '); // unfolded
    const unsubscribeUrl = linkIn('reader@example.org', '/digest/unsubscribe');
    expect(header('list-unsubscribe')).toBe(`List-Unsubscribe: <${unsubscribeUrl.href}>`);
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it('a known address is answered like a new one, and never mailed twice the same day', async () => {
    const fresh = await signUp('someone-new@example.org');
    const known = await signUp('READER@example.org');
    expect(known.status).toBe(fresh.status);
    expect(await known.json()).toEqual(await fresh.json());
    // A pending address asking again the same day gets no second mail (no inbox flooding) …
    expect((await signUp('someone-new@example.org')).status).toBe(201);
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    expect(mailsTo('someone-new@example.org')).toHaveLength(1);
    expect(mailsTo('reader@example.org')).toHaveLength(2); // confirmation + welcome, nothing more
    // … but the next day a lost confirmation can be asked for again.
    ctx.clock.advance(24 * 3_600_000);
    await signUp('someone-new@example.org');
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    expect(mailsTo('someone-new@example.org')).toHaveLength(2);
  });

  it('a confirmation link expires after 7 days', async () => {
    const link = linkIn('someone-new@example.org', '/digest/confirm');
    ctx.clock.advance(7 * 24 * 3_600_000 + 1);
    expect((await ctx.app.request(link.pathname + link.search)).status).toBe(400);
    expect((await ctx.app.request('/digest/confirm', form({ token: link.searchParams.get('token')! }))).status).toBe(400);
    expect((await subscriber('someone-new@example.org')).status).toBe('pending');
  });

  it('unsubscribe: GET shows a button and changes nothing; the RFC 8058 one-click POST unsubscribes', async () => {
    const link = linkIn('reader@example.org', '/digest/unsubscribe');
    const page = await ctx.app.request(link.pathname + link.search);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain(`<form method="post" action="/digest/unsubscribe?token=${link.searchParams.get('token')}">`);
    expect((await subscriber('reader@example.org')).status).toBe('confirmed');

    // What a mail client sends for one-click: the List-Unsubscribe URL, this body, no cookies.
    const res = await ctx.app.request(link.pathname + link.search, form({ 'List-Unsubscribe': 'One-Click' }));
    expect(res.status).toBe(200);
    const row = await subscriber('reader@example.org');
    expect(row.status).toBe('unsubscribed');
    expect(row.unsubscribed_at).not.toBeNull();
    expect((await listDigestSubscribers(ctx.db, { limit: 10 })).total).toBe(0);
    // Again: still fine, still unsubscribed.
    expect((await ctx.app.request(link.pathname + link.search, form({ 'List-Unsubscribe': 'One-Click' }))).status).toBe(200);
    expect(await (await ctx.app.request(link.pathname + link.search)).text()).toContain('You are unsubscribed');
  });

  it('signing up again after unsubscribing asks for confirmation again', async () => {
    ctx.clock.advance(24 * 3_600_000);
    await signUp('reader@example.org');
    expect((await subscriber('reader@example.org')).status).toBe('pending');
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    expect(mailsTo('reader@example.org').at(-1)!.subject).toContain('Please confirm');
  });
});
