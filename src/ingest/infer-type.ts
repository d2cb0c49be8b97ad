/** Type inference for custom fields: the narrowest type every non-empty value parses as. */
import { parseBool, parseDate, parseDateTime, parseDecimal, parseInteger } from "../schema/parse-value.js";
import type { ValueType } from "../table/value-type.js";

const BOOL_WORD = /^(true|false|yes|no)$/i;

/**
 * Infers a custom field's type from its distinct non-empty values, trying in order bool,
 * integer, decimal, date, datetime, else string. A column of only `0` and `1` is an
 * integer, not a bool: a bool column needs at least one word (true/false/yes/no), since a
 * count that happens to be 0 or 1 is far more common than a flag written as digits.
 * A column with no values at all is a string.
 */
export function inferType(values: Iterable<string>, decimal: "." | "," = "."): ValueType {
  let bool = true, boolWord = false, integer = true, dec = true, date = true, datetime = true;
  let any = false;
  for (const raw of values) {
    const v = raw.trim();
    if (v === "") continue;
    any = true;
    if (bool) {
      if (parseBool(v) === undefined) bool = false;
      else if (BOOL_WORD.test(v)) boolWord = true;
    }
    if (integer && parseInteger(v, decimal) === undefined) integer = false;
    if (dec && parseDecimal(v, decimal) === undefined) dec = false;
    if (date && parseDate(v) === undefined) date = false;
    if (datetime && parseDateTime(v) === undefined) datetime = false;
    if (!bool && !integer && !dec && !date && !datetime) return "string";
  }
  if (!any) return "string";
  if (bool && boolWord) return "bool";
  if (integer) return "integer";
  if (dec) return "decimal";
  if (date) return "date";
  if (datetime) return "datetime";
  return "string";
}
