/**
 * makeTester: dispatch by class and operator, `empty` on present values, and the verdict on
 * null (true for ne, not_in, not_contains and empty: true; false otherwise, per SEGMENTS.md).
 * Tests are built with bind's resolveTest from operands as a definition writes them, so the
 * operands are folded and resolved as in a real plan.
 */
import { describe, expect, it } from "vitest";
import type { Op } from "../segment/ast.js";
import { resolveTest } from "../segment/bind.js";
import { checkOperand, isOperandError } from "../segment/operands.js";
import type { TestPlan, TypeClass } from "../segment/plan.js";
import { daysFromCivil } from "../table/time.js";
import { makeTester, type TestValue } from "./value-test.js";

const ctx = { asOfDay: daysFromCivil(2024, 3, 10), timezone: "UTC" };

/** The test a definition `{ op: raw }` on a field of class `cls` binds to. */
function bound(cls: TypeClass, op: Op, raw: unknown, ignoreYear = false): TestPlan {
  const checked = checkOperand(op, raw, cls, ignoreYear);
  if (isOperandError(checked)) throw new Error(checked.message);
  return resolveTest(cls, op, checked, ctx, ignoreYear);
}

function over(t: TestPlan, values: TestValue[]): boolean[] {
  const tester = makeTester(t);
  return values.map((v) => tester.test(v));
}

describe("makeTester: onNull", () => {
  it.each<[TypeClass, Op, unknown, boolean]>([
    ["string", "ne", "Moscow", true],
    ["string", "not_in", ["Moscow"], true],
    ["string", "not_contains", "tea", true],
    ["string", "empty", true, true],
    ["string", "empty", false, false],
    ["string", "eq", "Moscow", false],
    ["string", "in", ["Moscow"], false],
    ["string", "contains", "tea", false],
    ["string", "starts_with", "+7", false],
    ["string", "ends_with", ".ru", false],
    ["string", "matches", "/^a/i", false],
    ["list", "ne", "vip", true],
    ["list", "not_in", ["vip"], true],
    ["list", "not_contains", "vip", true],
    ["list", "empty", true, true],
    ["list", "empty", false, false],
    ["list", "in", ["vip"], false],
    ["list", "all", ["vip"], false],
    ["number", "ne", 3, true],
    ["number", "not_in", [3], true],
    ["number", "empty", true, true],
    ["number", "eq", 3, false],
    ["number", "gt", 3, false],
    ["number", "gte", 3, false],
    ["number", "lt", 3, false],
    ["number", "lte", 3, false],
    ["number", "between", [1, null], false],
    ["bool", "ne", true, true],
    ["bool", "eq", true, false],
    ["bool", "eq", false, false],
    ["date", "ne", "today", true],
    ["date", "not_in", ["2024-01-01"], true],
    ["date", "between", ["-7d", "today"], false],
    ["date", "lt", "2024-01-01", false],
  ])("%s %s %j: null is %s", (cls, op, raw, want) => {
    expect(makeTester(bound(cls, op, raw)).onNull).toBe(want);
  });
});

describe("makeTester: empty on present values", () => {
  it("a list is empty only when it has no items", () => {
    expect(over(bound("list", "empty", true), [[], ["a"], [""]])).toEqual([true, false, false]);
    expect(over(bound("list", "empty", false), [[], ["a"]])).toEqual([false, true]);
  });

  it("a present scalar is never empty", () => {
    expect(over(bound("string", "empty", true), ["x", " "])).toEqual([false, false]);
    expect(over(bound("string", "empty", false), ["x"])).toEqual([true]);
    expect(over(bound("number", "empty", true), [0, 5])).toEqual([false, false]);
    expect(over(bound("number", "empty", false), [0])).toEqual([true]);
    expect(over(bound("bool", "empty", false), [false])).toEqual([true]);
    expect(over(bound("date", "empty", true), [daysFromCivil(2024, 1, 1)])).toEqual([false]);
  });
});

