/**
 * Typed customer columns: numbers in Float64Array, dates as Int32 day numbers, datetimes
 * as Float64 epoch ms, bools as bytes, strings dictionary-encoded (codes + dictionary),
 * lists as offsets into a flat code array; nulls in a separate validity bitmap.
 */
import { BitSet } from "./bitset.js";
import { detach } from "./detach.js";
import type { ValueType } from "./value-type.js";

interface Base {
  /** Rows whose value is present; a null is a clear bit. */
  validity: BitSet;
  length: number;
}

/** Integer or decimal values. */
export interface NumberColumn extends Base {
  kind: "number";
  type: "integer" | "decimal";
  values: Float64Array;
}

/** Bool values as 0/1 bytes. */
export interface BoolColumn extends Base {
  kind: "bool";
  type: "bool";
  values: Uint8Array;
}

/** Dates as day numbers since 1970-01-01. */
export interface DateColumn extends Base {
  kind: "date";
  type: "date";
  values: Int32Array;
}

/** Datetimes as epoch milliseconds. */
export interface DateTimeColumn extends Base {
  kind: "datetime";
  type: "datetime";
  values: Float64Array;
}

/** Strings (and ids) as codes into a dictionary of distinct values. */
export interface StringColumn extends Base {
  kind: "string";
  type: "string" | "id";
  codes: Uint32Array;
  dict: string[];
}

/** Lists of strings: row i holds codes[offsets[i] .. offsets[i+1]). */
export interface ListColumn extends Base {
  kind: "list";
  type: "list";
  offsets: Uint32Array;
  codes: Uint32Array;
  dict: string[];
}

/** Any customer column. */
export type Column = NumberColumn | BoolColumn | DateColumn | DateTimeColumn | StringColumn | ListColumn;

/** A value as read back from a column, for display and reference evaluation. */
export type CellValue = number | boolean | string | string[] | null;

/** Reads row `i` of a column as a plain value (dates as day numbers, datetimes as ms). */
export function cellAt(col: Column, i: number): CellValue {
  if (!col.validity.has(i)) return null;
  switch (col.kind) {
    case "number":
    case "date":
    case "datetime":
      return col.values[i];
    case "bool":
      return col.values[i] === 1;
    case "string":
      return col.dict[col.codes[i]];
    case "list": {
      const out: string[] = [];
      for (let k = col.offsets[i]; k < col.offsets[i + 1]; k++) out.push(col.dict[col.codes[k]]);
      return out;
    }
  }
}

/** Number of null rows of a column (an empty list counts as present). */
export function nullCount(col: Column): number {
  return col.length - col.validity.count();
}

/** A typed array that doubles as values are pushed. */
export class Growable<T extends Float64Array | Int32Array | Uint32Array | Uint8Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data as never);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * A string dictionary that hands out one code per distinct value. With `adaptive`, a
 * dictionary that turns out to be mostly distinct values (emails, phones, names) stops
 * looking values up and appends each one: the hash map of a million near-unique strings
 * cost more than a third of loading the customers. Codes stay valid either way; the
 * dictionary may then hold repeats, which kernels simply test more than once.
 */
export class Dictionary {
  readonly values: string[] = [];
  private codes: Map<string, number> | undefined = new Map<string, number>();
  private seen = 0;

  constructor(private readonly adaptive = false) {}

  /** The code of `s`, adding it when new. */
  encode(s: string): number {
    const codes = this.codes;
    if (codes === undefined) {
      this.values.push(detach(s));
      return this.values.length - 1;
    }
    this.seen++;
    let c = codes.get(s);
    if (c === undefined) {
      c = this.values.length;
      const kept = detach(s);
      this.values.push(kept);
      codes.set(kept, c);
      // Past 64k distinct values, more than 3 in 4 of them new: not worth a hash map.
      if (this.adaptive && c >= 65_536 && c * 4 > this.seen * 3) this.codes = undefined;
    }
    return c;
  }
}

/** Appends typed values row by row and produces a column; memory grows with rows appended. */
export class ColumnBuilder {
  readonly type: ValueType;
  private readonly valid = new Growable((n) => new Uint8Array(n));
  private readonly nums?: Growable<Float64Array>;
  private readonly days?: Growable<Int32Array>;
  private readonly bytes?: Growable<Uint8Array>;
  private readonly codes?: Growable<Uint32Array>;
  private readonly offsets?: Growable<Uint32Array>;
  private readonly dict?: Dictionary;

  constructor(type: ValueType) {
    this.type = type;
    switch (type) {
      case "integer": case "decimal": case "datetime":
        this.nums = new Growable((n) => new Float64Array(n)); break;
      case "date":
        this.days = new Growable((n) => new Int32Array(n)); break;
      case "bool":
        this.bytes = new Growable((n) => new Uint8Array(n)); break;
      case "string": case "id":
        this.codes = new Growable((n) => new Uint32Array(n)); this.dict = new Dictionary(true); break;
      case "list":
        this.codes = new Growable((n) => new Uint32Array(n));
        this.offsets = new Growable((n) => new Uint32Array(n));
        this.offsets.push(0);
        this.dict = new Dictionary(true);
        break;
    }
  }

  /** Rows appended so far. */
  get length(): number {
    return this.valid.length;
  }

  /** Appends a value of the builder's type, or null. */
  push(v: number | boolean | string | string[] | null): void {
    const present = v !== null;
    this.valid.push(present ? 1 : 0);
    if (this.nums) this.nums.push(present ? (v as number) : 0);
    else if (this.days) this.days.push(present ? (v as number) : 0);
    else if (this.bytes) this.bytes.push(v === true ? 1 : 0);
    else if (this.offsets) {
      if (present) for (const s of v as string[]) this.codes!.push(this.dict!.encode(s));
      this.offsets.push(this.codes!.length);
    } else if (this.codes) this.codes.push(present ? this.dict!.encode(v as string) : 0);
  }

  /** Drops the last appended row (used when a later cell of the row turns out bad). */
  pop(): void {
    this.valid.length--;
    if (this.nums) this.nums.length--;
    else if (this.days) this.days.length--;
    else if (this.bytes) this.bytes.length--;
    else if (this.offsets) {
      this.offsets.length--;
      this.codes!.length = this.offsets.data[this.offsets.length - 1];
    } else if (this.codes) this.codes.length--;
  }

  /** The finished column. */
  finish(): Column {
    const length = this.valid.length;
    const validity = BitSet.ofFlags(this.valid.data, length);
    switch (this.type) {
      case "integer": case "decimal":
        return { kind: "number", type: this.type, values: this.nums!.finish(), validity, length };
      case "datetime":
        return { kind: "datetime", type: "datetime", values: this.nums!.finish(), validity, length };
      case "date":
        return { kind: "date", type: "date", values: this.days!.finish(), validity, length };
      case "bool":
        return { kind: "bool", type: "bool", values: this.bytes!.finish(), validity, length };
      case "string": case "id":
        return { kind: "string", type: this.type, codes: this.codes!.finish(), dict: this.dict!.values, validity, length };
      case "list":
        return { kind: "list", type: "list", offsets: this.offsets!.finish(), codes: this.codes!.finish(), dict: this.dict!.values, validity, length };
    }
  }
}
