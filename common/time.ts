/**
 * The organisation's calendar (SPEC §5): campaign dates are typed and shown as wall-clock times in
 * the organisation's IANA zone, while the API and the database keep instants. Shared by the admin
 * (to turn a datetime-local field into an instant and back) and the server (daily chart, zone
 * validation). Built on Intl only, so it runs in Node and in the browser with the same answers.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function fieldsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The zone's canonical name ("america/new_york" → "America/New_York"), or null when it is not an
 * IANA zone this runtime knows. Offsets such as "+02:00" are refused: an offset has no daylight
 * saving rules, so it is not an organisation's time zone.
 */
export function canonicalTimeZone(zone: string): string | null {
  const z = zone.trim();
  if (!z || /^[+-]/.test(z) || z.length > 64) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: z }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export function isTimeZone(zone: string): boolean {
  return canonicalTimeZone(zone) !== null;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function zonedFields(t: number, timeZone: string): Fields {
  const out: Record<string, number> = {};
  for (const p of fieldsFormatter(timeZone).formatToParts(t)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

const asUtc = (f: Fields) => Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);

/** The zone's offset from UTC at instant t, in milliseconds (New York in winter: -5 h). */
export function zoneOffset(t: number, timeZone: string): number {
  const whole = Math.floor(t / 1000) * 1000;
  return asUtc(zonedFields(whole, timeZone)) - whole;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** An instant as the zone's wall clock, in the datetime-local format: "2026-12-31T23:59". */
export function toZonedInput(instant: string | Date, timeZone: string): string {
  const t = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  const f = zonedFields(t, timeZone);
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}`;
}

/** The zone's calendar day of an instant: "2026-12-31". */
export function zonedDay(instant: string | Date, timeZone: string): string {
  return toZonedInput(instant, timeZone).slice(0, 10);
}

/**
 * A wall-clock time in the zone ("2026-12-31T00:00", seconds optional, or a bare date meaning
 * its midnight) → the instant, as an ISO string in UTC; null when the text is not such a time.
 *
 * Daylight saving: a time that happens twice (the hour repeated when clocks go back) is the
 * earlier one; a time that never happens (the hour skipped when clocks go forward) is moved
 * forward by the length of the gap, as Temporal's "compatible" disambiguation does (02:30 on the
 * spring-forward night in New York is 03:30 EDT).
 */
export function fromZonedInput(local: string, timeZone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(local.trim());
  if (!m) return null;
  const f: Fields = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
  };
  const wall = asUtc(f);
  // Date.UTC rolls "02-30" over into March: a date that does not exist is refused, not moved.
  const check = new Date(wall);
  if (check.getUTCMonth() + 1 !== f.month || check.getUTCDate() !== f.day || f.hour > 23 || f.minute > 59 || f.second > 59) {
    return null;
  }
  // Offsets in force a day either side: any transition near this time lies between them.
  const before = zoneOffset(wall - 86_400_000, timeZone);
  const after = zoneOffset(wall + 86_400_000, timeZone);
  const candidates = [wall - before, wall - after].filter((t) => asUtc(zonedFields(t, timeZone)) === wall);
  const t = candidates.length ? Math.min(...candidates) : wall - before;
  return new Date(t).toISOString();
}

/** The next calendar day of a "YYYY-MM-DD" (calendar arithmetic, no zone involved). */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
