import { randomUUID } from 'node:crypto';
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { getCampaign } from '../../campaigns/service.js';
import { instantOf, orgTimeZone } from '../../settings/service.js';
import type { AppDeps } from '../../deps.js';
import { AppError, notFound } from '../../errors.js';
import { recordOfflineGift, updateOfflineGift } from '../../ledger/service.js';
import { validationHook } from '../../lib/validation.js';
import { audit, diff, offlineGiftSnapshot } from '../audit.js';
import { type AdminEnv, requireRole } from '../auth.js';
import { type Donation, getDonation } from '../donations.js';
import { giftIdSchema, offlineGiftSchema, offlineGiftUpdateSchema } from '../schemas.js';
import { slugParam } from './campaigns.js';

/** Offline gifts (cheques, cash): entry, correction and voiding by editors and owners, each
 * audited with the change. */
export function offlineGiftRoutes(deps: AppDeps) {
  const { db, config, clock } = deps;
  return new Hono<AdminEnv>()
    .post(
      '/campaigns/:slug/offline-donations',
      requireRole('editor'),
      zValidator('param', slugParam, validationHook),
      zValidator('json', offlineGiftSchema, validationHook),
      async (c) => {
        const campaign = await getCampaign(db, c.req.valid('param').slug);
        const input = c.req.valid('json');
        // A date-only receivedAt is a day in the organisation's zone (a cheque dated Dec 2).
        const receivedAt = instantOf(input.receivedAt, await orgTimeZone(db, config));
        checkReceivedAt(receivedAt, clock());
        const giftId = randomUUID();
        await recordOfflineGift(
          deps,
          {
            giftId,
            campaignId: campaign.id,
            currency: campaign.currency,
            amount: input.amount,
            receivedAt,
            name: input.name ?? null,
            email: input.email ?? null,
            note: input.note ?? null,
            showOnWall: input.showOnWall,
            anonymous: input.anonymous,
            locale: input.locale ?? null,
          },
          async (trx) => {
            // The audit row commits with the gift, or neither does.
            const gift = await getDonation(trx, giftId);
            await audit(trx, {
              adminId: c.get('session').adminId,
              action: 'offline_gift.create',
              entity: 'gift',
              entityId: giftId,
              after: offlineGiftSnapshot(giftState(gift)),
              at: clock(),
            });
          },
        );
        return c.json(await getDonation(db, giftId), 201);
      },
    )
    .patch(
      '/offline-donations/:giftId',
      requireRole('editor'),
      zValidator('param', giftIdSchema, validationHook),
      zValidator('json', offlineGiftUpdateSchema, validationHook),
      async (c) => {
        const { giftId } = c.req.valid('param');
        const before = await getDonation(db, giftId);
        if (before.source !== 'offline') throw notFound('Offline donation');
        const json = c.req.valid('json');
        const edit = { ...json, receivedAt: json.receivedAt && instantOf(json.receivedAt, await orgTimeZone(db, config)) };
        if (edit.receivedAt) checkReceivedAt(edit.receivedAt, clock());
        await updateOfflineGift(deps, giftId, edit, async (trx) => {
          // The audit row commits with the change, or neither does.
          const after = await getDonation(trx, giftId);
          const change = diff(offlineGiftSnapshot(giftState(before)), offlineGiftSnapshot(giftState(after)));
          if (!change) return;
          const voided = c.req.valid('json').voided;
          const action =
            voided === true && before.giftStatus !== 'voided'
              ? 'offline_gift.void'
              : voided === false && before.giftStatus === 'voided'
                ? 'offline_gift.restore'
                : 'offline_gift.update';
          await audit(trx, { adminId: c.get('session').adminId, action, entity: 'gift', entityId: giftId, ...change, at: clock() });
        });
        return c.json(await getDonation(db, giftId));
      },
    );
}

function giftState(g: Donation) {
  return {
    amount: g.amount,
    currency: g.currency,
    receivedAt: g.receivedAt,
    name: g.name,
    email: g.email,
    note: g.note,
    status: g.giftStatus,
    showOnWall: g.showOnWall,
    anonymous: g.anonymous,
  };
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
