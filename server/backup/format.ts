import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The export file (docs/export-format.md): JSON Lines. Line 1 is the header; every later line is
 * one row `{"table":T,"row":{...}}` or one sequence `{"sequence":S,"table":T|null,"column":C|null,"value":N}`.
 * The header's sha256 covers every byte after the header's newline, so a damaged, truncated or
 * edited file is refused before anything is written.
 */
export const FORMAT_NAME = 'groundswell-export';
/** Bump when a reader of the previous version could misread a new file. */
export const FORMAT_VERSION = 1;

export const APP_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

const tableSchema = z.object({
  name: z.string().min(1),
  columns: z.array(z.string().min(1)),
  primaryKey: z.array(z.string()),
  rows: z.number().int().min(0),
  omittedColumns: z.array(z.string()),
  rowsOmitted: z.boolean(),
});

export const headerSchema = z.object({
  format: z.literal(FORMAT_NAME),
  formatVersion: z.number().int().min(1),
  app: z.object({ name: z.string(), version: z.string() }),
  createdAt: z.string(),
  /** test: no real money (the emulator or an sk_test_/rk_test_ key); live: real payments. */
  mode: z.enum(['test', 'live']),
  stripe: z.enum(['emulator', 'test', 'live']),
  database: z.enum(['pglite', 'postgres']),
  /** Every migration the exporting database had run: the schema the rows fit. */
  migrations: z.array(z.string()),
  credentials: z.boolean(),
  tables: z.array(tableSchema),
  skippedTables: z.array(z.string()),
  sequences: z.number().int().min(0),
  lines: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ExportHeader = z.infer<typeof headerSchema>;

export type Mode = { mode: 'test' | 'live'; stripe: 'emulator' | 'test' | 'live' };

export function modeOf(config: { emulator: boolean; testMode: boolean }): Mode {
  if (config.emulator) return { mode: 'test', stripe: 'emulator' };
  return config.testMode ? { mode: 'test', stripe: 'test' } : { mode: 'live', stripe: 'live' };
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines without decoding or buffering more than one line at a time;
 * `for await` over a file stream pulls chunk by chunk, so a slow consumer slows the reading
 * (backpressure) instead of filling memory. Yields each line's bytes without the newline; a
 * stream that ends without a final newline was cut short (TruncatedError).
 */
export async function* lines(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry: Buffer[] = [];
  for await (const chunk of source) {
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, i);
      if (carry.length) {
        carry.push(piece);
        yield Buffer.concat(carry);
        carry = [];
      } else {
        yield piece;
      }
      start = i + 1;
    }
    if (start < chunk.length) carry.push(Buffer.from(chunk.subarray(start)));
  }
  if (carry.length) throw new TruncatedError('the file ends in the middle of a line');
}

export class TruncatedError extends Error {}
