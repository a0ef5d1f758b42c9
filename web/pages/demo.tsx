import { useEffect, useId, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, type PublicDonor, fetchDonors, subscribeDigest } from '../lib/api.js';
import { subscribeProgress } from '../lib/live.js';
import { formatMoney } from '../../common/money.js';
import { API } from './shared.js';
import './pages.css';

const slug = document.querySelector<HTMLMetaElement>('meta[name="groundswell-campaign"]')?.content ?? '';

function ago(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (s < 60) return 'just now';
  if (s < 3600) return rtf.format(-Math.floor(s / 60), 'minute');
  if (s < 86400) return rtf.format(-Math.floor(s / 3600), 'hour');
  return rtf.format(-Math.floor(s / 86400), 'day');
}

/** Donor-supplied text is only ever rendered as text nodes (SPEC §7): React escapes it. */
function DonorWall() {
  const [donors, setDonors] = useState<PublicDonor[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let alive = true;
    // After a change the wall must not come from the HTTP cache (the list is cacheable for 10 s).
    const load = (fresh = false) =>
      fetchDonors(API, slug, 8, fresh ? { cache: 'no-cache' } : undefined)
        .then((r) => alive && (setDonors(r.donors), setError('')))
        .catch((e: Error) => alive && setError(e.message));
    void load();
    // A new gift moves the totals: reload the wall then (the live feed is shared with the banner's logic).
    let last = -1;
    const stop = subscribeProgress(API, slug, (p) => {
      if (last !== -1 && p.donations !== last) void load(true);
      last = p.donations;
    });
    return () => {
      alive = false;
      stop();
    };
  }, []);
  if (error) return <p>{error}</p>;
  if (!donors) return <p>Loading…</p>;
  if (!donors.length) return <p>Be the first to give to this campaign.</p>;
  return (
    <ul className="donors" aria-live="polite">
      {donors.map((d, i) => (
        <li key={`${d.at}-${i}`}>
          <span className="who">{d.name}</span> gave <span className="amt">{formatMoney(d.amount, d.currency)}</span>
          {d.frequency === 'monthly' ? ' a month' : ''}
          {d.dedication ? (
            <div className="ded">
              {d.dedication.kind === 'honor' ? 'In honor of ' : 'In memory of '}
              {d.dedication.name}
            </div>
          ) : null}
          {d.comment ? <blockquote>“{d.comment}”</blockquote> : null}
          <div className="when">
            <time dateTime={d.at}>{ago(d.at)}</time>
          </div>
        </li>
      ))}
    </ul>
  );
}

function DigestForm() {
  const id = useId();
  const [email, setEmail] = useState('');
  const [consent, setConsent] = useState(false);
  const [state, setState] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!consent) return setState({ ok: false, text: 'Please tick the box to agree to receive the digest.' });
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) return setState({ ok: false, text: 'Enter a valid e-mail address.' });
    setBusy(true);
    try {
      const r = await subscribeDigest(API, email.trim());
      setState({ ok: true, text: r.message });
      setEmail('');
      setConsent(false);
    } catch (err) {
      setState({ ok: false, text: err instanceof ApiError ? err.message : 'Something went wrong; please try again.' });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} noValidate>
      <p style={{ margin: 0 }}>The day's stories in your inbox at 7 am. Free, and one click to leave.</p>
      <label className="field" htmlFor={`${id}-email`}>
        E-mail address
      </label>
      <input
        id={`${id}-email`}
        type="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail((e.target as HTMLInputElement).value)}
      />
      <label className="consent">
        <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} />
        <span>I agree to receive the daily digest by e-mail and know I can unsubscribe at any time.</span>
      </label>
      <button className="btn" type="submit" disabled={busy}>
        Sign up
      </button>
      <div role="status" aria-live="polite">
        {state ? <p className={state.ok ? 'msg-ok' : 'msg-err'}>{state.text}</p> : null}
      </div>
    </form>
  );
}

for (const [elId, node] of [
  ['donor-wall', <DonorWall key="w" />],
  ['digest', <DigestForm key="d" />],
] as const) {
  const el = document.getElementById(elId);
  if (el) createRoot(el).render(node);
}
