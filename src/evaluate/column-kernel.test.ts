/**
 * columnKernel over each column kind: the rows of the candidate set whose value passes,
 * nulls taking the test's onNull verdict, rows outside the candidates never returned.
 * Columns are built with ColumnBuilder; expected row sets are worked out by reading the
 * column values in each test against the operator.
 */
import { describe, expect, it } from "vitest";
import { makeTester, type Tester } from "../rules/value-test.js";
import type { Op } from "../segment/ast.js";
import type { OperandPlan, Plan, TestPlan, TypeClass } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { ColumnBuilder, type CellValue, type Column } from "../table/column.js";
import { daysFromCivil } from "../table/time.js";
import type { ValueType } from "../table/value-type.js";
import { columnKernel } from "./column-kernel.js";
import { EvalState } from "./eval-state.js";

const NULL_TRUE = new Set<Op>(["ne", "not_in", "not_contains"]);

function test(cls: TypeClass, op: Op, operand: OperandPlan, monthDay = false): TestPlan {
  const onNull = NULL_TRUE.has(op) || (operand.shape === "empty" && operand.value);
  return { class: cls, op, operand, monthDay, onNull };
}

function column(type: ValueType, values: CellValue[]): Column {
  const b = new ColumnBuilder(type);
  for (const v of values) b.push(v);
  return b.finish();
}

function plan(timezone: string): Plan {
  const asOfDay = daysFromCivil(2024, 3, 10);
  return { version: 1, asOf: "2024-03-10", asOfDay, timezone, factsBefore: 0, segments: [], stored: [], aggregates: [], outputs: [], warnings: [] };
}

function stateFor(col: Column, timezone = "UTC"): EvalState {
  return new EvalState(plan(timezone), { length: col.length, columns: new Map([["c", col]]) }, new Map());
}

function rows(size: number, list: number[]): BitSet {
  const s = new BitSet(size);
  for (const i of list) s.add(i);
  return s;
}

/** Runs a test over a column with the given candidates (all rows by default). */
function run(col: Column, t: TestPlan, cand?: number[], timezone = "UTC"): number[] {
  const c = cand ? rows(col.length, cand) : BitSet.full(col.length);
  return columnKernel(col, t.monthDay, makeTester(t), c, stateFor(col, timezone)).toArray();
}

describe("columnKernel: string dictionary with nulls", () => {
  //            0            1     2        3         4
  const city = [" Moscow ", null, "Kazan", "moscow", "MOSCOW"];
  const col = column("string", city);

  it("eq folds each value", () => {
    expect(run(col, test("string", "eq", { shape: "value", value: "moscow" }))).toEqual([0, 3, 4]);
  });

  it("ne keeps the null row (no city)", () => {
    expect(run(col, test("string", "ne", { shape: "value", value: "moscow" }))).toEqual([1, 2]);
  });

  it("in / not_in", () => {
    expect(run(col, test("string", "in", { shape: "values", values: ["kazan", "omsk"] }))).toEqual([2]);
    expect(run(col, test("string", "not_in", { shape: "values", values: ["kazan", "omsk"] }))).toEqual([0, 1, 3, 4]);
  });

  it("empty: true is the null row only", () => {
    expect(run(col, test("string", "empty", { shape: "empty", value: true }))).toEqual([1]);
    expect(run(col, test("string", "empty", { shape: "empty", value: false }))).toEqual([0, 2, 3, 4]);
  });

  it("contains and matches", () => {
    expect(run(col, test("string", "contains", { shape: "text", value: "osc" }))).toEqual([0, 3, 4]);
    expect(run(col, test("string", "not_contains", { shape: "text", value: "osc" }))).toEqual([1, 2]);
    // Trimmed, unfolded: only " Moscow " reads "Moscow".
    expect(run(col, test("string", "matches", { shape: "regex", source: "^Moscow$", flags: "" }))).toEqual([0]);
  });

  it("respects the candidates", () => {
    expect(run(col, test("string", "eq", { shape: "value", value: "moscow" }), [1, 2, 3])).toEqual([3]);
    expect(run(col, test("string", "ne", { shape: "value", value: "moscow" }), [0, 2])).toEqual([2]);
    expect(run(col, test("string", "ne", { shape: "value", value: "moscow" }), [])).toEqual([]);
  });

  it("tests each distinct dictionary value once, not each row", () => {
    // 6 rows, 3 distinct strings ("a", "b", "c"); the null row is never tested.
    const c = column("string", ["a", "b", "a", null, "c", "a"]);
    const inner = makeTester(test("string", "eq", { shape: "value", value: "a" }));
    let calls = 0;
    const counting: Tester = { onNull: inner.onNull, test: (v) => (calls++, inner.test(v)) };
    const out = columnKernel(c, false, counting, BitSet.full(6), stateFor(c)).toArray();
    expect(out).toEqual([0, 2, 5]);
    expect(calls).toBe(3);
  });
});

