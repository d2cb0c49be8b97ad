/** eq, ne, gt, gte, lt, lte over numbers, bools, day numbers and month-day keys. */
import type { TestPlan } from "../segment/plan.js";

/** The comparison predicate of a test whose operand is one value. */
export function compareTest(t: TestPlan): (v: number | boolean) => boolean {
  if (t.operand.shape !== "value") throw new Error(`${t.op} needs one value`);
  const x = t.operand.value;
  switch (t.op) {
    case "eq": return (v) => v === x;
    case "ne": return (v) => v !== x;
    case "gt": return (v) => (v as number) > (x as number);
    case "gte": return (v) => (v as number) >= (x as number);
    case "lt": return (v) => (v as number) < (x as number);
    case "lte": return (v) => (v as number) <= (x as number);
    default: throw new Error(`operator ${t.op} on a number or date`);
  }
}
