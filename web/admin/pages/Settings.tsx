import { useEffect, useMemo, useState } from 'react';
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
 * The organisation: name, address and tax id (receipts) and the time zone in which campaign dates
 * are entered and shown and the dashboard counts its days. Owners change it (the server checks).
 */
export function Settings() {
  const [f, setF] = useState<OrgSettings | null>(null);
  const [loadError, setLoadError] = useState('');
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
