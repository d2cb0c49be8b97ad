/** What the compiled segments ask of the fact exports: per-customer aggregates over filtered rows. */
import type { Tester } from "../evaluate/tester.js";
import type { TypeClass } from "../segment/operands.js";
import type { FactTable } from "../segment/fields.js";

/** One condition on a fact row (or, for orders, on an item row). */
export interface RowCondition {
  /** Identity: identical conditions across segments share one evaluation per batch. */
  key: string;
  column: string;
  cls: TypeClass;
  tester: Tester;
  level: "row" | "item";
  /** The condition as text, for --explain. */
  label: string;
  /** Compare month and day only (a date column with `ignore_year`). */
  ignoreYear: boolean;
}

/** The measures an aggregate can produce. */
export type Measure = "count" | "first" | "last" | "revenue" | "quantity";

/**
 * One per-customer aggregate over the rows of a fact table that pass all `rowConds`
 * (and, for orders, whose items pass all `itemConds`). Identical specs are computed once.
 */
export interface AggSpec {
  id: number;
  key: string;
  table: FactTable;
  rowConds: RowCondition[];
  itemConds: RowCondition[];
  needs: Set<Measure>;
}

/** The computed aggregate, indexed by customer row. Unneeded measures are empty arrays. */
export interface AggResult {
  count: Int32Array;
  /** Earliest / latest timestamp in epoch ms, NaN when there is none. */
  first: Float64Array;
  last: Float64Array;
  revenue: Float64Array;
  quantity: Float64Array;
}

/** True when the aggregate must look at order items. */
export function needsItems(spec: AggSpec): boolean {
  return spec.table === "orders" && (spec.itemConds.length > 0 || spec.needs.has("quantity"));
}
