/**
 * funnel and traceCustomer on a tiny hand-made plan. The customers, aggregates and
 * memberships are written out below; every count and verdict is worked out by hand from
 * that table (see the comments at the top of each test).
 *
 *  row | city       | tags            | agg 1: count, revenue | agg 2: count | blocked
 *  0   | "Moscow"   | ["vip"]         | 2, 300                | 1            | no
 *  1   | " moscow " | []              | 0, 0                  | 0            | no
 *  2   | "Kazan"    | null            | 1, 50                 | 0            | no
 *  3   | null       | ["news"]        | 3, 900                | 2            | no
 *  4   | "MOSCOW"   | ["VIP", "news"] | 1, 100                | 1            | yes
 *
 *  segment s (all)
 *    F1 city eq "moscow"                      -> {0, 1, 4}
 *    G  any                                   -> {0, 3, 4}
 *      F2 orders.revenue gte 100              -> {0, 3, 4}
 *      F3 tags in ["vip"]                     -> {0, 4}
 *      F6 custom.level eq "gold" (no column)  -> {}
 *    H  NOT all                               -> {0, 1, 2, 3}
 *      F4 segment in [blocked]                -> {4}
 *    F5 some order with category "tea" (agg 2) -> {0, 3, 4}
 *  s = {0, 1, 4} ∩ {0, 3, 4} ∩ {0, 1, 2, 3} ∩ {0, 3, 4} = {0}
 */
import { describe, expect, it } from "vitest";
import { emptyResult } from "../facts/aggregates.js";
import type { AggregatePlan, FilterPlan, GroupPlan, NodePlan, Plan, SegmentPlan } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { ColumnBuilder, type CellValue, type Column } from "../table/column.js";
import { daysFromCivil } from "../table/time.js";
import type { ValueType } from "../table/value-type.js";
import { EvalState } from "./eval-state.js";
import { funnel, labelOf, traceCustomer } from "./inspect.js";
import { evaluateGroup } from "./logical.js";
import { lowerSegment } from "./lower.js";

function column(type: ValueType, values: CellValue[]): Column {
  const b = new ColumnBuilder(type);
  for (const v of values) b.push(v);
  return b.finish();
}

const F1: FilterPlan = {
  kind: "filter", at: "s.yaml:4:5 filters[0]", field: "city", label: "city = \"moscow\"",
  input: { kind: "column", column: "city", type: "string" },
  test: { class: "string", op: "eq", operand: { shape: "value", value: "moscow" }, monthDay: false, onNull: false },
};
const F2: FilterPlan = {
  kind: "filter", at: "s.yaml:7:9 groups[0].filters[0]", field: "orders.revenue", label: "orders.revenue >= 100",
  input: { kind: "metric", aggregate: 1, metric: "revenue", type: "decimal" },
  test: { class: "number", op: "gte", operand: { shape: "value", value: 100 }, monthDay: false, onNull: false },
};
const F3: FilterPlan = {
  kind: "filter", at: "s.yaml:8:9 groups[0].filters[1]", field: "tags", label: "tags in [\"vip\"]",
  input: { kind: "column", column: "tags", type: "list" },
  test: { class: "list", op: "in", operand: { shape: "values", values: ["vip"] }, monthDay: false, onNull: false },
};
const F6: FilterPlan = {
  kind: "filter", at: "s.yaml:9:9 groups[0].filters[2]", field: "custom.level", label: "custom.level = \"gold\" (no such column in the data: every value is null)",
  input: { kind: "column", column: "custom.level", type: null },
  test: { class: "string", op: "eq", operand: { shape: "value", value: "gold" }, monthDay: false, onNull: false },
};
const F4: FilterPlan = {
  kind: "filter", at: "s.yaml:12:9 groups[1].filters[0]", field: "segment", label: "segment in [blocked]",
  input: { kind: "segment", codes: ["blocked"], negate: false },
};
const F5: FilterPlan = {
  kind: "filter", at: "s.yaml:13:5 filters[1]", field: "orders.category", label: "some orders row with category = \"tea\"",
  input: { kind: "exists", aggregates: [2], negate: false },
};
const G: GroupPlan = { kind: "group", at: "s.yaml:6:5 groups[0]", label: "groups[0]", match: "any", not: false, children: [F2, F3, F6] };
const H: GroupPlan = { kind: "group", at: "s.yaml:11:5 groups[1]", label: "groups[1]", match: "all", not: true, children: [F4] };
const root: GroupPlan = { kind: "group", at: "s.yaml:1:1", label: "segment s", match: "all", not: false, children: [F1, G, H, F5] };
const segment: SegmentPlan = { code: "s", name: "S", type: "dynamic", active: true, hash: "x", file: "s.yaml", dependsOn: ["blocked"], root };

