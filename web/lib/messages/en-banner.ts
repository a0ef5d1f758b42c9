import type { Catalog } from '../../../common/i18n.js';

/**
 * The banner's words in English (inline in embed.js; the other languages load lazily, see
 * web/lib/i18n.ts). `{n}` is a number already formatted for the reader's locale; `count` picks
 * the plural form (Intl.PluralRules).
 */
export const bannerEn = {
  loading: 'Loading fundraising campaign',
  region: 'Fundraising: {title}',
  testMode: 'TEST MODE',
  testModeTitle: 'Payments are simulated: no real money moves',
  thanksHeadline: 'Thank you for your gift!',
  thanksMessage: 'You are part of {title}.',
  continues: 'Our work continues: {title}.',
  result: 'Together we raised {total} of our {goal} goal. Thank you!',
  stretchDone: 'We reached {goal}! Thank you.',
  stretchNext: 'We reached {reached}! Help us reach {goal}',
  donors: { one: '{n} donor', other: '{n} donors' },
  daysLeft: { one: '{n} day left', other: '{n} days left' },
  startsIn: { one: 'Starts in {n} day', other: 'Starts in {n} days' },
  lastDay: 'Last day',
  ended: 'Campaign ended',
  matchOn: 'Gifts matched {ratio} up to {cap}',
  matchDone: 'Matching of {cap} reached',
  donate: 'Donate',
  giveTo: 'Give to {title}',
  close: 'Close the fundraising banner',
  progress: 'Fundraising progress',
  meter: '{total} raised of {goal} goal, {percent}',
  meterReached: '{goal} goal reached',
} satisfies Catalog;
