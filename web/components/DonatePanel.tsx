import type { RefObject } from 'react';
import type { CampaignProgress } from '../lib/api.js';
import { Dialog } from './Dialog.js';
import { GiveOptions } from './GiveOptions.js';

export interface DonatePanelProps {
  open: boolean;
  onClose: () => void;
  returnFocus?: RefObject<HTMLElement | null>;
  api: string;
  progress: CampaignProgress;
  locale?: string;
  navigate?: (url: string) => void;
}

/**
 * The banner's donate dialog: most of the widget's code (the amount form, money rules, focus
 * handling, and while payments are down the pledge form and the other ways to give), so
 * the banner loads it when the reader first reaches for the Donate button (BannerOptions
 * .loadDonate): embed.js as the separate script embed-donate.js, the React component as a chunk.
 */
export function DonatePanel({ open, onClose, returnFocus, api, progress, locale, navigate }: DonatePanelProps) {
  return (
    <Dialog open={open} onClose={onClose} title={`Support ${progress.title}`} returnFocus={returnFocus}>
      <GiveOptions api={api} progress={progress} locale={locale} navigate={navigate} />
    </Dialog>
  );
}
