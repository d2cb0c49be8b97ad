/** Which operators each kind of field takes, and the checking of operands. */
import { userRegExp } from "../safe-regex.js";
import { parseDate, parseDateTime } from "../schema/parse-value.js";
import { addMonths, civilFromDays, dayInZone } from "../table/time.js";
import type { ValueType } from "../table/value-type.js";
import type { DateOperand, Op, Scalar } from "./ast.js";
import type { TypeClass } from "./plan.js";

/** Lower-cases and trims, as all string comparisons do. */
export function fold(s: string): string {
  return s.trim().toLowerCase();
}

/** Month-day key of a day number: 1231 for 31 December, 229 for 29 February. */
export function monthDayKey(day: number): number {
  const { m, d } = civilFromDays(day);
  return m * 100 + d;
}

/** The as-of day and zone that relative dates resolve against. */
export interface DateContext {
  asOfDay: number;
  timezone: string;
}

/** Resolves a date operand to a day number (or a month-day key with ignore_year). */
export function resolveDate(op: DateOperand, ctx: DateContext, ignoreYear: boolean): number {
  let day: number;
  switch (op.kind) {
    case "month-day":
      return op.month * 100 + op.day;
    case "day":
      day = op.day;
      break;
    case "instant":
      day = dayInZone(ctx.timezone, parseDateTime(op.text, ctx.timezone)!);
      break;
    case "relative":
      if (op.unit === "d") day = ctx.asOfDay + op.n;
      else if (op.unit === "w") day = ctx.asOfDay + 7 * op.n;
      else day = addMonths(ctx.asOfDay, op.unit === "m" ? op.n : 12 * op.n);
      break;
  }
  return ignoreYear ? monthDayKey(day) : day;
}

/** The comparison class of a value type. */
export function classOf(type: ValueType): TypeClass {
  switch (type) {
    case "id": case "string": return "string";
    case "integer": case "decimal": return "number";
    case "date": case "datetime": return "date";
    case "bool": return "bool";
    case "list": return "list";
  }
}

