import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalTimeZone, fromZonedInput, nextDay, toZonedInput, zonedDay } from '../../../common/time.js';

// FC_SEED=<n> replays a failing run; fast-check prints the seed and the path of any failure.
const fcParams = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {};

describe("the organisation's time zone", () => {
  it('ends a campaign meant to end at midnight on December 31 in New York at 05:00 UTC', () => {
    expect(fromZonedInput('2027-01-01T00:00', 'America/New_York')).toBe('2027-01-01T05:00:00.000Z');
    expect(fromZonedInput('2027-01-01', 'America/New_York')).toBe('2027-01-01T05:00:00.000Z');
    // In summer New York is UTC-4, in Tokyo always UTC+9, in UTC nothing moves.
    expect(fromZonedInput('2026-07-04T00:00', 'America/New_York')).toBe('2026-07-04T04:00:00.000Z');
    expect(fromZonedInput('2027-01-01T00:00', 'Asia/Tokyo')).toBe('2026-12-31T15:00:00.000Z');
    expect(fromZonedInput('2027-01-01T00:00', 'UTC')).toBe('2027-01-01T00:00:00.000Z');
    expect(toZonedInput('2027-01-01T05:00:00Z', 'America/New_York')).toBe('2027-01-01T00:00');
    expect(toZonedInput('2027-01-01T04:59:00Z', 'America/New_York')).toBe('2026-12-31T23:59');
  });

  it('handles daylight saving: the skipped hour moves forward, the repeated hour is the first one', () => {
    // 2026-03-08: New York springs forward at 02:00 EST → 03:00 EDT.
    expect(fromZonedInput('2026-03-08T01:59', 'America/New_York')).toBe('2026-03-08T06:59:00.000Z');
    expect(fromZonedInput('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z'); // = 03:30 EDT
    expect(toZonedInput('2026-03-08T07:30:00Z', 'America/New_York')).toBe('2026-03-08T03:30');
    expect(fromZonedInput('2026-03-08T03:00', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
    // 2026-11-01: New York falls back at 02:00 EDT → 01:00 EST; 01:30 happens twice.
    expect(fromZonedInput('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
    expect(fromZonedInput('2026-11-01T02:00', 'America/New_York')).toBe('2026-11-01T07:00:00.000Z');
    // Europe/London and the southern hemisphere (Sydney springs forward in October).
    expect(fromZonedInput('2026-03-29T01:30', 'Europe/London')).toBe('2026-03-29T01:30:00.000Z'); // skipped: 02:30 BST
    expect(fromZonedInput('2026-10-04T02:30', 'Australia/Sydney')).toBe('2026-10-03T16:30:00.000Z'); // skipped: 03:30 AEDT
    // A zone with a 30-minute offset and no DST.
    expect(fromZonedInput('2027-01-01T00:00', 'Asia/Kolkata')).toBe('2026-12-31T18:30:00.000Z');
  });

  it('shows every instant as a wall-clock time that converts back to it (to the minute)', () => {
    const zones = ['America/New_York', 'Europe/Berlin', 'Australia/Sydney', 'Asia/Kolkata', 'America/St_Johns', 'UTC', 'Pacific/Chatham'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...zones), (t, zone) => {
        const minute = Math.floor(t / 60_000) * 60_000;
        const local = toZonedInput(new Date(minute), zone);
        const back = fromZonedInput(local, zone);
        expect(back).not.toBeNull();
        // In the repeated hour both instants show the same wall clock; the earlier one is chosen.
        const diff = minute - Date.parse(back!);
        expect(diff === 0 || (diff > 0 && diff <= 3_600_000)).toBe(true);
        expect(toZonedInput(back!, zone)).toBe(local);
      }),
      fcParams,
    );
  });

  it('counts calendar days in the zone', () => {
    expect(zonedDay('2027-01-01T04:30:00Z', 'America/New_York')).toBe('2026-12-31');
    expect(zonedDay('2027-01-01T05:30:00Z', 'America/New_York')).toBe('2027-01-01');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
  });

  it('accepts IANA zones in their canonical spelling and refuses anything else', () => {
    expect(canonicalTimeZone('America/New_York')).toBe('America/New_York');
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    for (const bad of ['', 'Mars/Olympus_Mons', '+02:00', '-05:00', 'EST 5', 'America/New_York; drop table', 'x'.repeat(200)]) {
      expect(canonicalTimeZone(bad)).toBeNull();
    }
    expect(fromZonedInput('2026-02-30T10:00', 'UTC')).toBeNull();
    expect(fromZonedInput('2026-12-31T24:00', 'UTC')).toBeNull();
    expect(fromZonedInput('next tuesday', 'UTC')).toBeNull();
  });
});
