/**
 * The operator rules, shared by every evaluator of this backend: a plan's test (operator
 * plus resolved operand) as a predicate over one present value. The customer-column
 * kernels (src/evaluate/) and the fact pass (src/facts/) both build their predicates here,
 * so an operator means the same on a customer field and on a fact row.
 */
import type { TestPlan } from "../segment/plan.js";
import { compareTest } from "./compare.js";
import { inSetTest } from "./in-set.js";
import { betweenTest } from "./between.js";
import { anyItemOf, listTest, stringTest, type AnyItem } from "./string-tests.js";
import { boundsOf, type Bounds } from "./bounds.js";

/**
 * A value in its class's representation: text (trimmed, unfolded), number, bool, a day
 * number (or month-day key when the test says `monthDay`), or a list of texts.
 */
export type TestValue = string | number | boolean | string[];

/**
 * A predicate over a present value; `onNull` is the verdict on a missing one. Kernels over
 * whole columns use `bounds` (number and date comparisons) or `anyItem` (list tests) when
 * given, which say the same as `test` in a form a typed loop can run.
 */
export interface Tester {
  test(v: TestValue): boolean;
  onNull: boolean;
  bounds?: Bounds;
  anyItem?: AnyItem;
}

/** Builds the predicate of a test. */
export function makeTester(t: TestPlan): Tester {
  const tester: Tester = { onNull: t.onNull, test: predicate(t) };
  const bounds = boundsOf(t);
  if (bounds) tester.bounds = bounds;
  if (t.class === "list" && t.op !== "empty" && t.op !== "all") tester.anyItem = anyItemOf(t);
  return tester;
}

function predicate(t: TestPlan): (v: TestValue) => boolean {
  if (t.op === "empty") {
    // A present value is "empty" only when it is a list with no items.
    const want = t.operand.shape === "empty" && t.operand.value;
    return (v) => (Array.isArray(v) && v.length === 0) === want;
  }
  if (t.class === "list") return listTest(t) as (v: TestValue) => boolean;
  if (t.class === "string") return stringTest(t) as (v: TestValue) => boolean;
  switch (t.op) {
    case "in": case "not_in": return inSetTest(t) as (v: TestValue) => boolean;
    case "between": return betweenTest(t) as (v: TestValue) => boolean;
    default: return compareTest(t) as (v: TestValue) => boolean;
  }
}
