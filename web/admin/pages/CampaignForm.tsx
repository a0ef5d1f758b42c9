import { type FormEvent, useEffect, useState } from 'react';
import { api, fieldErrors } from '../api.js';
import { CURRENCY_CODES, parseMoney, parsePercent, parseRate, ppmToDecimal, ppmToPercent, toMajor } from '../../../common/money.js';
import { fromZonedInput, toZonedInput } from '../../../common/time.js';
import { navigate } from '../router.js';
import type { AdminCampaign } from '../types.js';
import { ErrorNote, Field, fieldProps, orgTimeZone } from '../ui.js';

interface FormState {
  slug: string;
  title: string;
  headline: string;
  message: string;
  currency: string;
  goal: string;
  startsAt: string;
  endsAt: string;
  presets: string;
  feePercent: string;
  feeFixed: string;
  matchOn: boolean;
  matchRatio: string;
  matchCap: string;
  allowedOrigins: string;
  /** Goals after the first, ascending (SPEC §13 stretch goals). */
  stretchGoals: string;
  /** Where the ended campaign's banner sends readers: another campaign's slug. */
  followOn: string;
  /** Frequency cap (SPEC §13): at most this many views per reader per capDays; both empty: none. */
  capImpressions: string;
  capDays: string;
}

/** The API's exact rate ("0.029") as the percentage the form shows ("2.9"). */
const percentOf = (rate: string) => {
  const r = parseRate(rate);
  return r.ok ? ppmToPercent(r.ppm) : '';
};

/**
 * Dates are typed and shown as wall-clock times in the organisation's zone (not the browser's),
 * and travel to the API as instants: "2026-12-31T00:00" in New York is 2026-12-31T05:00:00Z.
 */
function initial(zone: string, c?: AdminCampaign): FormState {
  if (!c) {
    const start = new Date();
    start.setUTCMinutes(0, 0, 0);
    const end = new Date(start.getTime() + 30 * 86_400_000);
    return {
      slug: '',
      title: '',
      headline: '',
      message: '',
      currency: 'USD',
      goal: '',
      startsAt: toZonedInput(start, zone),
      endsAt: toZonedInput(end, zone),
      presets: '10, 25, 50, 100',
      feePercent: '2.9',
      feeFixed: '0.30',
      matchOn: false,
      matchRatio: '1',
      matchCap: '',
      allowedOrigins: '',
      stretchGoals: '',
      followOn: '',
      capImpressions: '',
      capDays: '',
    };
  }
  return {
    slug: c.slug,
    title: c.title,
    headline: c.headline,
    message: c.message,
    currency: c.currency,
    goal: toMajor(c.goals?.[0] ?? c.goal, c.currency),
    startsAt: toZonedInput(c.startsAt, zone),
    endsAt: toZonedInput(c.endsAt, zone),
    presets: c.presets.map((p) => toMajor(p, c.currency)).join(', '),
    feePercent: percentOf(c.fees.rate),
    feeFixed: toMajor(c.fees.fixed, c.currency),
    matchOn: !!c.match,
    matchRatio: c.match ? String(c.match.ratio) : '1',
    matchCap: c.match ? toMajor(c.match.cap, c.currency) : '',
    allowedOrigins: (c.allowedOrigins ?? []).join('\n'),
    stretchGoals: (c.goals ?? [])
      .slice(1)
      .map((g) => toMajor(g, c.currency))
      .join(', '),
    followOn: c.followOnSlug ?? '',
    capImpressions: c.frequency ? String(c.frequency.impressions) : '',
    capDays: c.frequency ? String(c.frequency.days) : '',
  };
}

/** The frequency cap from its two fields: both empty is no cap; the server checks the bounds. */
function frequencyOf(f: FormState, errors: Record<string, string>): { impressions: number; days: number } | null {
  const n = f.capImpressions.trim();
  const d = f.capDays.trim();
  if (!n && !d) return null;
  if (!/^\d+$/.test(n)) errors['frequency.impressions'] = 'Enter a whole number of views (or leave both empty)';
  if (!/^\d+$/.test(d)) errors['frequency.days'] = 'Enter a whole number of days (or leave both empty)';
  return { impressions: Number(n), days: Number(d) };
}

