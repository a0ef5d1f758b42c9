import type { RefObject } from 'react';
import type { Locale } from '../../common/i18n.js';
import type { CampaignProgress } from '../lib/api.js';
import { makeT, type Messages } from '../lib/i18n.js';
import { dialogEn } from '../lib/messages/en-dialog.js';
import { Dialog } from './Dialog.js';
import { GiveOptions } from './GiveOptions.js';

export interface DonatePanelProps {
  open: boolean;
  onClose: () => void;
  returnFocus?: RefObject<HTMLElement | null>;
  api: string;
  progress: CampaignProgress;
  /** The BCP 47 tag for numbers, money and dates. */
  locale?: string;
  /** The reader's catalog language and its messages, as the banner loaded them (English: none). */
  lang?: Locale;
  messages?: Partial<Messages> | null;
  /** The copy variant the banner showed, sent with the checkout. */
  variant?: string | null;
  navigate?: (url: string) => void;
}

/**
 * The banner's donate dialog: most of the widget's code (the amount form, money rules, focus
 * handling, and while payments are down the pledge form and the other ways to give), so
 * the banner loads it when the reader first reaches for the Donate button (BannerOptions
 * .loadDonate): embed.js as the separate script embed-donate.js, the React component as a chunk.
 * Its English words come with it; another language's come from the banner, which loaded them.
 */
export function DonatePanel({
  open,
  onClose,
  returnFocus,
  api,
  progress,
  locale,
  lang = 'en',
  messages,
  variant,
  navigate,
}: DonatePanelProps) {
  // No useMemo: embed-donate.js gets only the hooks embed.js hands over (web/embed/index.tsx runtime).
  const t = makeT(lang, messages ?? {}, dialogEn);
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={t('support', { title: progress.title })}
      closeLabel={t('dialogClose')}
      returnFocus={returnFocus}
    >
      <GiveOptions api={api} progress={progress} locale={locale} lang={lang} t={t} variant={variant} navigate={navigate} />
    </Dialog>
  );
}
