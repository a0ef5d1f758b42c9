import { randomBytes } from 'node:crypto';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import { audit } from '../admin/audit.js';
import { AppError } from '../errors.js';
import { type LedgerDeps, donorKey, withLedger } from '../ledger/ledger.js';
import { esc } from '../mail/html.js';
import { ERASED_DOMAIN } from '../mail/queue.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Erased donors become `erased-<random>@erased.invalid`: one distinct, undeliverable address each
 * (RFC 2606's .invalid), so they stay one donor in every count. */
export { ERASED_DOMAIN };
export const isErased = (email: string) => email.toLowerCase().endsWith(`@${ERASED_DOMAIN}`);

/** Objects in Stripe payloads that describe the payer; their personal fields are dropped. */
const PAYER_OBJECTS = new Set(['customer_details', 'billing_details', 'shipping', 'shipping_details', 'collected_information', 'owner']);
const PAYER_FIELDS = new Set([
  'name',
  'email',
  'phone',
  'address',
  'line1',
  'line2',
  'city',
  'postal_code',
  'state',
  'individual_name',
  'business_name',
]);
const TOP_FIELDS = new Set(['customer_name', 'customer_phone', 'customer_address', 'customer_shipping', 'receipt_email', 'customer_email']);

interface Scrubber {
  email: string;
  pseudonym: string;
  /** Donor-written or donor-naming text (names, comments, dedications, notes), longest first. */
  texts: string[];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function scrubText(s: string, x: Scrubber): string {
  let out = s.replace(new RegExp(escapeRe(x.email), 'gi'), x.pseudonym);
  for (const t of x.texts) {
    out = out.split(t).join('[erased]');
    const escaped = esc(t);
    if (escaped !== t) out = out.split(escaped).join('[erased]');
  }
  return out;
}

/** A JSON value with the donor taken out: payer fields dropped, the address and texts replaced. */
function scrubJson(v: unknown, x: Scrubber, inPayer = false): unknown {
  if (typeof v === 'string') return scrubText(v, x);
  if (Array.isArray(v)) return v.map((e) => scrubJson(e, x, inPayer));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) {
      const emailField = k === 'email' || k === 'customer_email' || k === 'receipt_email';
      if ((inPayer && PAYER_FIELDS.has(k)) || TOP_FIELDS.has(k)) {
        // An address stays an address (the pseudonym), so a replayed event names the same donor.
        out[k] = emailField && typeof val === 'string' ? x.pseudonym : null;
      } else {
        out[k] = scrubJson(val, x, PAYER_OBJECTS.has(k));
      }
    }
    return out;
  }
  return v;
}

const parsed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

export interface ErasureCounts {
  gifts: number;
  payments: number;
  stripeEvents: number;
  parkedEvents: number;
  mails: number;
  subscribers: number;
  /** Pledges made while payments were down (their e-mail and consent): deleted. */
  pledges: number;
  auditEntries: number;
}

async function donorGifts(db: Db, email: string) {
  return db
    .selectFrom('gifts')
    .select([
      'id',
      'name',
      'comment',
      'dedication_name',
      'note',
      'checkout_session_id',
      'payment_intent_id',
      'subscription_id',
      'customer_id',
    ])
    .where((eb) =>
      eb.or([
        eb(sql`lower(trim(email))`, '=', email),
        eb('id', 'in', eb.selectFrom('payments').select('gift_id').where('donor_key', '=', donorKey(email, ''))),
      ]),
    )
    .execute();
}

/** Rows of a table whose JSON or text mentions any of `needles` (case-insensitive). */
const mentions = (col: string, needles: string[]) =>
  sql<boolean>`(${sql.join(
    needles.map((n) => sql`${sql.ref(col)}::text ilike ${`%${n.replace(/[\\%_]/g, '\\$&')}%`}`),
    sql` or `,
  )})`;

