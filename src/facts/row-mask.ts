/** Evaluates a row condition over one typed batch of a fact export, as a 0/1 mask. */
import type { TypedValues } from "../ingest/typed-batch.js";
import { dayInZone } from "../table/time.js";
import { monthDayKey } from "../evaluate/tester.js";
import { detach } from "../table/detach.js";
import type { RowCondition } from "./fact-spec.js";

/** Distinct strings remembered per condition; past this, strings are tested afresh. */
const STRING_CACHE_LIMIT = 100_000;

/** Per-condition caches of string results, kept across batches. */
export class ConditionCache {
  private readonly byKey = new Map<string, Map<string, boolean>>();
  /** The cache of one condition. */
  for(key: string): Map<string, boolean> {
    let m = this.byKey.get(key);
    if (!m) this.byKey.set(key, (m = new Map()));
    return m;
  }
}

/** Computes the condition's 0/1 mask over a batch column (absent column: every value null). */
export function conditionMask(cond: RowCondition, col: TypedValues | undefined, length: number, timezone: string, cache: ConditionCache, ignoreYear = false): Uint8Array {
  const out = new Uint8Array(length);
  const { tester } = cond;
  const onNull = tester.onNull ? 1 : 0;
  if (!col) return out.fill(onNull);
  switch (col.type) {
    case "id":
    case "string": {
      const memo = cache.for(cond.key);
      for (let r = 0; r < length; r++) {
        const v = col.values[r];
        if (v === null) {
          out[r] = onNull;
          continue;
        }
        let hit = memo.get(v);
        if (hit === undefined) {
          hit = tester.test(v);
          if (memo.size < STRING_CACHE_LIMIT) memo.set(detach(v), hit);
        }
        out[r] = hit ? 1 : 0;
      }
      break;
    }
    case "integer":
    case "decimal":
    case "date":
      for (let r = 0; r < length; r++) {
        const v = col.values[r];
        if (Number.isNaN(v)) out[r] = onNull;
        else out[r] = tester.test(col.type === "date" && ignoreYear ? monthDayKey(v) : v) ? 1 : 0;
      }
      break;
    case "datetime":
      for (let r = 0; r < length; r++) {
        const v = col.values[r];
        if (Number.isNaN(v)) out[r] = onNull;
        else {
          const day = dayInZone(timezone, v);
          out[r] = tester.test(ignoreYear ? monthDayKey(day) : day) ? 1 : 0;
        }
      }
      break;
    case "bool":
      for (let r = 0; r < length; r++) {
        const v = col.values[r];
        out[r] = v < 0 ? onNull : tester.test(v === 1) ? 1 : 0;
      }
      break;
    case "list":
      for (let r = 0; r < length; r++) {
        const v = col.values[r];
        out[r] = v === null ? onNull : tester.test(v) ? 1 : 0;
      }
      break;
  }
  return out;
}
