/**
 * Numbers formatted ahead of time (issue 12, first banner paint). A fresh browser renderer's
 * first Intl call loads ICU's locale data: 20–180 ms on the bench machine, inside the task that
 * renders the banner. So the server formats its open campaigns' figures for common reader tags
 * (server/site/embed-figures.ts) and folds them into embed.js, and the formatters (formatMoney,
 * formatNumber, formatPercent, pluralCategory) look a figure up here before they ask Intl.
 *
 * A figure is named by its locale tag and a key holding all else its text depends on (kind,
 * currency, digits, the integer value), and the server fills the table by running these same
 * formatters (recordFormatted): a hit is the text Intl gives for it (the server's ICU; a browser
 * test compares it with Chromium's), a miss asks Intl as before. Money stays exact: the text is
 * made from the same integer minor units. No imports: runs in Node and in the browser bundles.
 */

/** Per locale tag, key → text; or the name of another tag whose figures are the same. */
export type Figures = Record<string, Record<string, string> | string>;

const known = new Map<string, string>();
let recording: Record<string, Record<string, string>> | null = null;

/** Adds figures formatted elsewhere (embed.js: the table the server folded in). */
export function learnFormatted(figures: Figures): void {
  for (const tag in figures) {
    const own = figures[tag];
    const table = typeof own === 'string' ? figures[own] : own;
    if (table && typeof table === 'object') for (const k in table) if (typeof table[k] === 'string') known.set(`${tag}|${k}`, table[k]);
  }
}

/** The known text of `key` in `tag`, else `make()`; while recording, always `make()`, kept. */
export function formattedOr(tag: string | undefined, key: string, make: () => string): string {
  if (recording) {
    const text = make();
    (recording[String(tag)] ??= {})[key] = text;
    return text;
  }
  return known.get(`${tag}|${key}`) ?? make();
}

/**
 * Runs `run` and returns every figure the formatters made meanwhile; a tag whose figures are
 * all the same as an earlier tag's names that tag instead ("en-US": "en").
 */
export function recordFormatted(run: () => void): Figures {
  const outer = recording;
  const mine: Record<string, Record<string, string>> = {};
  recording = mine;
  try {
    run();
  } finally {
    recording = outer;
  }
  const out: Figures = {};
  const seen: [string, string][] = [];
  for (const [tag, table] of Object.entries(mine)) {
    const text = JSON.stringify(table);
    const same = seen.find(([, t]) => t === text);
    out[tag] = same ? same[0] : table;
    if (!same) seen.push([tag, text]);
  }
  return out;
}