/** What an erasure of this address would change, without changing anything (the owner's check). */
export async function previewErasure(db: Kysely<Database>, emailIn: string): Promise<Omit<ErasureCounts, 'auditEntries'>> {
  const email = emailIn.trim().toLowerCase();
  const gifts = await donorGifts(db, email);
  const ids = gifts
    .flatMap((g) => [g.checkout_session_id, g.payment_intent_id, g.subscription_id, g.customer_id])
    .filter((x): x is string => !!x);
  const count = async (q: Promise<{ n: number }>) => Number((await q).n);
  const n = sql<number>`count(*)::int`.as('n');
  return {
    gifts: gifts.length,
    payments: await count(db.selectFrom('payments').select(n).where('donor_key', '=', donorKey(email, '')).executeTakeFirstOrThrow()),
    stripeEvents: await count(
      db
        .selectFrom('stripe_events')
        .select(n)
        .where(mentions('payload', [email, ...ids]))
        .executeTakeFirstOrThrow(),
    ),
    parkedEvents: await count(
      db
        .selectFrom('stripe_parked_events')
        .select(n)
        .where(mentions('event', [email, ...ids]))
        .executeTakeFirstOrThrow(),
    ),
    mails: await count(
      db
        .selectFrom('mail_outbox')
        .select(n)
        .where((eb) => eb.or([eb('to_address', '=', email), mentions('data', [email])]))
        .executeTakeFirstOrThrow(),
    ),
    subscribers: await count(db.selectFrom('digest_subscribers').select(n).where('email', '=', email).executeTakeFirstOrThrow()),
    pledges: await count(db.selectFrom('pledges').select(n).where(sql`lower(trim(email))`, '=', email).executeTakeFirstOrThrow()),
  };
}

/**
 * Erasure (SPEC §10, GDPR art. 17): an owner anonymises a donor by e-mail. Their gifts lose name,
 * e-mail (replaced by a pseudonym), comment, dedication, note and IP; the stored Stripe events and
 * parked events that concern them lose the payer's personal fields, and the address and texts
 * wherever else they appear; their mails in the outbox are addressed to the pseudonym and their
 * texts replaced; a digest subscription, pledges, a mail suppression and rate-limit rows of the
 * address go.
 * Amounts, receipt numbers, payments and totals do not change: the ledger only renames the donor
 * (Ledger.eraseDonor), so they stay one donor. All in one transaction with the ledger's locks on
 * the donor's Stripe ids, so a webhook for one of their payments waits and then sees the result.
 * Stripe keeps its own copy of the payer's data; that is erased in Stripe, not here.
 */
