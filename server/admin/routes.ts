import { randomBytes, randomUUID } from 'node:crypto';
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import { createCampaignSchema, slugSchema, updateCampaignSchema } from '../campaigns/schemas.js';
import { createCampaign, getCampaign, listCampaigns, updateCampaign } from '../campaigns/service.js';
import type { AppDeps } from '../deps.js';
import { AppError, notFound } from '../errors.js';
import { recordOfflineGift, updateOfflineGift } from '../ledger/service.js';
import { clientIp } from '../lib/client-ip.js';
import { createLimiter, type Limiter } from '../lib/rate-limit.js';
import { validationHook } from '../lib/validation.js';
import { audit, campaignSnapshot, diff, listAudit, offlineGiftSnapshot } from './audit.js';
import {
  type AdminEnv,
  clearSessionCookie,
  endSession,
  loadSession,
  requireCsrfToken,
  requireSession,
  sameOriginOnly,
  sessionCookieName,
  setSessionCookie,
  startSession,
} from './auth.js';
import { csvStream, majorUnits } from './csv.js';
import { campaignDashboard, toAdminCampaign } from './dashboard.js';
import { listDigestSubscribers } from './digest.js';
import { type Donation, getDonation, listDonations } from './donations.js';
import { hashPassword, verifyPassword } from './passwords.js';
import {
  auditQuerySchema,
  changePasswordSchema,
  donationFilterSchema,
  donationListSchema,
  giftIdSchema,
  loginSchema,
  newAdminSchema,
  offlineGiftSchema,
  offlineGiftUpdateSchema,
  pageSchema,
} from './schemas.js';

const slugParam = z.object({ slug: slugSchema });
const CSV_BATCH = 1000;

