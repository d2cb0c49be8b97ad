/**
 * The bound plan: what every backend evaluates. It is plain data (numbers, strings, bools,
 * arrays and objects; no functions, typed arrays or class instances), so it survives
 * `JSON.parse(JSON.stringify(plan))` unchanged and a second backend (SQL) can be written
 * from it alone. Dates are already resolved against the as-of day, strings folded,
 * identical fact aggregates shared across segments.
 */
import type { ValueType } from "../table/value-type.js";
import type { Op } from "./ast.js";
import type { FactTable } from "./fields.js";

/** Bumped when the plan's shape changes. */
export const PLAN_VERSION = 3;

/** Comparison classes of field types. */
export type TypeClass = "string" | "list" | "number" | "bool" | "date";

/**
 * What bind knows about the data, without any values: the customer columns with their types
 * (custom fields as `custom.<name>`, typed by inference) and which fact tables have rows.
 */
export interface DataSchema {
  customers: Record<string, ValueType>;
  /** Fact tables present (orders also when derived from a line-item export). */
  facts: FactTable[];
  /** True when there is an order_items export to join item conditions to. */
  orderItems: boolean;
  /**
   * The fact exports' own extra columns (`orders.country`), per fact table whose custom
   * columns the definitions name, with the level they sit at (order_items' columns are
   * item-level `orders.*`). A type is inferred only for the named ones; the others are null.
   */
  factCustom?: Partial<Record<FactTable, Record<string, { type: ValueType | null; level: "row" | "item" }>>>;
}

/** A resolved scalar: a folded string, a number, a bool, a day number or a month-day key (MMDD). */
export type PlanScalar = string | number | boolean;

/** An operand resolved for its test. */
export type OperandPlan =
  /** eq, ne, gt, gte, lt, lte. */
  | { shape: "value"; value: PlanScalar }
  /** in, not_in, all: distinct values, sorted. */
  | { shape: "values"; values: PlanScalar[] }
  /** between: inclusive; null is an open end. `wraps`: month-day range over the new year (low > high). */
  | { shape: "range"; low: number | null; high: number | null; wraps: boolean }
  /** empty: true (null or an empty list) or false. */
  | { shape: "empty"; value: boolean }
  /** contains, not_contains, starts_with, ends_with: folded text. */
  | { shape: "text"; value: string }
  /** matches: a JavaScript regular expression, run on the trimmed, unfolded value. */
  | { shape: "regex"; source: string; flags: string };

/**
 * One operator with its resolved operand, applied to one value of class `class`. Date-class
 * values are compared as their calendar day in the plan's zone (day numbers since
 * 1970-01-01), or as month-day keys when `monthDay`.
 */
export interface TestPlan {
  class: TypeClass;
  op: Op;
  operand: OperandPlan;
  monthDay: boolean;
  /** The verdict on a null value (true for ne, not_in, not_contains, empty: true). */
  onNull: boolean;
}

/** Measures of an aggregate's rows. `count` is always computed. */
export type Measure = "count" | "first" | "last" | "revenue" | "quantity";

/** Per-customer metrics a filter can read from an aggregate. */
export type Metric = "count" | "first_at" | "last_at" | "revenue" | "avg_check" | "quantity";

/** A condition on one column of a fact row (or, for orders, of an order item). */
export interface ConditionPlan {
  /** Identity: equal conditions have equal keys and are evaluated once per batch. */
  key: string;
  column: string;
  type: ValueType;
  level: "row" | "item";
  label: string;
  test: TestPlan;
}

/**
 * A per-customer aggregate over the rows of a fact table that pass every row condition
 * (and, for orders, have an item passing every item condition), dated on or before the
 * as-of day. Shared by every filter that asks for the same rows.
 */
export interface AggregatePlan {
  id: number;
  key: string;
  table: FactTable;
  /** The timestamp column: it dates the row for the as-of cut-off and first/last. */
  timestamp: string;
  rowConditions: ConditionPlan[];
  itemConditions: ConditionPlan[];
  measures: Measure[];
  /** True when order_items must be joined to orders by order_id (item conditions, quantity). */
  joinsItems: boolean;
  /**
   * Its own cut-off (epoch ms), for RFM as of an earlier day than the plan's: rows dated at
   * or after it are left out of this aggregate. Absent: the plan's `factsBefore`.
   */
  before?: number;
  label: string;
}

