import type { Kysely, Transaction } from 'kysely';
import { fromZonedInput } from '../../common/time.js';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';
import { donorKey, settlementOf } from '../ledger/ledger.js';
import { getOrgSettings } from '../settings/service.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StatementLine {
  paymentId: number;
  receiptNumber: number | null;
  paidAt: Date;
  campaign: string;
  kind: 'one_time' | 'first' | 'renewal' | 'offline';
  currency: string;
  /** What was charged (covered fees included), minor units. */
  amount: number;
  /** Refunds and lost disputes: money the donor got back. */
  returned: number;
  net: number;
}

export interface StatementTotal {
  currency: string;
  amount: number;
  returned: number;
  net: number;
  payments: number;
}

export interface Statement {
  email: string;
  year: number;
  timeZone: string;
  organisation: { name: string; address: string; taxId: string };
  lines: StatementLine[];
  /** One per currency, in alphabetical order: amounts in different currencies are never added. */
  totals: StatementTotal[];
}

/** The instants that bound a calendar year in the organisation's zone: [start, end). */
export function yearBounds(year: number, timeZone: string): { start: Date; end: Date } {
  const start = fromZonedInput(`${String(year).padStart(4, '0')}-01-01`, timeZone);
  const end = fromZonedInput(`${String(year + 1).padStart(4, '0')}-01-01`, timeZone);
  if (!start || !end) throw new Error(`no such year: ${year}`);
  return { start: new Date(start), end: new Date(end) };
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/**
 * The donor's annual giving statement (SPEC §10): every paid payment whose date paid falls in the
 * calendar year of the organisation's time zone, each net of what refunds and lost disputes gave
 * back (the ledger's own rule, settlementOf), and totals per currency. A donor is an e-mail, as
 * everywhere (the ledger's donor key): gifts made with that address and payments whose payer
 * gave it at Checkout. Voided offline entries are not payments. An open dispute is not yet money
 * returned, so it does not reduce the statement.
 */
export async function statementFor(db: Db, config: Pick<Config, 'org' | 'orgName'>, emailIn: string, year: number): Promise<Statement> {
  const email = normaliseEmail(emailIn);
  const org = await getOrgSettings(db, config);
  const { start, end } = yearBounds(year, org.timeZone);
  const rows = await db
    .selectFrom('payments as p')
    .innerJoin('campaigns as c', 'c.id', 'p.campaign_id')
    .leftJoin('receipts as r', 'r.payment_id', 'p.id')
    .where('p.donor_key', '=', donorKey(email, ''))
    .where('p.voided', '=', false)
    .where('p.paid_at', '>=', start)
    .where('p.paid_at', '<', end)
    .select(['p.id', 'p.kind', 'p.amount', 'p.currency', 'p.paid_at', 'p.payment_intent_id', 'p.source_key', 'c.title', 'r.number'])
    .orderBy('p.paid_at')
    .orderBy('p.id')
    .execute();
  const lines: StatementLine[] = [];
  for (const r of rows) {
    const s = await settlementOf(db, r);
    const returned = Math.min(r.amount, s.refunded + s.lost);
    lines.push({
      paymentId: r.id,
      receiptNumber: r.number === null ? null : Number(r.number),
      paidAt: r.paid_at,
      campaign: r.title,
      kind: r.kind,
      currency: r.currency.toUpperCase(),
      amount: r.amount,
      returned,
      net: r.amount - returned,
    });
  }
  const byCurrency = new Map<string, StatementTotal>();
  for (const l of lines) {
    const t = byCurrency.get(l.currency) ?? { currency: l.currency, amount: 0, returned: 0, net: 0, payments: 0 };
    t.amount += l.amount;
    t.returned += l.returned;
    t.net += l.net;
    t.payments += 1;
    byCurrency.set(l.currency, t);
  }
  return {
    email,
    year,
    timeZone: org.timeZone,
    organisation: { name: org.name || config.orgName, address: org.address, taxId: org.taxId },
    lines,
    totals: [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

/** A statement worth sending: something given that was not all given back. */
export const hasGiving = (s: Statement) => s.totals.some((t) => t.net > 0);

/** The calendar years (organisation's zone) in which the donor has paid payments, newest first:
 * for the manage page's list of statements. */
export async function statementYears(db: Db, config: Pick<Config, 'org'>, emailIn: string): Promise<number[]> {
  const { timeZone } = await getOrgSettings(db, config);
  const rows = await db
    .selectFrom('payments')
    .where('donor_key', '=', donorKey(normaliseEmail(emailIn), ''))
    .where('voided', '=', false)
    .select('paid_at')
    .execute();
  const years = new Set<number>();
  const f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' });
  for (const r of rows) years.add(Number(f.format(r.paid_at)));
  return [...years].sort((a, b) => b - a);
}
