/**
 * betweenTest: low <= value <= high, both inclusive, null for an open end, and month-day
 * ranges whose low is after their high wrap the new year. Expected verdicts come from
 * those rules applied to the bounds in each test.
 */
import { describe, expect, it } from "vitest";
import { resolveTest } from "../segment/bind.js";
import { checkOperand, isOperandError } from "../segment/operands.js";
import type { TestPlan } from "../segment/plan.js";
import { daysFromCivil } from "../table/time.js";
import { betweenTest } from "./between.js";

function range(low: number | null, high: number | null, opts: { monthDay?: boolean; wraps?: boolean; cls?: "number" | "date" } = {}): TestPlan {
  return {
    class: opts.cls ?? (opts.monthDay ? "date" : "number"), op: "between",
    operand: { shape: "range", low, high, wraps: opts.wraps ?? false }, monthDay: opts.monthDay ?? false, onNull: false,
  };
}

function over(t: TestPlan, values: number[]): boolean[] {
  const p = betweenTest(t);
  return values.map((v) => p(v));
}

describe("betweenTest", () => {
  it("is inclusive at both ends", () => {
    expect(over(range(10, 20), [9, 10, 15, 20, 21])).toEqual([false, true, true, true, false]);
    expect(over(range(9.5, 10.5), [9.49, 9.5, 10.5, 10.51])).toEqual([false, true, true, false]);
  });

  it("a range of one value holds that value only", () => {
    expect(over(range(5, 5), [4, 5, 6])).toEqual([false, true, false]);
  });

  it("an open low end is no lower bound", () => {
    expect(over(range(null, 20), [-1e12, 0, 20, 20.01])).toEqual([true, true, true, false]);
  });

  it("an open high end is no upper bound", () => {
    expect(over(range(10, null), [9.99, 10, 1e12])).toEqual([false, true, true]);
  });

  it("a plain range with low above high holds nothing (it does not wrap)", () => {
    expect(over(range(20, 10), [5, 10, 15, 20, 25])).toEqual([false, false, false, false, false]);
  });

  it("day numbers: the last 7 days plus today, whole days", () => {
    // As of 2024-03-10: [-7d, today] is 3 March .. 10 March.
    const today = daysFromCivil(2024, 3, 10);
    const t = range(today - 7, today, { cls: "date" });
    expect(over(t, [daysFromCivil(2024, 3, 2), daysFromCivil(2024, 3, 3), today, today + 1])).toEqual([false, true, true, false]);
  });

  it("month-day range wrapping the new year: 12-02 .. 01-03", () => {
    // 2 to 31 December and 1 to 3 January.
    const t = range(1202, 103, { monthDay: true, wraps: true });
    const keys = [1201, 1202, 1215, 1231, 101, 102, 103, 104, 615];
    expect(over(t, keys)).toEqual([false, true, true, true, true, true, true, false, false]);
  });

  it("month-day range that does not wrap contains 29 Feb when it contains 28 Feb and 1 Mar", () => {
    const t = range(228, 301, { monthDay: true });
    expect(over(t, [227, 228, 229, 301, 302])).toEqual([false, true, true, true, false]);
  });

  it("month-day range with an open end does not wrap", () => {
    // From 2 December to the end of the year.
    expect(over(range(1202, null, { monthDay: true }), [1201, 1202, 1231, 101])).toEqual([false, true, true, false]);
    // From the start of the year to 3 January.
    expect(over(range(null, 103, { monthDay: true }), [101, 103, 104, 1231])).toEqual([true, true, false, false]);
  });

  it("birthday within the next 3 days across the new year (resolved by bind, tested here)", () => {
    // As of 30 Dec 2024, [today, +3d] is 30 Dec .. 2 Jan: keys 1230 .. 102, wrapping.
    const checked = checkOperand("between", ["today", "+3d"], "date", true);
    if (isOperandError(checked)) throw new Error(checked.message);
    const t = resolveTest("date", "between", checked, { asOfDay: daysFromCivil(2024, 12, 30), timezone: "UTC" }, true);
    expect(t.operand).toEqual({ shape: "range", low: 1230, high: 102, wraps: true });
    expect(over(t, [1229, 1230, 1231, 101, 102, 103])).toEqual([false, true, true, true, true, false]);
  });

  it("throws when the operand is not a range", () => {
    const t: TestPlan = { class: "number", op: "between", operand: { shape: "value", value: 1 }, monthDay: false, onNull: false };
    expect(() => betweenTest(t)).toThrow(/range/);
  });
});
