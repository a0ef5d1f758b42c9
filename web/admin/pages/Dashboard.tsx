import { Suspense, lazy, useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { SilenceWarning } from './Health.js';
import { currencyDecimals } from '../../../common/money.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import type { Dashboard as DashboardData } from '../types.js';
import { Badge, ErrorNote, date, money, moneyShort } from '../ui.js';
import { OfflineGiftForm } from './OfflineGiftForm.js';
import { PacePanel } from './Pace.js';

// The charting library loads when a chart is first shown, not with the console (issue 12).
const DailyChart = lazy(() => import('./DailyChart.js'));
// Variants and the funnel (issue 14) load with the dashboard's first render, not with the console.
const Variants = lazy(() => import('./Variants.js'));

/** Public progress fields pushed by the campaign's event stream (SPEC §4). */
type Progress = Pick<DashboardData, 'raised' | 'matched' | 'total' | 'percent' | 'donors' | 'donations' | 'goal' | 'status'>;

export function Dashboard({ slug }: { slug: string }) {
  const [d, setD] = useState<DashboardData | null>(null);
  const [error, setError] = useState('');
  const [live, setLive] = useState(false);
  const canEdit = useCan('editor');
  const refetch = useRef<ReturnType<typeof setTimeout>>(undefined);

  const load = useCallback(() => api<DashboardData>(`/campaigns/${slug}`).then(setD, (e: Error) => setError(e.message)), [slug]);

  useEffect(() => {
    void load();
    // Live: the stream carries the public figures at once; the admin-only ones (refunds, chart)
    // follow from one re-read, batched when many gifts land together.
    const es = new EventSource(`/api/campaigns/${encodeURIComponent(slug)}/stream`);
    es.addEventListener('open', () => setLive(true));
    es.addEventListener('error', () => setLive(false));
    es.addEventListener('progress', (e) => {
      setLive(true);
      try {
        const p = JSON.parse((e as MessageEvent<string>).data) as Progress;
        setD((cur) =>
          cur
            ? {
                ...cur,
                raised: p.raised,
                matched: p.matched,
                total: p.total,
                percent: p.percent,
                donors: p.donors,
                donations: p.donations,
                goal: p.goal,
                status: p.status,
              }
            : cur,
        );
      } catch {
        return;
      }
      clearTimeout(refetch.current);
      refetch.current = setTimeout(() => void load(), 400);
    });
    return () => {
      es.close();
      clearTimeout(refetch.current);
    };
  }, [slug, load]);

  if (error) return <ErrorNote error={error} />;
  if (!d) return <p>Loading…</p>;
  const m = (n: number) => money(n, d.currency);
  const dec = currencyDecimals(d.currency);
  const chart = d.daily.map((p) => ({ date: p.date.slice(5), amount: p.amount / 10 ** dec, donations: p.donations }));

  return (
    <>
      <header className="page-head">
        <div>
          <h1>{d.title}</h1>
          <p className="muted">
            <Badge status={d.status} /> {date(d.startsAt)} – {date(d.endsAt)}
            {d.status === 'open' && ` · ${d.daysLeft} ${d.daysLeft === 1 ? 'day' : 'days'} left`} ·{' '}
            <a href={`/donate/${d.slug}`} target="_blank" rel="noreferrer">
              donate page
            </a>
          </p>
        </div>
        <div className="actions">
          <span className={`live${live ? ' on' : ''}`} title={live ? 'Updating live' : 'Reconnecting…'}>
            {live ? 'Live' : 'Offline'}
          </span>
          <Link to={`/admin/campaigns/${d.slug}/donations`} className="button">
            Donations
          </Link>
          {canEdit && (
            <Link to={`/admin/campaigns/${d.slug}/edit`} className="button">
              Edit
            </Link>
          )}
        </div>
      </header>
      <SilenceWarning />

      <section aria-label="Progress" className="meter-card card">
        <div
          className="meter"
          role="progressbar"
          aria-valuenow={Math.min(100, d.percent)}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-label="Progress towards the goal"
        >
          <span style={{ width: `${Math.min(100, d.percent)}%` }} />
        </div>
        <p>
          <strong data-testid="total">{m(d.total)}</strong> of {moneyShort(d.goal, d.currency)} · <strong>{d.percent}%</strong>
        </p>
      </section>

      <dl className="stats" aria-label="Figures">
        <Stat label="Raised" value={m(d.raised)} id="raised" />
        <Stat
          label="Matched"
          value={m(d.matched)}
          id="matched"
          hint={d.match ? `${d.match.ratio}× up to ${moneyShort(d.match.cap, d.currency)}` : 'No matching'}
        />
        <Stat label="Total" value={m(d.total)} id="total-stat" />
        <Stat label="Goal" value={m(d.goal)} id="goal" />
        <Stat label="Donors" value={String(d.donors)} id="donors" />
        <Stat label="Donations" value={String(d.donations)} id="donations" />
        <Stat label="Average gift" value={m(d.averageGift)} id="average" />
        <Stat label="Monthly donors" value={String(d.monthlyDonors)} id="monthly-donors" hint={`${m(d.monthlyAmount)} a month`} />
        <Stat label="Monthly amount" value={m(d.monthlyAmount)} id="monthly-amount" />
        <Stat label="Refunded" value={m(d.refunded)} id="refunded" warn={d.refunded > 0} />
        <Stat label="Disputed" value={m(d.disputed)} id="disputed" warn={d.disputed > 0} />
      </dl>
      <PledgeSummary slug={slug} currency={d.currency} />

      <section className="card" aria-labelledby="chart-title">
        <h2 id="chart-title">Money in per day</h2>
        {chart.length === 0 ? (
          <p className="empty">The campaign has not started yet.</p>
        ) : (
          <div className="chart" role="img" aria-label={`Daily money in, ${chart.length} days; total ${m(d.raised)}`}>
            <Suspense fallback={<p className="muted">Loading the chart…</p>}>
              <DailyChart data={chart} currency={d.currency} decimals={dec} />
            </Suspense>
          </div>
        )}
      </section>

      <PacePanel slug={d.slug} version={d.raised} />
      <Suspense fallback={<p className="muted">Loading variants…</p>}>
        <Variants slug={d.slug} />
      </Suspense>

      {canEdit && (
        <section className="card" aria-labelledby="offline-title">
          <h2 id="offline-title">Record an offline gift</h2>
          <p className="muted">Cheques, cash, bank transfers: counted in the totals at once.</p>
          <OfflineGiftForm slug={d.slug} currency={d.currency} onSaved={() => void load()} />
        </section>
      )}
    </>
  );
}

function Stat({ label, value, hint, id, warn }: { label: string; value: string; hint?: string; id: string; warn?: boolean }) {
  return (
    <div className={`stat${warn ? ' warn' : ''}`}>
      <dt>{label}</dt>
      <dd data-testid={`stat-${id}`}>{value}</dd>
      {hint && <dd className="hint">{hint}</dd>}
    </div>
  );
}

/** Pledges apart from the money (SPEC §13): never in the totals above; how many became gifts. */
function PledgeSummary({ slug, currency }: { slug: string; currency: string }) {
  const [s, setS] = useState<{
    pledges: number;
    pledged: number;
    open: number;
    invited: number;
    converted: number;
    convertedAmount: number;
  } | null>(null);
  useEffect(() => {
    api<{ summary: NonNullable<typeof s> }>(`/pledges?campaign=${encodeURIComponent(slug)}`).then(
      (r) => setS(r.summary),
      () => setS(null),
    );
  }, [slug]);
  if (!s || s.pledges === 0) return null;
  return (
    <section className="card" aria-labelledby="pledges-title">
      <h2 id="pledges-title">Pledges (not counted as raised)</h2>
      <p>
        {s.pledges} pledge{s.pledges === 1 ? '' : 's'} for {money(s.pledged, currency)} while payments were down · {s.open} not yet e-mailed
        · {s.invited} e-mailed · <strong>{s.converted}</strong> became gifts ({money(s.convertedAmount, currency)}).{' '}
        <Link to="/admin/payments">Manage pledges</Link>
      </p>
    </section>
  );
}
