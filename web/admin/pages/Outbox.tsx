import { useState } from 'react';
import { api } from '../api.js';
import { ErrorNote, LoadMore, dateTime, useCursorList } from '../ui.js';

interface Mail {
  id: number;
  kind: string;
  to: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'suppressed';
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  transport: 'smtp' | 'outbox' | null;
  subject: string | null;
  createdAt: string;
  sentAt: string | null;
}
interface MailDetail {
  id: number;
  text: string | null;
  headers: Record<string, string>;
  messageId: string | null;
}
interface Page {
  delivery: 'smtp' | 'outbox';
  counts: Record<string, number>;
  mails: Mail[];
  suppressions: { address: string; reason: string; since: string }[];
  nextCursor: string | null;
}

const STATUS: Record<Mail['status'], string> = {
  pending: 'waiting',
  sending: 'sending',
  sent: 'sent',
  failed: 'failed',
  suppressed: 'not sent (suppressed)',
};

/** Every mail the server queued: the built-in outbox without SMTP_URL, the sent log with it. */
export function Outbox() {
  const [head, setHead] = useState<Omit<Page, 'mails' | 'nextCursor'> | null>(null);
  const [open, setOpen] = useState<MailDetail | null>(null);
  const [detailError, setDetailError] = useState('');
  const { rows, error, more } = useCursorList(async (after) => {
    const r = await api<Page>(`/outbox?limit=50${after ? `&cursor=${after}` : ''}`);
    setHead({ delivery: r.delivery, counts: r.counts, suppressions: r.suppressions });
    return { rows: r.mails, nextCursor: r.nextCursor };
  });
  const show = async (id: number) => {
    try {
      setOpen(await api<MailDetail>(`/outbox/${id}`));
      setDetailError('');
    } catch (e) {
      setDetailError((e as Error).message);
    }
  };

  return (
    <>
      <header className="page-head">
        <h1>E-mail</h1>
      </header>
      {head && (
        <p className="muted">
          {head.delivery === 'outbox'
            ? 'SMTP_URL is not set: mail is not sent but kept here (the built-in outbox). Set SMTP_URL to deliver it.'
            : 'Mail is delivered over SMTP_URL. Failed attempts are retried with growing pauses.'}{' '}
          {Object.entries(head.counts)
            .map(([s, n]) => `${n} ${STATUS[s as Mail['status']] ?? s}`)
            .join(' · ')}
        </p>
      )}
      <ErrorNote error={error || detailError} />
      {rows && rows.length === 0 && <p className="empty">No e-mail yet.</p>}
      {rows && rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Queued</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.id}>
                <td>{dateTime(m.createdAt)}</td>
                <td>{m.to}</td>
                <td>
                  {m.subject ? (
                    <button type="button" className="link" onClick={() => void show(m.id)}>
                      {m.subject}
                    </button>
                  ) : (
                    <span className="muted">{m.kind}</span>
                  )}
                </td>
                <td>
                  {STATUS[m.status]}
                  {m.sentAt && m.status === 'sent' ? ` ${dateTime(m.sentAt)}` : ''}
                  {m.nextAttemptAt && m.attempts > 0 ? `, next try ${dateTime(m.nextAttemptAt)}` : ''}
                  {m.lastError && m.status !== 'sent' ? <div className="muted">{m.lastError}</div> : null}
                </td>
                <td>{m.attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore more={more} />
      {open && (
        <section aria-label="Mail" className="card">
          <h2>Mail #{open.id}</h2>
          {Object.keys(open.headers).length > 0 && (
            <ul className="muted">
              {Object.entries(open.headers).map(([k, v]) => (
                <li key={k}>
                  {k}: {v}
                </li>
              ))}
            </ul>
          )}
          <p>
            <a href={`/api/admin/outbox/${open.id}/html`} target="_blank" rel="noopener noreferrer">
              Open the HTML part
            </a>
          </p>
          <pre style={{ whiteSpace: 'pre-wrap' }}>{open.text}</pre>
        </section>
      )}
      {head && head.suppressions.length > 0 && (
        <section aria-label="Suppressed addresses">
          <h2>Suppressed addresses</h2>
          <p className="muted">A receiving server refused these addresses for good; nothing more is sent to them.</p>
          <ul>
            {head.suppressions.map((s) => (
              <li key={s.address}>
                {s.address}{' '}
                <span className="muted">
                  since {dateTime(s.since)}: {s.reason}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
