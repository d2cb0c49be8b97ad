/**
 * lowerSegment: a bound plan (plain data) becomes kernels; evaluating the lowered tree gives
 * the members worked out by hand. Plans come from real definitions through parseDefinitions
 * and bindPlan, with an as-of day of 2024-12-30 in Europe/Moscow.
 */
import { describe, expect, it } from "vitest";
import { emptyResult } from "../facts/aggregates.js";
import { bindPlan } from "../segment/bind.js";
import { parseDefinitions } from "../segment/load-definitions.js";
import type { FilterPlan, GroupPlan, NodePlan, Plan, SegmentPlan } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { ColumnBuilder, type CellValue, type Column } from "../table/column.js";
import { daysFromCivil } from "../table/time.js";
import type { ValueType } from "../table/value-type.js";
import { EvalState } from "./eval-state.js";
import { evaluateGroup } from "./logical.js";
import { lowerSegment, type LoweredNode } from "./lower.js";

const VIP = `
code: moscow-vip
name: Moscow VIP with a birthday soon
filters:
  - { field: city, eq: " Moscow " }
  - { field: birthday, ignore_year: true, between: [today, +3d] }
groups:
  - match: any
    filters:
      - { field: tags, in: [VIP] }
      - { field: orders.count, gte: 2 }
  - match: any
    not: true
    filters:
      - { field: segment, in: [blocked] }
      - { field: email_marketing, eq: false }
`;
const NOT_MOSCOW = `
code: not-moscow
name: Everyone except Moscow
filters:
  - { field: city, ne: moscow }
`;
const BLOCKED = `
code: blocked
name: Blocked
filters:
  - { field: tags, in: [blocked] }
`;

function column(type: ValueType, values: CellValue[]): Column {
  const b = new ColumnBuilder(type);
  for (const v of values) b.push(v);
  return b.finish();
}

function bound(): Plan {
  const defs = parseDefinitions([{ file: "vip.yaml", text: VIP }, { file: "not.yaml", text: NOT_MOSCOW }, { file: "blocked.yaml", text: BLOCKED }]);
  return bindPlan({
    definitions: defs.filter((d) => d.code !== "blocked"),
    stored: ["blocked"],
    schema: { customers: { id: "id", city: "string", birthday: "date", tags: "list", email_marketing: "bool" }, facts: ["orders"], orderItems: false },
    asOfDay: daysFromCivil(2024, 12, 30),
    timezone: "Europe/Moscow",
  });
}

/*
 * The customers. Birthday "within [today, +3d]" as of 30 Dec is 30 Dec .. 2 Jan.
 *  row | city     | birthday   | tags   | orders | email_marketing | blocked | moscow-vip
 *  0   | Moscow   | 1990-12-31 | [vip]  | 0      | true            |         | yes
 *  1   | moscow   | 1985-01-02 | []     | 2      | null            |         | yes (2 orders; null is not false)
 *  2   | MOSCOW   | 1985-01-03 | [vip]  | 5      | true            |         | no: 3 Jan is past +3d
 *  3   | Kazan    | 1990-12-30 | [vip]  | 3      | true            |         | no: city
 *  4   | Moscow   | 2000-12-31 | [news] | 1      | true            |         | no: neither vip nor 2 orders
 *  5   | moscow   | 1999-12-30 | [VIP]  | 0      | false           |         | no: email_marketing false
 *  6   | Moscow   | 1999-12-30 | [vip]  | 0      | true            | yes     | no: blocked
 *  7   | null     | null       | [vip]  | 9      | true            |         | no: no city, no birthday
 *  not-moscow (city ne moscow; null kept): {3, 7}
 */
