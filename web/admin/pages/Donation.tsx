import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import type { DonationDetail } from '../types.js';
import { Badge, ErrorNote, dateOnly, dateTime, giftDate, money } from '../ui.js';
import { OfflineGiftForm } from './OfflineGiftForm.js';

const KIND: Record<string, string> = {
  one_time: 'One-time payment',
  first: 'First monthly payment',
  renewal: 'Renewal',
  offline: 'Offline',
};

export function Donation({ id }: { id: string }) {
  const [g, setG] = useState<DonationDetail | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const canEdit = useCan('editor');

  useEffect(() => {
    api<DonationDetail>(`/donations/${id}`).then(setG, (e: Error) => setError(e.message));
  }, [id]);

  if (error) return <ErrorNote error={error} />;
  if (!g) return <p>Loading…</p>;
  const m = (n: number) => money(n, g.currency);

  const setVoided = async (voided: boolean) => {
    if (voided && !confirm('Void this offline gift? It will no longer count in the totals.')) return;
    setBusy(true);
    try {
      setG(await api<DonationDetail>(`/offline-donations/${g.id}`, { method: 'PATCH', body: { voided } }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <header className="page-head">
        <div>
          <p className="crumbs">
            <Link to={`/admin/campaigns/${g.campaign.slug}`}>{g.campaign.title}</Link> ›{' '}
            <Link to={`/admin/campaigns/${g.campaign.slug}/donations`}>Donations</Link> ›
          </p>
          <h1>
            {m(g.chargeAmount)} {g.name ? `from ${g.name}` : ''} <Badge status={g.status} />
          </h1>
        </div>
      </header>
      <div className="grid-2">
        <section className="card">
          <h2>Gift</h2>
          <dl className="kv">
            <dt>Donor</dt>
            <dd>
              {g.name ?? '—'}
              {g.anonymous && ' (asked to be anonymous)'}
            </dd>
            <dt>E-mail</dt>
            <dd>{g.email ?? '—'}</dd>
            <dt>Type</dt>
            <dd>{g.source === 'offline' ? 'Offline' : g.frequency === 'monthly' ? 'Monthly' : 'One-time'}</dd>
            <dt>Chosen amount</dt>
            <dd>{m(g.amount)}</dd>
            {g.feeAmount > 0 && (
              <>
                <dt>Fees covered</dt>
                <dd>{m(g.feeAmount)}</dd>
              </>
            )}
            <dt>Counted now</dt>
            <dd>{m(g.counted)}</dd>
            {g.refunded > 0 && (
              <>
                <dt>Refunded</dt>
                <dd>{m(g.refunded)}</dd>
              </>
            )}
            {g.disputed > 0 && (
              <>
                <dt>Disputed</dt>
                <dd>{m(g.disputed)}</dd>
              </>
            )}
            <dt>{g.source === 'offline' ? 'Received' : 'Started'}</dt>
            <dd>{giftDate(g)}</dd>
            {g.comment && (
              <>
                <dt>Comment</dt>
                <dd className="prewrap">{g.comment}</dd>
              </>
            )}
            {g.dedication && (
              <>
                <dt>Dedication</dt>
                <dd>
                  In {g.dedication.kind} of {g.dedication.name}
                </dd>
              </>
            )}
            {g.note && (
              <>
                <dt>Note</dt>
                <dd className="prewrap">{g.note}</dd>
              </>
            )}
          </dl>
        </section>
        {g.source === 'stripe' ? (
          <section className="card">
            <h2>Stripe</h2>
            <dl className="kv mono">
              <dt>Checkout session</dt>
              <dd>{g.stripe.checkoutSessionId ?? '—'}</dd>
              <dt>Payment intent</dt>
              <dd>{g.stripe.paymentIntentId ?? '—'}</dd>
              <dt>Customer</dt>
              <dd>{g.stripe.customerId ?? '—'}</dd>
              {g.stripe.subscriptionId && (
                <>
                  <dt>Subscription</dt>
                  <dd>
                    {g.stripe.subscriptionId} ({g.stripe.subscriptionStatus ?? 'unknown'})
                  </dd>
                </>
              )}
            </dl>
          </section>
        ) : canEdit ? (
          <section className="card">
            <h2>Correct this offline gift</h2>
            {g.giftStatus === 'voided' ? (
              <p>
                Voided {dateTime(g.voidedAt)}.{' '}
                <button type="button" disabled={busy} onClick={() => void setVoided(false)}>
                  Restore
                </button>
              </p>
            ) : (
              <>
                <OfflineGiftForm slug={g.campaign.slug} currency={g.currency} gift={g} onSaved={setG} />
                <p>
                  <button type="button" className="danger" disabled={busy} onClick={() => void setVoided(true)}>
                    Void gift
                  </button>
                </p>
              </>
            )}
          </section>
        ) : null}
      </div>
      <section className="card">
        <h2>Money movements</h2>
        {g.movements.length === 0 ? (
          <p className="empty">No money has arrived for this gift.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Paid</th>
                <th scope="col">Kind</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Counted
                </th>
                <th scope="col">Refunds and disputes</th>
                <th scope="col">Stripe fee, net and payout</th>
                <th scope="col">Stripe id</th>
              </tr>
            </thead>
            <tbody>
              {g.movements.map((p) => (
                <tr key={p.id}>
                  <td>{dateTime(p.paidAt)}</td>
                  <td>
                    {KIND[p.kind] ?? p.kind}
                    {!p.inWindow && <div className="muted">outside the campaign window</div>}
                    {p.voided && <div className="muted">voided</div>}
                  </td>
                  <td className="num">{money(p.amount, p.currency)}</td>
                  <td className="num">{money(p.counted.raised, p.currency)}</td>
                  <td>
                    {p.refunds.map((r) => (
                      <div key={r.chargeId}>
                        Refunded {money(r.amountRefunded, p.currency)} <span className="muted mono">{r.chargeId}</span>
                      </div>
                    ))}
                    {p.disputes.map((d) => (
                      <div key={d.disputeId}>
                        Dispute {money(d.amount, p.currency)}: {d.status.replaceAll('_', ' ')}{' '}
                        <span className="muted mono">{d.disputeId}</span>
                      </div>
                    ))}
                    {!p.refunds.length && !p.disputes.length && '—'}
                  </td>
                  <td>
                    {p.balance.map((b) => (
                      <div key={b.id}>
                        {b.type === 'charge' ? (
                          <>
                            Fee {money(b.fee, b.currency)}, net {money(b.net, b.currency)}
                          </>
                        ) : (
                          <>
                            {(b.category ?? b.type).replaceAll('_', ' ')} {money(b.net, b.currency)}
                          </>
                        )}
                        {b.payout ? (
                          <div className="muted">
                            paid out in <span className="mono">{b.payout.id}</span>
                            {b.payout.arrivalDate && <>, arriving {dateOnly(b.payout.arrivalDate)}</>}
                          </div>
                        ) : (
                          <div className="muted">not paid out yet</div>
                        )}
                      </div>
                    ))}
                    {!p.balance.length && (p.kind === 'offline' ? '—' : <span className="muted">not known yet</span>)}
                  </td>
                  <td className="mono">{p.paymentIntentId ?? p.sourceKey}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
