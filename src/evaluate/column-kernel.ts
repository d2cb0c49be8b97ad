/**
 * The kernel of a filter over one customer column (a profile or custom field, `age`, or a
 * fact metric): the candidate rows whose value passes the test. Strings test each distinct
 * dictionary value once, then compare codes; lists do the same per item; numbers and dates
 * (day numbers in the zone) compare against the test's bounds in a typed loop.
 *
 * Each case walks the candidate words itself and builds each output word in a local: a
 * callback per row (BitSet.forEach) costs more than the test at a million customers.
 */
import type { Tester } from "../rules/value-test.js";
import { BitSet } from "../table/bitset.js";
import type { Column } from "../table/column.js";
import type { EvalState } from "./eval-state.js";

/** The rows of `cand` whose value in `col` passes (a missing column: every value null). */
export function columnKernel(col: Column | undefined, monthDay: boolean, tester: Tester, cand: BitSet, state: EvalState): BitSet {
  const out = new BitSet(cand.size);
  if (!col) return tester.onNull ? cand.clone() : out;
  switch (col.kind) {
    case "string": {
      const table = new Uint8Array(col.dict.length);
      for (let c = 0; c < col.dict.length; c++) table[c] = tester.test(col.dict[c]) ? 1 : 0;
      return byCode(col.codes, table, col.validity, tester.onNull, cand, out);
    }
    case "list":
      return tester.anyItem ? anyItem(col, tester, cand, out) : eachList(col, tester, cand, out);
    case "bool": {
      const table = Uint8Array.of(tester.test(false) ? 1 : 0, tester.test(true) ? 1 : 0);
      return byCode(col.values, table, col.validity, tester.onNull, cand, out);
    }
    case "number":
      return tester.bounds ? inBounds(col.values, col.validity, tester, cand, out) : eachValue(col.values, col.validity, tester, cand, out);
    case "date":
    case "datetime": {
      const values = monthDay ? state.monthDays(col) : state.days(col);
      return tester.bounds ? inBounds(values, col.validity, tester, cand, out) : eachValue(values, col.validity, tester, cand, out);
    }
  }
}

/** Rows whose code passes in `table` (one byte per code), `onNull` where the value is missing. */
function byCode(codes: ArrayLike<number>, table: Uint8Array, validity: BitSet, onNull: boolean, cand: BitSet, out: BitSet): BitSet {
  const cw = cand.words, vw = validity.words, ow = out.words;
  for (let w = 0; w < cw.length; w++) {
    let word = cw[w];
    if (word === 0) continue;
    const valid = vw[w];
    let bits = onNull ? word & ~valid : 0;
    word &= valid;
    const base = w << 5;
    while (word !== 0) {
      const low = word & -word;
      if (table[codes[base + 31 - Math.clz32(low)]] === 1) bits |= low;
      word ^= low;
    }
    ow[w] = bits;
  }
  return out;
}

/** Rows whose value lies in the tester's bounds (see src/rules/bounds.ts). */
function inBounds(values: ArrayLike<number>, validity: BitSet, tester: Tester, cand: BitSet, out: BitSet): BitSet {
  const { lo, hi, loOpen, hiOpen, wraps, negate } = tester.bounds!;
  const cw = cand.words, vw = validity.words, ow = out.words;
  for (let w = 0; w < cw.length; w++) {
    let word = cw[w];
    if (word === 0) continue;
    const valid = vw[w];
    let bits = tester.onNull ? word & ~valid : 0;
    word &= valid;
    const base = w << 5;
    while (word !== 0) {
      const low = word & -word;
      const v = values[base + 31 - Math.clz32(low)];
      const above = loOpen ? v > lo : v >= lo;
      const below = hiOpen ? v < hi : v <= hi;
      if ((wraps ? above || below : above && below) !== negate) bits |= low;
      word ^= low;
    }
    ow[w] = bits;
  }
  return out;
}

/** Rows whose value passes `tester.test` (in, not_in, empty on numbers and dates). */
function eachValue(values: ArrayLike<number>, validity: BitSet, tester: Tester, cand: BitSet, out: BitSet): BitSet {
  const cw = cand.words, vw = validity.words, ow = out.words;
  for (let w = 0; w < cw.length; w++) {
    let word = cw[w];
    if (word === 0) continue;
    const valid = vw[w];
    let bits = tester.onNull ? word & ~valid : 0;
    word &= valid;
    const base = w << 5;
    while (word !== 0) {
      const low = word & -word;
      if (tester.test(values[base + 31 - Math.clz32(low)])) bits |= low;
      word ^= low;
    }
    ow[w] = bits;
  }
  return out;
}

type ListColumn = Extract<Column, { kind: "list" }>;

/** A list test as "some item passes": each distinct item tested once, then codes per row. */
function anyItem(col: ListColumn, tester: Tester, cand: BitSet, out: BitSet): BitSet {
  const { item, negate } = tester.anyItem!;
  const { offsets, codes, dict } = col;
  const table = new Uint8Array(dict.length);
  for (let c = 0; c < dict.length; c++) table[c] = item(dict[c]) ? 1 : 0;
  const cw = cand.words, vw = col.validity.words, ow = out.words;
  for (let w = 0; w < cw.length; w++) {
    let word = cw[w];
    if (word === 0) continue;
    const valid = vw[w];
    let bits = tester.onNull ? word & ~valid : 0;
    word &= valid;
    const base = w << 5;
    while (word !== 0) {
      const low = word & -word;
      const i = base + 31 - Math.clz32(low);
      let some = false;
      for (let k = offsets[i]; k < offsets[i + 1] && !some; k++) some = table[codes[k]] === 1;
      if (some !== negate) bits |= low;
      word ^= low;
    }
    ow[w] = bits;
  }
  return out;
}

/** Any other list test (`all`, `empty`): the row's items as strings, one call per row. */
function eachList(col: ListColumn, tester: Tester, cand: BitSet, out: BitSet): BitSet {
  const { offsets, codes, dict, validity } = col;
  cand.forEach((i) => {
    if (!validity.has(i)) {
      if (tester.onNull) out.add(i);
      return;
    }
    const items: string[] = [];
    for (let k = offsets[i]; k < offsets[i + 1]; k++) items.push(dict[codes[k]]);
    if (tester.test(items)) out.add(i);
  });
  return out;
}
