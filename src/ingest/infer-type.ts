/** Type inference for custom fields: the narrowest type every non-empty value parses as. */
import { parseBool, parseDate, parseDateTime, parseDecimal, parseInteger } from "../schema/parse-value.js";
import type { ValueType } from "../table/value-type.js";

const BOOL_WORD = /^(true|false|yes|no)$/i;

/** Distinct values remembered so a repeated value is parsed once (bounded: facts repeat a lot). */
const SEEN_LIMIT = 4096;

/**
 * The inference of `inferType`, fed one value at a time, so a fact export's custom column
 * can be typed while it streams past without keeping its values.
 */
export class TypeGuess {
  private bool = true;
  private boolWord = false;
  private integer = true;
  private dec = true;
  private date = true;
  private datetime = true;
  private any = false;
  private readonly seen = new Set<string>();

  constructor(private readonly decimal: "." | "," = ".") {}

  /** True once only `string` is left: further values cannot change the result. */
  get settled(): boolean {
    return this.any && !this.bool && !this.integer && !this.dec && !this.date && !this.datetime;
  }

  add(raw: string): void {
    if (this.settled) return;
    const v = raw.trim();
    if (v === "" || this.seen.has(v)) return;
    if (this.seen.size < SEEN_LIMIT) this.seen.add(v);
    this.any = true;
    if (this.bool) {
      if (parseBool(v) === undefined) this.bool = false;
      else if (BOOL_WORD.test(v)) this.boolWord = true;
    }
    if (this.integer && parseInteger(v, this.decimal) === undefined) this.integer = false;
    if (this.dec && parseDecimal(v, this.decimal) === undefined) this.dec = false;
    if (this.date && parseDate(v) === undefined) this.date = false;
    if (this.datetime && parseDateTime(v) === undefined) this.datetime = false;
  }

  /** Whether every value added so far reads as `type` (for bool, whether or not a word came). */
  fits(type: Exclude<ValueType, "string" | "id" | "list">): boolean {
    switch (type) {
      case "bool": return this.bool;
      case "integer": return this.integer;
      case "decimal": return this.dec;
      case "date": return this.date;
      case "datetime": return this.datetime;
    }
  }

  result(): ValueType {
    if (!this.any) return "string";
    if (this.bool && this.boolWord) return "bool";
    if (this.integer) return "integer";
    if (this.dec) return "decimal";
    if (this.date) return "date";
    if (this.datetime) return "datetime";
    return "string";
  }
}

/**
 * Infers a custom field's type from its distinct non-empty values, trying in order bool,
 * integer, decimal, date, datetime, else string. A column of only `0` and `1` is an
 * integer, not a bool: a bool column needs at least one word (true/false/yes/no), since a
 * count that happens to be 0 or 1 is far more common than a flag written as digits.
 * A column with no values at all is a string.
 */
export function inferType(values: Iterable<string>, decimal: "." | "," = "."): ValueType {
  const guess = new TypeGuess(decimal);
  for (const v of values) {
    guess.add(v);
    if (guess.settled) break;
  }
  return guess.result();
}
