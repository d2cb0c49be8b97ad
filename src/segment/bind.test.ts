/** Bind: small definitions against a hand-written schema, plans asserted as data (values worked out by hand). */
import { describe, expect, it } from "vitest";
import { DefinitionError } from "../errors.js";
import { bindPlan } from "./bind.js";
import { parseDefinitions } from "./load-definitions.js";
import type { DataSchema, FilterPlan, GroupPlan, Plan } from "./plan.js";

const SCHEMA: DataSchema = {
  customers: { id: "id", city: "string", tags: "list", birthday: "date", created_at: "datetime", "custom.score": "decimal" },
  facts: ["orders", "visits", "carts", "emails"],
  orderItems: true,
};
/** 2026-11-23 as a day number: Date.UTC(2026, 10, 23) / 86 400 000. */
const NOV_23 = Date.UTC(2026, 10, 23) / 86_400_000;

function bind(yaml: string, opts: { schema?: DataSchema; timezone?: string } = {}): Plan {
  const defs = parseDefinitions([{ file: "t.yaml", text: yaml }]);
  return bindPlan({ definitions: defs, schema: opts.schema ?? SCHEMA, asOfDay: NOV_23, timezone: opts.timezone ?? "UTC" });
}
const filtersOf = (plan: Plan, seg = 0): FilterPlan[] => plan.segments[seg].root.children as FilterPlan[];

describe("bind: filters on customer columns", () => {
  it("folds and sorts string operands, and records the column and its type", () => {
    const [f] = filtersOf(bind("code: t\nname: t\nfilters:\n  - { field: city, in: [' Moscow', SPb, moscow] }\n"));
    expect(f).toMatchObject({
      kind: "filter", field: "city", at: "t.yaml:4:5 filters[0]",
      input: { kind: "column", column: "city", type: "string" },
      test: { class: "string", op: "in", operand: { shape: "values", values: ["moscow", "spb"] }, monthDay: false, onNull: false },
    });
  });

  it("resolves relative dates to day numbers, and month-day keys with ignore_year", () => {
    const plan = bind([
      "code: t", "name: t", "filters:",
      "  - { field: created_at, gte: -7d }",
      "  - { field: birthday, ignore_year: true, between: [today, +3d] }",
      "  - { field: birthday, ignore_year: true, between: ['12-30', '01-03'] }",
      "  - { field: created_at, lt: -1m }",
    ].join("\n"));
    const [week, soon, newYear, month] = filtersOf(plan);
    expect(week.test).toEqual({ class: "date", op: "gte", operand: { shape: "value", value: NOV_23 - 7 }, monthDay: false, onNull: false });
    // 23 Nov .. 26 Nov as MMDD keys.
    expect(soon.test!.operand).toEqual({ shape: "range", low: 1123, high: 1126, wraps: false });
    expect(soon.test!.monthDay).toBe(true);
    expect(newYear.test!.operand).toEqual({ shape: "range", low: 1230, high: 103, wraps: true });
    // One month before 23 Nov is 23 Oct.
    expect(month.test!.operand).toEqual({ shape: "value", value: Date.UTC(2026, 9, 23) / 86_400_000 });
    expect(plan.asOf).toBe("2026-11-23");
    expect(plan.asOfDay).toBe(NOV_23);
  });

  it("keeps a regex as source and flags, and the null rule of negative operators", () => {
    const [re, ne, empty] = filtersOf(bind("code: t\nname: t\nfilters:\n  - { field: city, matches: '/^mos/i' }\n  - { field: city, ne: Moscow }\n  - { field: tags, empty: true }\n"));
    expect(re.test).toMatchObject({ op: "matches", operand: { shape: "regex", source: "^mos", flags: "i" }, onNull: false });
    expect(ne.test).toMatchObject({ op: "ne", operand: { shape: "value", value: "moscow" }, onNull: true });
    expect(empty.test).toMatchObject({ class: "list", op: "empty", operand: { shape: "empty", value: true }, onNull: true });
  });

  it("binds age as a derived input each backend computes from birthday", () => {
    const [age] = filtersOf(bind("code: t\nname: t\nfilters:\n  - { field: age, gte: 18 }\n"));
    expect(age.input).toEqual({ kind: "derived", name: "age", from: "birthday", fromType: "date", type: "integer" });
    expect(age.test).toMatchObject({ class: "number", op: "gte", operand: { shape: "value", value: 18 } });
  });

  it("marks a canonical column the data lacks, and types custom fields from the schema", () => {
    const [country, score] = filtersOf(bind("code: t\nname: t\nfilters:\n  - { field: country, eq: RU }\n  - { field: custom.score, gt: 2.5 }\n"));
    expect(country.input).toEqual({ kind: "column", column: "country", type: null });
    expect(country.label).toContain("no such column");
    expect(score.input).toEqual({ kind: "column", column: "custom.score", type: "decimal" });
  });

  it("reports unknown custom fields and wrong operators together, as definition errors", () => {
    let err: unknown;
    try {
      bind("code: t\nname: t\nfilters:\n  - { field: custom.scor, gt: 1 }\n  - { field: custom.score, contains: '1' }\n");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DefinitionError);
    const problems = (err as DefinitionError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ line: 4, path: "filters[0].field", hint: "did you mean `custom.score`?" });
    expect(problems[1].message).toContain("`contains` does not apply to `custom.score`");
  });
});