describe("columnKernel: missing column", () => {
  it("every value is null: onNull decides for all candidates", () => {
    const st = stateFor(column("string", ["x", "y", "z"]));
    const ne = makeTester(test("string", "ne", { shape: "value", value: "x" }));
    const eq = makeTester(test("string", "eq", { shape: "value", value: "x" }));
    expect(columnKernel(undefined, false, ne, rows(3, [0, 2]), st).toArray()).toEqual([0, 2]);
    expect(columnKernel(undefined, false, eq, rows(3, [0, 2]), st).toArray()).toEqual([]);
  });

  it("returns a new set, not the candidates themselves", () => {
    const st = stateFor(column("string", ["x"]));
    const cand = rows(1, [0]);
    const out = columnKernel(undefined, false, makeTester(test("string", "ne", { shape: "value", value: "x" })), cand, st);
    out.delete(0);
    expect(cand.toArray()).toEqual([0]);
  });
});

describe("columnKernel: list", () => {
  //             0                 1   2     3         4
  const tags = [["VIP", " news "], [], null, ["gold"], ["vip"]];
  const col = column("list", tags);

  it("in: has any of; not_in: has none of (null and [] included)", () => {
    expect(run(col, test("list", "in", { shape: "values", values: ["vip"] }))).toEqual([0, 4]);
    expect(run(col, test("list", "not_in", { shape: "values", values: ["vip"] }))).toEqual([1, 2, 3]);
  });

  it("all: every value is an item", () => {
    expect(run(col, test("list", "all", { shape: "values", values: ["news", "vip"] }))).toEqual([0]);
  });

  it("empty: [] is present but empty; null is empty too", () => {
    expect(run(col, test("list", "empty", { shape: "empty", value: true }))).toEqual([1, 2]);
    expect(run(col, test("list", "empty", { shape: "empty", value: false }))).toEqual([0, 3, 4]);
  });

  it("contains / not_contains over items", () => {
    expect(run(col, test("list", "contains", { shape: "text", value: "ne" }))).toEqual([0]);
    expect(run(col, test("list", "not_contains", { shape: "text", value: "ne" }))).toEqual([1, 2, 3, 4]);
  });

  it("respects the candidates", () => {
    expect(run(col, test("list", "not_in", { shape: "values", values: ["vip"] }), [0, 1, 4])).toEqual([1]);
    expect(run(col, test("list", "empty", { shape: "empty", value: true }), [0, 2, 3])).toEqual([2]);
  });
});

