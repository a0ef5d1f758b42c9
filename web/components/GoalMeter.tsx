import { useEffect, useRef, useState } from 'react';
import { formatMoney } from '../../common/money.js';
import type { CampaignProgress } from '../lib/api.js';
import { percent, type T } from '../lib/i18n.js';
import { meterText } from './format.js';
import { rich } from './rich.js';

/**
 * The goal meter: a progressbar (value capped at 100 even when the campaign is over its goal)
 * whose fill slides to a new total; the slide is a CSS transition that prefers-reduced-motion
 * switches off. transform, not width, so a change never re-lays out the host page. The fill
 * grows from the reading side: the right in Arabic (styles.ts, [dir=rtl]).
 */
export function GoalMeter({ progress: p, t, locale }: { progress: CampaignProgress; t: T; locale?: string }) {
  const value = Math.max(0, Math.min(100, p.percent));
  const fill = Math.max(0, Math.min(1, p.goal > 0 ? p.total / p.goal : 0));
  const prev = useRef(p.total);
  const [bump, setBump] = useState(false);
  useEffect(() => {
    if (p.total === prev.current) return;
    prev.current = p.total;
    setBump(true);
    const t = setTimeout(() => setBump(false), 1000);
    return () => clearTimeout(t);
  }, [p.total]);
  // A stretch goal took over: the fill rescales to the new goal (a CSS transition that
  // prefers-reduced-motion switches off) and the reached goal is named.
  const goal = formatMoney(p.goal, p.currency, { locale });
  return (
    <div className={bump ? 'meter bump' : 'meter'} data-goal={p.goal}>
      <div
        className="track"
        role="progressbar"
        aria-label={t('progress')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={meterText(p, t, locale)}
      >
        <div className="fill" style={{ transform: `scaleX(${fill})` }} />
      </div>
      <p className="fig" aria-hidden="true">
        {rich(t('meter', { goal }), {
          total: <strong>{formatMoney(p.total, p.currency, { locale })}</strong>,
          percent: <strong>{percent(p.percent, locale)}</strong>,
        })}
      </p>
    </div>
  );
}
