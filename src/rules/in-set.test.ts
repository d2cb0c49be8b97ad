/**
 * inSetTest: in / not_in over numbers, bools, day numbers and month-day keys. Expected
 * verdicts are membership in the operand list written in each test.
 */
import { describe, expect, it } from "vitest";
import type { Op } from "../segment/ast.js";
import type { PlanScalar, TestPlan, TypeClass } from "../segment/plan.js";
import { daysFromCivil } from "../table/time.js";
import { inSetTest } from "./in-set.js";

function plan(cls: TypeClass, op: Op, values: PlanScalar[], monthDay = false): TestPlan {
  return { class: cls, op, operand: { shape: "values", values }, monthDay, onNull: op === "not_in" };
}

function over(t: TestPlan, values: Array<number | boolean>): boolean[] {
  const p = inSetTest(t);
  return values.map((v) => p(v));
}

describe("inSetTest", () => {
  it("numbers: in is one of, not_in is none of", () => {
    // List [1, 3, 4.5]: 1, 3 and 4.5 are in it; 2, 0 and 4 are not.
    const values = [1, 2, 3, 0, 4.5, 4];
    expect(over(plan("number", "in", [1, 3, 4.5]), values)).toEqual([true, false, true, false, true, false]);
    expect(over(plan("number", "not_in", [1, 3, 4.5]), values)).toEqual([false, true, false, true, false, true]);
  });

  it("a one-value list behaves as eq / ne", () => {
    expect(over(plan("number", "in", [7]), [7, 8])).toEqual([true, false]);
    expect(over(plan("number", "not_in", [7]), [7, 8])).toEqual([false, true]);
  });

  it("bools", () => {
    expect(over(plan("bool", "in", [false]), [true, false])).toEqual([false, true]);
    expect(over(plan("bool", "in", [false, true]), [true, false])).toEqual([true, true]);
    expect(over(plan("bool", "not_in", [true]), [true, false])).toEqual([false, true]);
  });

  it("does not confuse a number with a bool (1 is not true)", () => {
    expect(over(plan("bool", "in", [true]), [1, 0])).toEqual([false, false]);
  });

  it("day numbers", () => {
    const jan1 = daysFromCivil(2024, 1, 1), jan2 = daysFromCivil(2024, 1, 2), dec31 = daysFromCivil(2023, 12, 31);
    expect(over(plan("date", "in", [dec31, jan1]), [dec31, jan1, jan2])).toEqual([true, true, false]);
    expect(over(plan("date", "not_in", [dec31, jan1]), [dec31, jan1, jan2])).toEqual([false, false, true]);
  });

  it("month-day keys", () => {
    // 29 Feb (229) and New Year's Eve (1231).
    expect(over(plan("date", "in", [229, 1231], true), [228, 229, 301, 1231, 101])).toEqual([false, true, false, true, false]);
  });

  it("throws when the operand is not a list", () => {
    const t: TestPlan = { class: "number", op: "in", operand: { shape: "value", value: 1 }, monthDay: false, onNull: false };
    expect(() => inSetTest(t)).toThrow(/in needs a list/);
  });
});
