import { Suspense, lazy, useEffect, useState } from 'react';
import { api } from '../api.js';
import type { PaceReport } from '../../../common/api.js';
import { date, money } from '../ui.js';

// recharts loads with the first chart, not with the console (issue 12): the chart chunk is
// DailyChart's, which carries this chart too.
const PaceChart = lazy(() => import('./DailyChart.js').then((m) => ({ default: m.PaceChart })));

/**
 * The Pace panel (SPEC §13): where the campaign is heading at its end, by which method, and what
 * it still needs per day; re-read whenever `version` (the raised total) moves.
 */
export function PacePanel({ slug, version }: { slug: string; version: number }) {
  const [p, setP] = useState<PaceReport | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<PaceReport>(`/campaigns/${slug}/pace`).then(
      (r) => {
        setP(r);
        setError('');
      },
      (e: Error) => setError(e.message),
    );
  }, [slug, version]);
  if (error) return null;
  if (!p) return null;
  const m = (n: number) => money(n, p.currency);
  const today = p.shapedNeed[0];
  const lastDay = p.shapedNeed[p.shapedNeed.length - 1];
  return (
    <section className="card" aria-labelledby="pace-title" data-testid="pace">
      <h2 id="pace-title">Pace</h2>
      <p data-testid="pace-projection">
        {p.status === 'projected' && p.projectedTotal !== null && (
          <>
            Projected at the end: <strong>{m(p.projectedTotal)}</strong>{' '}
            {p.projectedTotal >= p.goal ? `(the goal of ${m(p.goal)} is within reach)` : `(short of the goal of ${m(p.goal)})`}.
          </>
        )}
        {p.status === 'too_early' && (
          <>Too early to project: the shape expects under 10% of the money by now. Projection from {date(p.projectFrom!)}.</>
        )}
        {p.status === 'scheduled' && <>Not started yet.</>}
        {p.status === 'ended' && p.projectedTotal !== null && (
          <>
            Ended with <strong>{m(p.projectedTotal)}</strong> against a goal of {m(p.goal)}.
          </>
        )}
      </p>
      <p className="muted" data-testid="pace-method">
        Method: {p.method.sentence}.
      </p>
      {p.perDay !== null && (
        <p data-testid="pace-needed">
          Still needed: <strong>{m(p.stillNeeded)}</strong>
          {p.stillNeeded > 0 && (
            <>
              {' '}
              — <strong>{m(p.perDay)}</strong> a day over {p.daysLeft} {p.daysLeft === 1 ? 'day' : 'days'} (today included)
              {today && lastDay && p.shapedNeed.length > 1 && (
                <>
                  ; on this shape, {m(today.amount)} today and {m(lastDay.amount)} on the last day
                </>
              )}
            </>
          )}
          .
        </p>
      )}
      <div
        className="chart"
        role="img"
        aria-label={`This campaign's curve beside ${p.method.kind === 'previous' ? 'the last campaign' : 'the default curve'}`}
      >
        <Suspense fallback={<p className="muted">Loading the chart…</p>}>
          <PaceChart pace={p} />
        </Suspense>
      </div>
    </section>
  );
}
