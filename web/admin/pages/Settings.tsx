import { useEffect, useMemo, useState } from 'react';
import {
  TAX_LANGUAGES,
  TAX_RULES,
  TAX_STATUSES,
  TAX_TEMPLATES,
  type TaxLanguage,
  type TaxStatus,
  receiptTaxLines,
} from '../../../common/tax.js';
import { isTimeZone } from '../../../common/time.js';
import { api } from '../api.js';
import { ExportLink, useCan } from '../session.js';
import type { OrgSettings } from '../types.js';
import { ErrorNote, Field, fieldProps, setOrgTimeZone, useApiForm } from '../ui.js';

/** The zones this browser knows, for the picker's suggestions (free text is still checked). */
function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}

/**
 * The organisation: name, address, tax id and tax status with its legal text per language
 * (receipts, appeals), the mail footer and logo, and the time zone in which campaign dates are
 * entered and shown and the dashboard counts its days. Owners change it (the server checks).
 */
export function Settings() {
  const [f, setF] = useState<OrgSettings | null>(null);
  const [loadError, setLoadError] = useState('');
  const [lang, setLang] = useState<TaxLanguage>('en');
  const zones = useMemo(knownZones, []);
  const isOwner = useCan('owner');

  useEffect(() => {
    api<OrgSettings>('/settings').then(setF, (e: Error) => setLoadError(e.message));
  }, []);

  const { errors, general, done, submit } = useApiForm(async () => {
    if (!f) return '';
    const saved = await api<OrgSettings>('/settings', { method: 'PATCH', body: f });
    setF(saved);
    setOrgTimeZone(saved.timeZone);
    return 'Saved.';
  });

  if (loadError) return <ErrorNote error={loadError} />;
  if (!f) return <p>Loading…</p>;
  const set = (k: keyof OrgSettings) => (e: { target: { value: string } }) => setF((s) => (s ? { ...s, [k]: e.target.value } : s));
  const rule = TAX_RULES[f.taxStatus];
  const text = f.taxTexts[lang] ?? '';
  const setText = (v: string) => setF((s) => (s ? { ...s, taxTexts: { ...s.taxTexts, [lang]: v } } : s));
  const preview = receiptTaxLines(
    {
      status: f.taxStatus,
      organisation: f.name || 'Your organisation',
      taxId: f.taxId,
      sponsorName: f.sponsorName,
      sponsorTaxId: f.sponsorTaxId,
      texts: f.taxTexts,
    },
    lang,
  );
  const zoneError =
    errors.timeZone ?? (f.timeZone && !isTimeZone(f.timeZone) ? 'Not a time zone this browser knows, e.g. America/New_York' : undefined);

  return (
    <>
      <header className="page-head">
        <h1>Organisation settings</h1>
      </header>
      <form className="card form" onSubmit={submit} noValidate aria-label="Organisation settings">
        <Field label="Name" name="name" error={errors.name} hint="On receipts">
          <input {...fieldProps('name', errors.name)} value={f.name} onChange={set('name')} maxLength={200} />
        </Field>
        <Field label="Address" name="address" error={errors.address}>
          <textarea {...fieldProps('address', errors.address)} value={f.address} onChange={set('address')} maxLength={500} rows={3} />
        </Field>
        <Field label="Tax id" name="taxId" error={errors.taxId}>
          <input {...fieldProps('taxId', errors.taxId)} value={f.taxId} onChange={set('taxId')} maxLength={100} />
        </Field>
        <fieldset>
          <legend>Tax status (receipts and appeals)</legend>
          <Field
            label="Status"
            name="taxStatus"
            error={errors.taxStatus}
            hint={
              rule.deductible === false
                ? 'Receipts and the donate form say gifts are not tax-deductible'
                : rule.noGoodsOrServices
                  ? 'Receipts add “No goods or services were provided in exchange for this gift.”'
                  : 'Receipts print only the text you write below'
            }
          >
            <select
              {...fieldProps('taxStatus', errors.taxStatus)}
              value={f.taxStatus}
              onChange={(e) => setF((s) => (s ? { ...s, taxStatus: e.target.value as TaxStatus } : s))}
            >
              {TAX_STATUSES.map((st) => (
                <option key={st} value={st}>
                  {TAX_RULES[st].label}
                </option>
              ))}
            </select>
          </Field>
          {f.taxStatus === 'fiscal_sponsor' && (
            <>
              <Field label="Fiscal sponsor" name="sponsorName" error={errors.sponsorName}>
                <input
                  {...fieldProps('sponsorName', errors.sponsorName)}
                  value={f.sponsorName}
                  onChange={set('sponsorName')}
                  maxLength={200}
                />
              </Field>
              <Field label="Sponsor's tax id (EIN)" name="sponsorTaxId" error={errors.sponsorTaxId}>
                <input
                  {...fieldProps('sponsorTaxId', errors.sponsorTaxId)}
                  value={f.sponsorTaxId}
                  onChange={set('sponsorTaxId')}
                  maxLength={100}
                />
              </Field>
            </>
          )}
          <Field label="Language of the legal text" name="taxLanguage">
            <select {...fieldProps('taxLanguage', undefined)} value={lang} onChange={(e) => setLang(e.target.value as TaxLanguage)}>
              {TAX_LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {l}
                  {f.taxTexts[l] ? ' (your text)' : ''}
                </option>
              ))}
            </select>
          </Field>
          <Field
            label={`Legal text on receipts (${lang})`}
            name="taxText"
            error={errors.taxTexts}
            hint="Left empty, receipts use the status's template. {organisation}, {taxId}, {sponsor} and {sponsorTaxId} are filled in."
          >
            <textarea
              {...fieldProps('taxText', errors.taxTexts)}
              value={text}
              onChange={(e) => setText(e.target.value)}
              rows={4}
              maxLength={2000}
            />
          </Field>
          <p>
            <button
              type="button"
              className="link"
              disabled={!TAX_TEMPLATES[f.taxStatus][lang]}
              onClick={() => setText(TAX_TEMPLATES[f.taxStatus][lang])}
            >
              Start from the template
            </button>
          </p>
          <div className="muted" data-tax-preview="">
            <strong>Receipts will say:</strong>
            {preview.length ? preview.map((line) => <p key={line}>{line}</p>) : <p>(nothing about tax)</p>}
          </div>
        </fieldset>
        <Field label="Mail footer" name="footer" error={errors.footer} hint="A line at the foot of every e-mail">
          <textarea {...fieldProps('footer', errors.footer)} value={f.footer} onChange={set('footer')} maxLength={1000} rows={2} />
        </Field>
        <Field label="Logo URL" name="logoUrl" error={errors.logoUrl} hint="https:// only; e-mails read the same when images are blocked">
          <input {...fieldProps('logoUrl', errors.logoUrl)} value={f.logoUrl} onChange={set('logoUrl')} maxLength={500} type="url" />
        </Field>
        <Field
          label="Time zone"
          name="timeZone"
          error={zoneError}
          hint="Campaign dates are entered and shown in this zone; the dashboard's days are its days"
        >
          <input
            {...fieldProps('timeZone', zoneError)}
            value={f.timeZone}
            onChange={set('timeZone')}
            list="gs-zones"
            autoComplete="off"
            required
          />
        </Field>
        <datalist id="gs-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <ErrorNote error={general} />
        {done && (
          <p className="ok-note" role="status">
            {done}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary">
            Save settings
          </button>
        </div>
      </form>
      {isOwner && (
        <section className="card" aria-labelledby="data-export-title">
          <h2 id="data-export-title">Your data</h2>
          <p>
            Every campaign, gift, payment, refund, dispute, Stripe event, subscriber, receipt, setting, admin and audit entry in one file
            (JSON Lines), to keep as a backup or to move to another host with <code>npm run import</code>. Admin passwords are not included.
            The download is recorded in the audit log.
          </p>
          <div className="actions">
            <ExportLink href="/api/admin/export">Download all data</ExportLink>
          </div>
        </section>
      )}
    </>
  );
}
