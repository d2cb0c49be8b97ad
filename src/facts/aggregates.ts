/** The per-customer result of one aggregate of the plan: typed arrays indexed by customer row. */
import type { Measure } from "../segment/plan.js";

/** The computed aggregate. Measures the plan did not ask for are empty arrays. */
export interface AggResult {
  count: Int32Array;
  /** Earliest / latest timestamp in epoch ms, NaN when there is none. */
  first: Float64Array;
  last: Float64Array;
  revenue: Float64Array;
  quantity: Float64Array;
}

/** A zeroed result for `n` customers with room for the given measures. */
export function emptyResult(n: number, measures: readonly Measure[]): AggResult {
  const has = (m: Measure) => measures.includes(m);
  return {
    count: new Int32Array(n),
    first: has("first") ? new Float64Array(n).fill(NaN) : new Float64Array(0),
    last: has("last") ? new Float64Array(n).fill(NaN) : new Float64Array(0),
    revenue: has("revenue") ? new Float64Array(n) : new Float64Array(0),
    quantity: has("quantity") ? new Float64Array(n) : new Float64Array(0),
  };
}
