import { type FormEvent, Suspense, lazy, useCallback, useEffect, useState } from 'react';
import { LOCALES } from '../../../common/i18n.js';
import { api, fieldErrors } from '../api.js';
import { useCan } from '../session.js';
import { ErrorNote, Field, fieldProps, money } from '../ui.js';

// recharts loads when the funnel is first drawn, not with the console.
const FunnelChart = lazy(() => import('./FunnelChart.js'));

interface Figures {
  impressions: number;
  opens: number;
  checkouts: number;
  paid: number;
  revenue: number;
  openRate: number | null;
  conversion: number | null;
  rpm: number | null;
  diff: { estimate: number; low: number; high: number } | null;
  enoughData: boolean;
}
export interface VariantRow extends Figures {
  id: string;
  name: string;
  headline: string | null;
  message: string | null;
  button: string | null;
  locale: string | null;
  weight: number;
  control: boolean;
  status: 'active' | 'stopped';
}
interface FunnelDay {
  day: string;
  impressions: number;
  opens: number;
  checkouts: number;
  paid: number;
  revenue: number;
}
interface Report {
  currency: string;
  timeZone: string;
  method: string;
  variants: VariantRow[];
  noVariant: Figures | null;
  funnel: { timeZone: string; origins: string[]; days: FunnelDay[] };
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`);

/**
 * The campaign's copy variants (SPEC §13 "Variants") and its funnel (impressions → opens →
 * checkouts → paid), loaded with import() when a dashboard shows it.
 */
export default function Variants({ slug }: { slug: string }) {
  const [r, setR] = useState<Report | null>(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState<VariantRow | 'new' | null>(null);
  const canEdit = useCan('editor');
  const load = useCallback(() => api<Report>(`/campaigns/${slug}/variants`).then(setR, (e: Error) => setError(e.message)), [slug]);
  useEffect(() => void load(), [load]);

  if (error) return <ErrorNote error={error} />;
  if (!r) return <p className="muted">Loading variants…</p>;
  const m = (n: number | null) => (n === null ? '—' : money(Math.round(n), r.currency));
  const act = async (path: string, body?: unknown, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return;
    try {
      setR(await api<Report>(path, { method: body ? 'PATCH' : 'POST', ...(body !== undefined && { body }) }));
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <>
      <section className="card" aria-labelledby="variants-title">
        <h2 id="variants-title">Variants</h2>
        {r.variants.length === 0 ? (
          <p className="empty">No variants: every reader sees the campaign's own copy.</p>
        ) : (
          <table className="table" data-testid="variants-table">
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col">Impressions</th>
                <th scope="col">Opens</th>
                <th scope="col">Open rate</th>
                <th scope="col">Checkouts</th>
                <th scope="col">Paid</th>
                <th scope="col">Conversion</th>
                <th scope="col">Revenue / 1,000</th>
                <th scope="col">vs control (95%)</th>
                {canEdit && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {r.variants.map((v) => (
                <tr key={v.id} data-variant={v.id}>
                  <th scope="row">
                    {v.name}
                    {v.control && <span className="badge"> control</span>}
                    {v.status === 'stopped' && <span className="badge badge-ended"> stopped</span>}
                    <br />
                    <small className="muted">
                      weight {v.weight}
                      {v.locale && ` · ${v.locale} only`}
                      {v.headline && ` · “${v.headline}”`}
                      {v.button && ` · button “${v.button}”`}
                    </small>
                  </th>
                  <td>{v.impressions}</td>
                  <td>{v.opens}</td>
                  <td>{pct(v.openRate)}</td>
                  <td>{v.checkouts}</td>
                  <td>{v.paid}</td>
                  <td>{pct(v.conversion)}</td>
                  <td data-testid="rpm">{m(v.rpm)}</td>
                  <td>
                    {v.control ? (
                      '—'
                    ) : v.diff ? (
                      <>
                        {v.diff.estimate >= 0 ? '+' : ''}
                        {m(v.diff.estimate)} ({m(v.diff.low)} to {m(v.diff.high)})
                      </>
                    ) : (
                      '—'
                    )}
                    {!v.enoughData && (
                      <>
                        <br />
                        <small className="muted" data-testid="not-enough">
                          not enough data
                        </small>
                      </>
                    )}
                  </td>
                  {canEdit && (
                    <td className="actions">
                      <button type="button" className="link" onClick={() => setEditing(v)}>
                        Edit
                      </button>
                      {v.status === 'active' ? (
                        <button
                          type="button"
                          className="link"
                          onClick={() => void act(`/campaigns/${slug}/variants/${v.id}`, { status: 'stopped' })}
                        >
                          Stop
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="link"
                          onClick={() => void act(`/campaigns/${slug}/variants/${v.id}`, { status: 'active' })}
                        >
                          Restart
                        </button>
                      )}
                      <button
                        type="button"
                        className="link"
                        onClick={() =>
                          void act(`/campaigns/${slug}/variants/${v.id}/keep`, undefined, `Keep “${v.name}” and stop every other variant?`)
                        }
                      >
                        Keep winner
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {r.noVariant && (
          <p className="muted">
            Readers without a variant (the campaign's own copy): {r.noVariant.impressions} impressions, {r.noVariant.paid} paid,{' '}
            {m(r.noVariant.rpm)} per 1,000.
          </p>
        )}
        <p className="muted hint" data-testid="variants-method">
          {r.method} Days are counted in {r.timeZone}.
        </p>
        {canEdit &&
          (editing ? (
            <VariantForm
              slug={slug}
              variant={editing === 'new' ? null : editing}
              onDone={(next) => {
                setEditing(null);
                if (next) setR(next);
              }}
            />
          ) : (
            <p>
              <button type="button" onClick={() => setEditing('new')}>
                Add a variant
              </button>
            </p>
          ))}
      </section>
      <Funnel slug={slug} report={r} />
    </>
  );
}

function VariantForm({ slug, variant, onDone }: { slug: string; variant: VariantRow | null; onDone: (r: Report | null) => void }) {
  const [v, setV] = useState({
    name: variant?.name ?? '',
    headline: variant?.headline ?? '',
    message: variant?.message ?? '',
    button: variant?.button ?? '',
    locale: variant?.locale ?? '',
    weight: String(variant?.weight ?? 1),
    control: variant?.control ?? false,
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState('');
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => setV((s) => ({ ...s, [k]: e.target.value }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const weight = Number(v.weight);
    if (!Number.isInteger(weight) || weight < 0) return setErrors({ weight: 'A whole number, 0 or more' });
    const body = {
      name: v.name.trim(),
      headline: v.headline.trim() || null,
      message: v.message.trim() || null,
      button: v.button.trim() || null,
      locale: v.locale || null,
      weight,
      control: v.control,
    };
    try {
      onDone(
        variant
          ? await api<Report>(`/campaigns/${slug}/variants/${variant.id}`, { method: 'PATCH', body })
          : await api<Report>(`/campaigns/${slug}/variants`, { method: 'POST', body }),
      );
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(fe.fields);
      setGeneral(fe.general);
    }
  };
  return (
    <form onSubmit={submit} aria-label={variant ? `Edit variant ${variant.name}` : 'New variant'} noValidate>
      <h3>{variant ? `Edit “${variant.name}”` : 'New variant'}</h3>
      <Field label="Name (only the admin sees it)" name="name" error={errors.name}>
        <input {...fieldProps('name', errors.name)} value={v.name} onChange={set('name')} required maxLength={80} />
      </Field>
      <Field label="Headline" name="headline" error={errors.headline} hint="Empty: the campaign's headline">
        <input {...fieldProps('headline', errors.headline)} value={v.headline} onChange={set('headline')} maxLength={200} />
      </Field>
      <Field label="Message" name="message" error={errors.message} hint="Empty: the campaign's message">
        <textarea {...fieldProps('message', errors.message)} value={v.message} onChange={set('message')} rows={3} maxLength={2000} />
      </Field>
      <Field label="Button text" name="button" error={errors.button} hint="Empty: “Donate” in the reader's language">
        <input {...fieldProps('button', errors.button)} value={v.button} onChange={set('button')} maxLength={40} />
      </Field>
      <Field label="Language" name="locale" error={errors.locale} hint="Shown only to readers of this language">
        <select {...fieldProps('locale', errors.locale)} value={v.locale} onChange={set('locale')}>
          <option value="">Every language</option>
          {LOCALES.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Weight" name="weight" error={errors.weight} hint="Its share of readers, relative to the other active variants">
        <input {...fieldProps('weight', errors.weight)} value={v.weight} onChange={set('weight')} inputMode="numeric" />
      </Field>
      <label>
        <input type="checkbox" checked={v.control} onChange={(e) => setV((s) => ({ ...s, control: e.target.checked }))} /> The control (the
        others are compared with it)
      </label>
      <ErrorNote error={general} />
      <p className="actions">
        <button type="submit">{variant ? 'Save' : 'Add variant'}</button>
        <button type="button" className="link" onClick={() => onDone(null)}>
          Cancel
        </button>
      </p>
    </form>
  );
}

function Funnel({ slug, report }: { slug: string; report: Report }) {
  const [variant, setVariant] = useState('');
  const [origin, setOrigin] = useState('');
  const [days, setDays] = useState(report.funnel.days);
  useEffect(() => {
    if (!variant && !origin) return setDays(report.funnel.days);
    const q = new URLSearchParams({ ...(variant && { variant }), ...(origin && { origin }) });
    api<Report['funnel']>(`/campaigns/${slug}/funnel?${q}`).then(
      (f) => setDays(f.days),
      () => setDays([]),
    );
  }, [slug, variant, origin, report]);
  const sum = days.reduce(
    (a, d) => ({
      impressions: a.impressions + d.impressions,
      opens: a.opens + d.opens,
      checkouts: a.checkouts + d.checkouts,
      paid: a.paid + d.paid,
    }),
    {
      impressions: 0,
      opens: 0,
      checkouts: 0,
      paid: 0,
    },
  );
  return (
    <section className="card" aria-labelledby="funnel-title">
      <h2 id="funnel-title">Funnel per day</h2>
      <p className="muted">
        Impressions → dialog opens → checkouts started → paid (first payments). Aggregated counters only: no addresses, cookies or page
        addresses are kept. Days in {report.funnel.timeZone}.
      </p>
      <p className="actions">
        <label>
          Variant{' '}
          <select value={variant} onChange={(e) => setVariant(e.target.value)} aria-label="Filter by variant">
            <option value="">All</option>
            <option value="none">No variant</option>
            {report.variants.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Site{' '}
          <select value={origin} onChange={(e) => setOrigin(e.target.value)} aria-label="Filter by site">
            <option value="">All</option>
            {report.funnel.origins.map((o) => (
              <option key={o} value={o}>
                {o === 'direct' ? 'Our own pages / direct' : o}
              </option>
            ))}
          </select>
        </label>
      </p>
      <p data-testid="funnel-totals">
        {sum.impressions} impressions → {sum.opens} opens → {sum.checkouts} checkouts → {sum.paid} paid
      </p>
      {days.length === 0 ? (
        <p className="empty">Nothing counted yet.</p>
      ) : (
        <div className="chart" role="img" aria-label={`Funnel per day, ${days.length} days`}>
          <Suspense fallback={<p className="muted">Loading the chart…</p>}>
            <FunnelChart data={days} />
          </Suspense>
        </div>
      )}
    </section>
  );
}
