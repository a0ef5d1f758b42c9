import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { getCampaign } from '../../campaigns/service.js';
import type { AppDeps } from '../../deps.js';
import { validationHook } from '../../lib/validation.js';
import { type AdminEnv, requireRecentAuth, requireRole } from '../auth.js';
import { csvStream, majorUnits } from '../csv.js';
import { type Donation, getDonation, listDonations } from '../donations.js';
import { donationFilterSchema, donationListSchema, giftIdSchema } from '../schemas.js';
import { slugParam } from './campaigns.js';

const CSV_BATCH = 1000;

/** A campaign's donations: the table and one gift with its movements (every role); the CSV export
 * of donor data (editors and owners, password entered in the last 10 minutes). */
export function donationRoutes(deps: AppDeps) {
  const { db, clock } = deps;
  return new Hono<AdminEnv>()
    .get(
      '/campaigns/:slug/donations',
      zValidator('param', slugParam, validationHook),
      zValidator('query', donationListSchema, validationHook),
      async (c) => {
        const campaign = await getCampaign(db, c.req.valid('param').slug);
        const { cursor, limit, ...filter } = c.req.valid('query');
        // The page's heading comes with the rows: the dashboard (GET /campaigns/:slug) reads
        // every payment for its chart, which the donations page does not need.
        const heading = { slug: campaign.slug, title: campaign.title, currency: campaign.currency };
        return c.json({ campaign: heading, ...(await listDonations(db, campaign.id, filter, { cursor, limit })) });
      },
    )
    .get(
      '/campaigns/:slug/donations.csv',
      requireRole('editor'),
      requireRecentAuth(),
      zValidator('param', slugParam, validationHook),
      zValidator('query', donationFilterSchema, validationHook),
      async (c) => {
        const campaign = await getCampaign(db, c.req.valid('param').slug);
        const filter = c.req.valid('query');
        const body = csvStream<string>(
          DONATION_CSV_HEADER,
          undefined,
          async (cursor) => {
            const page = await listDonations(db, campaign.id, filter, { cursor, limit: CSV_BATCH });
            return { rows: page.donations.map(donationCsvRow), cursor: page.nextCursor };
          },
          (err) => deps.log.error({ err, path: c.req.path }, 'CSV export failed'),
        );
        return c.body(body, 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="${campaign.slug}-donations-${clock().toISOString().slice(0, 10)}.csv"`,
        });
      },
    )
    .get('/donations/:giftId', zValidator('param', giftIdSchema, validationHook), async (c) => {
      return c.json(await getDonation(db, c.req.valid('param').giftId));
    });
}

const DONATION_CSV_HEADER = [
  'Gift ID',
  'Created at',
  'Received at',
  'Status',
  'Source',
  'Frequency',
  'Currency',
  'Amount',
  'Fee covered',
  'Charged',
  'Counted',
  'Refunded',
  'Disputed',
  'Payments',
  'Stripe fee',
  'Net',
  'Payouts',
  'Payout arrival',
  'Name',
  'Email',
  'Anonymous',
  'Comment',
  'Dedication',
  'Dedicated to',
  'Note',
  'Checkout session',
  'Payment intent',
  'Subscription',
  'Customer',
  'Subscription status',
];

function donationCsvRow(d: Donation): unknown[] {
  const m = (n: number) => majorUnits(n, d.currency);
  return [
    d.id,
    d.createdAt,
    d.receivedAt,
    d.status,
    d.source,
    d.frequency,
    d.currency,
    m(d.amount),
    m(d.feeAmount),
    m(d.chargeAmount),
    m(d.counted),
    m(d.refunded),
    m(d.disputed),
    d.payments,
    d.books.stripeFee === null ? '' : m(d.books.stripeFee),
    d.books.net === null ? '' : m(d.books.net),
    d.books.payouts.join('; '),
    d.books.payoutArrivals.join('; '),
    d.name,
    d.email,
    d.anonymous ? 'yes' : 'no',
    d.comment,
    d.dedication?.kind,
    d.dedication?.name,
    d.note,
    d.stripe.checkoutSessionId,
    d.stripe.paymentIntentId,
    d.stripe.subscriptionId,
    d.stripe.customerId,
    d.stripe.subscriptionStatus,
  ];
}
