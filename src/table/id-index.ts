/**
 * Customer id -> row, looked up once for every fact row: the hottest lookup of a run. Most
 * shops number their customers, bare ("10234") or behind one fixed prefix ("C10234",
 * "cust-10234"), often zero-padded to one width ("C0010234"). When every id is that prefix
 * followed by either a canonical whole number (no leading zero) or digits of one fixed
 * width, at most 15 digits (exact in a double), the index keeps the numbers in an
 * open-addressing table of typed arrays, 12 bytes a slot, and a lookup reads the digits of
 * the text it is given without hashing or keeping a string: three times as fast as a Map
 * on fresh strings, at a fifth of the memory. Any other set of ids stays in a Map. A text
 * that is not the prefix and such digits cannot be one of the ids, and two ids of one form
 * never share a number, so both kinds of index answer every lookup the same.
 */

/** What the fact pass, the outputs and the reports ask of the index (a Map has it too). */
export interface IdLookup {
  get(id: string): number | undefined;
  has(id: string): boolean;
  readonly size: number;
  /** Set when every id is `prefix` and a number of this form: ids can then be looked up by their number (getKey). */
  readonly form?: IdForm;
  /** The row of the id whose number (keyIn) is `key`. */
  getKey?(key: number): number | undefined;
}

/** Ids that are a fixed prefix and a number: canonical (no leading zero) when `width` is 0, else exactly `width` digits. */
export interface IdForm {
  prefix: string;
  width: number;
}

/** Canonical whole numbers, no prefix: how shops number orders (src/facts/order-index.ts). */
export const NUMERIC_ID: IdForm = { prefix: "", width: 0 };

/** Whether ids of `form` are canonical whole numbers, whose text is their number's (NUMERIC_ID). */
export function isNumericForm(form: IdForm): boolean {
  return form.prefix === "" && form.width === 0;
}

const MAX_DIGITS = 15;
const EMPTY = -1;
/** Numbers that span at most this many times their count go into a direct table (PrefixedNumbers). */
const DENSE_RANGE = 3;

/**
 * The whole number written in `s` from `from` to its end, or -1: canonical (no leading
 * zero) when `width` is 0, else exactly `width` digits, leading zeros allowed.
 */
export function digitsFrom(s: string, from: number, width = 0): number {
  return digitsIn(s, from, s.length, width);
}

/** How many characters `s` starts with that are not ASCII digits: the prefix of a numbered id. */
export function prefixLength(s: string): number {
  let p = 0;
  while (p < s.length && (s.charCodeAt(p) < 48 || s.charCodeAt(p) > 57)) p++;
  return p;
}

