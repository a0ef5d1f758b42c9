/**
 * The shapes of the public HTTP API (SPEC §4) that the server produces and the widget, pages and
 * admin read. They live here, owned by neither side, so the front end never imports `server/`
 * internals and the two cannot drift apart (STYLE 15). Types only.
 */

import type { Locale } from './i18n.js';
import type { TaxLanguage, TaxStatus } from './tax.js';

export type CampaignStatus = 'scheduled' | 'open' | 'ended' | 'archived';

export interface Progress {
  slug: string;
  /** Present (true) only while money is not live: emulator or test key (SPEC §2). */
  testMode?: true;
  title: string;
  headline: string;
  message: string;
  currency: string;
  /** The current goal: the first of `goals` the total has not reached (the last once all are). */
  goal: number;
  /** Every goal, ascending (stretch goals after the first); `percent` is against `goal`. */
  goals: number[];
  /** The goal before `goal`, already reached (stretch goals), else null. */
  reachedGoal: number | null;
  raised: number;
  matched: number;
  total: number;
  percent: number;
  donors: number;
  donations: number;
  startsAt: string;
  endsAt: string;
  status: CampaignStatus;
  presets: number[];
  match: { ratio: number; cap: number } | null;
  /**
   * Cover-the-fees estimate: `rate` is the exact decimal text of the fraction ("0.029"), never a
   * float, so the chooser computes the same charge as the server (common/money.ts).
   */
  fees: { rate: string; fixed: number };
  /**
   * What the appeal says about tax (the organisation's status, common/tax.ts): deductible is
   * null when the organisation makes no claim; notice holds the sentence per language.
   */
  tax?: { deductible: boolean | null; notice: Partial<Record<TaxLanguage, string>> };
  /** 'down' while the payments breaker is open: the widget collects pledges (SPEC §13). */
  payments: 'up' | 'down';
  /** The organisation's other ways to give (bank transfer, cheque...), plain text; '' when none. */
  otherWays: string;
  /** How many days an unconverted pledge is kept (stated in the pledge form's consent). */
  pledgeDays: number;
  /** An ended campaign's follow-on campaign, while that one is open. */
  followOn: { slug: string; title: string } | null;
  /** Present while card testing has switched the CAPTCHA on for this campaign: the widget shows it. */
  captcha?: { provider: 'turnstile' | 'hcaptcha'; siteKey: string };
  /**
   * Campaign copy per language (SPEC §13 "Languages"), for the languages the organisation wrote;
   * `headline`/`message` above are the campaign's default language. The widget picks by locale.
   */
  copy?: Partial<Record<Locale, CampaignCopy>>;
  /**
   * Active copy variants (SPEC §13 "Variants"); empty when the campaign tests nothing. The widget
   * picks one by weight among those whose `locale` is null or the reader's, keeps it per reader,
   * and falls back to the campaign's (translated) copy for each null field.
   */
  variants?: PublicVariant[];
  /** At most `impressions` banner views per reader per `days` (host page storage); null: uncapped. */
  frequency?: { impressions: number; days: number } | null;
}

export interface CampaignCopy {
  headline: string;
  message: string;
}

export interface PublicVariant {
  id: string;
  weight: number;
  control: boolean;
  headline: string | null;
  message: string | null;
  /** The donate button's text; null: the catalog's "Donate". */
  button: string | null;
  /** Shown only to readers of this language; null: to everyone. */
  locale: Locale | null;
}

/**
 * Beacon body (POST /api/campaigns/:slug/events, sent as text/plain so that sendBeacon needs no
 * preflight): counts since the last batch. Accepted only from the campaign's allowed embedding
 * origins (and our own), rate-limited per client.
 */
export interface FunnelBeacon {
  events: { type: 'impression' | 'open'; variant: string | null; count: number }[];
}

/** What the public progress adds from outside the campaign row (server/campaigns/progress-cache.ts). */
export interface ProgressExtras {
  payments: 'up' | 'down';
  otherWays: string;
  pledgeDays: number;
  followOn: { slug: string; title: string } | null;
  captcha?: { provider: 'turnstile' | 'hcaptcha'; siteKey: string };
}

export interface PublicDonor {
  name: string;
  amount: number;
  currency: string;
  frequency: 'once' | 'monthly';
  comment: string | null;
  dedication: { kind: 'honor' | 'memory'; name: string } | null;
  at: string;
}

/** The organisation as the admin edits it (GET|PATCH /api/admin/settings). */
export interface OrgSettings {
  name: string;
  address: string;
  /** An IANA zone ("America/New_York"): campaign dates are entered and shown in it. */
  timeZone: string;
  taxId: string;
  /** What receipts and appeals state about tax (common/tax.ts). */
  taxStatus: TaxStatus;
  /** The fiscal sponsor (status fiscal_sponsor). */
  sponsorName: string;
  sponsorTaxId: string;
  /** The legal text receipts print, per language; a language left out uses the status's template. */
  taxTexts: Partial<Record<TaxLanguage, string>>;
  /** A line at the foot of every mail (e.g. "Reply to this e-mail to reach our donor team"). */
  footer: string;
  /** An https URL of the logo shown above mails; mails read the same without it. */
  logoUrl: string;
}