/** /api/admin/*: JSON for the admin console. Everything but login needs a session. */
export function adminRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  // Guessing passwords: a few tries per account, more per address (an office shares one).
  const perIp = createLimiter(db, { keyPrefix: 'admin-login-ip', points: 20, durationSeconds: 15 * 60 });
  // Guessing one account is stopped per (account, address): 5 tries. Keyed on the account alone,
  // anyone who knows an admin's e-mail could keep that admin locked out; the account-wide limit
  // is therefore much higher, and only slows guessing spread over many addresses.
  const perAccount = createLimiter(db, { keyPrefix: 'admin-login-account', points: 5, durationSeconds: 15 * 60 });
  const perAccountAnywhere = createLimiter(db, { keyPrefix: 'admin-login-account-all', points: 100, durationSeconds: 15 * 60 });
  // Unknown e-mails are checked against a real hash too, so timing does not reveal which
  // addresses are admins.
  let dummyHash: Promise<string> | undefined;

  const app = new Hono<AdminEnv>();
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use('*', sameOriginOnly(config));

  app.post('/login', zValidator('json', loginSchema, validationHook), async (c) => {
    const { email, password } = c.req.valid('json');
    const ip = clientIp(c, config.trustProxy);
    await limited(perIp, ip, 'Too many sign-in attempts from this connection');
    await limited(perAccount, `${email}|${ip}`, 'Too many sign-in attempts for this account');
    await limited(perAccountAnywhere, email, 'Too many sign-in attempts for this account');
    const admin = await db.selectFrom('admins').where('email', '=', email).select(['id', 'email', 'password_hash']).executeTakeFirst();
    const ok = admin
      ? await verifyPassword(admin.password_hash, password)
      : (await verifyPassword(await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))), password), false);
    if (!admin || !ok) throw new AppError('invalid_credentials', 401, 'E-mail or password is incorrect');
    await perAccount.reset(`${email}|${ip}`);
    // Only failures count against the address: an office of admins behind one IP signing in
    // all day is not an attack.
    await perIp.refund(ip);
    // A session id from before sign-in is never reused (session fixation).
    const old = await loadSession(db, getCookie(c, sessionCookieName(config)), clock());
    if (old) await endSession(db, old.id);
    const session = await startSession(db, admin.id, clock());
    setSessionCookie(c, config, session.token);
    return c.json({ admin: { email: admin.email }, csrfToken: session.csrfToken });
  });

  app.use('*', requireSession(db, config, clock));
  app.use('*', requireCsrfToken());

  const routes = app
    .post('/logout', async (c) => {
      await endSession(db, c.get('session').id);
      clearSessionCookie(c, config);
      return c.json({ ok: true });
    })
    .get('/me', (c) => {
      const s = c.get('session');
      return c.json({ admin: { email: s.email }, csrfToken: s.csrfToken });
    })

    // ---- admins ----
    .get('/admins', async (c) => {
      const rows = await db.selectFrom('admins').select(['id', 'email', 'created_at']).orderBy('id').execute();
      return c.json({ admins: rows.map((r) => ({ id: r.id, email: r.email, createdAt: r.created_at.toISOString() })) });
    })
    .post('/admins', zValidator('json', newAdminSchema, validationHook), async (c) => {
      const { email, password } = c.req.valid('json');
      const password_hash = await hashPassword(password);
      const row = await db
        .insertInto('admins')
        .values({ email, password_hash, created_at: clock() })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(['id', 'email', 'created_at'])
        .executeTakeFirst();
      if (!row) throw new AppError('admin_exists', 409, `An admin with e-mail ${email} already exists`, 'email');
      await audit(db, { adminId: c.get('session').adminId, action: 'admin.create', entity: 'admin', entityId: row.id, after: { email }, at: clock() });
      return c.json({ admin: { id: row.id, email: row.email, createdAt: row.created_at.toISOString() } }, 201);
    })
    .post('/password', zValidator('json', changePasswordSchema, validationHook), async (c) => {
      const { currentPassword, newPassword } = c.req.valid('json');
      const s = c.get('session');
      await limited(perAccount, s.email, 'Too many wrong passwords for this account');
      const admin = await db.selectFrom('admins').where('id', '=', s.adminId).select('password_hash').executeTakeFirstOrThrow();
      if (!(await verifyPassword(admin.password_hash, currentPassword))) {
        throw new AppError('invalid_credentials', 400, 'The current password is incorrect', 'currentPassword');
      }
      await perAccount.reset(s.email);
      await db.updateTable('admins').set({ password_hash: await hashPassword(newPassword) }).where('id', '=', s.adminId).execute();
      // Anyone who learnt the old password is signed out everywhere but here.
      await db.deleteFrom('admin_sessions').where('admin_id', '=', s.adminId).where('id', '<>', s.id).execute();
      await audit(db, { adminId: s.adminId, action: 'admin.password', entity: 'admin', entityId: s.adminId, at: clock() });
      return c.json({ ok: true });
    })

    // ---- campaigns ----
    .get('/campaigns', async (c) => {
      const now = clock();
      const rows = await listCampaigns(db);
      return c.json({ campaigns: rows.map((r) => toAdminCampaign(r, now)) });
    })
    .post('/campaigns', zValidator('json', createCampaignSchema, validationHook), async (c) => {
      const created = await createCampaign(db, c.req.valid('json'));
      await audit(db, { adminId: c.get('session').adminId, action: 'campaign.create', entity: 'campaign', entityId: created.id, after: campaignSnapshot(created), at: clock() });
      return c.json(await campaignDashboard(db, created, clock()), 201);
    })
    .get('/campaigns/:slug', zValidator('param', slugParam, validationHook), async (c) => {
      const campaign = await getCampaign(db, c.req.valid('param').slug);
      return c.json(await campaignDashboard(db, campaign, clock()));
    })
    .patch(
      '/campaigns/:slug',
      zValidator('param', slugParam, validationHook),
      zValidator('json', updateCampaignSchema, validationHook),
      async (c) => {
        const input = c.req.valid('json');
        const { slug } = c.req.valid('param');
        const now = clock();
        // Currency guard and the renewal-window recompute happen inside updateCampaign's transaction.
        const { before, after } = await updateCampaign(db, slug, input, now);
        // Copy, goal and dates are part of the public progress: refresh every instance's cache and live banners.
        await deps.bus.notify(db, after.id);
        const change = diff(campaignSnapshot(before), campaignSnapshot(after));
        if (change) {
          const action = input.archived === true && !before.archived_at ? 'campaign.archive'
            : input.archived === false && before.archived_at ? 'campaign.unarchive' : 'campaign.update';
          await audit(db, { adminId: c.get('session').adminId, action, entity: 'campaign', entityId: after.id, ...change, at: now });
        }
        return c.json(await campaignDashboard(db, await getCampaign(db, after.slug), now));
      },
    )

    // ---- donations ----
    .get(
      '/campaigns/:slug/donations',
      zValidator('param', slugParam, validationHook),
      zValidator('query', donationListSchema, validationHook),
      async (c) => {
        const campaign = await getCampaign(db, c.req.valid('param').slug);
        const { cursor, limit, ...filter } = c.req.valid('query');
        return c.json(await listDonations(db, campaign.id, filter, { cursor, limit }));
      },
    )
    .get(
      '/campaigns/:slug/donations.csv',
      zValidator('param', slugParam, validationHook),
      zValidator('query', donationFilterSchema, validationHook),
      async (c) => {
        const campaign = await getCampaign(db, c.req.valid('param').slug);
        const filter = c.req.valid('query');
        const body = csvStream<string>(DONATION_CSV_HEADER, undefined, async (cursor) => {
          const page = await listDonations(db, campaign.id, filter, { cursor, limit: CSV_BATCH });
          return { rows: page.donations.map(donationCsvRow), cursor: page.nextCursor };
        }, (err) => deps.log.error({ err, path: c.req.path }, 'CSV export failed'));
        return c.body(body, 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="${campaign.slug}-donations-${clock().toISOString().slice(0, 10)}.csv"`,
        });
      },
    )
    .get('/donations/:giftId', zValidator('param', giftIdSchema, validationHook), async (c) => {
      return c.json(await getDonation(db, c.req.valid('param').giftId));
    })

    // ---- offline gifts ----
    .post(
      '/campaigns/:slug/offline-donations',
      zValidator('param', slugParam, validationHook),
      zValidator('json', offlineGiftSchema, validationHook),
      async (c) => {
        const campaign = await getCampaign(db, c.req.valid('param').slug);
        const input = c.req.valid('json');
        checkReceivedAt(input.receivedAt, clock());
        const giftId = randomUUID();
        await recordOfflineGift(db, {
          giftId,
          campaignId: campaign.id,
          currency: campaign.currency,
          amount: input.amount,
          receivedAt: input.receivedAt,
          name: input.name ?? null,
          email: input.email ?? null,
          note: input.note ?? null,
          showOnWall: input.showOnWall,
          anonymous: input.anonymous,
        }, async (trx) => {
          // The audit row commits with the gift, or neither does.
          const gift = await getDonation(trx, giftId);
          await audit(trx, { adminId: c.get('session').adminId, action: 'offline_gift.create', entity: 'gift', entityId: giftId, after: offlineGiftSnapshot(giftState(gift)), at: clock() });
        });
        return c.json(await getDonation(db, giftId), 201);
      },
    )
    .patch(
      '/offline-donations/:giftId',
      zValidator('param', giftIdSchema, validationHook),
      zValidator('json', offlineGiftUpdateSchema, validationHook),
      async (c) => {
        const { giftId } = c.req.valid('param');
        const before = await getDonation(db, giftId);
        if (before.source !== 'offline') throw notFound('Offline donation');
        if (c.req.valid('json').receivedAt) checkReceivedAt(c.req.valid('json').receivedAt!, clock());
        await updateOfflineGift(db, giftId, c.req.valid('json'), async (trx) => {
          // The audit row commits with the change, or neither does.
          const after = await getDonation(trx, giftId);
          const change = diff(offlineGiftSnapshot(giftState(before)), offlineGiftSnapshot(giftState(after)));
          if (!change) return;
          const voided = c.req.valid('json').voided;
          const action = voided === true && before.giftStatus !== 'voided' ? 'offline_gift.void'
            : voided === false && before.giftStatus === 'voided' ? 'offline_gift.restore' : 'offline_gift.update';
          await audit(trx, { adminId: c.get('session').adminId, action, entity: 'gift', entityId: giftId, ...change, at: clock() });
        });
        return c.json(await getDonation(db, giftId));
      },
    )

    // ---- digest subscribers ----
    .get('/digest-subscribers', zValidator('query', pageSchema, validationHook), async (c) => {
      return c.json(await listDigestSubscribers(db, c.req.valid('query')));
    })
    .get('/digest-subscribers.csv', async (c) => {
      const body = csvStream<string>(['Email', 'Consented at', 'Signed up at'], undefined, async (cursor) => {
        const page = await listDigestSubscribers(db, { cursor, limit: CSV_BATCH });
        return { rows: page.subscribers.map((s) => [s.email, s.consentedAt, s.createdAt]), cursor: page.nextCursor };
      }, (err) => deps.log.error({ err, path: c.req.path }, 'CSV export failed'));
      return c.body(body, 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="digest-subscribers-${clock().toISOString().slice(0, 10)}.csv"`,
      });
    })

    // ---- audit log ----
    .get('/audit-log', zValidator('query', auditQuerySchema, validationHook), async (c) => {
      return c.json(await listAudit(db, c.req.valid('query')));
    });

  return routes;
}