describe("columnKernel: bool", () => {
  const col = column("bool", [true, false, null, true]);

  it("eq / ne / empty", () => {
    expect(run(col, test("bool", "eq", { shape: "value", value: true }))).toEqual([0, 3]);
    expect(run(col, test("bool", "eq", { shape: "value", value: false }))).toEqual([1]);
    expect(run(col, test("bool", "ne", { shape: "value", value: true }))).toEqual([1, 2]);
    expect(run(col, test("bool", "in", { shape: "values", values: [false, true] }))).toEqual([0, 1, 3]);
    expect(run(col, test("bool", "empty", { shape: "empty", value: true }))).toEqual([2]);
  });

  it("respects the candidates", () => {
    expect(run(col, test("bool", "eq", { shape: "value", value: true }), [1, 2, 3])).toEqual([3]);
    expect(run(col, test("bool", "ne", { shape: "value", value: true }), [0, 2])).toEqual([2]);
  });
});

describe("columnKernel: number", () => {
  const col = column("decimal", [5, null, 10, 15, -2.5]);

  it("comparisons, between, ne and empty", () => {
    expect(run(col, test("number", "gt", { shape: "value", value: 5 }))).toEqual([2, 3]);
    expect(run(col, test("number", "lte", { shape: "value", value: 5 }))).toEqual([0, 4]);
    expect(run(col, test("number", "between", { shape: "range", low: 5, high: 10, wraps: false }))).toEqual([0, 2]);
    expect(run(col, test("number", "between", { shape: "range", low: null, high: 0, wraps: false }))).toEqual([4]);
    expect(run(col, test("number", "ne", { shape: "value", value: 10 }))).toEqual([0, 1, 3, 4]);
    expect(run(col, test("number", "not_in", { shape: "values", values: [5, 15] }))).toEqual([1, 2, 4]);
    expect(run(col, test("number", "empty", { shape: "empty", value: true }))).toEqual([1]);
  });

  it("a null is not 0: `lt 1` does not hold on null", () => {
    expect(run(col, test("number", "lt", { shape: "value", value: 1 }))).toEqual([4]);
  });

  it("respects the candidates across 32-row words", () => {
    // Value i in row i, 70 rows; candidates are the even rows; gte 40 keeps 40, 42, ..., 68.
    const big = column("integer", Array.from({ length: 70 }, (_, i) => i));
    const even = Array.from({ length: 35 }, (_, k) => 2 * k);
    const want = Array.from({ length: 15 }, (_, k) => 40 + 2 * k);
    expect(run(big, test("number", "gte", { shape: "value", value: 40 }), even)).toEqual(want);
  });
});

describe("columnKernel: date", () => {
  //                 0                            1                           2     3                           4
  const birthday = [daysFromCivil(1990, 12, 31), daysFromCivil(1985, 1, 3), null, daysFromCivil(2000, 2, 29), daysFromCivil(1999, 6, 15)];
  const col = column("date", birthday);

  it("day comparisons", () => {
    expect(run(col, test("date", "lt", { shape: "value", value: daysFromCivil(1990, 1, 1) }))).toEqual([1]);
    expect(run(col, test("date", "eq", { shape: "value", value: daysFromCivil(2000, 2, 29) }))).toEqual([3]);
    expect(run(col, test("date", "between", { shape: "range", low: daysFromCivil(1990, 1, 1), high: daysFromCivil(2000, 2, 29), wraps: false }))).toEqual([0, 3, 4]);
    expect(run(col, test("date", "ne", { shape: "value", value: daysFromCivil(2000, 2, 29) }))).toEqual([0, 1, 2, 4]);
  });

  it("month-day keys: a range wrapping the new year (12-02 .. 01-03)", () => {
    // 31 Dec and 3 Jan are inside; 29 Feb and 15 Jun are not.
    const t = test("date", "between", { shape: "range", low: 1202, high: 103, wraps: true }, true);
    expect(run(col, t)).toEqual([0, 1]);
  });

  it("month-day keys: 29 Feb inside 28 Feb .. 1 Mar, and eq 0229", () => {
    expect(run(col, test("date", "between", { shape: "range", low: 228, high: 301, wraps: false }, true))).toEqual([3]);
    expect(run(col, test("date", "eq", { shape: "value", value: 229 }, true))).toEqual([3]);
  });

  it("respects the candidates", () => {
    const t = test("date", "between", { shape: "range", low: 1202, high: 103, wraps: true }, true);
    expect(run(col, t, [1, 2, 3])).toEqual([1]);
  });
});

