/** The validated form of segment definitions: segments, groups, filters and their positions. */

/** Operators of SEGMENTS.md. */
export const OPERATORS = [
  "eq", "ne", "in", "not_in", "all", "gt", "gte", "lt", "lte", "between", "empty",
  "contains", "not_contains", "starts_with", "ends_with", "matches",
] as const;
/** One operator. */
export type Op = (typeof OPERATORS)[number];

/** Operators that are true on null and mean "none matches" on facts. */
export const NEGATIVE_OPS: ReadonlySet<Op> = new Set(["ne", "not_in", "not_contains"]);
/** The positive form of each negative operator. */
export const POSITIVE_OF: Partial<Record<Op, Op>> = { ne: "eq", not_in: "in", not_contains: "contains" };

/** Where a node sits: file, 1-based line and column, and its path in the definition. */
export interface Pos {
  file: string;
  line: number;
  col: number;
  path: string;
}

/** A date operand as written. */
export type DateOperand =
  | { kind: "day"; day: number }
  | { kind: "instant"; text: string }
  | { kind: "relative"; n: number; unit: "d" | "w" | "m" | "y" }
  | { kind: "month-day"; month: number; day: number };

/** A scalar operand after validation (dates stay as written until the as-of day is known). */
export type Scalar = string | number | boolean | DateOperand | null;

/** A `where` condition on one column of a fact table. */
export interface Condition {
  column: string;
  op: Op;
  operand: unknown;
  pos: Pos;
  /** Set when the condition comes from a filter with `ignore_year` on a fact date column. */
  ignoreYear?: boolean;
}

/** A filter: a field, one operator and its operand, optionally qualified. */
export interface FilterNode {
  kind: "filter";
  field: string;
  op: Op;
  /** The operand as written in YAML. */
  operand: unknown;
  where: Condition[];
  ignoreYear: boolean;
  pos: Pos;
}

/** A group of filters and groups combined by `match`, negated by `not`. */
export interface GroupNode {
  kind: "group";
  match: "all" | "any";
  not: boolean;
  children: Array<FilterNode | GroupNode>;
  pos: Pos;
}

/** A segment's guard: the change a run may make to its size before it refuses. */
export interface SegmentGuard {
  /** Largest share by which the member count may change since the last run (0.3 for 30%). */
  maxChange?: number;
  /** Fewest members it may have. */
  minMembers?: number;
}

/** A validated segment definition. */
export interface SegmentDef {
  code: string;
  name: string;
  description?: string;
  type: "dynamic" | "static";
  active: boolean;
  analytics: boolean;
  /** Limits a run checks before it commits this segment's new members (docs/run.md). */
  guard?: SegmentGuard;
  /** The segment itself is the outermost group. */
  root: GroupNode;
  file: string;
  pos: Pos;
  /** sha256 of the definition's canonical JSON without name, description, active, analytics: a static segment is recomputed when it changes. */
  hash: string;
}
