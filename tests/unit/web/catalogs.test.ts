import { describe, expect, it } from 'vitest';
import { LOCALES, type Message } from '../../../common/i18n.js';
import { makeT } from '../../../web/lib/i18n.js';
import ar from '../../../web/lib/messages/ar.js';
import de from '../../../web/lib/messages/de.js';
import { bannerEn } from '../../../web/lib/messages/en-banner.js';
import { dialogEn } from '../../../web/lib/messages/en-dialog.js';
import { pagesEn } from '../../../web/lib/messages/en-pages.js';
import es from '../../../web/lib/messages/es.js';
import fr from '../../../web/lib/messages/fr.js';

/** SPEC §13 "Languages": every word of banner, dialog and pages in every catalog. */
const en: Record<string, Message> = { ...bannerEn, ...dialogEn, ...pagesEn };
const catalogs: Record<string, Record<string, Message>> = { en, es, fr, de, ar };
const placeholders = (m: Message) =>
  [
    ...new Set((typeof m === 'string' ? [m] : Object.values(m)).flatMap((s) => [...(s ?? '').matchAll(/\{(\w+)\}/g)].map((x) => x[1]))),
  ].sort();

describe('message catalogs', () => {
  it('there is one for every language we speak', () => {
    expect(Object.keys(catalogs).sort()).toEqual([...LOCALES].sort());
  });

  it('the banner, the dialog and the pages share no key (one word, one place)', () => {
    const keys = [...Object.keys(bannerEn), ...Object.keys(dialogEn), ...Object.keys(pagesEn)];
    expect(new Set(keys).size).toBe(keys.length);
  });

  for (const [lang, cat] of Object.entries(catalogs)) {
    describe(lang, () => {
      it('has every key of English and no other, none empty', () => {
        expect(Object.keys(cat).sort()).toEqual(Object.keys(en).sort());
        for (const [k, m] of Object.entries(cat)) {
          for (const text of typeof m === 'string' ? [m] : Object.values(m)) expect(text?.trim(), `${lang}.${k}`).toBeTruthy();
        }
      });

      it('uses only the placeholders English fills in ({n} forms may name the count in words)', () => {
        for (const [k, m] of Object.entries(cat)) {
          const allowed = new Set(placeholders(en[k]!));
          for (const p of placeholders(m)) expect(allowed.has(p!), `${lang}.${k} uses {${p}}`).toBe(true);
        }
      });

      it('plural messages use only categories Intl.PluralRules has for the language, and always "other"', () => {
        const rules = new Intl.PluralRules(lang);
        const categories = new Set<string>(rules.resolvedOptions().pluralCategories);
        const used = new Set(Array.from({ length: 1001 }, (_, n) => rules.select(n)));
        for (const [k, m] of Object.entries(cat)) {
          if (typeof m === 'string') {
            expect(typeof en[k], `${lang}.${k} must have plural forms like English`).toBe('string');
            continue;
          }
          expect(m.other, `${lang}.${k}.other`).toBeTruthy();
          for (const c of Object.keys(m)) expect(categories.has(c), `${lang}.${k}.${c}`).toBe(true);
          // every form a count up to 1,000 takes is written out, so none falls back to "other" by
          // accident (es and fr have "many" only for millions: "1 000 000 de donateurs")
          for (const c of used) expect(m[c as keyof typeof m], `${lang}.${k} lacks ${c}`).toBeTruthy();
        }
      });
    });
  }

  it('a translator falls back to English for a missing key, and shows an unknown key as itself', () => {
    const t = makeT('es', { donate: 'Donar' }, bannerEn);
    expect(t('donate')).toBe('Donar');
    expect(t('lastDay')).toBe('Last day');
    expect(t('nope' as never)).toBe('nope');
  });
});