export async function eraseDonor(
  db: Kysely<Database>,
  deps: LedgerDeps,
  emailIn: string,
  adminId: number | null,
  now: Date,
): Promise<{ pseudonym: string; counts: ErasureCounts }> {
  const email = emailIn.trim().toLowerCase();
  if (isErased(email)) throw new AppError('already_erased', 409, 'This address is already a pseudonym of an erased donor.', 'email');
  const pseudonym = `erased-${randomBytes(6).toString('hex')}@${ERASED_DOMAIN}`;
  return withLedger(db, deps, async (ledger) => {
    const trx = ledger.trx;
    const before = await donorGifts(trx, email);
    const ids = before
      .flatMap((g) => [g.checkout_session_id, g.payment_intent_id, g.subscription_id, g.customer_id])
      .filter((x): x is string => !!x);
    await ledger.lock(ids);
    const gifts = await donorGifts(trx, email);
    const texts = [
      ...new Set(
        gifts.flatMap((g) => [g.name, g.comment, g.dedication_name, g.note]).filter((t): t is string => !!t && t.trim().length >= 2),
      ),
    ].sort((a, b) => b.length - a.length);
    const scrub: Scrubber = { email, pseudonym, texts };
    // Stored rows are found by the address and the donor's Stripe ids only: a name alone ("Ada")
    // would also match other people's rows ("Canada"). Within the rows found, texts are replaced too.
    const needles = [email, ...ids];
    const found = await ledger.eraseDonor(email, pseudonym);

    let stripeEvents = 0;
    const events = await trx
      .selectFrom('stripe_events')
      .select(['id', 'payload'])
      .where(mentions('payload', needles))
      .forUpdate()
      .execute();
    for (const e of events) {
      await trx
        .updateTable('stripe_events')
        .set({ payload: JSON.stringify(scrubJson(parsed(e.payload), scrub)) })
        .where('id', '=', e.id)
        .execute();
      stripeEvents++;
    }
    let parkedEvents = 0;
    const parked = await trx.selectFrom('stripe_parked_events').select(['event_id', 'event']).where(mentions('event', needles)).execute();
    for (const p of parked) {
      await trx
        .updateTable('stripe_parked_events')
        .set({ event: JSON.stringify(scrubJson(parsed(p.event), scrub)) })
        .where('event_id', '=', p.event_id)
        .execute();
      parkedEvents++;
    }

    const mails = await trx
      .selectFrom('mail_outbox')
      .select(['id', 'status', 'fact_key', 'data', 'subject', 'text_body', 'html_body', 'headers', 'last_error'])
      .where((eb) => eb.or([eb('to_address', '=', email), mentions('data', [email]), mentions('fact_key', [email])]))
      .execute();
    for (const m of mails) {
      const t = (s: string | null) => (s === null ? null : scrubText(s, scrub));
      await trx
        .updateTable('mail_outbox')
        .set({
          to_address: pseudonym,
          fact_key: scrubText(m.fact_key, scrub),
          data: JSON.stringify(scrubJson(parsed(m.data), scrub)),
          subject: t(m.subject),
          text_body: t(m.text_body),
          html_body: t(m.html_body),
          headers: m.headers === null ? null : JSON.stringify(scrubJson(parsed(m.headers), scrub)),
          last_error: t(m.last_error),
          // A mail not yet sent is never sent now: there is nobody to send it to.
          ...(m.status === 'pending' && { status: 'suppressed' as const, last_error: 'not sent: the donor was erased' }),
        })
        .where('id', '=', m.id)
        .execute();
    }
    // What the donor's receipts stated stays (amounts, numbers); the address they went to does not.
    await trx.updateTable('receipt_statements').set({ to_address: pseudonym }).where('to_address', '=', email).execute();
    await trx.deleteFrom('mail_suppressions').where('address', '=', email).execute();
    const subscribers = await trx.deleteFrom('digest_subscribers').where('email', '=', email).executeTakeFirst();
    // A pledge is a promise to give later and the consent to be e-mailed once: nothing to keep.
    const pledges = await trx.deleteFrom('pledges').where(sql`lower(trim(email))`, '=', email).executeTakeFirst();
    await trx
      .deleteFrom('rate_limits')
      .where(mentions('key', [email]))
      .execute();

    // Audit entries that recorded the donor's details (offline gift edits) keep their shape.
    const entries = await trx
      .selectFrom('admin_audit_log')
      .select(['id', 'before', 'after'])
      .where((eb) =>
        eb.or([
          mentions('before', [email]),
          mentions('after', [email]),
          ...(gifts.length
            ? [
                eb.and([
                  eb('entity', '=', 'gift'),
                  eb(
                    'entity_id',
                    'in',
                    gifts.map((g) => g.id),
                  ),
                ]),
              ]
            : []),
        ]),
      )
      .execute();
    for (const a of entries) {
      await trx
        .updateTable('admin_audit_log')
        .set({
          before: a.before === null ? null : JSON.stringify(scrubJson(parsed(a.before), scrub)),
          after: a.after === null ? null : JSON.stringify(scrubJson(parsed(a.after), scrub)),
        })
        .where('id', '=', a.id)
        .execute();
    }
    // A statement mailing that stopped at this donor resumes just before where they were.
    const cursorKey = donorKey(email, '');
    const runs = await trx.selectFrom('statement_runs').select(['id']).where('cursor', '=', cursorKey).execute();
    for (const r of runs) {
      const prev = await trx
        .selectFrom('payments')
        .select((eb) => eb.fn.max('donor_key').as('k'))
        .where('donor_key', '<', cursorKey)
        .executeTakeFirst();
      await trx
        .updateTable('statement_runs')
        .set({ cursor: prev?.k ?? null })
        .where('id', '=', r.id)
        .execute();
    }

    const counts: ErasureCounts = {
      gifts: found.gifts,
      payments: found.payments,
      stripeEvents,
      parkedEvents,
      mails: mails.length,
      subscribers: Number(subscribers.numDeletedRows),
      pledges: Number(pledges.numDeletedRows),
      auditEntries: entries.length,
    };
    if (Object.values(counts).every((n) => n === 0)) {
      throw new AppError('donor_not_found', 404, 'Nothing is stored under this address: there is nothing to erase.', 'email');
    }
    await trx
      .insertInto('donor_erasures')
      .values({ pseudonym, admin_id: adminId, counts: JSON.stringify(counts), created_at: now })
      .execute();
    await audit(trx, { adminId, action: 'donor.erase', entity: 'donor', entityId: pseudonym, after: { pseudonym, ...counts }, at: now });
    return { pseudonym, counts };
  });
}
