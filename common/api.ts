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

/** A knot of a pace shape: after `at` ppm of the duration, `share` ppm of the final total was in. */
export interface ShapePoint {
  at: number;
  share: number;
}

/** A point of a campaign's cumulative curve (server/campaigns/pace.ts cumulativeCurve). */
export interface CurvePoint {
  date: string;
  /** End of the day (or now, or the campaign's end, whichever is first), as ppm of the duration. */
  at: number;
  /** Raised up to the end of the day, in the campaign's currency. */
  cumulative: number;
}

/** A campaign's pace (SPEC §13): the projection server/campaigns/pace.ts computes. Shares in ppm. */
export interface Pace {
  /** scheduled: not started; too_early: the shape expects under 10 % by now; projected; ended: the result is final. */
  status: 'scheduled' | 'too_early' | 'projected' | 'ended';
  method: { kind: 'previous'; slug: string; title: string; endsAt: string; sentence: string } | { kind: 'default'; sentence: string };
  /** Share of the duration elapsed and the share of the money the shape expects by now, in ppm. */
  elapsed: number;
  expectedShare: number;
  /** The current goal (stretch goals: the first not yet reached) and the total against it. */
  goal: number;
  total: number;
  /** Raised and total (with matching) the shape projects at endsAt; null while there is none. */
  projectedRaised: number | null;
  projectedTotal: number | null;
  /** The highest goal the projected total reaches, or null. */
  projectedGoal: number | null;
  /** When a too-early projection will start (ISO), else null. */
  projectFrom: string | null;
  /** goal − total (never below 0), in total terms (gifts and matching). */
  stillNeeded: number;
  /** Calendar days left in the organisation's zone, today included; 0 once ended. */
  daysLeft: number;
  /** stillNeeded spread evenly over daysLeft (rounded up); null once ended. */
  perDay: number | null;
  /**
   * stillNeeded spread over the days left as the shape expects the money to come (sums exactly;
   * at most 731 days are listed).
   */
  shapedNeed: { date: string; amount: number }[];
  /** The shape used, as knots (ppm), for the chart. */
  shape: ShapePoint[];
}

/** GET /api/admin/campaigns/:slug/pace (server/campaigns/pace-query.ts): the projection with both curves for the chart. */
export interface PaceReport extends Pace {
  currency: string;
  /** This campaign's cumulative curve and the previous one's (null: the default curve). */
  curves: { current: CurvePoint[]; reference: (CurvePoint & { share: number })[] | null };
}

/** Why online payments are down (SPEC §13): an outage Stripe showed, or an owner's pledge mode. */
export type BreakerReason = 'connection' | 'stripe_5xx' | 'charges_disabled' | 'auth' | 'pledge_mode';

/** What the payments breaker's log records. */
export type BreakerEvent = 'opened' | 'closed' | 'pledge_mode_on' | 'pledge_mode_off';

/** The payments breaker (server/giving/breaker.ts readBreaker); PATCH /api/admin/payments answers it. */
export interface BreakerState {
  open: boolean;
  reason: BreakerReason | null;
  detail: string | null;
  pledgeMode: boolean;
  changedAt: string | null;
  lastProbeAt: string | null;
  lastProbeOk: boolean | null;
  lastProbeError: string | null;
  otherWays: string;
  pledgeRetentionDays: number;
}

/** GET /api/admin/payments: the breaker, its history (newest first) and the latest admin alerts. */
export interface PaymentsStatus extends BreakerState {
  history: { id: number; at: string; event: BreakerEvent; reason: BreakerReason | null; detail: string | null; admin: string | null }[];
  alerts: { id: number; kind: string; campaign: string | null; message: string; at: string }[];
}

/** Where Stripe sends our events, as Stripe reports it (server/admin/health.ts readEndpoint). */
export interface EndpointHealth {
  url: string;
  pinnedVersion: string;
  found: boolean;
  id?: string;
  apiVersion?: string | null;
  status?: string;
  matchesPinned?: boolean;
  /** Handled events the endpoint does not send us. */
  missingEvents?: string[];
  /** Stripe could not be asked (network, a restricted key without webhook rights...). */
  error?: string;
}

/** One reconciliation run (server/admin/health.ts). */
export interface ReconciliationRun {
  id: number;
  trigger: 'schedule' | 'cli';
  since: string;
  until: string;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'ok' | 'failed';
  recovered: number;
  error: string | null;
  /** What it recovered, one line each (the first 50). */
  lines: string[];
}

/** GET /api/admin/health (server/admin/health.ts webhookHealth). */
export interface WebhookHealth {
  now: string;
  webhooks: {
    lastEventAt: string | null;
    lastEventType: string | null;
    lastEventAgeSeconds: number | null;
    eventsLastHour: number;
    /** The last 24 hours, oldest first; each hour starts at `hour`. */
    eventsPerHour: { hour: string; count: number }[];
    notApplied: {
      count: number;
      events: { id: string; type: string; status: string; reason: string | null; attempts: number; receivedAt: string }[];
    };
  };
  endpoint: EndpointHealth | null;
  reconciliation: { last: ReconciliationRun | null; lastSuccessful: ReconciliationRun | null };
  silence: { thresholdMinutes: number; checkoutsSinceLastEvent: number; warning: string | null };
}