const agg = (id: number, label: string): AggregatePlan => ({
  id, key: `k${id}`, table: "orders", timestamp: "created_at", rowConditions: [], itemConditions: [],
  measures: ["count", "revenue"], joinsItems: false, label,
});
const plan: Plan = {
  version: 1, asOf: "2024-03-10", asOfDay: daysFromCivil(2024, 3, 10), timezone: "Europe/Moscow",
  factsBefore: Date.parse("2024-03-10T21:00:00Z"), segments: [segment], stored: ["blocked"],
  aggregates: [agg(1, "orders"), agg(2, "orders where item category = tea")], outputs: [], warnings: [],
};

function makeState(): EvalState {
  const n = 5;
  const columns = new Map<string, Column>([
    ["city", column("string", ["Moscow", " moscow ", "Kazan", null, "MOSCOW"])],
    ["tags", column("list", [["vip"], [], null, ["news"], ["VIP", "news"]])],
  ]);
  const a1 = emptyResult(n, ["count", "revenue"]);
  a1.count.set([2, 0, 1, 3, 1]);
  a1.revenue.set([300, 0, 50, 900, 100]);
  const a2 = emptyResult(n, ["count"]);
  a2.count.set([1, 0, 0, 2, 1]);
  const st = new EvalState(plan, { length: n, columns }, new Map([[1, a1], [2, a2]]));
  const blocked = new BitSet(n);
  blocked.add(4);
  st.segments.set("blocked", blocked);
  return st;
}

describe("the hand-made plan evaluates as worked out", () => {
  it("members are {0}", () => {
    const st = makeState();
    expect(evaluateGroup(lowerSegment(segment), BitSet.full(5), st).toArray()).toEqual([0]);
  });
});

describe("labelOf", () => {
  it("filters show their label; groups their match, negated ones prefixed NOT", () => {
    expect(labelOf(F1)).toBe("city = \"moscow\"");
    expect(labelOf(G)).toBe("groups[0]: any");
    expect(labelOf(H)).toBe("NOT groups[1]: all");
  });
});

describe("funnel", () => {
  it("counts each node alone, and the running intersection within all groups", () => {
    // Cumulative in root: F1 3; G: {0,1,4}∩{0,3,4} = 2; H: {0,4}∩{0,1,2,3} = 1; F5: {0}∩{0,3,4} = 1.
    // Within H (an all group): F4 alone {4}, cumulative 1. Children of the any group G have none.
    const rows = funnel(lowerSegment(segment), makeState());
    expect(rows).toStrictEqual([
      { depth: 0, label: "segment s: all", alone: 1 },
      { depth: 1, label: "city = \"moscow\"", alone: 3, cumulative: 3 },
      { depth: 1, label: "groups[0]: any", alone: 3, cumulative: 2 },
      { depth: 2, label: "orders.revenue >= 100", alone: 3 },
      { depth: 2, label: "tags in [\"vip\"]", alone: 2 },
      { depth: 2, label: F6.label, alone: 0 },
      { depth: 1, label: "NOT groups[1]: all", alone: 4, cumulative: 1 },
      { depth: 2, label: "segment in [blocked]", alone: 1, cumulative: 1 },
      { depth: 1, label: "some orders row with category = \"tea\"", alone: 3, cumulative: 1 },
    ]);
  });
});

