import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, ensureRecentAuth } from '../api.js';
import { useCan } from '../session.js';
import { ErrorNote, Field, dateTime, fieldProps, orgTimeZone, useApiForm } from '../ui.js';

interface Run {
  year: number;
  status: 'running' | 'paused' | 'done';
  perMinute: number;
  donors: number;
  queued: number;
  skipped: number;
  mail: Record<string, number>;
  createdAt: string;
  finishedAt: string | null;
}

const lastYear = () => Number(new Intl.DateTimeFormat('en-US', { timeZone: orgTimeZone(), year: 'numeric' }).format(new Date())) - 1;

/** Owners: send a year's statements to every donor and follow the mailing. */
function Mailings() {
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState('');
  const [year, setYear] = useState(String(lastYear()));
  const [perMinute, setPerMinute] = useState('60');
  const load = useCallback(() => {
    api<{ runs: Run[] }>('/statements/runs').then(
      (r) => setRuns(r.runs),
      (e: unknown) => setError((e as Error).message),
    );
  }, []);
  useEffect(() => {
    load();
    const t = setInterval(load, 5_000);
    return () => clearInterval(t);
  }, [load]);
  const form = useApiForm(async () => {
    await api('/statements/runs', { method: 'POST', body: { year: Number(year), perMinute: Number(perMinute) } });
    load();
    return `The ${year} statements are being sent.`;
  });
  const act = async (y: number, action: 'pause' | 'resume') => {
    try {
      await api(`/statements/runs/${y}/${action}`, { method: 'POST' });
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section className="card" aria-labelledby="mailings-title">
      <h2 id="mailings-title">Send a year’s statements</h2>
      <p>
        Every donor who gave in the year (in the organisation’s time zone) gets one e-mail with a link to their statement. The mailing goes
        at the pace you choose, continues after a restart, and never sends a donor the same year twice.
      </p>
      <form onSubmit={form.submit} noValidate className="inline-form">
        <Field label="Year" name="statement-year" error={form.errors.year}>
          <input
            {...fieldProps('statement-year', form.errors.year)}
            inputMode="numeric"
            value={year}
            onChange={(e) => setYear(e.target.value)}
          />
        </Field>
        <Field label="Mails per minute" name="statement-pace" error={form.errors.perMinute}>
          <input
            {...fieldProps('statement-pace', form.errors.perMinute)}
            inputMode="numeric"
            value={perMinute}
            onChange={(e) => setPerMinute(e.target.value)}
          />
        </Field>
        <button type="submit" className="primary">
          Send statements
        </button>
      </form>
      <ErrorNote error={form.general || error} />
      {form.done && <p role="status">{form.done}</p>}
      {runs && runs.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Year</th>
              <th scope="col">Status</th>
              <th scope="col">Donors</th>
              <th scope="col">Queued</th>
              <th scope="col">Sent</th>
              <th scope="col">Failed</th>
              <th scope="col">Nothing to send</th>
              <th scope="col">Started</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.year}>
                <td>{r.year}</td>
                <td>
                  {r.status === 'done'
                    ? `All queued ${dateTime(r.finishedAt)}`
                    : r.status === 'paused'
                      ? 'Paused'
                      : `Sending, ${r.perMinute}/min`}
                </td>
                <td>{r.donors}</td>
                <td>{r.queued}</td>
                <td>{r.mail.sent ?? 0}</td>
                <td>{(r.mail.failed ?? 0) + (r.mail.suppressed ?? 0)}</td>
                <td>{r.skipped}</td>
                <td>{dateTime(r.createdAt)}</td>
                <td>
                  {r.status === 'running' && (
                    <button type="button" onClick={() => void act(r.year, 'pause')}>
                      Pause
                    </button>
                  )}
                  {r.status === 'paused' && (
                    <button type="button" onClick={() => void act(r.year, 'resume')}>
                      Resume
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Editors and owners: one donor's statement, e.g. to answer a donor who asks for it. */
function DonorStatement() {
  const [email, setEmail] = useState('');
  const [year, setYear] = useState(String(lastYear()));
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      await ensureRecentAuth();
    } catch {
      return;
    }
    if (!/^\d{4}$/.test(year)) return setError('Enter a year such as 2026.');
    location.assign(`/api/admin/statements/${year}/pdf?email=${encodeURIComponent(email.trim())}`);
  };
  return (
    <section className="card" aria-labelledby="donor-statement-title">
      <h2 id="donor-statement-title">One donor’s statement</h2>
      <form onSubmit={submit} className="inline-form">
        <Field label="Donor e-mail" name="donor-email">
          <input {...fieldProps('donor-email')} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Year" name="donor-year">
          <input {...fieldProps('donor-year')} inputMode="numeric" value={year} onChange={(e) => setYear(e.target.value)} />
        </Field>
        <button type="submit">Download PDF</button>
      </form>
      <ErrorNote error={error} />
    </section>
  );
}

export function Statements() {
  const owner = useCan('owner');
  const editor = useCan('editor');
  return (
    <>
      <header className="page-head">
        <h1>Annual giving statements</h1>
      </header>
      {!editor && <p className="empty">Statements hold donor data: editors and owners can download them, owners send them.</p>}
      {owner && <Mailings />}
      {editor && <DonorStatement />}
    </>
  );
}
