import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { Link } from '../router.js';
import type { WebhookHealth } from '../types.js';
import { ErrorNote, dateTime } from '../ui.js';

/** "8 minutes", "3 hours", "2 days": how long ago, for people. */
export function ago(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} hours`;
  return `${Math.round(seconds / 86400)} days`;
}

/** The warning every page that shows money carries when webhooks seem not to arrive. */
export function SilenceWarning() {
  const [warning, setWarning] = useState<string | null>(null);
  useEffect(() => {
    api<WebhookHealth>('/health?endpoint=false').then(
      (h) => setWarning(h.silence.warning),
      () => setWarning(null),
    );
  }, []);
  if (!warning) return null;
  return (
    <p className="error-note" role="alert">
      {warning} <Link to="/admin/health">Webhook health</Link>
    </p>
  );
}

/** Webhook health (SPEC §12): is money flowing in? */
export function Health() {
  const [h, setH] = useState<WebhookHealth | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<WebhookHealth>('/health').then(setH, (e: Error) => setError(e.message));
  }, []);
  const w = h?.webhooks;
  const e = h?.endpoint;
  const run = h?.reconciliation.last;
  const peak = Math.max(1, ...(w?.eventsPerHour.map((x) => x.count) ?? [1]));
  return (
    <>
      <header className="page-head">
        <h1>Webhook health</h1>
      </header>
      <ErrorNote error={error} />
      {!h && !error && <p>Loading…</p>}
      {h && w && (
        <>
          {h.silence.warning && (
            <p className="error-note" role="alert">
              {h.silence.warning}
            </p>
          )}
          <section className="card">
            <h2>Events from Stripe</h2>
            <dl className="kv">
              <dt>Last event received</dt>
              <dd>
                {w.lastEventAt ? (
                  <>
                    {dateTime(w.lastEventAt)} ({ago(w.lastEventAgeSeconds ?? 0)} ago, <span className="mono">{w.lastEventType}</span>)
                  </>
                ) : (
                  'none yet'
                )}
              </dd>
              <dt>Events in the last hour</dt>
              <dd>{w.eventsLastHour}</dd>
              <dt>Warning threshold</dt>
              <dd>
                no event for {h.silence.thresholdMinutes} minutes while checkouts start ({h.silence.checkoutsSinceLastEvent} started since
                the last event)
              </dd>
            </dl>
            <div
              className="bars"
              role="img"
              aria-label={`Events per hour over the last 24 hours: ${w.eventsPerHour.map((x) => x.count).join(', ')}`}
            >
              {w.eventsPerHour.map((x) => (
                <span key={x.hour} title={`${dateTime(x.hour)}: ${x.count}`} style={{ height: `${Math.round((100 * x.count) / peak)}%` }} />
              ))}
            </div>
          </section>
          <section className="card">
            <h2>Webhook endpoint</h2>
            {e?.error ? (
              <p className="error-note">Stripe could not be asked: {e.error}</p>
            ) : e && !e.found ? (
              <p className="error-note">
                No endpoint for <span className="mono">{e.url}</span>. Run <code>npm run stripe:setup</code> and set STRIPE_WEBHOOK_SECRET.
              </p>
            ) : e ? (
              <dl className="kv">
                <dt>Endpoint</dt>
                <dd>
                  <span className="mono">{e.id}</span> → <span className="mono">{e.url}</span> ({e.status})
                </dd>
                <dt>API version</dt>
                <dd>
                  {e.apiVersion ?? 'account default'}{' '}
                  {e.matchesPinned ? (
                    <span className="muted">(the version this server is built for)</span>
                  ) : (
                    <strong>
                      differs from {e.pinnedVersion}: run <code>npm run stripe:setup</code>
                    </strong>
                  )}
                </dd>
                {!!e.missingEvents?.length && (
                  <>
                    <dt>Events not sent to us</dt>
                    <dd>
                      <strong>{e.missingEvents.join(', ')}</strong> (run <code>npm run stripe:setup</code>)
                    </dd>
                  </>
                )}
              </dl>
            ) : null}
          </section>
          <section className="card">
            <h2>Reconciliation</h2>
            {!run ? (
              <p className="empty">No reconciliation has run yet (the server runs one every hour; npm run reconcile for any period).</p>
            ) : (
              <>
                <p>
                  Last run {dateTime(run.startedAt)} ({run.trigger === 'cli' ? 'command line' : 'schedule'}), covering {dateTime(run.since)}{' '}
                  to {dateTime(run.until)}:{' '}
                  {run.status === 'failed'
                    ? `failed: ${run.error}`
                    : run.status === 'running'
                      ? 'still running'
                      : `recovered ${run.recovered}`}
                  .
                </p>
                {run.lines.length > 0 && (
                  <ul className="mono changes">
                    {run.lines.map((l) => (
                      <li key={l}>{l}</li>
                    ))}
                  </ul>
                )}
              </>
            )}
          </section>
          <section className="card">
            <h2>Events that could not be applied ({w.notApplied.count})</h2>
            {w.notApplied.events.length === 0 ? (
              <p className="empty">None: every event received was applied.</p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Event</th>
                    <th scope="col">Why</th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {w.notApplied.events.map((x) => (
                    <tr key={x.id}>
                      <td>{dateTime(x.receivedAt)}</td>
                      <td>
                        <span className="mono">{x.type}</span>
                        <div className="muted mono">{x.id}</div>
                      </td>
                      <td>{x.reason ?? x.status}</td>
                      <td className="num">{x.attempts}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </>
  );
}
