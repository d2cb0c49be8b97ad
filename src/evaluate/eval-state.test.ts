/**
 * EvalState: fact metrics as customer columns, `age` derived from birthday at the as-of day,
 * and day numbers / month-day keys of date and datetime columns in the plan's zone.
 * Expected values are computed by hand from the inputs written in each test.
 */
import { describe, expect, it } from "vitest";
import { emptyResult } from "../facts/aggregates.js";
import type { Plan } from "../segment/plan.js";
import { ColumnBuilder, cellAt, type CellValue, type Column } from "../table/column.js";
import { daysFromCivil } from "../table/time.js";
import type { ValueType } from "../table/value-type.js";
import { EvalState } from "./eval-state.js";

function column(type: ValueType, values: CellValue[]): Column {
  const b = new ColumnBuilder(type);
  for (const v of values) b.push(v);
  return b.finish();
}

function plan(y: number, m: number, d: number, timezone = "UTC"): Plan {
  const asOfDay = daysFromCivil(y, m, d);
  return { version: 1, asOf: "", asOfDay, timezone, factsBefore: 0, segments: [], stored: [], aggregates: [], outputs: [], warnings: [] };
}

const cells = (col: Column | undefined) => (col ? Array.from({ length: col.length }, (_, i) => cellAt(col, i)) : undefined);

describe("EvalState.metric", () => {
  const n = 3;
  const r = emptyResult(n, ["count", "revenue", "quantity", "first", "last"]);
  // Customer 0: 2 orders, 300 revenue, 5 items; 1: none; 2: 1 order of 50, 1 item.
  r.count.set([2, 0, 1]);
  r.revenue.set([300, 0, 50]);
  r.quantity.set([5, 0, 1]);
  const t0 = Date.parse("2024-01-05T10:00:00Z"), t1 = Date.parse("2024-02-01T10:00:00Z"), t2 = Date.parse("2024-03-01T00:00:00Z");
  r.first.set([t0, NaN, t2]);
  r.last.set([t1, NaN, t2]);
  const state = new EvalState(plan(2024, 3, 10), { length: n, columns: new Map() }, new Map([[7, r]]));

  it("counts, revenue and quantity are never null (0 without facts)", () => {
    expect(cells(state.metric(7, "count"))).toEqual([2, 0, 1]);
    expect(cells(state.metric(7, "revenue"))).toEqual([300, 0, 50]);
    expect(cells(state.metric(7, "quantity"))).toEqual([5, 0, 1]);
  });

  it("avg_check is revenue / count, null when count is 0", () => {
    expect(cells(state.metric(7, "avg_check"))).toEqual([150, null, 50]);
  });

  it("first_at / last_at are datetimes, null without a row", () => {
    const first = state.metric(7, "first_at"), last = state.metric(7, "last_at");
    expect(first.type).toBe("datetime");
    expect(cells(first)).toEqual([t0, null, t2]);
    expect(cells(last)).toEqual([t1, null, t2]);
  });

  it("inputColumn reads a metric input", () => {
    expect(cells(state.inputColumn({ kind: "metric", aggregate: 7, metric: "count", type: "integer" }))).toEqual([2, 0, 1]);
  });
});

describe("EvalState: age", () => {
  const age = (p: Plan, birthdays: CellValue[]) => {
    const col = column("date", birthdays);
    const st = new EvalState(p, { length: col.length, columns: new Map([["birthday", col]]) }, new Map());
    return cells(st.inputColumn({ kind: "derived", name: "age", from: "birthday", fromType: "date", type: "integer" }));
  };

  it("whole years at the as-of day", () => {
    // As of 2024-03-10.
    expect(age(plan(2024, 3, 10), [
      daysFromCivil(1990, 3, 10), // birthday today: 34
      daysFromCivil(1990, 3, 11), // tomorrow: still 33
      daysFromCivil(2000, 2, 29), // 29 Feb 2024 has passed: 24
      null,
      daysFromCivil(2024, 3, 10), // born today: 0
      daysFromCivil(1990, 12, 31), // 33
    ])).toEqual([34, 33, 24, null, 0, 33]);
  });

  it("29 February turns a year older on 1 March in a common year", () => {
    const born = [daysFromCivil(2000, 2, 29)];
    expect(age(plan(2023, 2, 28), born)).toEqual([22]);
    expect(age(plan(2023, 3, 1), born)).toEqual([23]);
  });

  it("no birthday column, or one that is not a date: every value is null", () => {
    const none = new EvalState(plan(2024, 3, 10), { length: 2, columns: new Map() }, new Map());
    expect(none.inputColumn({ kind: "derived", name: "age", from: "birthday", fromType: null, type: "integer" })).toBeUndefined();
    const text = column("string", ["1990-01-01", null]);
    const st = new EvalState(plan(2024, 3, 10), { length: 2, columns: new Map([["birthday", text]]) }, new Map());
    expect(st.inputColumn({ kind: "derived", name: "age", from: "birthday", fromType: "string", type: "integer" })).toBeUndefined();
  });
});

