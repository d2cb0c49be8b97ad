/** in and not_in over numbers, bools, day numbers and month-day keys. */
import type { TestPlan } from "../segment/plan.js";

/** The membership predicate of an `in` / `not_in` test. */
export function inSetTest(t: TestPlan): (v: number | boolean) => boolean {
  if (t.operand.shape !== "values") throw new Error(`${t.op} needs a list`);
  const set = new Set<unknown>(t.operand.values);
  return t.op === "not_in" ? (v) => !set.has(v) : (v) => set.has(v);
}
