/**
 * A comparison or `between` test on numbers, day numbers or month-day keys as one interval,
 * so a kernel can test a whole column in a typed loop instead of a call per row. The
 * verdict is the same as compareTest's and betweenTest's on every present value.
 */
import type { TestPlan } from "../segment/plan.js";

/** lo < v (or lo <= v) and v < hi (or v <= hi); `wraps`: either side suffices; `negate`: the opposite. */
export interface Bounds {
  lo: number;
  hi: number;
  loOpen: boolean;
  hiOpen: boolean;
  wraps: boolean;
  negate: boolean;
}

/** The interval of a number or date test, or undefined when it is not one (in, not_in, empty). */
export function boundsOf(t: TestPlan): Bounds | undefined {
  if (t.class !== "number" && t.class !== "date") return undefined;
  const o = t.operand;
  if (t.op === "between" && o.shape === "range") {
    return { lo: o.low ?? -Infinity, hi: o.high ?? Infinity, loOpen: false, hiOpen: false, wraps: o.wraps, negate: false };
  }
  if (o.shape !== "value" || typeof o.value !== "number") return undefined;
  const x = o.value;
  const b: Bounds = { lo: -Infinity, hi: Infinity, loOpen: false, hiOpen: false, wraps: false, negate: false };
  switch (t.op) {
    case "eq": return { ...b, lo: x, hi: x };
    case "ne": return { ...b, lo: x, hi: x, negate: true };
    case "gt": return { ...b, lo: x, loOpen: true };
    case "gte": return { ...b, lo: x };
    case "lt": return { ...b, hi: x, hiOpen: true };
    case "lte": return { ...b, hi: x };
    default: return undefined;
  }
}

/** Whether `v` passes: the same expression the kernels inline. */
export function inBounds(b: Bounds, v: number): boolean {
  const above = b.loOpen ? v > b.lo : v >= b.lo;
  const below = b.hiOpen ? v < b.hi : v <= b.hi;
  return (b.wraps ? above || below : above && below) !== b.negate;
}