/** Where a filter's value comes from. */
export type InputPlan =
  /** A customer column; `type` null when the data has no such column (every value null). */
  | { kind: "column"; column: string; type: ValueType | null }
  /** A value each backend derives: `age`, whole years at the as-of day from `birthday`. */
  | { kind: "derived"; name: "age"; from: string; fromType: ValueType | null; type: "integer" }
  /** A metric of an aggregate. */
  | { kind: "metric"; aggregate: number; metric: Metric; type: ValueType }
  /** Some (or, negated, no) passing row exists in each aggregate. */
  | { kind: "exists"; aggregates: number[]; negate: boolean }
  /** Membership in any of the segments (negated: in none of them). */
  | { kind: "segment"; codes: string[]; negate: boolean }
  /** An RFM value of the plan's `rfm` scoring (null for a customer without a counted order). */
  | { kind: "rfm"; name: RfmField; type: ValueType };

/** The RFM values a filter or an output may read. */
export type RfmField = "recency" | "frequency" | "monetary" | "r" | "f" | "m" | "score" | "segment";

/**
 * RFM scoring (docs/rfm.md): over the per-customer counted orders of one aggregate (orders
 * whose status is not excluded: count, last, revenue), scored after the fact pass.
 */
export interface RfmPlan {
  aggregate: number;
  method: "rank" | "quantile" | "thresholds";
  bins: number;
  monetary: "sum" | "avg";
  thresholds?: { recency?: number[]; frequency?: number[]; monetary?: number[] };
  /** Named segments in priority order: inclusive score ranges. */
  rules: Array<{ code: string; r: [number, number]; f: [number, number]; m: [number, number] }>;
  /**
   * Scoring as of several days (`segment rfm --as-of a,b`), in day order, the plan's own
   * included: each day's counted-orders aggregate (with its own cut-off), all from one pass.
   */
  at?: Array<{ asOf: string; asOfDay: number; aggregate: number }>;
}

/** A bound filter. `test` is absent for `exists` and `segment` inputs. */
export interface FilterPlan {
  kind: "filter";
  /** Where it was written: `file:line:col path`. */
  at: string;
  field: string;
  label: string;
  input: InputPlan;
  test?: TestPlan;
}

/** A bound group. */
export interface GroupPlan {
  kind: "group";
  at: string;
  label: string;
  match: "all" | "any";
  not: boolean;
  children: NodePlan[];
}

/** A node of a segment's tree. */
export type NodePlan = FilterPlan | GroupPlan;

/** A bound segment. */
export interface SegmentPlan {
  code: string;
  name: string;
  type: "dynamic" | "static";
  active: boolean;
  /** sha256 of the definition's canonical JSON. */
  hash: string;
  file: string;
  /** Codes this segment references, computed or stored. */
  dependsOn: string[];
  root: GroupPlan;
}

/**
 * A value shown per customer in an output (export files, `run --fields`): a customer
 * column, `age`, or a metric of an aggregate, under its field name.
 */
export interface OutputPlan {
  field: string;
  /** The value's type (a column the data lacks keeps its declared type: every value null). */
  type: ValueType;
  input: Extract<InputPlan, { kind: "column" | "derived" | "metric" | "rfm" }>;
}

/** Everything a backend needs to evaluate a set of segments. */
export interface Plan {
  version: number;
  /** The as-of day, `YYYY-MM-DD`, and as a day number. */
  asOf: string;
  asOfDay: number;
  timezone: string;
  /** Facts dated at or after this instant (epoch ms: the end of the as-of day in the zone) are left out. */
  factsBefore: number;
  /** Segments to compute, in dependency order. */
  segments: SegmentPlan[];
  /** Segments whose members are given (stored), not computed; references to them read those. */
  stored: string[];
  aggregates: AggregatePlan[];
  /** Per-customer values to output, in order (none unless asked for). */
  outputs: OutputPlan[];
  /** RFM scoring, when a filter, an output or the command reads `rfm.*`. */
  rfm?: RfmPlan;
  /** Things the user should know that bind could tell from the schema. */
  warnings: string[];
}
