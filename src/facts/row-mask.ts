/** Evaluates a fact condition over one typed batch of a fact export, as a 0/1 mask. */
import type { TypedValues } from "../ingest/typed-batch.js";
import { inBounds } from "../rules/bounds.js";
import { makeTester, type Tester } from "../rules/value-test.js";
import { monthDayKey } from "../segment/operands.js";
import type { ConditionPlan } from "../segment/plan.js";
import { dayInZone } from "../table/time.js";
import { detach } from "../table/detach.js";

/** Distinct strings remembered per condition; past this, strings are tested afresh. */
const STRING_CACHE_LIMIT = 100_000;

/** Per-condition testers and string results, kept across batches. */
export class ConditionCache {
  private readonly byKey = new Map<string, { tester: Tester; memo: Map<string, boolean> }>();
  /** The tester and string memo of one condition. */
  for(cond: ConditionPlan): { tester: Tester; memo: Map<string, boolean> } {
    let m = this.byKey.get(cond.key);
    if (!m) this.byKey.set(cond.key, (m = { tester: makeTester(cond.test), memo: new Map() }));
    return m;
  }
}

/** Computes the condition's 0/1 mask over a batch column (absent column: every value null). */
export function conditionMask(cond: ConditionPlan, col: TypedValues | undefined, length: number, timezone: string, cache: ConditionCache): Uint8Array {
  const out = new Uint8Array(length);
  const { tester, memo } = cache.for(cond);
  const onNull = tester.onNull ? 1 : 0;
  if (!col) return out.fill(onNull);
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
        let hit = memo.get(v);
        if (hit === undefined) {
          hit = tester.test(v);
          if (memo.size < STRING_CACHE_LIMIT) memo.set(detach(v), hit);
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
