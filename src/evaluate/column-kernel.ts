/**
 * The kernel of a filter over one customer column (a profile or custom field, `age`, or a
 * fact metric): the candidate rows whose value passes the test. Strings test each distinct
 * dictionary value once, then compare codes; dates compare day numbers in the zone.
 */
import type { Tester } from "../rules/value-test.js";
import { BitSet } from "../table/bitset.js";
import type { Column } from "../table/column.js";
import type { EvalState } from "./eval-state.js";

/** The rows of `cand` whose value in `col` passes (a missing column: every value null). */
export function columnKernel(col: Column | undefined, monthDay: boolean, tester: Tester, cand: BitSet, state: EvalState): BitSet {
  const out = new BitSet(cand.size);
  if (!col) return tester.onNull ? cand.clone() : out;
  const valid = col.validity;
  const onNull = tester.onNull;
  switch (col.kind) {
    case "string": {
      const table = new Uint8Array(col.dict.length);
      for (let c = 0; c < col.dict.length; c++) table[c] = tester.test(col.dict[c]) ? 1 : 0;
      const codes = col.codes;
      cand.forEach((i) => {
        if (valid.has(i) ? table[codes[i]] === 1 : onNull) out.add(i);
      });
      return out;
    }
    case "list": {
      const { offsets, codes, dict } = col;
      cand.forEach((i) => {
        if (!valid.has(i)) {
          if (onNull) out.add(i);
          return;
        }
        const items: string[] = [];
        for (let k = offsets[i]; k < offsets[i + 1]; k++) items.push(dict[codes[k]]);
        if (tester.test(items)) out.add(i);
      });
      return out;
    }
    case "bool": {
      const values = col.values;
      const t = tester.test(true), f = tester.test(false);
      cand.forEach((i) => {
        if (valid.has(i) ? (values[i] === 1 ? t : f) : onNull) out.add(i);
      });
      return out;
    }
    case "number": {
      const values = col.values;
      cand.forEach((i) => {
        if (valid.has(i) ? tester.test(values[i]) : onNull) out.add(i);
      });
      return out;
    }
    case "date":
    case "datetime": {
      const values = monthDay ? state.monthDays(col) : state.days(col);
      cand.forEach((i) => {
        if (valid.has(i) ? tester.test(values[i]) : onNull) out.add(i);
      });
      return out;
    }
  }
}
