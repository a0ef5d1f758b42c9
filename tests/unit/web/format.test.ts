import { describe, expect, it } from 'vitest';
import { matchText } from '../../../web/components/format.js';
import type { CampaignProgress } from '../../../web/lib/api.js';

const base = { currency: 'USD', match: { ratio: 1, cap: 1_000_000 } } as unknown as CampaignProgress;

describe('matching line on the banner', () => {
  it('promises matching while the cap is not used up, and says when it is', () => {
    expect(matchText({ ...base, matched: 999_999 })).toBe('Gifts matched 1:1 up to $10,000');
    expect(matchText({ ...base, matched: 1_000_000 })).toBe('Matching of $10,000 reached');
    expect(matchText({ ...base, match: null, matched: 0 })).toBeNull();
  });
});
