import { stringify } from 'csv-stringify/sync';
import { toMajor } from '../../common/money.js';

/**
 * A cell that starts with = + - @ (or a tab or CR, which some spreadsheets skip before reading a
 * formula) is run as a formula when the file is opened; a donor could name themselves
 * `=HYPERLINK(...)`. OWASP's advice: prefix such cells with a single quote.
 */
export function spreadsheetSafe(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : String(value);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** One CSV chunk; amounts are already strings, every cell passes through spreadsheetSafe. */
export function csvChunk(rows: unknown[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  return stringify(all.map((r) => r.map(spreadsheetSafe)), { record_delimiter: '\r\n' });
}

/** Minor units as a decimal string in the currency's major unit (2599 USD → "25.99"), for spreadsheets. */
export function majorUnits(amount: number, currency: string): string {
  return toMajor(amount, currency, { allDigits: true });
}

/**
 * A CSV response body written in batches: `next(cursor)` returns the next keyset page, so the
 * whole set is never in memory (the PGlite driver cannot stream a result set). The BOM makes
 * Excel read UTF-8 names correctly.
 */
export function csvStream<C>(header: string[], first: C | undefined, next: (cursor: C | undefined) => Promise<{ rows: unknown[][]; cursor: C | null }>): ReadableStream<Uint8Array> {
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
      const page = await next(cursor);
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
