import { type FormEvent, useEffect, useState } from 'react';
import { type Locale, LOCALES, isRtl } from '../../../common/i18n.js';
import { api, fieldErrors } from '../api.js';
import { LANGUAGE_NAMES } from '../languages.js';
import { useCan } from '../session.js';
import { ErrorNote, Field, fieldProps } from '../ui.js';

interface Translation {
  locale: Locale;
  headline: string;
  message: string;
  updatedAt: string;
}

/** The languages besides the campaign's own copy (English). */
const OTHERS = LOCALES.filter((l) => l !== 'en');

/**
 * The campaign's copy per language (SPEC §13): one small form per language, saved on its own. A
 * language left empty shows readers of it the campaign's own copy, with the banner's words in
 * their language.
 */
export function Translations({ slug }: { slug: string }) {
  const canEdit = useCan('editor');
  const [saved, setSaved] = useState<Partial<Record<Locale, Translation>>>({});
  const [loaded, setLoaded] = useState(false);
  const [general, setGeneral] = useState('');
  useEffect(() => {
    api<{ translations: Translation[] }>(`/campaigns/${slug}/translations`).then(
      (r) => {
        setSaved(Object.fromEntries(r.translations.map((t) => [t.locale, t])));
        setLoaded(true);
      },
      (e: Error) => setGeneral(e.message),
    );
  }, [slug]);
  return (
    <section className="card form" aria-labelledby="translations-title">
      <h2 id="translations-title">Translations</h2>
      <p className="hint">
        The headline and message in other languages. Readers whose browser (or the page's data-locale) asks for one of these languages see
        it; the banner's own words are translated already.
      </p>
      <ErrorNote error={general} />
      {loaded &&
        OTHERS.map((l) => (
          <LanguageForm
            key={l}
            slug={slug}
            locale={l}
            initial={saved[l]}
            canEdit={canEdit}
            onChange={(t) => setSaved((s) => ({ ...s, [l]: t ?? undefined }))}
          />
        ))}
    </section>
  );
}

function LanguageForm({
  slug,
  locale,
  initial,
  canEdit,
  onChange,
}: {
  slug: string;
  locale: Locale;
  initial?: Translation;
  canEdit: boolean;
  onChange: (t: Translation | null) => void;
}) {
  const [headline, setHeadline] = useState(initial?.headline ?? '');
  const [message, setMessage] = useState(initial?.message ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState('');
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const dir = isRtl(locale) ? 'rtl' : 'ltr';
  const path = `/campaigns/${slug}/translations/${locale}`;

  const run = async (work: () => Promise<void>) => {
    setErrors({});
    setGeneral('');
    setDone('');
    setBusy(true);
    try {
      await work();
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(fe.fields);
      setGeneral(fe.general);
    } finally {
      setBusy(false);
    }
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const t = await api<Translation>(path, { method: 'PUT', body: { headline, message } });
      onChange(t);
      setDone('Saved.');
    });
  };
  const remove = () =>
    run(async () => {
      await api(path, { method: 'DELETE' });
      onChange(null);
      setHeadline('');
      setMessage('');
      setDone('Removed: readers of this language see the campaign’s own copy.');
    });

  return (
    <form onSubmit={save} noValidate aria-label={`${LANGUAGE_NAMES[locale]} copy`} lang={locale}>
      <fieldset disabled={!canEdit}>
        <legend>{LANGUAGE_NAMES[locale]}</legend>
        <Field label="Headline" name={`tr-${locale}-headline`} error={errors.headline}>
          <input
            {...fieldProps(`tr-${locale}-headline`, errors.headline)}
            dir={dir}
            value={headline}
            onChange={(e) => setHeadline(e.target.value)}
            maxLength={200}
          />
        </Field>
        <Field label="Message" name={`tr-${locale}-message`} error={errors.message}>
          <textarea
            {...fieldProps(`tr-${locale}-message`, errors.message)}
            dir={dir}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            maxLength={2000}
            rows={3}
          />
        </Field>
        <ErrorNote error={general} />
        {done && (
          <p className="ok-note" role="status">
            {done}
          </p>
        )}
        {canEdit && (
          <div className="actions">
            <button type="submit" disabled={busy || !headline.trim()}>
              {busy ? 'Saving…' : `Save ${LANGUAGE_NAMES[locale].split(' ')[0]}`}
            </button>
            {initial && (
              <button type="button" className="danger" disabled={busy} onClick={remove}>
                Remove
              </button>
            )}
          </div>
        )}
      </fieldset>
    </form>
  );
}
