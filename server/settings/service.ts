import type { Kysely, Transaction } from 'kysely';
import type { OrgSettings } from '../../common/api.js';
import { TAX_LANGUAGES, TAX_RULES, type TaxFacts, type TaxLanguage } from '../../common/tax.js';
import { fromZonedInput } from '../../common/time.js';
import type { Database } from '../../db/schema.js';
import type { Config } from '../config.js';
import type { UpdateSettingsInput } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The organisation as everyone sees it: the settings row where a field is set, else the ORG_*
 * default from the environment (SPEC §3), else an empty name and UTC.
 */
export async function getOrgSettings(db: Db, config: Pick<Config, 'org'>): Promise<OrgSettings> {
  const row = await db.selectFrom('organisation').selectAll().where('id', '=', 1).executeTakeFirst();
  return {
    name: row?.name ?? config.org.name,
    address: row?.address ?? config.org.address,
    timeZone: row?.time_zone ?? config.org.timeZone,
    taxId: row?.tax_id ?? config.org.taxId,
    taxStatus: row?.tax_status ?? 'unset',
    sponsorName: row?.sponsor_name ?? '',
    sponsorTaxId: row?.sponsor_tax_id ?? '',
    taxTexts: taxTextsOf(row?.tax_texts),
    footer: row?.footer ?? '',
    logoUrl: row?.logo_url ?? '',
  };
}

function taxTextsOf(v: unknown): Partial<Record<TaxLanguage, string>> {
  const o = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (!o || typeof o !== 'object') return {};
  const out: Partial<Record<TaxLanguage, string>> = {};
  for (const lang of TAX_LANGUAGES) {
    const t = (o as Record<string, unknown>)[lang];
    if (typeof t === 'string' && t) out[lang] = t;
  }
  return out;
}

/** The settings a chosen tax status needs, or the first one missing (field name, message). */
export function missingForTaxStatus(s: OrgSettings): { field: string; message: string } | null {
  for (const need of TAX_RULES[s.taxStatus].requires) {
    if (need === 'taxId' && !s.taxId.trim()) return { field: 'taxId', message: `${TAX_RULES[s.taxStatus].label} needs the tax id (EIN)` };
    if (need === 'sponsorName' && !s.sponsorName.trim())
      return { field: 'sponsorName', message: `${TAX_RULES[s.taxStatus].label} needs the sponsor's name` };
  }
  return null;
}

/** The organisation's tax facts as receipts and appeals state them. */
export function taxFacts(s: OrgSettings, fallbackName: string): TaxFacts {
  return {
    status: s.taxStatus,
    organisation: s.name || fallbackName,
    taxId: s.taxId,
    sponsorName: s.sponsorName,
    sponsorTaxId: s.sponsorTaxId,
    texts: s.taxTexts,
  };
}

/** The zone in which calendar days are counted (daily chart, statements). */
export async function orgTimeZone(db: Db, config: Pick<Config, 'org'>): Promise<string> {
  return (await getOrgSettings(db, config)).timeZone;
}

/** Saves the fields given; an empty string means "back to the environment default". */
export async function updateOrgSettings(db: Db, input: UpdateSettingsInput, now: Date): Promise<void> {
  const v = (s: string | undefined) => (s === undefined ? undefined : s === '' ? null : s);
  let taxTexts: string | null | undefined;
  if (input.taxTexts !== undefined) {
    // Languages given replace their text (empty = back to the template); the others stay.
    const current = await db.selectFrom('organisation').select('tax_texts').where('id', '=', 1).executeTakeFirst();
    const texts = { ...taxTextsOf(current?.tax_texts), ...input.taxTexts };
    for (const [lang, text] of Object.entries(texts)) if (!text) delete texts[lang as TaxLanguage];
    taxTexts = Object.keys(texts).length ? JSON.stringify(texts) : null;
  }
  const row = {
    ...(input.name !== undefined && { name: v(input.name) }),
    ...(input.address !== undefined && { address: v(input.address) }),
    ...(input.timeZone !== undefined && { time_zone: v(input.timeZone) }),
    ...(input.taxId !== undefined && { tax_id: v(input.taxId) }),
    ...(input.taxStatus !== undefined && { tax_status: input.taxStatus }),
    ...(input.sponsorName !== undefined && { sponsor_name: v(input.sponsorName) }),
    ...(input.sponsorTaxId !== undefined && { sponsor_tax_id: v(input.sponsorTaxId) }),
    ...(input.footer !== undefined && { footer: v(input.footer) }),
    ...(input.logoUrl !== undefined && { logo_url: v(input.logoUrl) }),
    ...(taxTexts !== undefined && { tax_texts: taxTexts }),
    updated_at: now,
  };
  await db
    .insertInto('organisation')
    .values({ id: 1, ...row })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}

/** A calendar date given for something that happened (an offline gift): the start of that day in
 * the organisation's zone; an instant stays what it is. */
export function instantOf(at: { instant: Date } | { day: string }, timeZone: string): Date {
  if ('instant' in at) return at.instant;
  return new Date(fromZonedInput(at.day, timeZone) ?? `${at.day}T00:00:00Z`);
}