/** Operators allowed per class. */
export const OPS_BY_CLASS: Record<TypeClass, readonly Op[]> = {
  string: ["eq", "ne", "in", "not_in", "empty", "contains", "not_contains", "starts_with", "ends_with", "matches"],
  list: ["eq", "ne", "in", "not_in", "all", "empty", "contains", "not_contains", "starts_with", "ends_with", "matches"],
  number: ["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "empty"],
  bool: ["eq", "ne", "in", "not_in", "empty"],
  date: ["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "empty"],
};

/** A checked operand, ready to compile. */
export type Operand =
  | { shape: "scalar"; value: Scalar }
  | { shape: "list"; values: Scalar[] }
  | { shape: "range"; low: Scalar; high: Scalar }
  | { shape: "bool"; value: boolean }
  | { shape: "text"; value: string }
  | { shape: "regex"; regex: RegExp };

/** A problem with an operand. */
export interface OperandError {
  message: string;
  hint?: string;
}

const RELATIVE = /^([+-])(\d{1,5})([dwmy])$/;
const MONTH_DAY = /^(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH_LEAP = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The date operand forms, for messages. */
export const DATE_FORMS = "YYYY-MM-DD, a datetime, today, or an offset such as -90d, +3d, -2w, -3m, -1y";
const MONTH_DAY_FORMS = "MM-DD (e.g. \"12-31\"), today, or an offset such as +3d";

/** Parses a date operand; with `ignoreYear`, `MM-DD` is allowed too. */
export function parseDateOperand(v: unknown, ignoreYear: boolean): DateOperand | undefined {
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  if (t === "today") return { kind: "relative", n: 0, unit: "d" };
  const rel = RELATIVE.exec(t);
  if (rel) return { kind: "relative", n: (rel[1] === "-" ? -1 : 1) * Number(rel[2]), unit: rel[3] as "d" | "w" | "m" | "y" };
  if (ignoreYear) {
    const md = MONTH_DAY.exec(t);
    if (md) {
      const month = Number(md[1]), day = Number(md[2]);
      if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH_LEAP[month - 1]) return undefined;
      return { kind: "month-day", month, day };
    }
  }
  const day = parseDate(t);
  if (day !== undefined) return { kind: "day", day };
  if (parseDateTime(t) !== undefined) return { kind: "instant", text: t };
  return undefined;
}

function scalarFor(cls: TypeClass, v: unknown, ignoreYear: boolean): Scalar | OperandError {
  switch (cls) {
    case "string":
    case "list":
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "boolean") return String(v);
      return { message: "expected a text value" };
    case "number":
      if (typeof v === "number" && Number.isFinite(v)) return v;
      return { message: "expected a number", hint: typeof v === "string" && /^-?\d/.test(v) ? "write numbers without quotes or units" : undefined };
    case "bool":
      if (typeof v === "boolean") return v;
      return { message: "expected true or false" };
    case "date": {
      const d = parseDateOperand(v, ignoreYear);
      if (d) return d;
      return { message: `expected a date: ${ignoreYear ? MONTH_DAY_FORMS : DATE_FORMS}`, hint: dateHint(v, ignoreYear) };
    }
  }
}

const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Why a date operand is wrong, when its shape tells: a day the month has not, or MM-DD without ignore_year. */
function dateHint(v: unknown, ignoreYear: boolean): string | undefined {
  if (typeof v !== "string") return undefined;
  const m = MONTH_DAY.exec(v.trim());
  if (!m) return undefined;
  const month = Number(m[1]);
  const day = Number(m[2]);
  if (month < 1 || month > 12) return `${v} has no month ${m[1]}: MM-DD is month, then day`;
  if (day < 1 || day > DAYS_IN_MONTH_LEAP[month - 1]) return `${MONTH_NAMES[month - 1]} has no day ${day} (it has ${DAYS_IN_MONTH_LEAP[month - 1]} at most)`;
  return ignoreYear ? undefined : "MM-DD needs `ignore_year: true`";
}

function isError(x: unknown): x is OperandError {
  return typeof x === "object" && x !== null && "message" in x && !("kind" in x);
}

/** Most values one list of a filter takes (docs/reliability.md). */
export const MAX_LIST_VALUES = 100_000;

/** Checks an operator's operand for a field of class `cls`. */
export function checkOperand(op: Op, raw: unknown, cls: TypeClass, ignoreYear: boolean): Operand | OperandError {
  switch (op) {
    case "eq":
    case "ne":
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      if (Array.isArray(raw)) return { message: `\`${op}\` takes one value, not a list`, hint: op === "eq" ? "use `in` for any of several values" : op === "ne" ? "use `not_in` for none of several values" : undefined };
      if (raw === null || raw === undefined) return { message: `\`${op}\` needs a value`, hint: "use `empty: true` to test for a missing value" };
      const v = scalarFor(cls, raw, ignoreYear);
      return isError(v) ? v : { shape: "scalar", value: v };
    }
    case "in":
    case "not_in":
    case "all": {
      if (!Array.isArray(raw)) return { message: `\`${op}\` takes a list, e.g. [a, b]` };
      if (raw.length === 0) return { message: `\`${op}\` needs at least one value` };
      if (raw.length > MAX_LIST_VALUES) return { message: `\`${op}\` takes at most ${MAX_LIST_VALUES.toLocaleString("en-US")} values, this list has ${raw.length.toLocaleString("en-US")}`, hint: "split it over several filters in an `any` group (or several segments)" };
      const values: Scalar[] = [];
      for (const item of raw) {
        const v = scalarFor(cls, item, ignoreYear);
        if (isError(v)) return { message: `${v.message} in the list`, hint: v.hint };
        values.push(v);
      }
      return { shape: "list", values };
    }
    case "between": {
      if (!Array.isArray(raw) || raw.length !== 2) return { message: "`between` takes [low, high]", hint: "use null for an open end: [null, 100]" };
      if (raw[0] === null && raw[1] === null) return { message: "`between` needs at least one end", hint: "remove the filter, or give a low or a high" };
      const ends: Scalar[] = [];
      for (const end of raw) {
        if (end === null) {
          ends.push(null);
          continue;
        }
        const v = scalarFor(cls, end, ignoreYear);
        if (isError(v)) return v;
        ends.push(v);
      }
      return { shape: "range", low: ends[0], high: ends[1] };
    }
    case "empty":
      if (typeof raw !== "boolean") return { message: "`empty` takes true or false" };
      return { shape: "bool", value: raw };
    case "contains":
    case "not_contains":
    case "starts_with":
    case "ends_with":
      if (typeof raw === "number") return { shape: "text", value: String(raw) };
      if (typeof raw !== "string" || raw === "") return { message: `\`${op}\` takes a non-empty text` };
      return { shape: "text", value: raw };
    case "matches": {
      if (typeof raw !== "string" || raw === "") return { message: "`matches` takes a regular expression, /…/flags or bare" };
      const m = /^\/(.*)\/([a-z]*)$/s.exec(raw);
      // g and y would make test() stateful across rows; they mean nothing for a filter.
      const re = m ? userRegExp(m[1], m[2].replace(/[gy]/g, "")) : userRegExp(raw, "");
      return re instanceof RegExp ? { shape: "regex", regex: re } : re;
    }
  }
}

/** True when `x` is an operand error. */
export function isOperandError(x: Operand | OperandError): x is OperandError {
  return !("shape" in x);
}