describe("traceCustomer", () => {
  const trace = (row: number) => traceCustomer(lowerSegment(segment), row, makeState()).map((t) => [t.depth, t.pass, t.value]);

  it("a member: every node of the all path passes", () => {
    // Row 0: "Moscow" = moscow; revenue 300 >= 100; ["vip"] has vip; not blocked; 1 tea order.
    expect(trace(0)).toEqual([
      [0, true, undefined],
      [1, true, "\"Moscow\" (compared as \"moscow\")"],
      [1, true, undefined],
      [2, true, "300"],
      [2, true, "[\"vip\"]"],
      [2, false, "null (no such column)"],
      [1, true, undefined],
      [2, false, "blocked: not a member"],
      [1, true, "1 matching orders"],
    ]);
  });

  it("a blocked customer fails only the NOT group", () => {
    // Row 4: "MOSCOW" folds to moscow; revenue 100 >= 100; has VIP; blocked -> NOT group fails.
    expect(trace(4)).toEqual([
      [0, false, undefined],
      [1, true, "\"MOSCOW\" (compared as \"moscow\")"],
      [1, true, undefined],
      [2, true, "100"],
      [2, true, "[\"VIP\", \"news\"]"],
      [2, false, "null (no such column)"],
      [1, false, undefined],
      [2, true, "blocked: member"],
      [1, true, "1 matching orders"],
    ]);
  });

  it("each node is judged on its own, not after the nodes before it", () => {
    // Row 3: city null fails F1, yet G (revenue 900), H (not blocked) and F5 (2 tea orders) pass.
    expect(trace(3)).toEqual([
      [0, false, undefined],
      [1, false, "null"],
      [1, true, undefined],
      [2, true, "900"],
      [2, false, "[\"news\"]"],
      [2, false, "null (no such column)"],
      [1, true, undefined],
      [2, false, "blocked: not a member"],
      [1, true, "2 matching orders"],
    ]);
  });

  it("a padded value and an empty list read as they are", () => {
    // Row 1: " moscow " = moscow; revenue 0; [] has no vip; no tea order.
    expect(trace(1).map((t) => t[2])).toEqual([
      undefined, "\" moscow \" (compared as \"moscow\")", undefined, "0", "[]", "null (no such column)", undefined, "blocked: not a member", "0 matching orders",
    ]);
    expect(trace(1).map((t) => t[1])).toEqual([false, true, false, false, false, false, true, false, false]);
  });

  it("labels follow the tree in order", () => {
    const labels = traceCustomer(lowerSegment(segment), 0, makeState()).map((t) => t.label);
    const walk = (n: NodePlan): string[] => [labelOf(n), ...(n.kind === "group" ? n.children.flatMap(walk) : [])];
    expect(labels).toEqual(walk(root));
  });

  it("a datetime metric shows its instant and its day in the zone", () => {
    // 2024-03-10T21:30Z is 00:30 on 11 March in Moscow.
    const last: FilterPlan = {
      kind: "filter", at: "x", field: "orders.last_at", label: "orders.last_at >= 2024-03-11",
      input: { kind: "metric", aggregate: 1, metric: "last_at", type: "datetime" },
      test: { class: "date", op: "gte", operand: { shape: "value", value: daysFromCivil(2024, 3, 11) }, monthDay: false, onNull: false },
    };
    const seg: SegmentPlan = { ...segment, root: { ...root, children: [last] } };
    const a1 = emptyResult(2, ["count", "last"]);
    a1.count.set([1, 0]);
    a1.last.set([Date.parse("2024-03-10T21:30:00Z"), NaN]);
    const st = new EvalState(plan, { length: 2, columns: new Map() }, new Map([[1, a1]]));
    expect(traceCustomer(lowerSegment(seg), 0, st)[1]).toEqual({ depth: 1, label: last.label, pass: true, value: "2024-03-10T21:30:00.000Z (Europe/Moscow day 2024-03-11)" });
    expect(traceCustomer(lowerSegment(seg), 1, st)[1]).toEqual({ depth: 1, label: last.label, pass: false, value: "null" });
  });
});