/** Builds the API body, or field errors for what cannot even be parsed as money. */
function toBody(f: FormState, zone: string): { body?: Record<string, unknown>; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const amount = (field: string, v: string) => {
    const r = parseMoney(v, f.currency);
    if (!r.ok) errors[field] = r.message;
    return r.ok ? r.amount : 0;
  };
  const goal = amount('goal', f.goal);
  const stretch = f.stretchGoals
    .split(/[;,\s]+/)
    .filter(Boolean)
    .map((g) => amount('goals', g));
  const presets = f.presets
    .split(/[;,\s]+/)
    .filter(Boolean)
    .map((p) => amount('presets', p));
  if (!presets.length) errors.presets = 'Enter at least one amount';
  // Rates go to the API as exact decimal text ("0.029"), never through a float.
  const fee = parsePercent(f.feePercent.trim() === '' ? '0' : f.feePercent);
  if (!fee.ok) errors.feeRate = 'Enter a percentage like 2.9';
  const feeFixed = f.feeFixed.trim() === '' || /^0*[.,]?0*$/.test(f.feeFixed.trim()) ? 0 : amount('feeFixed', f.feeFixed);
  let match: { ratio: string; cap: number } | null = null;
  if (f.matchOn) {
    const ratio = parseRate(f.matchRatio);
    if (!ratio.ok || ratio.ppm === 0) errors.match = 'Enter a ratio like 1 (one-for-one) or 0.5';
    match = { ratio: ratio.ok ? ppmToDecimal(ratio.ppm) : f.matchRatio, cap: amount('match', f.matchCap) };
  }
  const frequency = frequencyOf(f, errors);
  const startsAt = fromZonedInput(f.startsAt, zone);
  if (!startsAt) errors.startsAt = 'Enter a date and time';
  const endsAt = fromZonedInput(f.endsAt, zone);
  if (!endsAt) errors.endsAt = 'Enter a date and time';
  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    body: {
      slug: f.slug.trim(),
      title: f.title,
      headline: f.headline,
      message: f.message,
      currency: f.currency,
      goals: [goal, ...stretch],
      followOn: f.followOn.trim() || null,
      startsAt,
      endsAt,
      presets,
      feeRate: fee.ok ? ppmToDecimal(fee.ppm) : '0',
      feeFixed,
      match,
      allowedOrigins: f.allowedOrigins.split(/[\s,]+/).filter(Boolean),
      frequency,
    },
  };
}

