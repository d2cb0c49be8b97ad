/**
 * A customer custom field's column, typed while the export streams. A custom field's type
 * is inferred over all its values (infer-type.ts), so it is known only at the end. While a
 * field has few distinct values, they are kept as dictionary codes and each distinct value
 * is parsed once at the end, as before. A field past `typedAfter` distinct values that some
 * type still fits (a date, a number, a datetime such as a last login) is then parsed as it
 * comes, one array per type that still fits, with no string kept for its rows: keeping a
 * million near-unique strings until the end cost more than the parsing, mostly in garbage
 * collection. A field that turns out to be text after that (a value no type fits) has lost
 * its strings: `finish` says so, and the caller reads that field again as text.
 */
import { BitSet } from "../table/bitset.js";
import { Dictionary, Growable, type Column } from "../table/column.js";
import type { ValueType } from "../table/value-type.js";
import { parseBool, parseDate, parseDateTime, parseDecimal, parseInteger } from "../schema/parse-value.js";
import { TypeGuess } from "./infer-type.js";

/** Distinct values after which a field some type fits is parsed as it streams. */
export const TYPED_AFTER = 16_384;

/** The types a field of many distinct values can still have, in the order inference prefers them. */
const MANY_VALUED = ["integer", "decimal", "date", "datetime"] as const;
type Candidate = (typeof MANY_VALUED)[number];

/** The value of a text of `type`, or undefined when it is not one (dates as day numbers, datetimes as ms). */
export function parseAs(type: Exclude<ValueType, "string" | "id" | "list">, text: string, decimal: "." | ",", timezone: string): number | boolean | undefined {
  switch (type) {
    case "bool": return parseBool(text);
    case "integer": return parseInteger(text, decimal);
    case "decimal": return parseDecimal(text, decimal);
    case "date": return parseDate(text);
    case "datetime": return parseDateTime(text, timezone);
  }
}

/** Appends a custom field's trimmed texts (or null) row by row; see the file comment. */
export class CustomFieldBuilder {
  private readonly valid = new Growable((n) => new Uint8Array(n));
  private readonly codes = new Growable((n) => new Uint32Array(n));
  private readonly dict = new Dictionary(true);
  private readonly guess: TypeGuess;
  /** Rows kept as codes; the rows after them are parsed (once `typed` is set). */
  private prefix = -1;
  /** The types that fit every value since `prefix`, each with its rows' values. */
  private typed: Array<{ type: Candidate; values: Growable<Float64Array> }> = [];

  constructor(private readonly decimal: "." | ",", private readonly timezone: string, private readonly typedAfter = TYPED_AFTER) {
    this.guess = new TypeGuess(decimal);
  }

  /** Rows appended so far. */
  get length(): number {
    return this.valid.length;
  }

  /** Appends a row's text (trimmed, not empty) or null. */
  push(v: string | null): void {
    this.valid.push(v === null ? 0 : 1);
    if (this.prefix >= 0) return this.parse(v);
    if (v === null) return this.codes.push(0);
    const before = this.dict.values.length;
    this.codes.push(this.dict.encode(v));
    if (this.dict.values.length === before) return;
    this.guess.add(v);
    if (before + 1 === this.typedAfter) this.startParsing();
  }

  /**
   * The column: text, or the type every value reads as. Undefined when the field had to
   * be read as text after its strings were dropped (see the file comment).
   */
  finish(): Column | undefined {
    if (this.lost) return undefined;
    const length = this.valid.length;
    const valid = this.valid.data;
    const validity = BitSet.ofFlags(valid, length);
    const codes = this.codes.finish();
    const rest = this.typed[0];
    const type = rest ? rest.type : this.guess.result();
    if (type === "string" || type === "id" || type === "list") return { kind: "string", type: "string", codes, dict: this.dict.values, validity, length };
    // Rows kept as codes take their distinct value's parse; the rest were parsed as they came.
    const parsed = this.dict.values.map((v) => parseAs(type, v, this.decimal, this.timezone));
    const kept = this.prefix >= 0 ? this.prefix : length;
    const value = (i: number): number => {
      if (i >= kept) return rest!.values.data[i - kept];
      const p = parsed[codes[i]];
      return p === undefined ? NaN : Number(p);
    };
    const values = type === "bool" ? new Uint8Array(length) : type === "date" ? new Int32Array(length) : new Float64Array(length);
    for (let i = 0; i < length; i++) {
      if (valid[i] !== 1) continue;
      const v = value(i);
      // A value its type does not read is a null, as a cell that failed typing would be.
      if (v === v) values[i] = v;
      else validity.delete(i);
    }
    if (type === "bool") return { kind: "bool", type, values: values as Uint8Array, validity, length };
    if (type === "date") return { kind: "date", type, values: values as Int32Array, validity, length };
    if (type === "datetime") return { kind: "datetime", type, values: values as Float64Array, validity, length };
    return { kind: "number", type, values: values as Float64Array, validity, length };
  }

  /** From now on, parses each value as every type that still fits (when some type other than bool does). */
  private startParsing(): void {
    if (this.guess.settled || this.guess.fits("bool")) return;
    this.typed = MANY_VALUED.filter((t) => this.guess.fits(t)).map((type) => ({ type, values: new Growable((n) => new Float64Array(n)) }));
    this.prefix = this.codes.length;
  }

  /** True once no type fits a field whose strings were not kept. */
  private get lost(): boolean {
    return this.prefix >= 0 && this.typed.length === 0;
  }

  private parse(v: string | null): void {
    const typed = this.typed;
    for (let k = 0; k < typed.length; k++) {
      const x = v === null ? 0 : parseAs(typed[k].type, v, this.decimal, this.timezone);
      if (x !== undefined) {
        typed[k].values.push(x as number);
        continue;
      }
      typed.splice(k--, 1);
    }
  }
}
