/**
 * Parsers for the value types of DATA.md. Each returns the typed value, or `undefined`
 * when the text is not of the type (the caller turns that into a bad-row problem). Empty
 * cells never reach them: an empty cell is null before typing.
 */
import { daysFromCivil, daysInMonth, utcFromFields, wallTimeToUtc } from "../table/time.js";

import type { ValueType } from "../table/value-type.js";

/** What a parser needs to know about its column and source. */
export interface ParseOptions {
  /** Decimal separator, `.` or `,`. */
  decimal: "." | ",";
  /** Separator of list items in text cells. */
  listSeparator: string;
  /** Zone of zone-less datetimes. */
  timezone: string;
  /** A compiled custom date format, when the column has one. */
  format?: DateFormat;
}

/** Human words for each type, used in messages. */
export const TYPE_EXPECTATION: Record<ValueType, string> = {
  id: "an id",
  string: "text",
  integer: "a whole number such as 12",
  decimal: "a number such as 1234.56",
  bool: "true/false, 1/0 or yes/no",
  date: "a date YYYY-MM-DD",
  datetime: "a datetime such as 2025-10-07T09:50:26Z or 2025-10-07 09:50:26 +0200",
  list: "a list",
};

/** Strips one leading apostrophe, the mark spreadsheets (and Shopify) put before ids kept as text. */
export function parseId(text: string): string {
  const t = text.trim();
  return t.charCodeAt(0) === 0x27 ? t.slice(1) : t;
}

const TRUE_WORDS = new Set(["true", "1", "yes"]);
const FALSE_WORDS = new Set(["false", "0", "no"]);

/** Parses `true/false/1/0/yes/no`, case-insensitive. */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  return undefined;
}

const DECIMAL_DOT = /^[+-]?(\d+\.?\d*|\.\d+)$/;
// Group separators allowed with a decimal comma: space, no-break space, narrow no-break space.
const GROUP_SPACES = /[ \u00a0\u202f]/g;