function makeState(plan: Plan): EvalState {
  const n = 8;
  const columns = new Map<string, Column>([
    ["city", column("string", ["Moscow", "moscow", "MOSCOW", "Kazan", "Moscow", "moscow", "Moscow", null])],
    ["birthday", column("date", [
      daysFromCivil(1990, 12, 31), daysFromCivil(1985, 1, 2), daysFromCivil(1985, 1, 3), daysFromCivil(1990, 12, 30),
      daysFromCivil(2000, 12, 31), daysFromCivil(1999, 12, 30), daysFromCivil(1999, 12, 30), null,
    ])],
    ["tags", column("list", [["vip"], [], ["vip"], ["vip"], ["news"], ["VIP"], ["vip"], ["vip"]])],
    ["email_marketing", column("bool", [true, null, true, true, true, false, true, true])],
  ]);
  expect(plan.aggregates).toHaveLength(1);
  const orders = emptyResult(n, plan.aggregates[0].measures);
  orders.count.set([0, 2, 5, 3, 1, 0, 0, 9]);
  const st = new EvalState(plan, { length: n, columns }, new Map([[plan.aggregates[0].id, orders]]));
  const blocked = new BitSet(n);
  blocked.add(6);
  st.segments.set("blocked", blocked);
  return st;
}

const seg = (plan: Plan, code: string): SegmentPlan => plan.segments.find((s) => s.code === code)!;

describe("lowerSegment", () => {
  it("evaluates a bound segment to the members worked out by hand", () => {
    const plan = bound();
    const st = makeState(plan);
    expect(evaluateGroup(lowerSegment(seg(plan, "moscow-vip")), BitSet.full(8), st).toArray()).toEqual([0, 1]);
    expect(evaluateGroup(lowerSegment(seg(plan, "not-moscow")), BitSet.full(8), st).toArray()).toEqual([3, 7]);
  });

  it("respects the candidates it is given", () => {
    const plan = bound();
    const cand = new BitSet(8);
    for (const i of [1, 2, 3, 7]) cand.add(i);
    expect(evaluateGroup(lowerSegment(seg(plan, "moscow-vip")), cand, makeState(plan)).toArray()).toEqual([1]);
    expect(evaluateGroup(lowerSegment(seg(plan, "not-moscow")), cand, makeState(plan)).toArray()).toEqual([3, 7]);
  });

  it("mirrors the plan's tree, node for node", () => {
    const plan = bound();
    const check = (l: LoweredNode, p: NodePlan) => {
      expect(l.plan).toBe(p);
      expect(l.kind).toBe(p.kind);
      if (l.kind === "group") {
        const g = p as GroupPlan;
        expect(l.children).toHaveLength(g.children.length);
        l.children.forEach((c, i) => check(c, g.children[i]));
      }
    };
    const root = seg(plan, "moscow-vip").root;
    check(lowerSegment(seg(plan, "moscow-vip")), root);
  });

  it("never changes the plan, and a JSON copy of the plan evaluates the same", () => {
    const plan = bound();
    const before = JSON.stringify(plan);
    const st = makeState(plan);
    evaluateGroup(lowerSegment(seg(plan, "moscow-vip")), BitSet.full(8), st);
    expect(JSON.stringify(plan)).toBe(before);
    const copy = JSON.parse(before) as Plan;
    expect(evaluateGroup(lowerSegment(seg(copy, "moscow-vip")), BitSet.full(8), makeState(copy)).toArray()).toEqual([0, 1]);
  });

  it("a filter on a column without a test cannot be lowered", () => {
    const broken: FilterPlan = { kind: "filter", at: "x.yaml:3:5 filters[0]", field: "city", label: "city", input: { kind: "column", column: "city", type: "string" } };
    const root: GroupPlan = { kind: "group", at: "x.yaml:1:1", label: "segment x", match: "all", not: false, children: [broken] };
    const s: SegmentPlan = { code: "x", name: "X", type: "dynamic", active: true, hash: "", file: "x.yaml", dependsOn: [], root };
    expect(() => lowerSegment(s)).toThrow(/x\.yaml:3:5 filters\[0\] has no test/);
  });

  it("a segment filter reads a membership only when run", () => {
    const plan = bound();
    const lowered = lowerSegment(seg(plan, "moscow-vip"));
    const st = makeState(plan);
    st.segments.delete("blocked");
    expect(() => evaluateGroup(lowered, BitSet.full(8), st)).toThrow(/blocked/);
  });
});
