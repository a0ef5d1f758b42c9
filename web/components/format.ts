import type { CampaignProgress } from '../lib/api.js';
import { formatMoney } from '../../common/money.js';

const DAY = 86_400_000;

/** "$12,345 raised of $50,000 goal, 24%" (the meter's aria-valuetext and its visible figures). */
export function meterText(p: CampaignProgress, locale?: string): string {
  const reached = p.reachedGoal ? `; ${formatMoney(p.reachedGoal, p.currency, { locale })} goal reached` : '';
  return `${formatMoney(p.total, p.currency, { locale })} raised of ${formatMoney(p.goal, p.currency, { locale })} goal, ${p.percent}%${reached}`;
}

/** Stretch goals (SPEC §13): "We reached $50,000! Help us reach $75,000", or null before the first. */
export function stretchText(p: CampaignProgress, locale?: string): string | null {
  if (!p.reachedGoal) return null;
  const reached = formatMoney(p.reachedGoal, p.currency, { locale });
  if (p.total >= p.goal) return `We reached ${formatMoney(p.goal, p.currency, { locale })}! Thank you.`;
  return `We reached ${reached}! Help us reach ${formatMoney(p.goal, p.currency, { locale })}`;
}

/** The campaign as the reader's clock sees it: past endsAt it has ended, whatever the last update said. */
export function liveStatus(p: CampaignProgress, now: number): CampaignProgress['status'] {
  if (p.status === 'open' && now >= Date.parse(p.endsAt)) return 'ended';
  if (p.status === 'scheduled' && now >= Date.parse(p.startsAt) && now < Date.parse(p.endsAt)) return 'open';
  return p.status;
}

/** An ended campaign's result: "Together we raised $61,725 of our $50,000 goal. Thank you!" */
export function resultText(p: CampaignProgress, locale?: string): string {
  return `Together we raised ${formatMoney(p.total, p.currency, { locale })} of our ${formatMoney(p.goal, p.currency, { locale })} goal. Thank you!`;
}

export function plural(n: number, one: string, many: string, locale?: string): string {
  let s: string;
  try {
    s = new Intl.NumberFormat(locale).format(n);
  } catch {
    s = String(n);
  }
  return `${s} ${n === 1 ? one : many}`;
}

/** Days left in words; calendar-free on purpose: the campaign ends at an instant, not a date. */
export function timeLeft(p: CampaignProgress, now: number, locale?: string): string {
  if (p.status === 'ended' || p.status === 'archived') return 'Campaign ended';
  if (p.status === 'scheduled') {
    const d = Math.max(1, Math.ceil((Date.parse(p.startsAt) - now) / DAY));
    return `Starts in ${plural(d, 'day', 'days', locale)}`;
  }
  const ms = Date.parse(p.endsAt) - now;
  if (ms <= DAY) return 'Last day';
  return `${plural(Math.ceil(ms / DAY), 'day', 'days', locale)} left`;
}

/** "Every gift matched 1:1 up to $10,000" */
export function matchText(p: CampaignProgress, locale?: string): string | null {
  if (!p.match) return null;
  const r = Number.isInteger(p.match.ratio) ? `${p.match.ratio}:1` : `${Math.round(p.match.ratio * 100)}%`;
  const cap = formatMoney(p.match.cap, p.currency, { locale });
  // Once the match is used up, promising it would mislead the next donor.
  if (p.matched >= p.match.cap) return `Matching of ${cap} reached`;
  return `Gifts matched ${r} up to ${cap}`;
}