describe("columnKernel: datetime, as calendar days in the zone", () => {
  // Europe/Moscow is UTC+3 all year.
  const at = [
    Date.parse("2024-03-10T20:59:59.999Z"), // Moscow 2024-03-10 23:59:59.999
    Date.parse("2024-03-10T21:00:00.000Z"), // Moscow 2024-03-11 00:00
    null,
    Date.parse("2024-03-11T12:00:00.000Z"), // Moscow 2024-03-11 15:00
    Date.parse("2023-12-31T22:00:00.000Z"), // Moscow 2024-01-01 01:00 (UTC: 31 Dec)
  ];
  const col = column("datetime", at);
  const mar10 = daysFromCivil(2024, 3, 10), mar11 = daysFromCivil(2024, 3, 11);

  it("eq a day in Moscow", () => {
    expect(run(col, test("date", "eq", { shape: "value", value: mar11 }), undefined, "Europe/Moscow")).toEqual([1, 3]);
    expect(run(col, test("date", "eq", { shape: "value", value: mar10 }), undefined, "Europe/Moscow")).toEqual([0]);
  });

  it("the same instants in UTC fall on other days", () => {
    expect(run(col, test("date", "eq", { shape: "value", value: mar11 }), undefined, "UTC")).toEqual([3]);
    expect(run(col, test("date", "eq", { shape: "value", value: mar10 }), undefined, "UTC")).toEqual([0, 1]);
  });

  it("lt / gte / between on Moscow days; ne keeps the null", () => {
    expect(run(col, test("date", "lt", { shape: "value", value: mar11 }), undefined, "Europe/Moscow")).toEqual([0, 4]);
    expect(run(col, test("date", "gte", { shape: "value", value: mar11 }), undefined, "Europe/Moscow")).toEqual([1, 3]);
    expect(run(col, test("date", "between", { shape: "range", low: mar10, high: mar11, wraps: false }), undefined, "Europe/Moscow")).toEqual([0, 1, 3]);
    expect(run(col, test("date", "ne", { shape: "value", value: mar11 }), undefined, "Europe/Moscow")).toEqual([0, 2, 4]);
  });

  it("month-day keys of the Moscow day", () => {
    // Row 4 is 1 January in Moscow (key 101), 31 December in UTC (1231).
    expect(run(col, test("date", "eq", { shape: "value", value: 101 }, true), undefined, "Europe/Moscow")).toEqual([4]);
    expect(run(col, test("date", "eq", { shape: "value", value: 1231 }, true), undefined, "UTC")).toEqual([4]);
    expect(run(col, test("date", "eq", { shape: "value", value: 311 }, true), undefined, "Europe/Moscow")).toEqual([1, 3]);
  });

  it("respects the candidates", () => {
    expect(run(col, test("date", "eq", { shape: "value", value: mar11 }), [0, 1, 2], "Europe/Moscow")).toEqual([1]);
    expect(run(col, test("date", "empty", { shape: "empty", value: true }), [0, 1], "Europe/Moscow")).toEqual([]);
  });
});