export type AdminApp = ReturnType<typeof adminRoutes>;

/** The limiter's 429, with the wait spelt out for a person at the sign-in form. */
async function limited(limiter: Limiter, key: string, what: string): Promise<void> {
  try {
    await limiter.consume([key], what);
  } catch (err) {
    if (err instanceof AppError && err.status === 429) {
      const seconds = Number(err.headers?.['Retry-After'] ?? 60);
      const wait = seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
      throw new AppError('rate_limited', 429, `${what}; please wait ${wait} and try again.`, undefined, err.headers);
    }
    throw err;
  }
}

function giftState(g: Donation) {
  return { amount: g.amount, currency: g.currency, receivedAt: g.receivedAt, name: g.name, email: g.email, note: g.note, status: g.giftStatus, showOnWall: g.showOnWall, anonymous: g.anonymous };
}

const DONATION_CSV_HEADER = [
  'Gift ID', 'Created at', 'Received at', 'Status', 'Source', 'Frequency', 'Currency', 'Amount', 'Fee covered', 'Charged',
  'Counted', 'Refunded', 'Disputed', 'Payments', 'Name', 'Email', 'Anonymous', 'Comment', 'Dedication', 'Dedicated to',
  'Note', 'Checkout session', 'Payment intent', 'Subscription', 'Customer', 'Subscription status',
];

function donationCsvRow(d: Donation): unknown[] {
  const m = (n: number) => majorUnits(n, d.currency);
  return [
    d.id, d.createdAt, d.receivedAt, d.status, d.source, d.frequency, d.currency, m(d.amount), m(d.feeAmount), m(d.chargeAmount),
    m(d.counted), m(d.refunded), m(d.disputed), d.payments, d.name, d.email, d.anonymous ? 'yes' : 'no', d.comment,
    d.dedication?.kind, d.dedication?.name, d.note, d.stripe.checkoutSessionId, d.stripe.paymentIntentId,
    d.stripe.subscriptionId, d.stripe.customerId, d.stripe.subscriptionStatus,
  ];
}

/** A cheque cannot have arrived tomorrow or last century: a mistyped year would otherwise
 * count and stretch the dashboard's daily chart over decades. */
function checkReceivedAt(at: Date, now: Date): void {
  if (at.getTime() > now.getTime() + 24 * 3600 * 1000) {
    throw new AppError('invalid_request', 400, 'receivedAt cannot be in the future', 'receivedAt');
  }
  if (at < new Date('2000-01-01T00:00:00Z')) {
    throw new AppError('invalid_request', 400, 'receivedAt is too far in the past', 'receivedAt');
  }
}