/** digitsFrom of the text from `from` to `end`. */
export function digitsIn(s: string, from: number, end: number, width = 0): number {
  const n = end - from;
  if (n <= 0 || n > MAX_DIGITS || (width !== 0 && n !== width)) return -1;
  let v = 0;
  for (let i = from; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || (d === 0 && i === from && n > 1 && width === 0)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * The number of the id written in `s` from `at` to `end` when it is of `form` (the prefix,
 * then the digits), else -1. Such a text begins with the prefix or a digit and ends with a
 * digit, so it has no space or apostrophe to strip (parseId): it is the id as it stands.
 */
export function keyIn(s: string, at: number, end: number, form: IdForm): number {
  const { prefix } = form;
  const p = prefix.length;
  if (end - at <= p) return -1;
  for (let i = 0; i < p; i++) if (s.charCodeAt(at + i) !== prefix.charCodeAt(i)) return -1;
  return digitsIn(s, at + p, end, form.width);
}

/** The text of the id of `form` whose number is `key`: what keyIn read it from. */
export function keyText(key: number, form: IdForm): string {
  const digits = String(key);
  return form.prefix + (form.width > 0 ? digits.padStart(form.width, "0") : digits);
}

/** A mixing of a double's integer value into 32 bits, for the slot. */
export function slotHash(v: number): number {
  const lo = v >>> 0;
  const hi = (v / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Ids that are one prefix and distinct numbers (canonical, or of one width), by number. */
class PrefixedNumbers implements IdLookup {
  readonly form: IdForm;

  /**
   * Rows by number: `dense[v - base]` when the numbers fill at least a third of their range
   * (shops number customers in sequence), 4 bytes a number and one read of a small array a
   * lookup; else the open-addressing table of `keys` and `slots`.
   */
  private readonly dense?: Int32Array;
  private readonly base: number = 0;
  private readonly keys?: Float64Array;
  private readonly slots?: Int32Array;

  private constructor(
    private readonly prefix: string,
    private readonly width: number,
    table: { dense: Int32Array; base: number } | { keys: Float64Array; slots: Int32Array },
    readonly size: number,
  ) {
    this.form = { prefix, width };
    if ("dense" in table) {
      this.dense = table.dense;
      this.base = table.base;
    } else {
      this.keys = table.keys;
      this.slots = table.slots;
    }
  }

  /** What the index is made of (idIndexParts). */
  parts(): IdIndexParts {
    const table = this.dense ? { dense: this.dense, base: this.base } : { keys: this.keys!, slots: this.slots! };
    return { prefix: this.prefix, width: this.width, size: this.size, table };
  }

  /** The index made of `parts` (idIndexFromParts). */
  static fromParts(parts: IdIndexParts): PrefixedNumbers {
    return new PrefixedNumbers(parts.prefix, parts.width, parts.table, parts.size);
  }

  /** The index of `ids`, or undefined when they are not all of this form. */
  static of(ids: readonly string[]): PrefixedNumbers | undefined {
    if (ids.length === 0) return undefined;
    const first = ids[0];
    const p = prefixLength(first);
    return PrefixedNumbers.tryWidth(ids, first.slice(0, p), 0) ?? PrefixedNumbers.tryWidth(ids, first.slice(0, p), first.length - p);
  }

  private static tryWidth(ids: readonly string[], prefix: string, width: number): PrefixedNumbers | undefined {
    const p = prefix.length;
    const numbers = new Float64Array(ids.length);
    let min = Infinity;
    let max = -Infinity;
    for (let row = 0; row < ids.length; row++) {
      const id = ids[row];
      const v = id.startsWith(prefix) ? digitsFrom(id, p, width) : -1;
      if (v < 0) return undefined;
      numbers[row] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max - min < ids.length * DENSE_RANGE) {
      const dense = new Int32Array(max - min + 1).fill(EMPTY);
      for (let row = 0; row < ids.length; row++) {
        const i = numbers[row] - min;
        if (dense[i] !== EMPTY) return undefined;
        dense[i] = row;
      }
      return new PrefixedNumbers(prefix, width, { dense, base: min }, ids.length);
    }
    let cap = 1 << 4;
    while (cap < ids.length * 2) cap *= 2;
    const keys = new Float64Array(cap);
    const slots = new Int32Array(cap).fill(EMPTY);
    const mask = cap - 1;
    for (let row = 0; row < ids.length; row++) {
      const v = numbers[row];
      let s = slotHash(v) & mask;
      for (; slots[s] !== EMPTY; s = (s + 1) & mask) if (keys[s] === v) return undefined;
      slots[s] = row;
      keys[s] = v;
    }
    return new PrefixedNumbers(prefix, width, { keys, slots }, ids.length);
  }

  get(id: string): number | undefined {
    const p = this.prefix.length;
    if (id.length <= p) return undefined;
    for (let i = 0; i < p; i++) if (id.charCodeAt(i) !== this.prefix.charCodeAt(i)) return undefined;
    const v = digitsFrom(id, p, this.width);
    return v < 0 ? undefined : this.getKey(v);
  }

  getKey(v: number): number | undefined {
    const dense = this.dense;
    if (dense) {
      const i = v - this.base;
      if (i < 0 || i >= dense.length) return undefined;
      const row = dense[i];
      return row === EMPTY ? undefined : row;
    }
    const keys = this.keys!;
    const slots = this.slots!;
    const mask = slots.length - 1;
    for (let s = slotHash(v) & mask; ; s = (s + 1) & mask) {
      const row = slots[s];
      if (row === EMPTY) return undefined;
      if (keys[s] === v) return row;
    }
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }
}

/**
 * An index of numbered ids as plain data and typed arrays, which structured clone copies
 * whole: the parallel fact pass sends it to its worker instead of a million ids, which the
 * worker would have to take in and index again (about a second at 1M customers).
 */
export interface IdIndexParts {
  prefix: string;
  width: number;
  size: number;
  table: { dense: Int32Array; base: number } | { keys: Float64Array; slots: Int32Array };
}

/** The parts of an index of numbered ids; undefined for a Map, which only its ids make again. */
export function idIndexParts(index: IdLookup): IdIndexParts | undefined {
  return index instanceof PrefixedNumbers ? index.parts() : undefined;
}

/** The index idIndexParts took apart, answering every lookup as it did. */
export function idIndexFromParts(parts: IdIndexParts): IdLookup {
  return PrefixedNumbers.fromParts(parts);
}

/**
 * The index of distinct `ids` (row = position). `map`, when the caller has built one of
 * the same ids already, is kept when the numbers do not fit, instead of building another.
 */
export function idIndex(ids: readonly string[], map?: Map<string, number>): IdLookup {
  const numbers = PrefixedNumbers.of(ids);
  if (numbers) return numbers;
  if (map) return map;
  const m = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) m.set(ids[i], i);
  return m;
}