describe("the typed loops", () => {
  // The reference is the plainest reading of the kernel's promise, written here: for each
  // candidate row, a null takes onNull and a value takes the tester's own predicate (the
  // per-row `test`, not the bounds or item tables the kernel uses). Seeded random columns
  // with nulls, random candidate sets (empty, full and sparse words).
  const reference = (col: Column, tester: Tester, cand: BitSet, state: EvalState, monthDay: boolean): number[] => {
    const out: number[] = [];
    cand.forEach((i) => {
      if (!col.validity.has(i)) {
        if (tester.onNull) out.push(i);
        return;
      }
      let v: string | number | boolean | string[];
      if (col.kind === "list") v = Array.from(col.codes.subarray(col.offsets[i], col.offsets[i + 1]), (c) => col.dict[c]);
      else if (col.kind === "string") v = col.dict[col.codes[i]];
      else if (col.kind === "bool") v = col.values[i] === 1;
      else if (col.kind === "number") v = col.values[i];
      else v = (monthDay ? state.monthDays(col) : state.days(col))[i];
      if (tester.test(v)) out.push(i);
    });
    return out;
  };

  it("agree with a per-row reference on random columns, candidates and tests", () => {
    let seed = 99;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const words = ["Tea", " tea ", "TEAWARE", "coffee", "green tea", "oolong"];
    const problems: string[] = [];
    for (let round = 0; round < 40; round++) {
      const size = 1 + Math.floor(rnd() * 300);
      const nulls = rnd() * 0.4;
      const cand = new BitSet(size);
      const density = pick([0, 0.05, 0.5, 1]);
      for (let i = 0; i < size; i++) if (rnd() < density) cand.add(i);
      const cells = (gen: () => CellValue) => Array.from({ length: size }, () => (rnd() < nulls ? null : gen()));
      const day0 = daysFromCivil(2024, 1, 1);
      const cases: Array<[Column, TestPlan]> = [];
      const num = column("integer", cells(() => Math.floor(rnd() * 20)));
      for (const op of ["eq", "ne", "gt", "gte", "lt", "lte"] as const) cases.push([num, test("number", op, { shape: "value", value: Math.floor(rnd() * 20) })]);
      cases.push([num, test("number", "between", { shape: "range", low: 5, high: rnd() < 0.5 ? 12 : null, wraps: false })]);
      cases.push([num, test("number", "in", { shape: "values", values: [3, 7, 11] })]);
      const dates = column("date", cells(() => day0 + Math.floor(rnd() * 400)));
      cases.push([dates, test("date", "gte", { shape: "value", value: day0 + 100 })]);
      cases.push([dates, test("date", "between", { shape: "range", low: 1220, high: 110, wraps: true }, true)]);
      const list = column("list", cells(() => Array.from({ length: Math.floor(rnd() * 4) }, () => pick(words))));
      for (const [op, operand] of [
        ["eq", { shape: "value", value: "tea" }], ["ne", { shape: "value", value: "tea" }],
        ["in", { shape: "values", values: ["coffee", "tea"] }], ["not_in", { shape: "values", values: ["coffee", "tea"] }],
        ["contains", { shape: "text", value: "tea" }], ["not_contains", { shape: "text", value: "tea" }],
        ["starts_with", { shape: "text", value: "tea" }], ["ends_with", { shape: "text", value: "ware" }],
        ["matches", { shape: "regex", source: "^T", flags: "" }], ["all", { shape: "values", values: ["oolong", "tea"] }],
        ["empty", { shape: "empty", value: true }], ["empty", { shape: "empty", value: false }],
      ] as Array<[Op, OperandPlan]>) cases.push([list, test("list", op, operand)]);
      const str = column("string", cells(() => pick(words)));
      cases.push([str, test("string", "contains", { shape: "text", value: "tea" })]);
      cases.push([str, test("string", "ne", { shape: "value", value: "coffee" })]);
      const bool = column("bool", cells(() => rnd() < 0.5));
      cases.push([bool, test("bool", "eq", { shape: "value", value: true })]);
      cases.push([bool, test("bool", "ne", { shape: "value", value: false })]);
      for (const [col, t] of cases) {
        const state = stateFor(col);
        const tester = makeTester(t);
        const got = columnKernel(col, t.monthDay, tester, cand, state).toArray();
        const want = reference(col, tester, cand, state, t.monthDay);
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`round ${round}: ${col.kind} ${t.op} ${JSON.stringify(t.operand)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