describe("EvalState: days and month-day keys", () => {
  it("datetimes become calendar days in the plan's zone (Moscow, UTC+3)", () => {
    const col = column("datetime", [Date.parse("2024-03-10T20:59:59.999Z"), Date.parse("2024-03-10T21:00:00Z"), null, Date.parse("2023-12-31T22:00:00Z")]);
    const st = new EvalState(plan(2024, 3, 10, "Europe/Moscow"), { length: 4, columns: new Map([["c", col]]) }, new Map());
    const days = st.days(col);
    expect([days[0], days[1], days[3]]).toEqual([daysFromCivil(2024, 3, 10), daysFromCivil(2024, 3, 11), daysFromCivil(2024, 1, 1)]);
    const md = st.monthDays(col);
    expect([md[0], md[1], md[3]]).toEqual([310, 311, 101]);
    // Computed once per column.
    expect(st.days(col)).toBe(days);
    expect(st.monthDays(col)).toBe(md);
  });

  it("dates are their own day numbers; month-day keys include 0229", () => {
    const col = column("date", [daysFromCivil(2000, 2, 29), daysFromCivil(1999, 12, 31), daysFromCivil(2001, 1, 1)]);
    const st = new EvalState(plan(2024, 3, 10, "Europe/Moscow"), { length: 3, columns: new Map([["c", col]]) }, new Map());
    expect(Array.from(st.days(col))).toEqual([daysFromCivil(2000, 2, 29), daysFromCivil(1999, 12, 31), daysFromCivil(2001, 1, 1)]);
    expect(Array.from(st.monthDays(col))).toEqual([229, 1231, 101]);
  });

  it("inputColumn: a missing customer column is undefined; exists and segment inputs have none", () => {
    const st = new EvalState(plan(2024, 3, 10), { length: 1, columns: new Map() }, new Map());
    expect(st.inputColumn({ kind: "column", column: "city", type: null })).toBeUndefined();
    expect(st.inputColumn({ kind: "exists", aggregates: [1], negate: false })).toBeUndefined();
    expect(st.inputColumn({ kind: "segment", codes: ["a"], negate: false })).toBeUndefined();
  });
});

describe("derived values shared between states", () => {
  // preview --watch evaluates each save with a new EvalState over the same columns and
  // aggregates; what it derives is kept by object, and must still follow the plan.
  it("age follows each state's as-of day, day numbers each zone, RFM each setting", () => {
    const birthday = column("date", [daysFromCivil(2000, 3, 10)]);
    const customers = { length: 1, columns: new Map([["birthday", birthday]]) };
    const age = (y: number, m: number, d: number) => cells(new EvalState(plan(y, m, d), customers, new Map()).inputColumn({ kind: "derived", name: "age", from: "birthday", fromType: "date", type: "integer" }));
    // Born 2000-03-10: 23 on 2024-03-09, 24 on 2024-03-10, 23 again for a state as of 2023-12-31.
    expect([age(2024, 3, 9), age(2024, 3, 10), age(2023, 12, 31)]).toEqual([[23], [24], [23]]);

    const at = column("datetime", [Date.parse("2024-03-09T22:30:00Z")]);
    const day = (zone: string) => new EvalState(plan(2024, 3, 10, zone), customers, new Map()).days(at)[0];
    // 22:30 UTC is the 9th in UTC and already the 10th in Moscow (UTC+3).
    expect([day("UTC"), day("Europe/Moscow"), day("UTC")]).toEqual([daysFromCivil(2024, 3, 9), daysFromCivil(2024, 3, 10), daysFromCivil(2024, 3, 9)]);

    // Two customers with 1 and 3 orders: with 2 bins by rank the first scores f = 1, the second 2;
    // with 1 bin both score 1.
    const r = emptyResult(2, ["count", "revenue", "last"]);
    r.count.set([1, 3]);
    r.revenue.set([10, 30]);
    r.last.set([Date.parse("2024-03-01T00:00:00Z"), Date.parse("2024-03-05T00:00:00Z")]);
    const f = (bins: number) => {
      const p = { ...plan(2024, 3, 10), rfm: { aggregate: 1, method: "rank" as const, bins, monetary: "sum" as const, rules: [] } };
      return Array.from(new EvalState(p, { length: 2, columns: new Map() }, new Map([[1, r]])).rfmTable().f);
    };
    expect([f(2), f(1), f(2)]).toEqual([[1, 2], [1, 1], [1, 2]]);
  });
});
