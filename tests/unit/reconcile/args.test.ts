import { describe, expect, it } from 'vitest';
import { UsageError, parseReconcileArgs } from '../../../server/reconcile/cli.js';

const NOW = new Date('2026-12-05T10:00:00Z');

describe('npm run reconcile arguments', () => {
  it('reads --since, --until and --dry-run; dates without a zone are UTC', () => {
    expect(parseReconcileArgs(['--', '--since', '2026-10-01', '--until=2026-11-01T12:00', '--dry-run'], NOW)).toEqual({
      since: new Date('2026-10-01T00:00:00Z'),
      until: new Date('2026-11-01T12:00:00Z'),
      dryRun: true,
    });
    expect(parseReconcileArgs(['--since=2026-11-30T08:00:00+02:00'], NOW)).toEqual({
      since: new Date('2026-11-30T06:00:00Z'),
      until: NOW,
      dryRun: false,
    });
  });

  it.each([
    [[], /--since is required/],
    [['--since'], /--since needs a date/],
    [['--since', 'last week'], /--since needs a date/],
    [['--since', '2026-02-30'], /not a real date|needs a date/],
    [['--since', '2026-11-01', '--until', '2026-10-01'], /before --until/],
    [['--since', '2027-01-01', '--until', '2027-02-01'], /in the future/],
    [['--since', '2026-11-01', '--force'], /unknown argument "--force"/],
  ])('refuses %j with one clear line', (argv, message) => {
    expect(() => parseReconcileArgs(argv, NOW)).toThrow(UsageError);
    expect(() => parseReconcileArgs(argv, NOW)).toThrow(message);
  });
});
