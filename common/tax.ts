/**
 * The organisation's tax status (SPEC §10, issue 10 item 3): the owners choose it and write the
 * legal text receipts print, per language, starting from the templates below. Server (receipts,
 * public progress) and admin (settings form) read this one module, so the rules exist once.
 *
 * Templates name the organisation's own details with placeholders, so a changed tax id or name
 * shows on the next receipt without rewriting the text: {organisation}, {taxId}, {sponsor},
 * {sponsorTaxId}.
 */

export const TAX_STATUSES = ['unset', 'us_501c3', 'fiscal_sponsor', 'not_deductible', 'other'] as const;
export type TaxStatus = (typeof TAX_STATUSES)[number];

/** Languages with templates and public notices (the message-catalog languages of SPEC §13). */
export const TAX_LANGUAGES = ['en', 'es', 'fr', 'de', 'ar'] as const;
export type TaxLanguage = (typeof TAX_LANGUAGES)[number];

export interface TaxRule {
  label: string;
  /** Gifts are tax-deductible (true), are not (false), or we make no claim (null). */
  deductible: boolean | null;
  /**
   * The receipt says "no goods or services were provided in exchange": a US written
   * acknowledgment (IRS Publication 1771) needs it; a non-deductible gift has no such statement
   * to make, and "other" says only what the owners wrote.
   */
  noGoodsOrServices: boolean;
  /** Settings that must be filled before this status can be chosen. */
  requires: ('taxId' | 'sponsorName')[];
}

export const TAX_RULES: Record<TaxStatus, TaxRule> = {
  unset: { label: 'Not stated', deductible: null, noGoodsOrServices: false, requires: [] },
  us_501c3: { label: 'US 501(c)(3) public charity', deductible: true, noGoodsOrServices: true, requires: ['taxId'] },
  fiscal_sponsor: {
    label: 'Fiscally sponsored by a 501(c)(3)',
    deductible: true,
    noGoodsOrServices: true,
    requires: ['sponsorName'],
  },
  not_deductible: { label: 'Not tax-deductible', deductible: false, noGoodsOrServices: false, requires: [] },
  other: { label: 'Other (our own text)', deductible: null, noGoodsOrServices: false, requires: [] },
};

/** The starting text of each status per language; owners edit it in the settings. */
export const TAX_TEMPLATES: Record<TaxStatus, Record<TaxLanguage, string>> = {
  unset: { en: '', es: '', fr: '', de: '', ar: '' },
  us_501c3: {
    en: '{organisation} is a tax-exempt organisation under Section 501(c)(3) of the US Internal Revenue Code (EIN {taxId}). Your gift is tax-deductible to the extent allowed by law.',
    es: '{organisation} es una organización exenta de impuestos según la sección 501(c)(3) del Código de Rentas Internas de EE. UU. (EIN {taxId}). Su donación es deducible de impuestos en la medida en que lo permita la ley.',
    fr: '{organisation} est un organisme exonéré d’impôt au titre de la section 501(c)(3) de l’Internal Revenue Code des États-Unis (EIN {taxId}). Votre don est déductible dans les limites prévues par la loi.',
    de: '{organisation} ist nach Section 501(c)(3) des US Internal Revenue Code steuerbefreit (EIN {taxId}). Ihre Spende ist im gesetzlich zulässigen Umfang steuerlich absetzbar.',
    ar: '{organisation} منظمة معفاة من الضرائب بموجب المادة 501(c)(3) من قانون الإيرادات الداخلية الأمريكي (رقم التعريف الضريبي {taxId}). تبرعك قابل للخصم الضريبي في الحدود التي يسمح بها القانون.',
  },
  fiscal_sponsor: {
    en: '{organisation} is a fiscally sponsored project of {sponsor}, a tax-exempt organisation under Section 501(c)(3) of the US Internal Revenue Code (EIN {sponsorTaxId}). Your gift is made to {sponsor} for {organisation} and is tax-deductible to the extent allowed by law.',
    es: '{organisation} es un proyecto con patrocinio fiscal de {sponsor}, organización exenta de impuestos según la sección 501(c)(3) del Código de Rentas Internas de EE. UU. (EIN {sponsorTaxId}). Su donación se hace a {sponsor} para {organisation} y es deducible en la medida en que lo permita la ley.',
    fr: '{organisation} est un projet parrainé fiscalement par {sponsor}, organisme exonéré d’impôt au titre de la section 501(c)(3) de l’Internal Revenue Code des États-Unis (EIN {sponsorTaxId}). Votre don est fait à {sponsor} pour {organisation} et est déductible dans les limites prévues par la loi.',
    de: '{organisation} ist ein Projekt unter der Trägerschaft von {sponsor}, einer nach Section 501(c)(3) des US Internal Revenue Code steuerbefreiten Organisation (EIN {sponsorTaxId}). Ihre Spende geht an {sponsor} für {organisation} und ist im gesetzlich zulässigen Umfang steuerlich absetzbar.',
    ar: '{organisation} مشروع برعاية مالية من {sponsor}، وهي منظمة معفاة من الضرائب بموجب المادة 501(c)(3) من قانون الإيرادات الداخلية الأمريكي (رقم التعريف الضريبي {sponsorTaxId}). يُقدَّم تبرعك إلى {sponsor} لصالح {organisation} وهو قابل للخصم الضريبي في الحدود التي يسمح بها القانون.',
  },
  not_deductible: {
    en: '{organisation} is not a tax-exempt charity. Gifts to {organisation} are not tax-deductible.',
    es: '{organisation} no es una entidad benéfica exenta de impuestos. Las donaciones a {organisation} no son deducibles de impuestos.',
    fr: '{organisation} n’est pas un organisme exonéré d’impôt. Les dons à {organisation} ne sont pas déductibles des impôts.',
    de: '{organisation} ist keine steuerbegünstigte Organisation. Spenden an {organisation} sind nicht steuerlich absetzbar.',
    ar: '{organisation} ليست جمعية خيرية معفاة من الضرائب. التبرعات إلى {organisation} غير قابلة للخصم الضريبي.',
  },
  other: { en: '', es: '', fr: '', de: '', ar: '' },
};

