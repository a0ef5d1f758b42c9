import { useEffect, useState } from 'react';
import { ApiError, type CheckoutSessionStatus, fetchCheckoutStatus } from '../lib/api.js';
import { formatMoney } from '../../common/money.js';
import { MARKER } from '../lib/gave.js';
import { API, mountPage, returnLink } from './shared.js';

type View =
  | { kind: 'loading' }
  | { kind: 'missing' }
  | { kind: 'error'; message: string }
  | { kind: 'status'; s: CheckoutSessionStatus; gaveUp?: boolean };

/**
 * /thanks?session_id=… — Checkout's success_url. Arriving here is not proof of payment (anyone
 * can open the URL, and the webhook may land after the redirect): the page asks our ledger and
 * says "processing" until the payment is recorded.
 */
function ThanksPage({ sessionId }: { sessionId: string }) {
  const [view, setView] = useState<View>({ kind: 'loading' });

  useEffect(() => {
    if (!sessionId) {
      setView({ kind: 'missing' });
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const started = Date.now();
    const tick = async () => {
      try {
        const s = await fetchCheckoutStatus(API, sessionId);
        if (stopped) return;
        const waiting = s.status === 'processing';
        const elapsed = Date.now() - started;
        const gaveUp = waiting && elapsed > 10 * 60_000;
        setView({ kind: 'status', s, gaveUp });
        // Webhooks usually land within seconds; poll fast at first, then back off.
        if (waiting && !gaveUp) timer = setTimeout(tick, elapsed < 30_000 ? 1000 : 5000);
        if (s.status === 'pending' && elapsed < 10 * 60_000) timer = setTimeout(tick, 15_000);
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.status === 404) setView({ kind: 'missing' });
        else {
          setView({ kind: 'error', message: (e as Error).message });
          timer = setTimeout(tick, 5000);
        }
      }
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [sessionId]);

  if (view.kind === 'loading') return <p role="status">Checking your donation…</p>;
  if (view.kind === 'missing') {
    return (
      <>
        <h1>We could not find this donation</h1>
        <p>If you completed a payment, you will receive a receipt by e-mail. Nothing is charged twice.</p>
        <p>
          <a href="/">Back to the front page</a>
        </p>
      </>
    );
  }
  if (view.kind === 'error') {
    return <p role="alert">{view.message} We keep trying…</p>;
  }
  const { s } = view;
  const charged = formatMoney(s.chargeAmount, s.currency, { exact: true });
  const fees = s.chargeAmount - s.amount;
  const gift = s.frequency === 'monthly' ? `monthly gift of ${charged}` : `gift of ${charged}`;
  const back = `/donate/${encodeURIComponent(s.campaign.slug)}`;
  const from = returnLink();
  // The way back carries a one-shot marker that embed.js reads and removes (lib/gave.ts): the
  // banner on that page then thanks the reader instead of asking again (SPEC §13).
  const cameFrom = from && { ...from, href: `${from.href.replace(/#.*$/, '')}#${MARKER}=${encodeURIComponent(s.campaign.slug)}` };
  if (s.status === 'paid') {
    return (
      <section className="status ok" role="status">
        <h1>Thank you!</h1>
        <p>
          Your {gift} to <strong>{s.campaign.title}</strong> is confirmed
          {fees > 0 ? ` (including ${formatMoney(fees, s.currency, { exact: true })} to help cover processing fees)` : ''}.
        </p>
        {s.frequency === 'monthly' ? (
          <>
            <p>It renews every month until you cancel.</p>
            {s.manageUrl ? (
              <p>
                <a id="manage-gift" href={s.manageUrl}>
                  Manage your monthly gift
                </a>{' '}
                (change the amount, update your card or cancel at any time; the same link is in every receipt).
              </p>
            ) : null}
          </>
        ) : null}
        {s.receipt ? (
          <p>
            A receipt is on its way to the e-mail address you gave at checkout
            {s.frequency === 'monthly' ? ', and each month’s payment brings its own' : ''}.
          </p>
        ) : (
          <p>No e-mail address came with this payment, so no receipt can be sent: keep this page for your records.</p>
        )}
        <p>{cameFrom ? <a href={cameFrom.href}>Back to {cameFrom.host}</a> : <a href="/">Back to the front page</a>}</p>
      </section>
    );
  }
  if (s.status === 'processing' || s.status === 'pending') {
    return (
      <section className="status" role="status" aria-live="polite">
        <h1>Thank you!</h1>
        <p>
          {s.status === 'processing' && !view.gaveUp ? <span className="spinner" aria-hidden="true" /> : null}
          Your {gift} to <strong>{s.campaign.title}</strong> is processing.{' '}
          {s.status === 'pending'
            ? 'Your bank is still confirming the payment; it counts as soon as it clears, and you will get a receipt by e-mail.'
            : view.gaveUp
              ? 'This is taking longer than usual; you will get a receipt by e-mail once it is confirmed.'
              : 'This usually takes a few seconds.'}
        </p>
        {cameFrom ? (
          <p>
            <a href={cameFrom.href}>Back to {cameFrom.host}</a>
          </p>
        ) : null}
      </section>
    );
  }
  return (
    <section className="status" role="alert">
      <h1>{s.status === 'expired' ? 'This checkout has expired' : 'The payment did not go through'}</h1>
      <p>Nothing was charged for this attempt.</p>
      <p>
        <a className="btn accent" href={back}>
          Try again
        </a>
      </p>
    </section>
  );
}

mountPage('app', <ThanksPage sessionId={new URLSearchParams(location.search).get('session_id') ?? ''} />);
