import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { ErrorNote, Field, dateTime, fieldProps, useApiForm } from '../ui.js';

type Counts = Record<string, number>;
const LABELS: Record<string, string> = {
  gifts: 'gifts',
  payments: 'payments',
  stripeEvents: 'stored Stripe events',
  parkedEvents: 'waiting Stripe events',
  mails: 'e-mails',
  subscribers: 'digest subscriptions',
  pledges: 'pledges',
  auditEntries: 'audit entries',
};
const describe = (c: Counts) =>
  Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${LABELS[k] ?? k}`)
    .join(', ') || 'nothing';

/**
 * Owners erase a donor who asked to be forgotten: look first, then type the address again.
 * Amounts and totals stay; the donor's name, address and texts go.
 */
export function Erasure() {
  const [email, setEmail] = useState('');
  const [confirm, setConfirm] = useState('');
  const [found, setFound] = useState<Counts | null>(null);
  const [past, setPast] = useState<{ pseudonym: string; counts: Counts; at: string }[] | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ erasures: { pseudonym: string; counts: Counts; at: string }[] }>('/erasures').then(
      (r) => setPast(r.erasures),
      (e: unknown) => setError((e as Error).message),
    );
  useEffect(() => void load(), []);

  const look = useApiForm(async () => {
    setFound((await api<{ found: Counts }>('/erasures/preview', { method: 'POST', body: { email } })).found);
    return '';
  });
  const erase = useApiForm(async () => {
    const r = await api<{ pseudonym: string; counts: Counts }>('/erasures', { method: 'POST', body: { email, confirm } });
    setFound(null);
    setEmail('');
    setConfirm('');
    void load();
    return `Erased: ${describe(r.counts)} now belong to ${r.pseudonym}.`;
  });

  return (
    <>
      <header className="page-head">
        <h1>Erase a donor</h1>
      </header>
      <section className="card">
        <p>
          When a donor asks to be forgotten, erase them here. Their name, e-mail address, comments and dedications are removed from gifts,
          stored Stripe events, e-mails and the digest list. Amounts, receipt numbers and totals stay exactly as they are, under a
          pseudonym. Stripe keeps its own copy of the payment details: erase the customer in Stripe too.
        </p>
        <form onSubmit={look.submit} noValidate className="inline-form">
          <Field label="Donor e-mail" name="erase-email" error={look.errors.email}>
            <input
              {...fieldProps('erase-email', look.errors.email)}
              type="email"
              value={email}
              onChange={(e) => {
                setEmail(e.target.value);
                setFound(null);
              }}
            />
          </Field>
          <button type="submit">Look up</button>
        </form>
        <ErrorNote error={look.general || error} />
        {found && Object.values(found).every((n) => n === 0) && <p role="status">Nothing is stored under this address.</p>}
        {found && Object.values(found).some((n) => n > 0) && (
          <form onSubmit={erase.submit} noValidate>
            <p>Stored under this address: {describe(found)}.</p>
            <Field label="Type the address again to erase" name="erase-confirm" error={erase.errors.confirm ?? erase.errors.email}>
              <input
                {...fieldProps('erase-confirm', erase.errors.confirm)}
                type="email"
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
              />
            </Field>
            <button type="submit" className="danger">
              Erase this donor
            </button>
          </form>
        )}
        <ErrorNote error={erase.general} />
        {erase.done && <p role="status">{erase.done}</p>}
      </section>
      {past && past.length > 0 && (
        <section className="card">
          <h2>Past erasures</h2>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Pseudonym</th>
                <th scope="col">What changed</th>
              </tr>
            </thead>
            <tbody>
              {past.map((p) => (
                <tr key={p.pseudonym}>
                  <td>{dateTime(p.at)}</td>
                  <td className="mono">{p.pseudonym}</td>
                  <td>{describe(p.counts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