/** Printed after the legal text only where the status calls for it (TaxRule.noGoodsOrServices). */
export const NO_GOODS_OR_SERVICES: Record<TaxLanguage, string> = {
  en: 'No goods or services were provided in exchange for this gift.',
  es: 'No se proporcionaron bienes ni servicios a cambio de esta donación.',
  fr: 'Aucun bien ni service n’a été fourni en échange de ce don.',
  de: 'Für diese Spende wurden keine Waren oder Dienstleistungen erbracht.',
  ar: 'لم تُقدَّم أي سلع أو خدمات مقابل هذا التبرع.',
};

/** The one sentence an appeal (banner dialog, donate page) shows about deductibility. */
const PUBLIC_NOTICES: Partial<Record<TaxStatus, Record<TaxLanguage, string>>> = {
  us_501c3: {
    en: '{organisation} is a 501(c)(3) nonprofit: gifts are tax-deductible to the extent allowed by law.',
    es: '{organisation} es una organización sin fines de lucro 501(c)(3): las donaciones son deducibles según la ley.',
    fr: '{organisation} est un organisme 501(c)(3) : les dons sont déductibles dans les limites prévues par la loi.',
    de: '{organisation} ist eine 501(c)(3)-Organisation: Spenden sind im gesetzlichen Rahmen absetzbar.',
    ar: '{organisation} منظمة غير ربحية 501(c)(3): التبرعات قابلة للخصم الضريبي وفق القانون.',
  },
  fiscal_sponsor: {
    en: '{organisation} is fiscally sponsored by {sponsor}: gifts are tax-deductible to the extent allowed by law.',
    es: '{organisation} cuenta con el patrocinio fiscal de {sponsor}: las donaciones son deducibles según la ley.',
    fr: '{organisation} est parrainé fiscalement par {sponsor} : les dons sont déductibles dans les limites prévues par la loi.',
    de: '{organisation} steht unter der Trägerschaft von {sponsor}: Spenden sind im gesetzlichen Rahmen absetzbar.',
    ar: '{organisation} برعاية مالية من {sponsor}: التبرعات قابلة للخصم الضريبي وفق القانون.',
  },
  not_deductible: {
    en: 'Gifts to {organisation} are not tax-deductible.',
    es: 'Las donaciones a {organisation} no son deducibles de impuestos.',
    fr: 'Les dons à {organisation} ne sont pas déductibles des impôts.',
    de: 'Spenden an {organisation} sind nicht steuerlich absetzbar.',
    ar: 'التبرعات إلى {organisation} غير قابلة للخصم الضريبي.',
  },
};

export interface TaxFacts {
  status: TaxStatus;
  organisation: string;
  taxId: string;
  sponsorName: string;
  sponsorTaxId: string;
  /** The owners' own text per language; empty or missing → the status's template. */
  texts: Partial<Record<string, string>>;
}

export const isTaxStatus = (s: unknown): s is TaxStatus => typeof s === 'string' && (TAX_STATUSES as readonly string[]).includes(s);

/** Replaces {organisation}, {taxId}, {sponsor}, {sponsorTaxId}; unknown braces stay as written. */
export function fillTaxText(template: string, f: Omit<TaxFacts, 'texts' | 'status'>): string {
  const vars: Record<string, string> = {
    organisation: f.organisation,
    taxId: f.taxId || '—',
    sponsor: f.sponsorName || '—',
    sponsorTaxId: f.sponsorTaxId || '—',
  };
  return template.replace(/\{(organisation|taxId|sponsor|sponsorTaxId)\}/g, (_, k: string) => vars[k] ?? '');
}

const langOf = (locale: string | null | undefined): TaxLanguage => {
  const l = (locale ?? 'en').slice(0, 2).toLowerCase();
  return (TAX_LANGUAGES as readonly string[]).includes(l) ? (l as TaxLanguage) : 'en';
};

/**
 * What a receipt prints about tax, in one language, then the no-goods statement where the
 * status calls for it. An unset status prints nothing.
 */
export function receiptTaxLines(f: TaxFacts, locale?: string | null): string[] {
  const lang = langOf(locale);
  const rule = TAX_RULES[f.status];
  // The owners' text in this language, else the template in it, else the English of either.
  const text = f.texts[lang]?.trim() || TAX_TEMPLATES[f.status][lang] || f.texts.en?.trim() || TAX_TEMPLATES[f.status].en;
  const lines = text ? [fillTaxText(text, f)] : [];
  if (rule.noGoodsOrServices) lines.push(NO_GOODS_OR_SERVICES[lang]);
  return lines;
}

/** The appeal's sentence per language (none for unset and other: no claim either way). */
export function publicTaxNotice(f: Omit<TaxFacts, 'texts'>): { deductible: boolean | null; notice: Partial<Record<TaxLanguage, string>> } {
  const notices = PUBLIC_NOTICES[f.status];
  const notice: Partial<Record<TaxLanguage, string>> = {};
  if (notices) for (const lang of TAX_LANGUAGES) notice[lang] = fillTaxText(notices[lang], f);
  return { deductible: TAX_RULES[f.status].deductible, notice };
}

/** The notice in the reader's language, else English. */
export function noticeFor(notice: Partial<Record<string, string>> | undefined, locale?: string | null): string | undefined {
  if (!notice) return undefined;
  return notice[langOf(locale)] ?? notice.en;
}
