import { type CSSProperties, useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import type { Locale } from '../../common/i18n.js';
import type { Messages } from '../lib/i18n.js';
import { type BannerOptions, BannerView } from './BannerView.js';
import { adoptStyles, barCss } from './styles.js';

/** The dialog is a chunk of its own, loaded when the reader reaches for Donate. */
const loadDonate = () => import('./DonatePanel.js').then((m) => m.DonatePanel);
/** Each language other than English is a chunk of its own too. */
const loadMessages = (lang: Locale) => catalogs[lang]?.().then((m) => m.default) ?? Promise.resolve({});
const catalogs: Partial<Record<Locale, () => Promise<{ default: Messages }>>> = {
  es: () => import('../lib/messages/es.js'),
  fr: () => import('../lib/messages/fr.js'),
  de: () => import('../lib/messages/de.js'),
  ar: () => import('../lib/messages/ar.js'),
};

export type BannerProps = Omit<BannerOptions, 'api' | 'loadDonate' | 'loadMessages'> & {
  /** Origin of the Groundswell server; same origin when omitted. */
  api?: string;
  className?: string;
  style?: CSSProperties;
};

/**
 * The banner for React sites: the same view as embed.js, inside an open shadow root that this
 * component attaches to its own host element, so the site's CSS and the banner's cannot meet.
 *
 *   <Banner campaign="year-end" api="https://give.example.org" placement="inline" />
 */
export function Banner({ api = '', placement = 'inline', className, style, ...rest }: BannerProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const [shadow, setShadow] = useState<ShadowRoot | null>(null);
  const [gone, setGone] = useState(false);

  useLayoutEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
    adoptStyles(root, barCss);
    setShadow(root);
  }, []);

  if (gone) return null;
  return (
    <div ref={hostRef} className={className} style={style} data-placement={placement} data-campaign={rest.campaign}>
      {shadow
        ? createPortal(
            <>
              <BannerView
                api={api}
                placement={placement}
                loadDonate={loadDonate}
                loadMessages={loadMessages}
                {...rest}
                onHide={() => setGone(true)}
              />
            </>,
            shadow,
          )
        : null}
    </div>
  );
}