/** Parses a decimal with `.` or the source's decimal comma; no thousands separator except spaces with `,`. */
export function parseDecimal(text: string, decimal: "." | "," = "."): number | undefined {
  let t = text.trim();
  if (decimal === ",") {
    if (t.includes(".")) return undefined;
    t = t.replace(GROUP_SPACES, "").replace(",", ".");
  }
  if (!DECIMAL_DOT.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

const INTEGER = /^[+-]?\d+$/;

/** Parses a whole number (a decimal with no fraction, e.g. `3.0`, is also accepted). */
export function parseInteger(text: string, decimal: "." | "," = "."): number | undefined {
  const t = text.trim();
  if (INTEGER.test(t)) {
    const v = Number(t);
    return Number.isSafeInteger(v) ? v : undefined;
  }
  const d = parseDecimal(t, decimal);
  return d !== undefined && Number.isInteger(d) ? d : undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` to a day number. */
export function parseDate(text: string, format?: DateFormat): number | undefined {
  const t = text.trim();
  if (format) {
    const f = format.parse(t);
    return f ? daysFromCivil(f.y, f.mo, f.d) : undefined;
  }
  const m = ISO_DATE.exec(t);
  if (!m) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3];
  if (!validDate(y, mo, d)) return undefined;
  return daysFromCivil(y, mo, d);
}

const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(?: ?(Z|[+-]\d{2}:?\d{2}))?$/i;

/** Parses an ISO 8601 datetime of DATA.md (zone `Z`, `±HH:MM`, `±HHMM` or none) to epoch ms. */
export function parseDateTime(text: string, timezone = "UTC", format?: DateFormat): number | undefined {
  const t = text.trim();
  if (format) {
    const f = format.parse(t);
    return f ? fieldsToUtc(f, timezone) : undefined;
  }
  const fast = isoFields(t);
  return checkedUtc(fast === undefined ? isoFieldsByPattern(t) : fast, timezone);
}

/** The widest zone offset a datetime may carry: ±18:00, as ISO 8601 and Temporal allow. */
const MAX_OFFSET_MINUTES = 18 * 60;

/** Epoch ms of read fields, or undefined when they are no real date and time (or no fields). */
function checkedUtc(f: DateFields | null | undefined, timezone: string): number | undefined {
  if (!f || !validDate(f.y, f.mo, f.d) || f.h > 23 || f.mi > 59 || f.s > 59) return undefined;
  if (f.offsetMin !== undefined && !(Math.abs(f.offsetMin) <= MAX_OFFSET_MINUTES)) return undefined;
  return fieldsToUtc(f, timezone);
}

/*
 * In-place readers for the byte reader (scan-bytes.ts): each reads the value of
 * `t.slice(at, end)` for the plainest forms only, and returns undefined for anything else,
 * bad values included, so that the parser above decides those: whatever they return
 * equals what it would return for the same text.
 */

/**
 * A plain number in place: an optional minus, digits, and (with a separator code) one
 * separator followed by digits; at most 15 digits in all. Equal to Number() of the text:
 * the digits m and 10^k are exact doubles, and m / 10^k is the correctly rounded quotient,
 * as Number() is the correctly rounded value of the same decimal.
 */
export function plainNumberAt(t: string, at: number, end: number, separator: number | undefined): number | undefined {
  let i = at;
  const negative = i < end && t.charCodeAt(i) === 45;
  if (negative) i++;
  let m = 0;
  let digits = 0;
  let whole = -1;
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === separator && whole < 0 && digits > 0) whole = digits;
    else return undefined;
  }
  if (digits === 0 || digits > 15 || whole === digits) return undefined;
  const v = whole < 0 ? m : m / POWERS_OF_TEN[digits - whole];
  return negative ? -v : v;
}

/** 10^k for k up to 15, written out: each an exact double. */
const POWERS_OF_TEN = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** parseDate of `YYYY-MM-DD` in place (no custom format). */
export function plainDateAt(t: string, at: number, end: number): number | undefined {
  if (end - at !== 10) return undefined;
  const f = isoFieldsAt(t, at, end);
  return f && validDate(f.y, f.mo, f.d) ? daysFromCivil(f.y, f.mo, f.d) : undefined;
}

/** parseDateTime of an ISO form isoFields reads, in place (no custom format). */
export function plainDateTimeAt(t: string, at: number, end: number, timezone: string): number | undefined {
  const n = end - at;
  if (n === 19 || n === 20 || n === 25) {
    const v = secondsDateTimeAt(t, at, n, timezone);
    if (v === v) return v;
  }
  const f = isoFieldsAt(t, at, end);
  return f ? checkedUtc(f, timezone) : undefined;
}

/** The two digits at `i` as a number, or -1: digitsAt(t, i, 2) unrolled, for the hot path below (measured about 0.7 of its time there). */
function twoDigitsAt(t: string, i: number): number {
  const a = t.charCodeAt(i) - 48, b = t.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The forms of nearly every export, `YYYY-MM-DD HH:MM:SS` (T, t or a space between) alone,
 * with `Z` (or `z`), or with `±HH:MM`, `n` characters at `at`: their instant, read without
 * the fields object of isoFieldsAt, which costs a tenth of reading visits. NaN for any
 * other text and for a bad value of these forms: plainDateTimeAt then reads it as always.
 * Exported for its test against parseDateTime.
 */
export function secondsDateTimeAt(t: string, at: number, n: number, timezone: string): number {
  const sep = t.charCodeAt(at + 10);
  if (t.charCodeAt(at + 4) !== 45 || t.charCodeAt(at + 7) !== 45 || (sep !== 84 && sep !== 116 && sep !== 32) || t.charCodeAt(at + 13) !== 58 || t.charCodeAt(at + 16) !== 58) return NaN;
  const hi = twoDigitsAt(t, at), lo = twoDigitsAt(t, at + 2);
  const y = hi < 0 || lo < 0 ? -1 : hi * 100 + lo, mo = twoDigitsAt(t, at + 5), d = twoDigitsAt(t, at + 8);
  const h = twoDigitsAt(t, at + 11), mi = twoDigitsAt(t, at + 14), s = twoDigitsAt(t, at + 17);
  if (y < 0 || !validDate(y, mo, d) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return NaN;
  const wall = utcFromFields(y, mo, d, h, mi, s, 0);
  if (n === 19) return wallTimeToUtc(timezone, wall);
  const z = t.charCodeAt(at + 19);
  if (n === 20) return z === 90 || z === 122 ? wall : NaN;
  if ((z !== 43 && z !== 45) || t.charCodeAt(at + 22) !== 58) return NaN;
  const oh = twoDigitsAt(t, at + 20), om = twoDigitsAt(t, at + 23);
  if (oh < 0 || om < 0 || om > 59) return NaN;
  const offset = oh * 60 + om;
  if (offset > MAX_OFFSET_MINUTES) return NaN;
  return wall - (z === 45 ? -offset : offset) * 60_000;
}

/** The fields ISO_DATETIME reads from `t` (null: no match; an offset over :59 is NaN). Exported for the test that checks isoFields against it. */
export function isoFieldsByPattern(t: string): DateFields | null {
  const m = ISO_DATETIME.exec(t);
  if (!m) return null;
  return {
    y: +m[1], mo: +m[2], d: +m[3],
    h: m[4] ? +m[4] : 0, mi: m[5] ? +m[5] : 0, s: m[6] ? +m[6] : 0,
    ms: m[7] ? Math.floor(+`0.${m[7]}` * 1000) : 0,
    offsetMin: m[8] === undefined ? undefined : parseOffset(m[8]),
  };
}

/** The digit at `i` of `t` as a number, or -1. */
function digitAt(t: string, i: number): number {
  const c = t.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** The `n`-digit number at `i`, or -1 when a character there is no digit. */
function digitsAt(t: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = digitAt(t, i + k);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * The fields of the common ISO forms, read character by character (the reads of a fact
 * export spend much of their time here): `YYYY-MM-DD`, then `T` or a space and `HH:MM`,
 * `:SS`, a fraction and a zone, as ISO_DATETIME has them. Returns the same fields as that
 * expression, null for text it would refuse at a place this reader understands, and
 * undefined for anything else (the expression then decides, so both always agree).
 */
export function isoFields(t: string): DateFields | null | undefined {
  return isoFieldsAt(t, 0, t.length);
}

/** isoFields of the text `t.slice(at, end)`, read in place. */
export function isoFieldsAt(t: string, at: number, end: number): DateFields | null | undefined {
  const n = end - at;
  const c = (i: number) => t.charCodeAt(at + i);
  if (n < 10 || c(4) !== 45 || c(7) !== 45) return undefined;
  const y = digitsAt(t, at, 4), mo = digitsAt(t, at + 5, 2), d = digitsAt(t, at + 8, 2);
  if (y < 0 || mo < 0 || d < 0) return undefined;
  const f: DateFields = { y, mo, d, h: 0, mi: 0, s: 0, ms: 0, offsetMin: undefined };
  if (n === 10) return f;
  const sep = c(10);
  // T, t or a space, then HH:MM
  if ((sep !== 84 && sep !== 116 && sep !== 32) || n < 16 || c(13) !== 58) return undefined;
  f.h = digitsAt(t, at + 11, 2);
  f.mi = digitsAt(t, at + 14, 2);
  if (f.h < 0 || f.mi < 0) return undefined;
  let i = 16;
  if (i < n && c(i) === 58) {
    f.s = digitsAt(t, at + i + 1, 2);
    if (f.s < 0) return undefined;
    i += 3;
    const ch = c(i);
    if (i < n && (ch === 46 || ch === 44)) {
      let j = i + 1;
      while (j < n && digitAt(t, at + j) >= 0) j++;
      const digits = j - i - 1;
      if (digits < 1 || digits > 9) return undefined;
      f.ms = Math.floor(+`0.${t.slice(at + i + 1, at + j)}` * 1000);
      i = j;
    }
  }
  if (i === n) return f;
  if (c(i) === 32) i++;
  const z = c(i);
  if ((z === 90 || z === 122) && i + 1 === n) {
    f.offsetMin = 0;
    return f;
  }
  if (z !== 43 && z !== 45) return undefined;
  const oh = digitsAt(t, at + i + 1, 2);
  const colon = c(i + 3) === 58 ? 1 : 0;
  const om = digitsAt(t, at + i + 3 + colon, 2);
  if (oh < 0 || om < 0 || i + 5 + colon !== n) return undefined;
  if (om > 59) return null;
  f.offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
  return f;
}

/** Minutes east of UTC of `Z`, `±HH:MM` or `±HHMM`; NaN when the minutes are over 59 (`+05:99`). */
function parseOffset(z: string): number {
  if (z === "Z" || z === "z") return 0;
  const sign = z[0] === "-" ? -1 : 1;
  const digits = z.slice(1).replace(":", "");
  const minutes = Number(digits.slice(2, 4));
  if (minutes > 59) return Number.NaN;
  return sign * (Number(digits.slice(0, 2)) * 60 + minutes);
}

function validDate(y: number, mo: number, d: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/** Calendar and clock fields read from a datetime text. */
export interface DateFields {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
  /** Minutes east of UTC, when the text carried a zone. */
  offsetMin?: number;
}

function fieldsToUtc(f: DateFields, timezone: string): number {
  const wall = utcFromFields(f.y, f.mo, f.d, f.h, f.mi, f.s, f.ms);
  if (f.offsetMin !== undefined) return wall - f.offsetMin * 60_000;
  return wallTimeToUtc(timezone, wall);
}

/** A compiled date format such as `DD.MM.YYYY HH:mm`. */
export interface DateFormat {
  source: string;
  parse(text: string): DateFields | undefined;
}

const TOKENS: Array<[string, string, keyof DateFields | "Z"]> = [
  ["YYYY", "(\\d{4})", "y"],
  ["SSS", "(\\d{1,3})", "ms"],
  ["YY", "(\\d{2})", "y"],
  ["MM", "(\\d{2})", "mo"],
  ["DD", "(\\d{2})", "d"],
  ["HH", "(\\d{2})", "h"],
  ["mm", "(\\d{2})", "mi"],
  ["ss", "(\\d{2})", "s"],
  ["M", "(\\d{1,2})", "mo"],
  ["D", "(\\d{1,2})", "d"],
  ["H", "(\\d{1,2})", "h"],
  ["Z", "(Z|[+-]\\d{2}:?\\d{2})", "Z"],
];

/** Tokens a date format may use, for messages. */
export const FORMAT_TOKENS = "YYYY YY MM M DD D HH H mm ss SSS Z";

/**
 * Compiles a date format into a parser. Returns `undefined` when the format has no year,
 * month and day tokens.
 */
export function compileDateFormat(source: string): DateFormat | undefined {
  let pattern = "^";
  const slots: Array<keyof DateFields | "Z"> = [];
  let i = 0;
  outer: while (i < source.length) {
    for (const [tok, re, slot] of TOKENS) {
      if (source.startsWith(tok, i)) {
        pattern += re;
        slots.push(slot);
        i += tok.length;
        continue outer;
      }
    }
    pattern += source[i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    i++;
  }
  pattern += "$";
  if (!slots.includes("y") || !slots.includes("mo") || !slots.includes("d")) return undefined;
  const re = new RegExp(pattern);
  const twoDigitYear = source.includes("YY") && !source.includes("YYYY");
  return {
    source,
    parse(text: string): DateFields | undefined {
      const m = re.exec(text);
      if (!m) return undefined;
      const f: DateFields = { y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0, ms: 0 };
      for (let k = 0; k < slots.length; k++) {
        const slot = slots[k];
        const v = m[k + 1];
        if (slot === "Z") f.offsetMin = parseOffset(v);
        else if (slot === "ms") f.ms = Number(v.padEnd(3, "0"));
        else f[slot] = Number(v);
      }
      // Two-digit years pivot at 70 like most spreadsheets: 69 is 2069, 70 is 1970.
      if (twoDigitYear) f.y += f.y < 70 ? 2000 : 1900;
      if (!validDate(f.y, f.mo, f.d) || f.h > 23 || f.mi > 59 || f.s > 59) return undefined;
      if (f.offsetMin !== undefined && !(Math.abs(f.offsetMin) <= MAX_OFFSET_MINUTES)) return undefined;
      return f;
    },
  };
}

/** Splits a list cell on the separator, trimming items and dropping empty ones. */
export function parseList(text: string, separator: string): string[] {
  const out: string[] = [];
  for (const part of text.split(separator)) {
    const t = part.trim();
    if (t !== "") out.push(t);
  }
  return out;
}

/** A share as written in a config or definition: `30%`, or a number from 0 to 1; undefined when neither. */
export function parseShare(v: unknown): number | undefined {
  if (typeof v === "number") return v >= 0 && v <= 1 ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
  if (!m) return undefined;
  const share = Number(m[1]) / 100;
  return share <= 1 ? share : undefined;
}

/** What a share must look like, for messages. */
export const SHARE_EXPECTATION = "a share such as 30% (or a number from 0 to 1)";
