/** Evaluates a fact condition over one typed batch of a fact export, as a 0/1 mask. */
import type { TypedValues } from "../ingest/typed-batch.js";
import { inBounds } from "../rules/bounds.js";
import { makeTester, type Tester } from "../rules/value-test.js";
import { monthDayKey } from "../segment/operands.js";
import type { ConditionPlan } from "../segment/plan.js";
import { dayInZone } from "../table/time.js";
import type { BitSet } from "../table/bitset.js";
import { detach } from "../table/detach.js";

/** Distinct strings remembered per condition; past this, strings are tested afresh. */
const STRING_CACHE_LIMIT = 100_000;

/** Slots of the per-condition string cache that is looked at before the memo. */
const SLOTS = 1024;

/**
 * What one condition remembers of strings: a small direct-mapped table (slot by length and
 * three characters, checked by string equality) in front of a Map memo. Fact strings are
 * new for every row, and a Map has to hash each one; the few distinct values of a status,
 * a category or a source land in the table on their second sighting, where a hit costs
 * one comparison.
 */
interface StringMemo {
  tester: Tester;
  memo: Map<string, boolean>;
  slotText: Array<string | undefined>;
  slotHit: Uint8Array;
}

/** Per-condition testers and string results, kept across batches. */
export class ConditionCache {
  private readonly byKey = new Map<string, StringMemo>();
  /** The tester and string memo of one condition. */
  for(cond: ConditionPlan): StringMemo {
    let m = this.byKey.get(cond.key);
    if (!m) this.byKey.set(cond.key, (m = { tester: makeTester(cond.test), memo: new Map(), slotText: new Array<string | undefined>(SLOTS), slotHit: new Uint8Array(SLOTS) }));
    return m;
  }
}

/** Tests a text not in the memo yet, and remembers the verdict while the memo has room. */
function remember(memo: Map<string, boolean>, tester: Tester, v: string): boolean {
  const hit = tester.test(v);
  if (memo.size < STRING_CACHE_LIMIT) memo.set(detach(v), hit);
  return hit;
}

/** The slot of a text: its length and first, middle and last characters (NaN for "" lands in 0). */
function slotOf(v: string): number {
  const n = v.length;
  return (n * 31 + v.charCodeAt(0) * 7 + v.charCodeAt(n >> 1) * 131 + v.charCodeAt(n - 1)) & (SLOTS - 1);
}

/**
 * A string column of one batch as codes: 0 for a null row, k >= 1 for the row's value
 * `distinct[k]` (distinct[0] is unused).
 */
export interface StringCodes {
  codes: Uint32Array;
  distinct: string[];
}

/** Most distinct values an encoded batch column may have (and at most a quarter of its rows). */
const ENCODE_LIMIT = 4096;

/**
 * Encodes a batch's string column once for all the conditions on it: several segments test
 * the same status or event type, and each condition then tests the batch's few distinct
 * values and reads one byte a row, where each would otherwise look every row's text up.
 * Undefined when the column has too many distinct values for that to pay (page addresses,
 * say): its conditions then test row by row (conditionMask).
 */
export function encodeStrings(values: readonly string[], validity: BitSet, length: number): StringCodes | undefined {
  const limit = Math.min(ENCODE_LIMIT, Math.max(16, length >> 2));
  const codes = new Uint32Array(length);
  const distinct = [""];
  const byText = new Map<string, number>();
  // Batch-local, so no copies: the slot table holds the batch's own strings.
  const slotText = new Array<string | undefined>(SLOTS);
  const slotCode = new Uint32Array(SLOTS);
  for (let r = 0; r < length; r++) {
    if (!validity.has(r)) continue;
    const v = values[r];
    const slot = slotOf(v);
    if (slotText[slot] === v) {
      codes[r] = slotCode[slot];
      continue;
    }
    let c = byText.get(v);
    if (c === undefined) {
      if (distinct.length > limit) return undefined;
      c = distinct.length;
      distinct.push(v);
      byText.set(v, c);
    }
    slotText[slot] = v;
    slotCode[slot] = c;
    codes[r] = c;
  }
  return { codes, distinct };
}

/**
 * Computes the condition's 0/1 mask over a batch column (absent column: every value null);
 * `encoded`, the column's codes when the caller has them (encodeStrings).
 */
export function conditionMask(cond: ConditionPlan, col: TypedValues | undefined, length: number, timezone: string, cache: ConditionCache, encoded?: StringCodes): Uint8Array {
  const out = new Uint8Array(length);
  const { tester, memo, slotText, slotHit } = cache.for(cond);
  const onNull = tester.onNull ? 1 : 0;
  if (!col) return out.fill(onNull);
  if (encoded && col.type === "string") {
    const { codes, distinct } = encoded;
    const verdict = new Uint8Array(distinct.length);
    verdict[0] = onNull;
    for (let c = 1; c < distinct.length; c++) {
      const v = distinct[c];
      verdict[c] = (memo.get(v) ?? remember(memo, tester, v)) ? 1 : 0;
    }
    for (let r = 0; r < length; r++) out[r] = verdict[codes[r]];
    return out;
  }
  const valid = col.validity;
  const monthDay = cond.test.monthDay;
  switch (col.type) {
    case "id":
    case "string":
      for (let r = 0; r < length; r++) {
        if (!valid.has(r)) {
          out[r] = onNull;
          continue;
        }
        const v = col.values[r];
        const slot = slotOf(v);
        if (slotText[slot] === v) {
          out[r] = slotHit[slot];
          continue;
        }
        const known = memo.get(v);
        const hit = known ?? remember(memo, tester, v);
        if (known !== undefined) {
          // Seen before: a value that repeats earns its slot (a value seen once never costs a copy).
          slotText[slot] = detach(v);
          slotHit[slot] = hit ? 1 : 0;
        }
        out[r] = hit ? 1 : 0;
      }
      break;
    case "integer":
    case "decimal":
    case "date": {
      // Comparisons and between through their bounds (one function V8 inlines), the rest per call.
      const b = tester.bounds;
      const md = col.type === "date" && monthDay;
      for (let r = 0; r < length; r++) {
        if (!valid.has(r)) out[r] = onNull;
        else {
          const v = md ? monthDayKey(col.values[r]) : col.values[r];
          out[r] = (b ? inBounds(b, v) : tester.test(v)) ? 1 : 0;
        }
      }
      break;
    }
    case "datetime": {
      const b = tester.bounds;
      for (let r = 0; r < length; r++) {
        if (!valid.has(r)) out[r] = onNull;
        else {
          const day = dayInZone(timezone, col.values[r]);
          const v = monthDay ? monthDayKey(day) : day;
          out[r] = (b ? inBounds(b, v) : tester.test(v)) ? 1 : 0;
        }
      }
      break;
    }
    case "bool":
      for (let r = 0; r < length; r++) out[r] = !valid.has(r) ? onNull : tester.test(col.values[r] === 1) ? 1 : 0;
      break;
    case "list":
      for (let r = 0; r < length; r++) out[r] = !valid.has(r) ? onNull : tester.test(col.values[r]) ? 1 : 0;
      break;
  }
  return out;
}
