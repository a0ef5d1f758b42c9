import { describe, expect, it } from 'vitest';
import { donorsText, matchText, timeLeft } from '../../../web/components/format.js';
import type { CampaignProgress } from '../../../web/lib/api.js';
import { makeT } from '../../../web/lib/i18n.js';
import ar from '../../../web/lib/messages/ar.js';
import { bannerEn } from '../../../web/lib/messages/en-banner.js';
import es from '../../../web/lib/messages/es.js';

const base = { currency: 'USD', match: { ratio: 1, cap: 1_000_000 } } as unknown as CampaignProgress;
const en = makeT('en', {}, bannerEn);

describe('matching line on the banner', () => {
  it('promises matching while the cap is not used up, and says when it is', () => {
    expect(matchText({ ...base, matched: 999_999 }, en, 'en')).toBe('Gifts matched 1:1 up to $10,000');
    expect(matchText({ ...base, matched: 1_000_000 }, en, 'en')).toBe('Matching of $10,000 reached');
    expect(matchText({ ...base, match: null, matched: 0 }, en, 'en')).toBeNull();
  });
});

describe('counts and days in the reader’s language', () => {
  const open = (days: number) =>
    ({ status: 'open', startsAt: new Date(0).toISOString(), endsAt: new Date(days * 86_400_000).toISOString() }) as CampaignProgress;
  it('English: one donor, 2 donors, 1,234 donors; days left', () => {
    expect(donorsText(1, en, 'en')).toBe('1 donor');
    expect(donorsText(2, en, 'en')).toBe('2 donors');
    expect(donorsText(1234, en, 'en-US')).toBe('1,234 donors');
    expect(timeLeft(open(3), 0, en, 'en')).toBe('3 days left');
    expect(timeLeft(open(1), 0, en, 'en')).toBe('Last day');
  });
  it('Spanish plural and number formats', () => {
    const t = makeT('es', es, bannerEn);
    expect(donorsText(1, t, 'es')).toBe('1 donante');
    expect(donorsText(12345, t, 'es')).toBe('12.345 donantes');
    expect(timeLeft(open(2), 0, t, 'es')).toBe('Quedan 2 días');
  });
  it('Arabic: zero, one, two, few, many and other forms, digits as Intl writes them', () => {
    const t = makeT('ar', ar, bannerEn);
    const n = (x: number) => new Intl.NumberFormat('ar').format(x);
    expect(donorsText(0, t, 'ar')).toBe('لا متبرعين بعد');
    expect(donorsText(1, t, 'ar')).toBe('متبرع واحد');
    expect(donorsText(2, t, 'ar')).toBe('متبرعان');
    expect(donorsText(3, t, 'ar')).toBe(`${n(3)} متبرعين`);
    expect(donorsText(11, t, 'ar')).toBe(`${n(11)} متبرعًا`);
    expect(donorsText(100, t, 'ar')).toBe(`${n(100)} متبرع`);
    expect(timeLeft(open(5), 0, t, 'ar')).toBe(`تتبقى ${n(5)} أيام`);
  });
});
