import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { SilenceWarning } from './Health.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import type { AdminCampaign } from '../types.js';
import { Badge, ErrorNote, date, moneyShort } from '../ui.js';

export function Campaigns() {
  const [campaigns, setCampaigns] = useState<AdminCampaign[] | null>(null);
  const [showArchived, setShowArchived] = useState(false);
  const [error, setError] = useState('');
  const canEdit = useCan('editor');

  useEffect(() => {
    api<{ campaigns: AdminCampaign[] }>('/campaigns').then(
      (r) => setCampaigns(r.campaigns),
      (e: Error) => setError(e.message),
    );
  }, []);

  const shown = campaigns?.filter((c) => showArchived || c.status !== 'archived') ?? [];
  const archived = campaigns ? campaigns.length - campaigns.filter((c) => c.status !== 'archived').length : 0;
  return (
    <>
      <header className="page-head">
        <h1>Campaigns</h1>
        {canEdit && (
          <Link to="/admin/campaigns/new" className="button primary">
            New campaign
          </Link>
        )}
      </header>
      <ErrorNote error={error} />
      <SilenceWarning />
      {!campaigns && !error && <p>Loading…</p>}
      {campaigns && campaigns.length === 0 && (
        <p className="empty">No campaigns yet. Create the first one to get a banner and a donate page.</p>
      )}
      {shown.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Raised
              </th>
              <th scope="col" className="num">
                Goal
              </th>
              <th scope="col" className="num">
                %
              </th>
              <th scope="col" className="num">
                Donors
              </th>
              <th scope="col" className="num">
                Days left
              </th>
              <th scope="col">Dates</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.slug}>
                <td>
                  <Link to={`/admin/campaigns/${c.slug}`}>{c.title}</Link>
                  <div className="muted">/{c.slug}</div>
                </td>
                <td>
                  <Badge status={c.status} />
                </td>
                <td className="num">{moneyShort(c.raised, c.currency)}</td>
                <td className="num">{moneyShort(c.goal, c.currency)}</td>
                <td className="num">
                  <span className="mini-meter" aria-hidden="true">
                    <span style={{ width: `${Math.min(100, c.percent)}%` }} />
                  </span>
                  {c.percent}%
                </td>
                <td className="num">{c.donors}</td>
                <td className="num">{c.status === 'ended' || c.status === 'archived' ? '—' : c.daysLeft}</td>
                <td className="muted">
                  {date(c.startsAt)} – {date(c.endsAt)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {archived > 0 && (
        <label className="check">
          <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} /> Show {archived} archived
        </label>
      )}
    </>
  );
}
