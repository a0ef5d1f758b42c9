import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../api.js';
import { Link, navigate, useLocation } from '../router.js';
import { ExportLink, useCan } from '../session.js';
import type { Donation } from '../types.js';
import { Badge, ErrorNote, dateTime, giftDate, money } from '../ui.js';

const STATUSES = ['paid', 'pending', 'failed', 'refunded', 'partially_refunded', 'disputed', 'expired', 'voided'];
const FILTERS = ['q', 'status', 'frequency', 'source'] as const;

/** GET /api/admin/campaigns/:slug/donations: a page of rows with the campaign's heading. */
interface DonationsPage {
  campaign: { slug: string; title: string; currency: string };
  donations: Donation[];
  nextCursor: string | null;
}

export function Donations({ slug }: { slug: string }) {
  const { query } = useLocation();
  const filter = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const qs = new URLSearchParams(Object.entries(filter).filter(([, v]) => v)).toString();
  const [campaign, setCampaign] = useState<DonationsPage['campaign'] | null>(null);
  const [rows, setRows] = useState<Donation[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [search, setSearch] = useState(filter.q);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const canExport = useCan('editor');

  const fetchPage = async (after: string | null) => {
    setLoading(true);
    try {
      const p = new URLSearchParams(qs);
      p.set('limit', '50');
      if (after) p.set('cursor', after);
      const r = await api<DonationsPage>(`/campaigns/${slug}/donations?${p}`);
      setCampaign(r.campaign);
      setRows((cur) => (after && cur ? [...cur, ...r.donations] : r.donations));
      setCursor(r.nextCursor);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setRows(null);
    void fetchPage(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slug, qs]);

  const setFilter = (k: (typeof FILTERS)[number], v: string) => {
    const p = new URLSearchParams(qs);
    if (v) p.set(k, v);
    else p.delete(k);
    const s = p.toString();
    navigate(`/admin/campaigns/${slug}/donations${s ? `?${s}` : ''}`, { replace: true });
  };
  const submitSearch = (e: FormEvent) => {
    e.preventDefault();
    setFilter('q', search.trim());
  };

  return (
    <>
      <header className="page-head">
        <div>
          <p className="crumbs">
            <Link to={`/admin/campaigns/${slug}`}>{campaign?.title ?? slug}</Link> ›
          </p>
          <h1>Donations</h1>
        </div>
        {canExport && <ExportLink href={`/api/admin/campaigns/${slug}/donations.csv${qs ? `?${qs}` : ''}`}>Export CSV</ExportLink>}
      </header>
      <div className="filters card">
        <form onSubmit={submitSearch} role="search">
          <label htmlFor="search" className="visually-hidden">
            Search by name or e-mail
          </label>
          <input id="search" type="search" placeholder="Search name or e-mail" value={search} onChange={(e) => setSearch(e.target.value)} />
          <button type="submit">Search</button>
        </form>
        <label>
          Status{' '}
          <select value={filter.status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Frequency{' '}
          <select value={filter.frequency} onChange={(e) => setFilter('frequency', e.target.value)}>
            <option value="">All</option>
            <option value="once">One-time</option>
            <option value="monthly">Monthly</option>
          </select>
        </label>
        <label>
          Source{' '}
          <select value={filter.source} onChange={(e) => setFilter('source', e.target.value)}>
            <option value="">All</option>
            <option value="stripe">Online (Stripe)</option>
            <option value="offline">Offline</option>
          </select>
        </label>
      </div>
      <ErrorNote error={error} />
      {rows && rows.length === 0 && <p className="empty">No donations match.</p>}
      {rows && rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Donor</th>
              <th scope="col" className="num">
                Amount
              </th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Counted
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to={`/admin/donations/${d.id}`}>{giftDate(d)}</Link>
                </td>
                <td>
                  {d.name || <span className="muted">No name</span>}
                  {d.anonymous && <span className="muted"> (anonymous)</span>}
                  {d.email && <div className="muted">{d.email}</div>}
                </td>
                <td className="num">{money(d.chargeAmount, d.currency)}</td>
                <td>
                  {d.source === 'offline'
                    ? 'Offline'
                    : d.frequency === 'monthly'
                      ? `Monthly${d.payments > 1 ? ` ×${d.payments}` : ''}`
                      : 'One-time'}
                </td>
                <td>
                  <Badge status={d.status} />
                </td>
                <td className="num">{money(d.counted, d.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(loading || cursor) && (
        <p className="more">
          <button type="button" disabled={loading} onClick={() => void fetchPage(cursor)}>
            {loading ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </>
  );
}