describe("bind: facts", () => {
  it("shares one aggregate between filters asking for the same rows, with the measures of both", () => {
    const plan = bind([
      "code: t", "name: t", "filters:",
      "  - { field: orders.count, where: { category: [Chinese tea] }, gte: 1 }",
      "  - { field: orders.last_at, where: { category: [' chinese TEA'] }, between: [-120d, -90d] }",
    ].join("\n"));
    expect(plan.aggregates).toHaveLength(1);
    const [agg] = plan.aggregates;
    expect(agg).toMatchObject({
      id: 1, table: "orders", timestamp: "created_at", rowConditions: [], measures: ["count", "last"], joinsItems: true,
      itemConditions: [{ column: "category", type: "string", level: "item", test: { class: "string", op: "in", operand: { shape: "values", values: ["chinese tea"] } } }],
    });
    const [count, last] = filtersOf(plan);
    expect(count.input).toEqual({ kind: "metric", aggregate: 1, metric: "count", type: "integer" });
    expect(last.input).toEqual({ kind: "metric", aggregate: 1, metric: "last_at", type: "datetime" });
    expect(last.test!.operand).toEqual({ shape: "range", low: NOV_23 - 120, high: NOV_23 - 90, wraps: false });
  });

  it("turns a negative fact-column filter into `no row matches the positive condition`", () => {
    const [f] = filtersOf(bind("code: t\nname: t\nfilters:\n  - { field: orders.status, where: { created_at: { gte: -30d } }, ne: cancelled }\n"));
    expect(f.input).toEqual({ kind: "exists", aggregates: [1], negate: true });
    expect(f.test).toBeUndefined();
    const conds = bind("code: t\nname: t\nfilters:\n  - { field: orders.status, where: { created_at: { gte: -30d } }, ne: cancelled }\n").aggregates[0].rowConditions;
    expect(conds.map((c) => [c.column, c.test.op, c.test.operand])).toEqual([
      ["created_at", "gte", { shape: "value", value: NOV_23 - 30 }],
      ["status", "eq", { shape: "value", value: "cancelled" }],
    ]);
  });

  it("binds `all` over a fact column as one aggregate per value", () => {
    const [f] = filtersOf(bind("code: t\nname: t\nfilters:\n  - { field: emails.type, all: [sent, open] }\n"));
    expect(f.input).toEqual({ kind: "exists", aggregates: [1, 2], negate: false });
  });

  it("joins items for quantity even without item conditions", () => {
    const plan = bind("code: t\nname: t\nfilters:\n  - { field: orders.quantity, gte: 2 }\n  - { field: orders.revenue, gte: 100 }\n");
    expect(plan.aggregates).toHaveLength(1);
    expect(plan.aggregates[0]).toMatchObject({ measures: ["count", "quantity", "revenue"], joinsItems: true, itemConditions: [] });
  });

  it("cuts facts at the end of the as-of day in the zone", () => {
    // 24 Nov 00:00 in Moscow (UTC+3) is 23 Nov 21:00 UTC; in New York (UTC-5) 24 Nov 05:00 UTC.
    expect(bind("code: t\nname: t\nfilters: [{ field: orders.count, gte: 1 }]\n", { timezone: "Europe/Moscow" }).factsBefore).toBe(Date.UTC(2026, 10, 23, 21));
    expect(bind("code: t\nname: t\nfilters: [{ field: orders.count, gte: 1 }]\n", { timezone: "America/New_York" }).factsBefore).toBe(Date.UTC(2026, 10, 24, 5));
  });

  it("warns when item conditions cannot match for want of order_items", () => {
    const plan = bind("code: t\nname: t\nfilters: [{ field: orders.count, where: { category: [tea] }, gte: 1 }]\n", { schema: { ...SCHEMA, orderItems: false } });
    expect(plan.warnings).toEqual(["conditions on order items (category, sku, ...) match no order: the data has no order_items export"]);
  });
});

describe("bind: groups and segments", () => {
  it("keeps the tree, with not on the segment itself", () => {
    const plan = bind([
      "- code: t", "  name: T", "  not: true", "  match: any", "  filters:", "    - { field: city, eq: Moscow }",
      "  groups:", "    - not: true", "      filters: [{ field: segment, in: [u] }]",
      "- { code: u, name: U, filters: [{ field: tags, in: [vip] }] }",
    ].join("\n"));
    // u comes first: each segment after those it references.
    expect(plan.segments.map((x) => x.code)).toEqual(["u", "t"]);
    const t = plan.segments[1];
    const root: GroupPlan = t.root;
    expect(root).toMatchObject({ kind: "group", match: "any", not: true, label: "segment t" });
    expect(root.children[1]).toMatchObject({ kind: "group", not: true, match: "all", children: [{ input: { kind: "segment", codes: ["u"], negate: false } }] });
    expect(t).toMatchObject({ code: "t", name: "T", type: "dynamic", active: true, dependsOn: ["u"] });
  });
});

describe("the definition hash", () => {
  const hash = (yaml: string) => parseDefinitions([{ file: "t.yaml", text: yaml }])[0].hash;
  const base = "code: t\nname: T\nfilters:\n  - { field: city, eq: Moscow }\n";
  it("ignores formatting, key order, cosmetic keys and defaults written out", () => {
    const h = hash(base);
    expect(hash("name: Other\ndescription: d\ncode: t\nactive: false\nanalytics: true\nguard: { min_members: 1 }\nfilters:\n  - field: city\n    eq: Moscow\n")).toBe(h);
    expect(hash("code: t\nname: T\ntype: dynamic\nmatch: all\nnot: false\nfilters: [{ field: city, eq: Moscow, ignore_year: false }]\n")).toBe(h);
  });
  it("changes with what the segment computes", () => {
    const h = hash(base);
    expect(hash(base.replace("Moscow", "Kazan"))).not.toBe(h);
    expect(hash(base + "not: true\n")).not.toBe(h);
    expect(hash(base + "match: any\n")).not.toBe(h);
    expect(hash(base + "type: static\n")).not.toBe(h);
  });
});
