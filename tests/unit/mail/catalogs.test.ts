import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../../common/i18n.js';
import { en } from '../../../server/mail/catalogs/en.js';
import { MAIL_CATALOGS, mailLang } from '../../../server/mail/i18n.js';

/** Every mail catalog says everything English says, with the placeholders and plural forms its language has. */
describe('mail catalogs', () => {
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  const texts = (m: unknown) => (typeof m === 'string' ? [m] : Object.values(m as Record<string, string>));

  it.each(LOCALES)('%s has every English key, only valid plural categories, and the same placeholders', (locale) => {
    const catalog = MAIL_CATALOGS[locale];
    expect(Object.keys(catalog).sort()).toEqual(Object.keys(en).sort());
    const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories as string[];
    for (const [key, message] of Object.entries(catalog)) {
      const english = en[key as keyof typeof en];
      if (typeof message !== 'string') {
        expect(message.other, `${locale} ${key}`).toBeTruthy();
        for (const cat of Object.keys(message)) expect(categories, `${locale} ${key}: ${cat}`).toContain(cat);
        // A message with a count has a form for each category of the language.
        for (const cat of categories) expect(message, `${locale} ${key} lacks ${cat}`).toHaveProperty(cat);
      } else {
        expect(typeof english, `${locale} ${key}: English has plural forms`).toBe('string');
      }
      const wanted = new Set(texts(english).flatMap(placeholders));
      for (const text of texts(message)) {
        // Every placeholder is one English has; a form may spell out its number ("يوم واحد").
        for (const p of placeholders(text)) expect(wanted, `${locale} ${key}: {${p}}`).toContain(p);
        if (typeof message === 'string') expect(placeholders(text)).toEqual([...wanted].sort());
      }
    }
  });

  it('picks plural forms by the language rules', () => {
    const total = (locale: (typeof LOCALES)[number], count: number) =>
      mailLang(locale).t('statement.total', { amount: 'X', currency: 'USD', count });
    expect(total('en', 1)).toBe('X (USD, 1 payment)');
    expect(total('en', 3)).toBe('X (USD, 3 payments)');
    expect(total('de', 1)).toBe('X (USD, 1 Zahlung)');
    expect(total('ar', 2)).toBe('X (USD، دفعتان)');
    expect(total('ar', 5)).toBe('X (USD، 5 دفعات)');
    expect(total('ar', 11)).toBe('X (USD، 11 دفعة)');
  });

  it('formats money and dates in the language', () => {
    expect(mailLang('en').money(2500, 'usd')).toBe('$25.00');
    expect(mailLang('de').money(123456, 'eur')).toMatch(/^1\.234,56\s€$/);
    expect(mailLang('fr').day('2026-12-05T10:00:00Z', 'UTC')).toBe('5 décembre 2026');
    expect(mailLang('es').day('2026-12-05T10:00:00Z', 'UTC')).toBe('5 de diciembre de 2026');
  });
});
