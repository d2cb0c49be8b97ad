/** between: inclusive ranges with open ends, and month-day ranges that wrap the new year. */
import type { TestPlan } from "../segment/plan.js";

/** The range predicate of a `between` test. */
export function betweenTest(t: TestPlan): (v: number) => boolean {
  if (t.operand.shape !== "range") throw new Error("between needs a range");
  const lo = t.operand.low ?? -Infinity;
  const hi = t.operand.high ?? Infinity;
  if (t.operand.wraps) return (v) => v >= lo || v <= hi;
  return (v) => v >= lo && v <= hi;
}
