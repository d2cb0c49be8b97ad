/**
 * compareTest: eq, ne, gt, gte, lt, lte over numbers, bools, day numbers and month-day keys.
 * Expected values follow from the operator's meaning on the operand written in each test.
 */
import { describe, expect, it } from "vitest";
import type { Op } from "../segment/ast.js";
import type { OperandPlan, PlanScalar, TestPlan, TypeClass } from "../segment/plan.js";
import { daysFromCivil } from "../table/time.js";
import { compareTest } from "./compare.js";

function plan(cls: TypeClass, op: Op, value: PlanScalar, monthDay = false): TestPlan {
  return { class: cls, op, operand: { shape: "value", value }, monthDay, onNull: op === "ne" };
}

/** The verdicts of a test over several values. */
function over(t: TestPlan, values: Array<number | boolean>): boolean[] {
  const p = compareTest(t);
  return values.map((v) => p(v));
}

describe("compareTest on numbers", () => {
  // Operand 10, values just below, at and just above it.
  const values = [9, 10, 11];

  it.each<[Op, boolean[]]>([
    ["eq", [false, true, false]],
    ["ne", [true, false, true]],
    ["gt", [false, false, true]],
    ["gte", [false, true, true]],
    ["lt", [true, false, false]],
    ["lte", [true, true, false]],
  ])("%s 10 over 9, 10, 11", (op, want) => {
    expect(over(plan("number", op, 10), values)).toEqual(want);
  });

  it("compares decimals and negatives exactly at the boundary", () => {
    // 99.99 < 100 <= 100.0; -0.5 < 0.
    expect(over(plan("number", "gte", 100), [99.99, 100.0, 100.01])).toEqual([false, true, true]);
    expect(over(plan("number", "lt", 0), [-0.5, 0, 0.5])).toEqual([true, false, false]);
    expect(over(plan("number", "eq", 2.5), [2.5, 2.4999, 25])).toEqual([true, false, false]);
  });
});

describe("compareTest on bools", () => {
  it("eq and ne against true and false", () => {
    expect(over(plan("bool", "eq", true), [true, false])).toEqual([true, false]);
    expect(over(plan("bool", "eq", false), [true, false])).toEqual([false, true]);
    expect(over(plan("bool", "ne", true), [true, false])).toEqual([false, true]);
  });
});

describe("compareTest on dates", () => {
  // Day numbers: 29 Feb, 1 Mar and 2 Mar 2024 are consecutive days.
  const feb29 = daysFromCivil(2024, 2, 29);
  const mar1 = daysFromCivil(2024, 3, 1);
  const mar2 = daysFromCivil(2024, 3, 2);

  it("compares calendar days", () => {
    expect(mar1 - feb29).toBe(1);
    expect(over(plan("date", "gte", mar1), [feb29, mar1, mar2])).toEqual([false, true, true]);
    expect(over(plan("date", "lt", mar1), [feb29, mar1, mar2])).toEqual([true, false, false]);
    expect(over(plan("date", "eq", mar1), [feb29, mar1, mar2])).toEqual([false, true, false]);
    expect(over(plan("date", "ne", mar1), [feb29, mar1, mar2])).toEqual([true, false, true]);
  });

  it("compares month-day keys (MMDD), 29 Feb being its own day", () => {
    // Keys: 28 Feb = 228, 29 Feb = 229, 1 Mar = 301.
    expect(over(plan("date", "lte", 229, true), [228, 229, 301])).toEqual([true, true, false]);
    expect(over(plan("date", "eq", 229, true), [228, 229, 301])).toEqual([false, true, false]);
    expect(over(plan("date", "gt", 1230, true), [1230, 1231, 101])).toEqual([false, true, false]);
  });
});

describe("compareTest errors", () => {
  it("throws for an operator that is not a comparison", () => {
    expect(() => compareTest(plan("number", "contains", 1))).toThrow(/contains/);
    expect(() => compareTest(plan("date", "matches", 1))).toThrow(/matches/);
  });

  it("throws when the operand is not one value", () => {
    const bad = (operand: OperandPlan): TestPlan => ({ class: "number", op: "eq", operand, monthDay: false, onNull: false });
    expect(() => compareTest(bad({ shape: "values", values: [1, 2] }))).toThrow(/one value/);
    expect(() => compareTest(bad({ shape: "range", low: 1, high: 2, wraps: false }))).toThrow(/one value/);
  });
});