describe("makeTester: dispatch", () => {
  it("string: the operand is folded by bind, the value by the rule", () => {
    const t = bound("string", "eq", " Moscow ");
    expect(t.operand).toEqual({ shape: "value", value: "moscow" });
    expect(over(t, [" MOSCOW", "moscow ", "Kazan"])).toEqual([true, true, false]);
  });

  it("string matches: /…/flags and bare patterns", () => {
    expect(over(bound("string", "matches", "/^ann@/i"), [" ANN@x.ru", "bob@x.ru"])).toEqual([true, false]);
    expect(over(bound("string", "matches", "^ann@"), [" ANN@x.ru", "ann@x.ru "])).toEqual([false, true]);
  });

  it("a /g pattern does not make the tester stateful across values", () => {
    // bind drops g and y; the same value tested twice gets the same verdict.
    const tester = makeTester(bound("string", "matches", "/a/g"));
    expect([tester.test("xa"), tester.test("ab"), tester.test("a"), tester.test("a")]).toEqual([true, true, true, true]);
  });

  it("list: any / none / all of folded values", () => {
    const tags: TestValue[] = [[" VIP ", "news"], ["gold"], []];
    expect(over(bound("list", "in", ["Vip"]), tags)).toEqual([true, false, false]);
    expect(over(bound("list", "not_in", ["Vip"]), tags)).toEqual([false, true, true]);
    expect(over(bound("list", "all", ["NEWS", "vip"]), tags)).toEqual([true, false, false]);
  });

  it("number: in, between and comparisons", () => {
    expect(over(bound("number", "in", [3, 1, 3]), [1, 2, 3])).toEqual([true, false, true]);
    expect(over(bound("number", "between", [1, 2]), [0.5, 1, 2, 2.5])).toEqual([false, true, true, false]);
    expect(over(bound("number", "gte", 2), [1, 2, 3])).toEqual([false, true, true]);
  });

  it("bool: eq and in", () => {
    expect(over(bound("bool", "eq", true), [true, false])).toEqual([true, false]);
    expect(over(bound("bool", "in", [false]), [true, false])).toEqual([false, true]);
  });

  it("date: relative operands resolve to day numbers", () => {
    // As of 2024-03-10, -7d is 2024-03-03.
    const t = bound("date", "gte", "-7d");
    expect(over(t, [daysFromCivil(2024, 3, 2), daysFromCivil(2024, 3, 3), daysFromCivil(2024, 3, 10)])).toEqual([false, true, true]);
  });

  it("date with ignore_year: month-day keys, wrapping range", () => {
    const t = bound("date", "between", ["12-02", "01-03"], true);
    expect(t.monthDay).toBe(true);
    expect(over(t, [1201, 1202, 1231, 101, 103, 104])).toEqual([false, true, true, true, true, false]);
  });
});

describe("makeTester: an unknown operator for a class throws", () => {
  const hand = (cls: TypeClass, op: Op, operand: TestPlan["operand"]): TestPlan => ({ class: cls, op, operand, monthDay: false, onNull: false });

  it.each<[TypeClass, Op, TestPlan["operand"]]>([
    ["string", "gt", { shape: "value", value: "a" }],
    ["string", "all", { shape: "values", values: ["a"] }],
    ["string", "between", { shape: "range", low: 1, high: 2, wraps: false }],
    ["list", "gte", { shape: "value", value: "a" }],
    ["list", "between", { shape: "range", low: 1, high: 2, wraps: false }],
    ["number", "contains", { shape: "text", value: "1" }],
    ["number", "matches", { shape: "regex", source: "1", flags: "" }],
    ["number", "all", { shape: "values", values: [1] }],
    ["bool", "starts_with", { shape: "text", value: "t" }],
    ["date", "contains", { shape: "value", value: 1 }],
  ])("%s %s", (cls, op, operand) => {
    expect(() => makeTester(hand(cls, op, operand))).toThrow();
  });
});
