/**
 * Calendar and time-zone arithmetic on plain numbers: dates are day numbers (days since
 * 1970-01-01), datetimes are epoch milliseconds. Zone offsets come from Intl and are cached
 * per zone and hour, so converting millions of values costs a Map lookup each.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Days since 1970-01-01 of a proleptic Gregorian calendar date (month 1..12), for any year:
 * plain arithmetic (H. Hinnant's days_from_civil), because Date.UTC reads years 0-99 as
 * 1900-1999.
 */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Epoch ms of a wall-clock time read as UTC, for any year (see daysFromCivil). */
export function utcFromFields(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  return daysFromCivil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * 60_000 + s * 1000 + ms;
}

/**
 * Calendar fields of a day number: Hinnant's civil_from_days, the inverse of
 * daysFromCivil, in integer arithmetic (no Date per call: ages and month-days of a million
 * customers call this a million times).
 */
export function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Number of days in a month (month 1..12) of the proleptic Gregorian calendar. */
export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return MONTH_DAYS[m - 1];
}

/** Formats a day number as `YYYY-MM-DD`. */
export function formatDay(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/** Adds calendar months to a day number; a day past the target month's end takes its last day. */
export function addMonths(days: number, months: number): number {
  const { y, m, d } = civilFromDays(days);
  const total = y * 12 + (m - 1) + months;
  const ty = Math.floor(total / 12);
  const tm = total - ty * 12 + 1;
  return daysFromCivil(ty, tm, Math.min(d, daysInMonth(ty, tm)));
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, Map<number, number>>();

/** True when `zone` is an IANA time zone this Node knows (or UTC). */
export function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = zoneFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    zoneFormatters.set(zone, f);
  }
  return f;
}

function isUtc(zone: string): boolean {
  return zone === "UTC" || zone === "Etc/UTC" || zone === "GMT" || zone === "Z";
}

/** Offset of `zone` from UTC, in ms, at the instant `utcMs` (local = utc + offset). */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  if (isUtc(zone)) return 0;
  let cache = offsetCache.get(zone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(zone, cache);
  }
  // Every zone in use changes its offset on a quarter hour at most, so an hour bucket is
  // safe to cache only when the offset is the same at both of its ends.
  const hour = Math.floor(utcMs / HOUR_MS);
  const hit = cache.get(hour);
  if (hit !== undefined && !Number.isNaN(hit)) return hit;
  if (hit !== undefined) return computeOffset(zone, utcMs);
  const start = computeOffset(zone, hour * HOUR_MS);
  const end = computeOffset(zone, hour * HOUR_MS + HOUR_MS - 1);
  if (start === end) {
    cache.set(hour, start);
    return start;
  }
  cache.set(hour, NaN);
  return computeOffset(zone, utcMs);
}

function computeOffset(zone: string, utcMs: number): number {
  const parts = formatterFor(zone).formatToParts(new Date(utcMs));
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const p of parts) {
    switch (p.type) {
      case "year": y = Number(p.value); break;
      case "month": mo = Number(p.value); break;
      case "day": d = Number(p.value); break;
      case "hour": h = Number(p.value); break;
      case "minute": mi = Number(p.value); break;
      case "second": s = Number(p.value); break;
    }
  }
  const asUtc = utcFromFields(y, mo, d, h, mi, s);
  const floored = utcMs - (((utcMs % 1000) + 1000) % 1000);
  return asUtc - floored;
}

/**
 * Converts a wall-clock time in `zone` to epoch ms. In a gap (spring forward) the time is
 * read with the offset before the change, as most calendars do; in an overlap, the earlier
 * instant is taken.
 */
export function wallTimeToUtc(zone: string, wallMs: number): number {
  if (isUtc(zone)) return wallMs;
  const first = wallMs - zoneOffsetMs(zone, wallMs);
  const second = wallMs - zoneOffsetMs(zone, first);
  if (first === second) return first;
  const earlier = Math.min(first, second);
  if (earlier + zoneOffsetMs(zone, earlier) === wallMs) return earlier;
  const later = Math.max(first, second);
  if (later + zoneOffsetMs(zone, later) === wallMs) return later;
  return wallMs - zoneOffsetMs(zone, wallMs - DAY_MS);
}

/** Calendar day (day number) of the instant `utcMs` in `zone`. */
export function dayInZone(zone: string, utcMs: number): number {
  return Math.floor((utcMs + zoneOffsetMs(zone, utcMs)) / DAY_MS);
}

/** Epoch ms of midnight at the start of day number `days` in `zone`. */
export function startOfDayInZone(zone: string, days: number): number {
  return wallTimeToUtc(zone, days * DAY_MS);
}

/**
 * An instant as ISO 8601 wall time in `zone` with its offset: `2026-11-23T14:05:00+03:00`
 * (milliseconds shown only when there are some). The same instant as the UTC form, read
 * the way the shop's people read it.
 */
export function isoInZone(zone: string, utcMs: number): string {
  const offset = zoneOffsetMs(zone, utcMs);
  const wall = new Date(utcMs + offset).toISOString();
  const text = wall.endsWith(".000Z") ? wall.slice(0, 19) : wall.slice(0, 23);
  const minutes = Math.round(offset / 60000);
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${text}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

export { DAY_MS };
