import { useEffect, useState } from 'react';
import { formatMoney } from '../../common/money.js';
import { rich } from '../components/rich.js';
import { ApiError, type CheckoutSessionStatus, fetchCheckoutStatus } from '../lib/api.js';
import type { Lang, T } from '../lib/i18n.js';
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
function ThanksPage({ sessionId, t, l }: { sessionId: string; t: T; l: Lang }) {
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

  if (view.kind === 'loading') return <p role="status">{t('checking')}</p>;
  if (view.kind === 'missing') {
    return (
      <>
        <h1>{t('missingTitle')}</h1>
        <p>{t('missingText')}</p>
        <p>
          <a href="/">{t('frontPage')}</a>
        </p>
      </>
    );
  }
  if (view.kind === 'error') {
    return <p role="alert">{t('keepTrying', { error: view.message })}</p>;
  }
  const { s } = view;
  const money = (n: number) => formatMoney(n, s.currency, { exact: true, locale: l.tag });
  const fees = s.chargeAmount - s.amount;
  const monthly = s.frequency === 'monthly';
  const parts = { amount: money(s.chargeAmount), campaign: <strong>{s.campaign.title}</strong>, fees: money(fees) };
  const back = `/donate/${encodeURIComponent(s.campaign.slug)}`;
  const from = returnLink();
  // The way back carries a one-shot marker that embed.js reads and removes (lib/gave.ts): the
  // banner on that page then thanks the reader instead of asking again (SPEC §13).
  const cameFrom = from && { ...from, href: `${from.href.replace(/#.*$/, '')}#${MARKER}=${encodeURIComponent(s.campaign.slug)}` };
  if (s.status === 'paid') {
    return (
      <section className="status ok" role="status">
        <h1>{t('thankYou')}</h1>
        <p>
          {rich(t(monthly ? (fees > 0 ? 'confirmedMonthlyFees' : 'confirmedMonthly') : fees > 0 ? 'confirmedFees' : 'confirmed'), parts)}
        </p>
        {s.frequency === 'monthly' ? (
          <>
            <p>{t('renews')}</p>
            {s.manageUrl ? (
              <p>
                <a id="manage-gift" href={s.manageUrl}>
                  {t('manage')}
                </a>{' '}
                {t('manageNote')}
              </p>
            ) : null}
          </>
        ) : null}
        {s.receipt ? <p>{t(monthly ? 'receiptMonthly' : 'receipt')}</p> : <p>{t('noReceipt')}</p>}
        <p>{cameFrom ? <a href={cameFrom.href}>{t('backTo', { host: cameFrom.host })}</a> : <a href="/">{t('frontPage')}</a>}</p>
      </section>
    );
  }
  if (s.status === 'processing' || s.status === 'pending') {
    return (
      <section className="status" role="status" aria-live="polite">
        <h1>{t('thankYou')}</h1>
        <p>
          {s.status === 'processing' && !view.gaveUp ? <span className="spinner" aria-hidden="true" /> : null}
          {rich(t(monthly ? 'processingMonthly' : 'processing'), parts)}{' '}
          {s.status === 'pending' ? t('pendingBank') : view.gaveUp ? t('slow') : t('fewSeconds')}
        </p>
        {cameFrom ? (
          <p>
            <a href={cameFrom.href}>{t('backTo', { host: cameFrom.host })}</a>
          </p>
        ) : null}
      </section>
    );
  }
  return (
    <section className="status" role="alert">
      <h1>{s.status === 'expired' ? t('expired') : t('failed')}</h1>
      <p>{t('nothingCharged')}</p>
      <p>
        <a className="btn accent" href={back}>
          {t('tryAgain')}
        </a>
      </p>
    </section>
  );
}

mountPage('app', (t, l) => {
  document.title = t('thanksTitle');
  return <ThanksPage sessionId={new URLSearchParams(location.search).get('session_id') ?? ''} t={t} l={l} />;
});
