import { type CSSProperties, useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { type BannerOptions, BannerView } from './BannerView.js';
import { adoptStyles, bannerCss } from './styles.js';

/** The dialog is a chunk of its own, loaded when the reader reaches for Donate. */
const loadDonate = () => import('./DonatePanel.js').then((m) => m.DonatePanel);

export type BannerProps = Omit<BannerOptions, 'api' | 'loadDonate'> & {
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
    adoptStyles(root, bannerCss);
    setShadow(root);
  }, []);

  if (gone) return null;
  return (
    <div ref={hostRef} className={className} style={style} data-placement={placement} data-campaign={rest.campaign}>
      {shadow
        ? createPortal(
            <>
              <BannerView api={api} placement={placement} loadDonate={loadDonate} {...rest} onHide={() => setGone(true)} />
            </>,
            shadow,
          )
        : null}
    </div>
  );
}
