import { formatMoney } from '../../common/money.js';
import type { CampaignProgress } from '../lib/api.js';
import { count, percent, type T } from '../lib/i18n.js';

const DAY = 86_400_000;

/** "$12,345 raised of $50,000 goal, 24%" (the meter's aria-valuetext), in the reader's language. */
export function meterText(p: CampaignProgress, t: T, tag?: string): string {
  const m = (n: number) => formatMoney(n, p.currency, { locale: tag });
  const text = t('meter', { total: m(p.total), goal: m(p.goal), percent: percent(p.percent, tag) });
  return p.reachedGoal ? `${text}; ${t('meterReached', { goal: m(p.reachedGoal) })}` : text;
}

/** Stretch goals (SPEC §13): "We reached $50,000! Help us reach $75,000", or null before the first. */
export function stretchText(p: CampaignProgress, t: T, tag?: string): string | null {
  if (!p.reachedGoal) return null;
  const m = (n: number) => formatMoney(n, p.currency, { locale: tag });
  if (p.total >= p.goal) return t('stretchDone', { goal: m(p.goal) });
  return t('stretchNext', { reached: m(p.reachedGoal), goal: m(p.goal) });
}

/** The campaign as the reader's clock sees it: past endsAt it has ended, whatever the last update said. */
export function liveStatus(p: CampaignProgress, now: number): CampaignProgress['status'] {
  if (p.status === 'open' && now >= Date.parse(p.endsAt)) return 'ended';
  if (p.status === 'scheduled' && now >= Date.parse(p.startsAt) && now < Date.parse(p.endsAt)) return 'open';
  return p.status;
}

/** An ended campaign's result: "Together we raised $61,725 of our $50,000 goal. Thank you!" */
export function resultText(p: CampaignProgress, t: T, tag?: string): string {
  const m = (n: number) => formatMoney(n, p.currency, { locale: tag });
  return t('result', { total: m(p.total), goal: m(p.goal) });
}

/** "1 donor" / "12 donors" / "٣ متبرعين": plural forms by Intl.PluralRules. */
export function donorsText(n: number, t: T, tag?: string): string {
  return t('donors', count(n, tag));
}

/** Whole days left as the banner counts them (embed.js and the server's folded markup agree on it). */
export function daysLeft(p: Pick<CampaignProgress, 'endsAt'>, now: number): number {
  return Math.ceil((Date.parse(p.endsAt) - now) / DAY);
}

/** Days left in words; calendar-free on purpose: the campaign ends at an instant, not a date. */
export function timeLeft(p: CampaignProgress, now: number, t: T, tag?: string): string {
  if (p.status === 'ended' || p.status === 'archived') return t('ended');
  if (p.status === 'scheduled') return t('startsIn', count(Math.max(1, Math.ceil((Date.parse(p.startsAt) - now) / DAY)), tag));
  const days = daysLeft(p, now);
  if (days <= 1) return t('lastDay');
  return t('daysLeft', count(days, tag));
}

/** "Every gift matched 1:1 up to $10,000" */
export function matchText(p: CampaignProgress, t: T, tag?: string): string | null {
  if (!p.match) return null;
  const ratio = Number.isInteger(p.match.ratio) ? `${p.match.ratio}:1` : percent(Math.round(p.match.ratio * 100), tag);
  const cap = formatMoney(p.match.cap, p.currency, { locale: tag });
  // Once the match is used up, promising it would mislead the next donor.
  if (p.matched >= p.match.cap) return t('matchDone', { cap });
  return t('matchOn', { ratio, cap });
}
