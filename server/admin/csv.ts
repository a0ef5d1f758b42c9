import { stringify } from 'csv-stringify/sync';
import { toMajor } from '../../common/money.js';

/**
 * A cell a spreadsheet would run as a formula when the file is opened: one whose first visible
 * character is = + - @ (a donor could name themselves `=HYPERLINK(...)`), in ASCII, full-width
 * (＝＋－＠, which Excel and Numbers fold to ASCII) or small form (﹦﹢﹣﹫), or U+2212 minus;
 * also when invisible characters (spaces, tab, CR, LF, zero-width, BOM) come before it, since
 * some programs skip those. OWASP's advice: prefix such cells with a single quote, which every
 * spreadsheet shows as text. csv-stringify's own `escape_formulas` looks only at the very first
 * character, so "\t =1" or "\u200B=1" would pass it: this function is the one check, on every cell.
 */
const FORMULA_START = /^[\s\u200B-\u200D\u2060\uFEFF]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B\u2212]/;
const INVISIBLE_START = /^[\t\r\n]/;

export function spreadsheetSafe(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : String(value);
  return FORMULA_START.test(s) || INVISIBLE_START.test(s) ? `'${s}` : s;
}

/**
 * One CSV chunk; amounts are already strings, every cell passes through spreadsheetSafe.
 * `quote_record_delimiter` is explicit: csv-stringify turns the quoting of lone \n and \r off
 * whenever a record_delimiter is set, and an unquoted line break in a donor's comment would
 * split the row and put whatever follows it at the start of a line of its own.
 */
export function csvChunk(rows: unknown[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  return stringify(
    all.map((r) => r.map(spreadsheetSafe)),
    { record_delimiter: '\r\n', quote_record_delimiter: true },
  );
}

/** Minor units as a decimal string in the currency's major unit (2599 USD → "25.99"), for spreadsheets. */
export function majorUnits(amount: number, currency: string): string {
  return toMajor(amount, currency, { allDigits: true });
}

/**
 * A CSV response body written in batches: `next(cursor)` returns the next keyset page, so the
 * whole set is never in memory (the PGlite driver cannot stream a result set). The BOM makes
 * Excel read UTF-8 names correctly.
 *
 * A failure after the first bytes went out cannot become an error response any more: the
 * stream is errored, which makes the server destroy the connection, so the browser reports a
 * failed download instead of saving a file that looks complete. The error's details go to
 * `onError` (our log), never into the stream: what the stream fails with is a generic error,
 * since the HTTP adapter prints and may write whatever it is given.
 */
export function csvStream<C>(
  header: string[],
  first: C | undefined,
  next: (cursor: C | undefined) => Promise<{ rows: unknown[][]; cursor: C | null }>,
  onError: (err: unknown) => void = () => {},
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cursor: C | undefined = first;
  let started = false;
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) return;
      if (!started) {
        started = true;
        controller.enqueue(enc.encode(`\uFEFF${csvChunk([], header)}`));
        return;
      }
      let page: Awaited<ReturnType<typeof next>>;
      try {
        page = await next(cursor);
      } catch (err) {
        done = true;
        onError(err);
        controller.error(new CsvExportFailed());
        return;
      }
      if (page.rows.length) controller.enqueue(enc.encode(csvChunk(page.rows)));
      if (page.cursor === null) {
        done = true;
        controller.close();
      } else {
        cursor = page.cursor;
      }
    },
  });
}

export class CsvExportFailed extends Error {
  constructor() {
    super('CSV export failed; the download is incomplete');
  }
}
