import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { queueMail } from '../mail/queue.js';
import type { SubscribeInput } from './schemas.js';
import { findToken, issueToken } from './tokens.js';

export interface SignUpContext {
  now: Date;
  sourceIp: string | null;
  /** Origin + path of the page the form was on, or null. */
  sourcePage: string | null;
}

export interface SignUpResult {
  /** A confirmation mail was queued (false for a confirmed address or a second try the same day). */
  mailed: boolean;
}

/**
 * Double opt-in: a sign-up only records consent and queues a confirmation mail in the same
 * transaction; the address becomes a subscriber when its owner confirms (confirm()). Whatever the
 * address's state, the caller answers the same, so the form tells a stranger nothing.
 *
 * A pending or unsubscribed address gets at most one confirmation mail per day (the fact key
 * names the day): the form cannot be used to flood someone's inbox.
 */
export async function signUp(db: Kysely<Database>, input: SubscribeInput, ctx: SignUpContext): Promise<SignUpResult> {
  const email = input.email.toLowerCase();
  return db.transaction().execute(async (trx) => {
    let sub = await trx
      .insertInto('digest_subscribers')
      .values({
        email,
        consented_at: ctx.now,
        created_at: ctx.now,
        source_ip: ctx.sourceIp,
        source_page: ctx.sourcePage,
        status: 'pending',
      })
      .onConflict((oc) => oc.column('email').doNothing())
      .returning(['id', 'status'])
      .executeTakeFirst();
    if (!sub) {
      sub = await trx
        .selectFrom('digest_subscribers')
        .select(['id', 'status'])
        .where('email', '=', email)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (sub.status === 'confirmed') return { mailed: false };
      if (sub.status === 'unsubscribed') {
        // Signing up again after leaving is a new consent, to be confirmed like the first.
        await trx
          .updateTable('digest_subscribers')
          .set({ status: 'pending', consented_at: ctx.now, unsubscribed_at: null, source_ip: ctx.sourceIp, source_page: ctx.sourcePage })
          .where('id', '=', sub.id)
          .execute();
      }
    }
    const factKey = `digest.confirm:${sub.id}:${ctx.now.toISOString().slice(0, 10)}`;
    const already = await trx.selectFrom('mail_outbox').select('id').where('fact_key', '=', factKey).executeTakeFirst();
    if (already) return { mailed: false };
    const token = await issueToken(trx, sub.id, 'confirm', ctx.now);
    const mailed = await queueMail(trx, { kind: 'digest.confirm', to: email, factKey, data: { token }, at: ctx.now });
    return { mailed };
  });
}

export type LinkOutcome = 'done' | 'invalid';

/**
 * The confirmation link's POST: the address becomes a subscriber (confirmed_at is the double
 * opt-in's proof), every confirm token of it is spent, and a welcome mail with the one-click
 * unsubscribe link is queued in the same transaction. A link that is unknown, expired, already
 * used, or whose address has since unsubscribed does nothing.
 */
export async function confirm(db: Kysely<Database>, token: string, now: Date): Promise<LinkOutcome> {
  return db.transaction().execute(async (trx) => {
    const t = await findToken(trx, token, 'confirm', now);
    if (!t) return 'invalid';
    const sub = await trx
      .selectFrom('digest_subscribers')
      .select(['id', 'email', 'status'])
      .where('id', '=', t.subscriber_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    // A second press of the button (or a second tab) is not an error: the address is confirmed.
    if (sub.status === 'confirmed') return 'done';
    if (t.used_at || sub.status !== 'pending') return 'invalid';
    await trx.updateTable('digest_subscribers').set({ status: 'confirmed', confirmed_at: now }).where('id', '=', sub.id).execute();
    await trx
      .updateTable('digest_tokens')
      .set({ used_at: now })
      .where('subscriber_id', '=', sub.id)
      .where('purpose', '=', 'confirm')
      .where('used_at', 'is', null)
      .execute();
    const unsubscribeToken = await issueToken(trx, sub.id, 'unsubscribe', now);
    await queueMail(trx, {
      kind: 'digest.welcome',
      to: sub.email,
      factKey: `digest.welcome:${sub.id}:${now.toISOString()}`,
      data: { unsubscribeToken },
      at: now,
    });
    return 'done';
  });
}

/** The unsubscribe link's POST (from our page or a mail client's RFC 8058 one-click): idempotent. */
export async function unsubscribe(db: Kysely<Database>, token: string, now: Date): Promise<LinkOutcome> {
  return db.transaction().execute(async (trx) => {
    const t = await findToken(trx, token, 'unsubscribe', now);
    if (!t) return 'invalid';
    await trx
      .updateTable('digest_subscribers')
      .set({ status: 'unsubscribed', unsubscribed_at: now })
      .where('id', '=', t.subscriber_id)
      .where('status', '<>', 'unsubscribed')
      .execute();
    await trx
      .updateTable('digest_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', t.token_hash)
      .where('used_at', 'is', null)
      .execute();
    return 'done';
  });
}
