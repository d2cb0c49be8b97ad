/**
 * stringTest and listTest. Operands arrive folded (trimmed, lower-cased) from bind; the rule
 * folds the value. `matches` runs on the trimmed but unfolded value. On a list, a positive
 * operator holds when some item matches, a negative one when no item does, `all` when every
 * operand value is some item. Expected verdicts are worked out from those rules by hand.
 */
import { describe, expect, it } from "vitest";
import type { Op } from "../segment/ast.js";
import type { OperandPlan, TestPlan } from "../segment/plan.js";
import { listTest, stringTest } from "./string-tests.js";

const NULL_TRUE = new Set<Op>(["ne", "not_in", "not_contains"]);

function plan(cls: "string" | "list", op: Op, operand: OperandPlan): TestPlan {
  return { class: cls, op, operand, monthDay: false, onNull: NULL_TRUE.has(op) };
}
const one = (value: string): OperandPlan => ({ shape: "value", value });
const many = (...values: string[]): OperandPlan => ({ shape: "values", values });
const text = (value: string): OperandPlan => ({ shape: "text", value });
const regex = (source: string, flags = ""): OperandPlan => ({ shape: "regex", source, flags });

function str(op: Op, operand: OperandPlan, values: string[]): boolean[] {
  const p = stringTest(plan("string", op, operand));
  return values.map((v) => p(v));
}

function list(op: Op, operand: OperandPlan, values: string[][]): boolean[] {
  const p = listTest(plan("list", op, operand));
  return values.map((v) => p(v));
}

describe("stringTest", () => {
  const cities = [" Moscow ", "MOSCOW", "moscow", "Moscow-2", "Kazan"];

  it("eq folds the value: ' Moscow ' eq 'moscow'", () => {
    expect(str("eq", one("moscow"), cities)).toEqual([true, true, true, false, false]);
  });

  it("ne is the complement of eq on present values", () => {
    expect(str("ne", one("moscow"), cities)).toEqual([false, false, false, true, true]);
  });

  it("in / not_in against folded values", () => {
    const vals = ["Kazan ", " SAINT Petersburg", "Moscow", "Omsk"];
    expect(str("in", many("kazan", "saint petersburg"), vals)).toEqual([true, true, false, false]);
    expect(str("not_in", many("kazan", "saint petersburg"), vals)).toEqual([false, false, true, true]);
  });

  it("contains / not_contains are case-insensitive substring tests", () => {
    const names = ["Green TEA set", "Teapot", "Coffee", "  tea  "];
    expect(str("contains", text("tea"), names)).toEqual([true, true, false, true]);
    expect(str("not_contains", text("tea"), names)).toEqual([false, false, true, false]);
  });

  it("starts_with / ends_with test the trimmed, folded value", () => {
    // " +7 999" trims to "+7 999"; "Ann@GMAIL.com " folds to "ann@gmail.com".
    expect(str("starts_with", text("+7"), [" +7 999", "8 999", "+79"])).toEqual([true, false, true]);
    expect(str("ends_with", text("@gmail.com"), ["Ann@GMAIL.com ", "ann@gmail.co", "gmail.com@x.ru"])).toEqual([true, false, false]);
  });

  it("a text operand of eq also works (shape text is one value)", () => {
    expect(str("eq", text("moscow"), [" Moscow "])).toEqual([true]);
  });

  it("matches runs on the trimmed value, without folding", () => {
    // Trimmed: "Moscow", "moscow", "Moscow". ^Mo...w$ is case-sensitive.
    expect(str("matches", regex("^Mo\\w+w$"), [" Moscow", "moscow", "Moscow  "])).toEqual([true, false, true]);
  });

  it("matches honours flags", () => {
    expect(str("matches", regex("^mo\\w+w$", "i"), [" Moscow", "moscow", "Kazan"])).toEqual([true, true, false]);
    // s: dot matches a line break.
    expect(str("matches", regex("^a.b$", "s"), ["a\nb", "axb", "ab"])).toEqual([true, true, false]);
    // u: a code point class.
    expect(str("matches", regex("^\\p{Lu}", "u"), ["Москва", "москва"])).toEqual([true, false]);
  });

  it("the same tester gives the same verdict when asked again", () => {
    const p = stringTest(plan("string", "matches", regex("o", "i")));
    expect([p("Moscow"), p("Moscow"), p("xo"), p("xo")]).toEqual([true, true, true, true]);
  });

  it("throws for operators that do not apply to text", () => {
    for (const op of ["gt", "gte", "lt", "lte", "between", "all"] as Op[]) {
      expect(() => stringTest(plan("string", op, one("x"))), op).toThrow(/on text/);
    }
  });

  it("throws when the operand does not fit the operator", () => {
    expect(() => stringTest(plan("string", "matches", text("x")))).toThrow(/pattern/);
    expect(() => stringTest(plan("string", "in", one("x")))).toThrow(/list/);
    expect(() => stringTest(plan("string", "eq", many("x")))).toThrow(/one value/);
  });
});

describe("listTest", () => {
  // Tags as exported: unfolded, possibly padded.
  const vip = [" VIP ", "Newsletter"];
  const gold = ["gold"];
  const empty: string[] = [];

  it("in: has any of; not_in: has none of", () => {
    expect(list("in", many("vip"), [vip, gold, empty])).toEqual([true, false, false]);
    expect(list("in", many("gold", "vip"), [vip, gold, empty])).toEqual([true, true, false]);
    expect(list("not_in", many("vip"), [vip, gold, empty])).toEqual([false, true, true]);
  });

  it("eq: some item equals; ne: no item equals", () => {
    expect(list("eq", one("newsletter"), [vip, gold, empty])).toEqual([true, false, false]);
    expect(list("ne", one("newsletter"), [vip, gold, empty])).toEqual([false, true, true]);
  });

  it("all: has every value, in any order, folded", () => {
    expect(list("all", many("newsletter", "vip"), [vip, gold, empty, ["vip"], ["NEWSLETTER", "x", "vip"]])).toEqual([true, false, false, false, true]);
  });

  it("contains / starts_with / ends_with: some item", () => {
    expect(list("contains", text("news"), [vip, gold, empty])).toEqual([true, false, false]);
    expect(list("starts_with", text("vi"), [vip, gold, empty])).toEqual([true, false, false]);
    expect(list("ends_with", text("letter"), [vip, gold, empty])).toEqual([true, false, false]);
  });

  it("not_contains: no item contains", () => {
    expect(list("not_contains", text("news"), [vip, gold, empty])).toEqual([false, true, true]);
    expect(list("not_contains", text("o"), [vip, gold, empty])).toEqual([true, false, true]);
  });

  it("matches: some trimmed, unfolded item", () => {
    expect(list("matches", regex("^VIP$"), [vip, [" vip "], empty])).toEqual([true, false, false]);
    expect(list("matches", regex("^vip$", "i"), [vip, [" vip "], empty])).toEqual([true, true, false]);
  });

  it("throws for operators that do not apply to lists", () => {
    for (const op of ["gt", "gte", "lt", "lte", "between"] as Op[]) {
      expect(() => listTest(plan("list", op, one("x"))), op).toThrow(/on a list/);
    }
  });
});