export function CampaignForm({ slug }: { slug?: string }) {
  const [campaign, setCampaign] = useState<AdminCampaign | undefined>();
  const zone = orgTimeZone();
  const [f, setF] = useState<FormState>(() => initial(zone));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!slug) return;
    api<AdminCampaign>(`/campaigns/${slug}`).then(
      (c) => {
        setCampaign(c);
        setF(initial(zone, c));
      },
      (e: Error) => setGeneral(e.message),
    );
  }, [slug, zone]);

  const set =
    <K extends keyof FormState>(k: K) =>
    (e: { target: { value: string } }) =>
      setF((s) => ({ ...s, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { body, errors: local } = toBody(f, zone);
    setErrors(local);
    setGeneral('');
    if (!body) return;
    setBusy(true);
    try {
      const saved = slug
        ? await api<AdminCampaign>(`/campaigns/${slug}`, { method: 'PATCH', body })
        : await api<AdminCampaign>('/campaigns', { method: 'POST', body });
      navigate(`/admin/campaigns/${saved.slug}`);
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(fe.fields);
      setGeneral(fe.general || (Object.keys(fe.fields).length ? 'Please correct the highlighted field.' : ''));
    } finally {
      setBusy(false);
    }
  };

  const archive = async (archived: boolean) => {
    if (!slug) return;
    setBusy(true);
    try {
      const c = await api<AdminCampaign>(`/campaigns/${slug}`, { method: 'PATCH', body: { archived } });
      setCampaign(c);
    } catch (err) {
      setGeneral((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (slug && !campaign && !general) return <p>Loading…</p>;
  const e = errors;
  return (
    <>
      <header className="page-head">
        <h1>{slug ? `Edit ${campaign?.title ?? slug}` : 'New campaign'}</h1>
      </header>
      <form className="card form" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Copy</legend>
          <Field label="Title (for you and the donate page)" name="title" error={e.title}>
            <input {...fieldProps('title', e.title)} value={f.title} onChange={set('title')} maxLength={200} required />
          </Field>
          <Field
            label="Address"
            name="slug"
            error={e.slug}
            hint="Lower-case letters, digits and dashes: /donate/your-slug and data-campaign=&quot;your-slug&quot;"
          >
            <input {...fieldProps('slug', e.slug)} value={f.slug} onChange={set('slug')} pattern="[a-z0-9-]+" required />
          </Field>
          <Field label="Headline (banner)" name="headline" error={e.headline}>
            <input {...fieldProps('headline', e.headline)} value={f.headline} onChange={set('headline')} maxLength={200} required />
          </Field>
          <Field label="Message" name="message" error={e.message}>
            <textarea {...fieldProps('message', e.message)} value={f.message} onChange={set('message')} maxLength={2000} rows={3} />
          </Field>
        </fieldset>
        <fieldset>
          <legend>Money and dates</legend>
          <div className="row">
            <Field
              label="Currency"
              name="currency"
              error={e.currency}
              hint={campaign && campaign.donations > 0 ? 'Fixed once money has come in' : undefined}
            >
              <select
                {...fieldProps('currency', e.currency)}
                value={f.currency}
                onChange={set('currency')}
                disabled={!!campaign && campaign.donations > 0}
              >
                {CURRENCY_CODES.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </Field>
            <Field label="Goal" name="goal" error={e.goal}>
              <input {...fieldProps('goal', e.goal)} inputMode="decimal" value={f.goal} onChange={set('goal')} required />
            </Field>
          </div>
          <div className="row">
            <Field
              label="Stretch targets (optional)"
              name="goals"
              error={e.goals}
              hint="Next goals once the first is reached, ascending, e.g. 75000, 100000"
            >
              <input {...fieldProps('goals', e.goals)} inputMode="decimal" value={f.stretchGoals} onChange={set('stretchGoals')} />
            </Field>
            <Field
              label="Follow-on campaign (optional)"
              name="followOn"
              error={e.followOn}
              hint="Slug of the campaign the banner points to after this one ends"
            >
              <input {...fieldProps('followOn', e.followOn)} value={f.followOn} onChange={set('followOn')} autoComplete="off" />
            </Field>
          </div>
          <div className="row">
            <Field label="Starts" name="startsAt" error={e.startsAt} hint={`${zone} time (the organisation's time zone)`}>
              <input {...fieldProps('startsAt', e.startsAt)} type="datetime-local" value={f.startsAt} onChange={set('startsAt')} required />
            </Field>
            <Field
              label="Ends"
              name="endsAt"
              error={e.endsAt}
              hint={`${zone} time; the campaign takes gifts until just before this moment`}
            >
              <input {...fieldProps('endsAt', e.endsAt)} type="datetime-local" value={f.endsAt} onChange={set('endsAt')} required />
            </Field>
          </div>
          <Field label="Suggested amounts" name="presets" error={e.presets} hint="Separated by commas, e.g. 10, 25, 50, 100">
            <input {...fieldProps('presets', e.presets)} value={f.presets} onChange={set('presets')} />
          </Field>
          <Field
            label="Sites that embed the banner"
            name="allowedOrigins"
            error={e.allowedOrigins}
            hint="One origin per line, e.g. https://news.example.org; donors return there after giving. This server is always allowed."
          >
            <textarea
              {...fieldProps('allowedOrigins', e.allowedOrigins)}
              rows={3}
              value={f.allowedOrigins}
              onChange={set('allowedOrigins')}
            />
          </Field>
          <div className="row">
            <Field
              label="Show the banner at most (views)"
              name="frequency.impressions"
              error={e['frequency.impressions'] ?? e.frequency}
              hint="Per reader, counted in their browser; leave both empty for no limit"
            >
              <input
                {...fieldProps('frequency.impressions', e['frequency.impressions'] ?? e.frequency)}
                inputMode="numeric"
                value={f.capImpressions}
                onChange={set('capImpressions')}
              />
            </Field>
            <Field label="Every (days)" name="frequency.days" error={e['frequency.days']} hint="e.g. 3 views every 7 days">
              <input
                {...fieldProps('frequency.days', e['frequency.days'])}
                inputMode="numeric"
                value={f.capDays}
                onChange={set('capDays')}
              />
            </Field>
          </div>
          <div className="row">
            <Field label="Processing fee %" name="feeRate" error={e.feeRate} hint="For “cover the fees”">
              <input {...fieldProps('feeRate', e.feeRate)} inputMode="decimal" value={f.feePercent} onChange={set('feePercent')} />
            </Field>
            <Field label="Fixed fee" name="feeFixed" error={e.feeFixed}>
              <input {...fieldProps('feeFixed', e.feeFixed)} inputMode="decimal" value={f.feeFixed} onChange={set('feeFixed')} />
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>Matching</legend>
          <label className="check">
            <input type="checkbox" checked={f.matchOn} onChange={(ev) => setF((s) => ({ ...s, matchOn: ev.target.checked }))} /> A sponsor
            matches donations
          </label>
          {f.matchOn && (
            <div className="row">
              <Field label="Ratio" name="matchRatio" error={e.match} hint="1 = one-for-one, 0.5 = half">
                <input {...fieldProps('matchRatio', e.match)} inputMode="decimal" value={f.matchRatio} onChange={set('matchRatio')} />
              </Field>
              <Field label="Up to" name="matchCap">
                <input {...fieldProps('matchCap')} inputMode="decimal" value={f.matchCap} onChange={set('matchCap')} />
              </Field>
            </div>
          )}
        </fieldset>
        <ErrorNote error={general} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : slug ? 'Save changes' : 'Create campaign'}
          </button>
          <button type="button" onClick={() => history.back()}>
            Cancel
          </button>
          {campaign && (
            <button type="button" className="danger" disabled={busy} onClick={() => archive(campaign.status !== 'archived')}>
              {campaign.status === 'archived' ? 'Unarchive' : 'Archive campaign'}
            </button>
          )}
        </div>
      </form>
    </>
  );
}
