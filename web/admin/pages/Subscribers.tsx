import { useState } from 'react';
import { api } from '../api.js';
import { ExportLink, useCan } from '../session.js';
import { ErrorNote, LoadMore, dateTime, useCursorList } from '../ui.js';

interface Subscriber {
  id: number;
  email: string;
  consentedAt: string;
  confirmedAt: string | null;
  createdAt: string;
  sourceIp: string | null;
  sourcePage: string | null;
}

export function Subscribers() {
  const [total, setTotal] = useState(0);
  const canExport = useCan('editor');
  const { rows, error, more } = useCursorList(async (after) => {
    const r = await api<{ subscribers: Subscriber[]; nextCursor: string | null; total: number }>(
      `/digest-subscribers?limit=100${after ? `&cursor=${after}` : ''}`,
    );
    setTotal(r.total);
    return { rows: r.subscribers, nextCursor: r.nextCursor };
  });

  return (
    <>
      <header className="page-head">
        <h1>Digest subscribers {rows && <span className="muted">({total})</span>}</h1>
        {canExport && <ExportLink href="/api/admin/digest-subscribers.csv">Export CSV</ExportLink>}
      </header>
      <ErrorNote error={error} />
      {rows && rows.length === 0 && (
        <p className="empty">Nobody has confirmed a daily-digest subscription yet (sign-ups count once their owner confirms by e-mail).</p>
      )}
      {rows && rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Consented</th>
              <th scope="col">Confirmed</th>
              <th scope="col">Signed up on</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id}>
                <td>{s.email}</td>
                <td>{dateTime(s.consentedAt)}</td>
                <td>{s.confirmedAt ? dateTime(s.confirmedAt) : ''}</td>
                <td>{s.sourcePage ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore more={more} />
    </>
  );
}
