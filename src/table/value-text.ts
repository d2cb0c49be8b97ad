/**
 * The text of a value, in one place: dates as `YYYY-MM-DD`, datetimes as ISO 8601 in UTC,
 * bools as `true`/`false`, lists as their items joined by `;`, numbers in JavaScript's
 * shortest round-trip form. Preview, `--customer`, `fields` and the rejected-rows files use
 * it, and so will the export writers, so a value reads the same everywhere.
 */
import type { CellValue, Column } from "./column.js";
import { cellAt } from "./column.js";
import { dayInZone, formatDay, isoInZone } from "./time.js";
import type { ValueType } from "./value-type.js";

/** The text of a typed value (dates are day numbers, datetimes epoch ms); null is "". */
export function valueText(type: ValueType, v: CellValue): string {
  if (v === null) return "";
  if (type === "date" && typeof v === "number") return formatDay(v);
  if (type === "datetime" && typeof v === "number") return new Date(v).toISOString();
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return v.join(";");
  return String(v);
}

/**
 * A decimal as the number it stands for: sums of prices gather binary noise
 * (0.1 + 0.2 = 0.30000000000000004), so decimals are rounded to 15 significant digits,
 * which every double holds exactly. Integers are left alone.
 */
export function tidyDecimal(v: number): number {
  return Number.isInteger(v) ? v : Number(v.toPrecision(15));
}

/**
 * The text of a value in an export file: as `valueText`, but datetimes as wall time in the
 * zone with its offset (`2026-11-23T14:05:00+03:00`) and decimals tidied.
 */
export function exportText(type: ValueType, v: CellValue, timezone: string): string {
  if (type === "datetime" && typeof v === "number") return isoInZone(timezone, v);
  if (type === "decimal" && typeof v === "number") return String(tidyDecimal(v));
  return valueText(type, v);
}

/**
 * A value for JSON: numbers, bools, null and arrays as themselves (decimals tidied), dates
 * as `YYYY-MM-DD`, datetimes as in `exportText`.
 */
export function exportJsonValue(type: ValueType, v: CellValue, timezone: string): string | number | boolean | string[] | null {
  if (v === null) return null;
  if (type === "date" || type === "datetime") return exportText(type, v, timezone);
  if (typeof v === "number") return type === "decimal" ? tidyDecimal(v) : v;
  return v;
}

/** The text of row `i` of a column. */
export function cellText(col: Column, i: number): string {
  return valueText(col.type, cellAt(col, i));
}

/** A value for one line of a terminal: line breaks shown as `\n`. */
export function oneLine(text: string): string {
  return text.replace(/\r?\n/g, "\\n");
}

/**
 * A value as `preview --customer` shows it: null as `null`, text quoted, a datetime with its
 * calendar day in the zone, a list as a JSON array.
 */
export function traceText(type: ValueType, v: CellValue, timezone: string): string {
  if (v === null) return "null";
  if (type === "datetime" && typeof v === "number") return `${valueText(type, v)} (${timezone} day ${formatDay(dayInZone(timezone, v))})`;
  if (Array.isArray(v)) return `[${v.map((s) => JSON.stringify(s)).join(", ")}]`;
  if (typeof v === "string") {
    const folded = v.trim().toLowerCase();
    return JSON.stringify(v) + (folded !== v ? ` (compared as ${JSON.stringify(folded)})` : "");
  }
  return valueText(type, v);
}

/** The text of a raw cell as read from an export (objects and arrays as JSON). */
export function rawCellText(cell: unknown): string {
  if (cell === null || cell === undefined) return "";
  if (typeof cell === "object") return JSON.stringify(cell);
  return String(cell);
}
