import { renderToStaticMarkup } from 'react-dom/server';
import type { Progress, PublicVariant } from '../../common/api.js';
import { BannerView } from '../../web/components/BannerView.js';
import { recordFormatted } from '../../common/formatted.js';
import { daysLeft, FIGURE_TAGS, firstPaintFigures } from './embed-figures.js';

/**
 * The banner's first paint, rendered by the server (issue 12): embed.js (web/embed/boot.ts) puts
 * this markup in the banner's shadow root as soon as it runs, with no framework, and embed-app.js
 * then takes it over with the live banner, which renders the same markup from the same component
 * (web/components/BannerView.tsx) and the same progress. So what the reader sees first is what
 * the live banner shows, not a look-alike.
 *
 * Rendered for an English reader (other languages wait for their catalog anyway), in each of the
 * reader tags whose figures are folded (FIGURE_TAGS), for each copy variant such a reader may be
 * given (embed.js picks one as the live banner would, and keeps it for it); the root carries no
 * lang (embed.js sets the reader's tag), so a tag with the same words names the other. Only for an open
 * campaign with its appeal; `d` is the days left it counts (the reader's clock must agree).
 */
export interface BannerMarkup {
  d: number;
  /** Per tag: variant id ('' for none) → markup; or the tag whose markup is the same. */
  t: Record<string, Record<string, string> | string>;
}

const noDonate = () => Promise.reject(new Error('not in the first paint'));

function render(p: Progress, tag: string, variant: PublicVariant | null, now: number): string {
  // The variant is chosen by giving the banner that one only (pickVariant takes the only eligible).
  const progress = { ...p, variants: variant ? [variant] : [] };
  const html = renderToStaticMarkup(
    <BannerView api="" campaign={p.slug} locale={tag} live={false} placement="inline" initial={progress} now={now} loadDonate={noDonate} />,
  );
  // A host page's CSP may forbid style attributes (style-src-attr): embed.js sets these styles
  // through the CSSOM instead, as the live banner does. The root's lang is the reader's tag, set
  // by embed.js: tags whose words are the same (en-US and en, en-GB and en-IE, …) share a markup.
  const at = html.lastIndexOf(` lang="${tag}"`, html.indexOf('>'));
  const bare = at < 0 ? html : html.slice(0, at) + html.slice(at + ` lang="${tag}"`.length);
  return bare.replace(/ style="/g, ' data-gs-style="');
}

export function bannerMarkup(p: Progress, now: number): BannerMarkup | null {
  if (p.status !== 'open' || now >= Date.parse(p.endsAt) || now < Date.parse(p.startsAt)) return null;
  const variants = (p.variants ?? []).filter((v) => v.weight > 0 && (v.locale == null || v.locale === 'en'));
  // A tag's markup differs from another's only in what the formatters answer (the root's lang is
  // left out). firstPaintFigures names the tags whose figures for this campaign equal an earlier
  // tag's; such a tag shares that tag's markup without a render of its own, once a render of that
  // tag has shown that every figure it asked for is among those compared.
  const figures = firstPaintFigures([p], now);
  const covered = new Set<string>();
  const t: BannerMarkup['t'] = {};
  const seen: [string, string][] = [];
  for (const tag of FIGURE_TAGS) {
    const alias = figures[tag];
    if (typeof alias === 'string' && covered.has(alias)) {
      const known = t[alias]!;
      t[tag] = typeof known === 'string' ? known : alias;
      continue;
    }
    const own: Record<string, string> = {};
    const asked = recordFormatted(() => {
      if (variants.length) for (const v of variants) own[v.id] = render(p, tag, v, now);
      else own[''] = render(p, tag, null, now);
    })[tag];
    const compared = typeof alias === 'string' ? figures[alias] : alias;
    if (typeof asked === 'object' && typeof compared === 'object' && Object.keys(asked).every((k) => k in compared)) covered.add(tag);
    const text = JSON.stringify(own);
    const same = seen.find(([, s]) => s === text);
    t[tag] = same ? same[0] : own;
    if (!same) seen.push([tag, text]);
  }
  return { d: daysLeft(p, now), t };
}
