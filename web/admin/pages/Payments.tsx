import { useCallback, useEffect, useState } from 'react';
import type { BreakerReason, PaymentsStatus } from '../../../common/api.js';
import { api } from '../api.js';
import { dateTime, ErrorNote, money } from '../ui.js';

interface Pledge {
  id: string;
  campaign: string;
  amount: number;
  currency: string;
  frequency: 'once' | 'monthly';
  email: string;
  name: string | null;
  status: 'open' | 'invited' | 'withdrawn' | 'converted';
  invitedAt: string | null;
  deleteAfter: string;
  createdAt: string;
}

const REASONS: Record<BreakerReason, string> = {
  connection: 'Stripe could not be reached',
  stripe_5xx: 'Stripe answered with server errors',
  charges_disabled: 'The Stripe account does not accept charges',
  auth: 'Stripe refused the API key',
  pledge_mode: 'Pledge mode is on (an owner)',
};

/**
 * /admin/payments: whether online payments are up (the breaker, SPEC §13) and its history, pledge
 * mode and the "other ways to give" (owners), card-testing alerts, and the pledges, apart from gifts,
 * with the one e-mail to send when payments are back.
 */
export function Payments({ role }: { role: 'owner' | 'editor' | 'viewer' }) {
  const [b, setB] = useState<PaymentsStatus | null>(null);
  const [pledges, setPledges] = useState<Pledge[]>([]);
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  const [otherWays, setOtherWays] = useState('');
  const [days, setDays] = useState(90);
  const load = useCallback(async () => {
    try {
      const [state, list] = await Promise.all([api<PaymentsStatus>('/payments'), api<{ pledges: Pledge[] }>('/pledges')]);
      setB(state);
      setOtherWays(state.otherWays);
      setDays(state.pledgeRetentionDays);
      setPledges(list.pledges);
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const act = async (run: () => Promise<string>) => {
    setError('');
    setNote('');
    try {
      setNote(await run());
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!b) return error ? <ErrorNote error={error} /> : <p>Loading…</p>;
  const owner = role === 'owner';
  const open = pledges.filter((p) => p.status === 'open').length;

  return (
    <>
      <header className="page-head">
        <h1>Payments</h1>
      </header>
      <section className="card" aria-label="Online payments">
        <h2>{b.open ? 'Online payments are down: the banner collects pledges' : 'Online payments are up'}</h2>
        {b.open ? (
          <p role="status">
            {b.reason ? REASONS[b.reason] : null}
            {b.detail ? ` (${b.detail})` : ''} since {dateTime(b.changedAt)}.
          </p>
        ) : null}
        <p>
          Last check of Stripe: {dateTime(b.lastProbeAt)}
          {b.lastProbeAt ? (b.lastProbeOk ? ' — answered' : ` — failed: ${b.lastProbeError ?? ''}`) : ''}
        </p>
        <div className="actions">
          {role !== 'viewer' ? (
            <button
              type="button"
              onClick={() => act(async () => `Checked: ${(await api<{ outcome: string }>('/payments/probe', { method: 'POST' })).outcome}`)}
            >
              Check Stripe now
            </button>
          ) : null}
          {owner ? (
            <button
              type="button"
              className={b.pledgeMode ? 'primary' : undefined}
              onClick={() =>
                act(async () => {
                  await api('/payments', { method: 'PATCH', body: { pledgeMode: !b.pledgeMode } });
                  return b.pledgeMode ? 'Pledge mode off.' : 'Pledge mode on: the banner collects pledges.';
                })
              }
            >
              {b.pledgeMode ? 'Turn pledge mode off' : 'Turn pledge mode on'}
            </button>
          ) : null}
        </div>
      </section>

      <section className="card" aria-label="Other ways to give">
        <h2>Other ways to give</h2>
        <p>
          Bank transfer, cheque, another processor: shown on the donate page always, and in the banner's dialog while payments are down.
        </p>
        <textarea
          rows={4}
          value={otherWays}
          maxLength={2000}
          readOnly={!owner}
          onChange={(e) => setOtherWays(e.target.value)}
          aria-label="Other ways to give"
        />
        <p>
          <label>
            Delete pledges not completed after{' '}
            <input type="number" min={1} max={730} value={days} readOnly={!owner} onChange={(e) => setDays(Number(e.target.value))} /> days
          </label>
        </p>
        {owner ? (
          <div className="actions">
            <button
              type="button"
              className="primary"
              onClick={() =>
                act(async () => (await api('/payments', { method: 'PATCH', body: { otherWays, pledgeRetentionDays: days } }), 'Saved.'))
              }
            >
              Save
            </button>
          </div>
        ) : null}
      </section>

      <section className="card" aria-label="Pledges">
        <h2>Pledges (never counted as raised)</h2>
        {owner ? (
          <div className="actions">
            <button
              type="button"
              disabled={b.open || open === 0}
              onClick={() =>
                act(async () => {
                  const r = await api<{ queued: number }>('/pledges/invitations', { method: 'POST' });
                  return `${r.queued} e-mail${r.queued === 1 ? '' : 's'} queued: each open pledger gets one.`;
                })
              }
            >
              E-mail the {open} open pledger{open === 1 ? '' : 's'}
            </button>
            {b.open ? <span> (once payments are back)</span> : null}
          </div>
        ) : null}
        <table className="table">
          <thead>
            <tr>
              <th>Pledged</th>
              <th>Campaign</th>
              <th>Amount</th>
              <th>E-mail</th>
              <th>Status</th>
              <th>Deleted on</th>
            </tr>
          </thead>
          <tbody>
            {pledges.length ? (
              pledges.map((p) => (
                <tr key={p.id}>
                  <td>{dateTime(p.createdAt)}</td>
                  <td>{p.campaign}</td>
                  <td>
                    {money(p.amount, p.currency)}
                    {p.frequency === 'monthly' ? ' / month' : ''}
                  </td>
                  <td>{p.email}</td>
                  <td>
                    {p.status === 'converted' ? 'became a gift' : p.status === 'invited' ? `e-mailed ${dateTime(p.invitedAt)}` : 'open'}
                  </td>
                  <td>{p.status === 'converted' ? '—' : dateTime(p.deleteAfter)}</td>
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={6}>No pledges.</td>
              </tr>
            )}
          </tbody>
        </table>
      </section>

      <section className="card" aria-label="History">
        <h2>History</h2>
        <ul>
          {b.history.map((h) => (
            <li key={h.id}>
              {dateTime(h.at)}: {h.event.replaceAll('_', ' ')}
              {h.reason && h.event === 'opened' ? ` — ${REASONS[h.reason]}` : ''}
              {h.admin ? ` (by ${h.admin})` : ''}
            </li>
          ))}
          {b.history.length ? null : <li>Payments have not been down.</li>}
        </ul>
        {b.alerts.length ? (
          <>
            <h2>Card-testing alerts</h2>
            <ul>
              {b.alerts.map((a) => (
                <li key={a.id}>
                  {dateTime(a.at)} {a.campaign ? `[${a.campaign}] ` : ''}
                  {a.message}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
      <ErrorNote error={error} />
      {note ? (
        <p className="ok-note" role="status">
          {note}
        </p>
      ) : null}
    </>
  );
}
