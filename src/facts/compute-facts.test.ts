/**
 * computeFacts over a fake FactSource: typed batches of a handful of rows, plans bound from
 * real definitions (parseDefinitions + bindPlan) as of 2024-03-10 in Europe/Moscow (UTC+3),
 * so the as-of cut-off `factsBefore` is 2024-03-11T00:00+03:00 = 2024-03-10T21:00:00Z.
 * Every expected number is summed by hand from the rows written out in each test.
 */
import { describe, expect, it } from "vitest";
import type { FactBatch } from "../ingest/project.js";
import type { TypedBatch, TypedValues } from "../ingest/typed-batch.js";
import type { FactExportName } from "../schema/exports.js";
import { bindPlan } from "../segment/bind.js";
import { parseDefinitions } from "../segment/load-definitions.js";
import type { AggregatePlan, FilterPlan, Plan } from "../segment/plan.js";
import { BitSet } from "../table/bitset.js";
import { daysFromCivil } from "../table/time.js";
import type { ValueType } from "../table/value-type.js";
import type { AggResult } from "./aggregates.js";
import { computeFacts, type FactSource } from "./compute-facts.js";
import { numericId } from "./order-index.js";

// ---------------------------------------------------------------- batches and the source

type Cell = string | number | boolean | string[] | null;
type Spec = Record<string, [ValueType, Cell[]]>;

function typed(type: ValueType, cells: Cell[]): TypedValues {
  const n = cells.length;
  const validity = new BitSet(n);
  cells.forEach((c, i) => c !== null && validity.add(i));
  switch (type) {
    case "id": case "string":
      return { type, values: cells.map((c) => (c === null ? "" : String(c))), validity };
    case "integer": case "decimal": case "date": case "datetime":
      return { type, values: Float64Array.from(cells.map((c) => (c === null ? 0 : (c as number)))), validity };
    case "bool":
      return { type, values: Uint8Array.from(cells.map((c) => (c === true ? 1 : 0))), validity };
    case "list":
      return { type, values: cells.map((c) => (c === null ? [] : (c as string[]))), validity };
  }
}

function batch(spec: Spec): TypedBatch {
  const length = Object.values(spec)[0][1].length;
  const columns: Record<string, TypedValues> = {};
  for (const [name, [type, cells]] of Object.entries(spec)) columns[name] = typed(type, cells);
  return { length, lines: Int32Array.from({ length }, (_, i) => i + 2), columns, custom: {} };
}

function facts(customer: number[], spec: Spec): FactBatch {
  return { ...batch(spec), customer: Int32Array.from(customer) };
}

const TIMESTAMP: Record<string, string> = { orders: "created_at", visits: "visited_at", carts: "updated_at", email_events: "at" };

/** Streams the given batches; like the real source, types only the wanted columns (plus customer_id and the timestamp). */
class FakeSource implements FactSource {
  readonly asked: Record<string, readonly string[] | undefined> = {};
  itemsAsked?: readonly string[];
  constructor(private readonly tables: Partial<Record<FactExportName, FactBatch[]>>, private readonly items?: TypedBatch[]) {}

  hasFacts(name: FactExportName): boolean {
    return this.tables[name] !== undefined;
  }

  /** Each batch handed out, in order: "orders", "orders again" (a reread) or "items". */
  readonly log: string[] = [];

  async *facts(name: FactExportName, wanted?: readonly string[], _keyed?: unknown, opts?: { again?: boolean }): AsyncIterable<FactBatch> {
    if (!opts?.again) this.asked[name] = wanted;
    try {
      yield* this.batchesOf(name, wanted, opts);
    } finally {
      this.log.push(`${name} closed`);
    }
  }

  private async *batchesOf(name: FactExportName, wanted?: readonly string[], opts?: { again?: boolean }): AsyncIterable<FactBatch> {
    for (const b of this.tables[name] ?? []) {
      this.log.push(opts?.again ? `${name} again` : name);
      if (!wanted) {
        yield b;
        continue;
      }
      const keep = new Set([...wanted, "customer_id", TIMESTAMP[name]]);
      yield { ...b, columns: Object.fromEntries(Object.entries(b.columns).filter(([c]) => keep.has(c))) };
    }
  }

  orderItems(wanted: readonly string[]): AsyncIterable<TypedBatch> | undefined {
    this.itemsAsked = wanted;
    const items = this.items;
    const log = this.log;
    if (!items) return undefined;
    return (async function* () {
      for (const b of items) {
        log.push("items");
        yield { ...b, columns: Object.fromEntries(Object.entries(b.columns).filter(([c]) => wanted.includes(c))) };
      }
    })();
  }
}

// ---------------------------------------------------------------- plans

const AS_OF = daysFromCivil(2024, 3, 10);
const ZONE = "Europe/Moscow";
const CUT = Date.parse("2024-03-10T21:00:00.000Z");

function planOf(filters: string[], tz = ZONE): Plan {
  const text = `code: s\nname: S\nfilters:\n${filters.map((f) => `  - ${f}\n`).join("")}`;
  return bindPlan({
    definitions: parseDefinitions([{ file: "s.yaml", text }]),
    schema: { customers: { id: "id" }, facts: ["orders", "visits"], orderItems: true },
    asOfDay: AS_OF,
    timezone: tz,
  });
}

/** The aggregate filter `i` of the plan's one segment reads. */
function aggOf(plan: Plan, i: number): AggregatePlan {
  const input = (plan.segments[0].root.children[i] as FilterPlan).input;
  const id = input.kind === "metric" ? input.aggregate : input.kind === "exists" ? input.aggregates[0] : -1;
  return plan.aggregates.find((a) => a.id === id)!;
}

/** The result of filter `i`'s aggregate. */
function resultOf(out: { results: Map<number, AggResult> }, plan: Plan, i: number): AggResult {
  return out.results.get(aggOf(plan, i).id)!;
}

const arr = (a: ArrayLike<number>) => Array.from(a);
const t = (iso: string) => Date.parse(iso);

// ---------------------------------------------------------------- the main order data

/*
 * Orders (4 customers, 0..3; -1 is a customer the customers export does not have):
 *  id | cust | created_at (UTC)          | status    | total | note
 *  o1 | 0    | 2024-01-05T10:00Z         | paid      | 120   | total includes shipping: items add to 110
 *  o2 | 0    | 2024-02-01T10:00Z         | Paid      | 50.5  |
 *  o3 | 1    | 2024-03-10T20:59:59.999Z  | paid      | 35    | 1 ms before the cut-off: kept
 *  o4 | 1    | 2024-03-10T21:00:00.000Z  | paid      | 1000  | at the cut-off: left out
 *  -- second batch --
 *  o5 | 2    | null                      | cancelled | 25    | undated: kept
 *  o6 | -1   | 2024-02-02T00:00Z         | paid      | 70    | unknown customer
 *  o7 | 2    | 2024-03-01T00:00Z         | paid      | null  | no total
 *  o8 | 3    | 2024-04-01T00:00Z         | paid      | 500   | after the as-of day: left out
 *
 * Items:
 *  order | category | qty | price
 *  o1    | Tea      | 2   | 30
 *  o1    | Coffee   | 1   | 40
 *  o2    | " TEA "  | 1   | 50.5
 *  o3    | Coffee   | 3   | 10
 *  o4    | Tea      | 5   | 200     (order left out)
 *  o99   | Tea      | 9   | 9       (no such order)
 *  -- second batch --
 *  o5    | Tea      | 1   | 20
 *  o6    | Tea      | 4   | 10      (order of an unknown customer)
 *  o7    | Tea      | 2   | 15
 *  o8    | Tea      | 2   | 250     (order left out)
 *  null  | Tea      | 1   | 1       (no order id)
 */
function ordersSource(): FakeSource {
  const orders = [
    facts([0, 0, 1, 1], {
      id: ["id", ["o1", "o2", "o3", "o4"]],
      customer_id: ["id", ["c0", "c0", "c1", "c1"]],
      created_at: ["datetime", [t("2024-01-05T10:00:00Z"), t("2024-02-01T10:00:00Z"), CUT - 1, CUT]],
      status: ["string", ["paid", "Paid", "paid", "paid"]],
      total: ["decimal", [120, 50.5, 35, 1000]],
    }),
    facts([2, -1, 2, 3], {
      id: ["id", ["o5", "o6", "o7", "o8"]],
      customer_id: ["id", ["c2", "zz", "c2", "c3"]],
      created_at: ["datetime", [null, t("2024-02-02T00:00:00Z"), t("2024-03-01T00:00:00Z"), t("2024-04-01T00:00:00Z")]],
      status: ["string", ["cancelled", "paid", "paid", "paid"]],
      total: ["decimal", [25, 70, null, 500]],
    }),
  ];
  const items = [
    batch({
      order_id: ["id", ["o1", "o1", "o2", "o3", "o4", "o99"]],
      category: ["string", ["Tea", "Coffee", " TEA ", "Coffee", "Tea", "Tea"]],
      quantity: ["integer", [2, 1, 1, 3, 5, 9]],
      price: ["decimal", [30, 40, 50.5, 10, 200, 9]],
    }),
    batch({
      order_id: ["id", ["o5", "o6", "o7", "o8", null]],
      category: ["string", ["Tea", "Tea", "Tea", "Tea", "Tea"]],
      quantity: ["integer", [1, 4, 2, 2, 1]],
      price: ["decimal", [20, 10, 15, 250, 1]],
    }),
  ];
  return new FakeSource({ orders }, items);
}

const O1 = t("2024-01-05T10:00:00Z"), O2 = t("2024-02-01T10:00:00Z"), O3 = CUT - 1, O7 = t("2024-03-01T00:00:00Z");

describe("the plan's cut-off", () => {
  it("factsBefore is the end of the as-of day in the zone", () => {
    expect(planOf(["{ field: orders.count, gte: 1 }"]).factsBefore).toBe(CUT);
    expect(planOf(["{ field: orders.count, gte: 1 }"], "UTC").factsBefore).toBe(t("2024-03-11T00:00:00Z"));
  });
});

describe("computeFacts: orders with items", () => {
  const FILTERS = [
    "{ field: orders.count, gte: 0 }", // 0: A, all orders
    "{ field: orders.revenue, gte: 0 }", // 1: A
    "{ field: orders.quantity, gte: 0 }", // 2: A
    "{ field: orders.first_at, gte: \"2000-01-01\" }", // 3: A
    "{ field: orders.last_at, gte: \"2000-01-01\" }", // 4: A
    "{ field: orders.count, where: { category: [tea] }, gte: 0 }", // 5: B, item condition
    "{ field: orders.revenue, where: { category: [tea] }, gte: 0 }", // 6: B
    "{ field: orders.quantity, where: { category: [tea] }, gte: 0 }", // 7: B
    "{ field: orders.first_at, where: { category: [tea] }, gte: \"2000-01-01\" }", // 8: B
    "{ field: orders.last_at, where: { category: [tea] }, gte: \"2000-01-01\" }", // 9: B
    "{ field: orders.count, where: { status: [paid] }, gte: 0 }", // 10: C, row condition
    "{ field: orders.revenue, where: { status: [paid] }, gte: 0 }", // 11: C
    "{ field: orders.revenue, where: { status: [paid], category: [Tea] }, gte: 0 }", // 12: D, both
    "{ field: orders.quantity, where: { status: [paid], category: [Tea] }, gte: 0 }", // 13: D
    "{ field: orders.category, eq: coffee }", // 14: E, exists
  ];

  it("shares aggregates between filters that ask for the same rows", () => {
    const plan = planOf(FILTERS);
    expect(plan.aggregates).toHaveLength(5);
    expect(new Set([0, 1, 2, 3, 4].map((i) => aggOf(plan, i).id)).size).toBe(1);
    expect(new Set([5, 6, 7, 8, 9].map((i) => aggOf(plan, i).id)).size).toBe(1);
    expect(aggOf(plan, 0).measures.slice().sort()).toEqual(["count", "first", "last", "quantity", "revenue"]);
  });

  it("A, no conditions: count, revenue from totals, quantity from items, first and last", async () => {
    // Kept orders of known customers: c0 o1 o2; c1 o3; c2 o5 o7; c3 none (o8 left out).
    // revenue = totals: c0 120 + 50.5; c1 35; c2 25 + (o7 has no total); c3 0.
    // quantity = all items of kept orders: c0 2+1+1; c1 3; c2 1+2; c3 0.
    const plan = planOf(FILTERS);
    const out = await computeFacts(ordersSource(), plan, 4);
    const a = resultOf(out, plan, 0);
    expect(arr(a.count)).toEqual([2, 1, 2, 0]);
    expect(arr(a.revenue)).toEqual([170.5, 35, 25, 0]);
    expect(arr(a.quantity)).toEqual([4, 3, 3, 0]);
    // o5 has no timestamp: c2's first and last are o7.
    expect(arr(a.first)).toEqual([O1, O3, O7, NaN]);
    expect(arr(a.last)).toEqual([O2, O3, O7, NaN]);
  });

  it("B, an item condition: orders with a tea item; revenue and quantity of tea items only", async () => {
    // Tea orders: c0 o1 (Tea), o2 (" TEA " folds to tea); c1 o3 is coffee only, o4 left out;
    // c2 o5 (undated), o7; o6 unknown customer; o8 left out.
    // revenue = price*qty of tea items: c0 2*30 + 1*50.5 = 110.5; c2 1*20 + 2*15 = 50.
    // quantity of tea items: c0 2+1; c2 1+2.
    const plan = planOf(FILTERS);
    const out = await computeFacts(ordersSource(), plan, 4);
    const b = resultOf(out, plan, 5);
    expect(arr(b.count)).toEqual([2, 0, 2, 0]);
    expect(arr(b.revenue)).toEqual([110.5, 0, 50, 0]);
    expect(arr(b.quantity)).toEqual([3, 0, 3, 0]);
    expect(arr(b.first)).toEqual([O1, NaN, O7, NaN]);
    expect(arr(b.last)).toEqual([O2, NaN, O7, NaN]);
  });

  it("B and D without first or last times (the orders' times are then not kept): the same counts and sums", async () => {
    // The hand-derived values of B and D above, from a plan whose item-level aggregates have
    // no first or last measure.
    const plan = planOf([FILTERS[5], FILTERS[6], FILTERS[7], FILTERS[12], FILTERS[13]]);
    expect(plan.aggregates.flatMap((a) => a.measures).filter((m) => m === "first" || m === "last")).toEqual([]);
    const out = await computeFacts(ordersSource(), plan, 4);
    const b = resultOf(out, plan, 0);
    expect([arr(b.count), arr(b.revenue), arr(b.quantity)]).toEqual([[2, 0, 2, 0], [110.5, 0, 50, 0], [3, 0, 3, 0]]);
    const d = resultOf(out, plan, 3);
    expect([arr(d.count), arr(d.revenue), arr(d.quantity)]).toEqual([[2, 0, 1, 0], [110.5, 0, 30, 0], [3, 0, 2, 0]]);
  });

  it("C, a row condition: paid orders (status folded), revenue from totals", async () => {
    // Paid and kept: c0 o1, o2 ("Paid"); c1 o3; c2 o7 (o5 is cancelled). o7 has no total.
    const plan = planOf(FILTERS);
    const out = await computeFacts(ordersSource(), plan, 4);
    const c = resultOf(out, plan, 10);
    expect(arr(c.count)).toEqual([2, 1, 1, 0]);
    expect(arr(c.revenue)).toEqual([170.5, 35, 0, 0]);
  });

  it("D, row and item conditions: paid orders with a tea item", async () => {
    // c0 o1, o2; c2 o7 only (o5 is cancelled). revenue of tea items: c0 110.5, c2 2*15. quantity: c0 3, c2 2.
    const plan = planOf(FILTERS);
    const out = await computeFacts(ordersSource(), plan, 4);
    const d = resultOf(out, plan, 12);
    expect(arr(d.count)).toEqual([2, 0, 1, 0]);
    expect(arr(d.revenue)).toEqual([110.5, 0, 30, 0]);
    expect(arr(d.quantity)).toEqual([3, 0, 2, 0]);
  });

  it("two conditions on one string column (encoded once for both) each count their own rows", async () => {
    // Kept paid orders as in C: c0 o1, o2 ("Paid"); c1 o3; c2 o7. Kept cancelled: c2 o5 (undated).
    // Not cancelled: the paid ones (o6's customer is unknown).
    const plan = planOf(["{ field: orders.count, where: { status: [paid] }, gte: 1 }", "{ field: orders.count, where: { status: [cancelled] }, gte: 1 }", "{ field: orders.count, where: { status: { not_in: [cancelled] } }, gte: 1 }"]);
    const out = await computeFacts(ordersSource(), plan, 4);
    expect(arr(resultOf(out, plan, 0).count)).toEqual([2, 1, 1, 0]);
    expect(arr(resultOf(out, plan, 1).count)).toEqual([0, 0, 1, 0]);
    expect(arr(resultOf(out, plan, 2).count)).toEqual([2, 1, 1, 0]);
  });

  it("E, an exists aggregate: orders with a coffee item", async () => {
    // Coffee items: o1 (c0), o3 (c1).
    const plan = planOf(FILTERS);
    const out = await computeFacts(ordersSource(), plan, 4);
    expect(arr(resultOf(out, plan, 14).count)).toEqual([1, 1, 0, 0]);
  });

  it("counts the rows left out and the items with no order", async () => {
    // Left out: o4 (at the cut-off) and o8 (April). Unmatched items: o99 and the one with no order_id.
    const plan = planOf(FILTERS);
    const out = await computeFacts(ordersSource(), plan, 4);
    expect(out.leftOut).toEqual({ orders: 2 });
    expect(out.unmatchedItems).toBe(2);
    expect(out.warnings).toEqual([]);
  });

  it("asks the source for the columns it needs", async () => {
    const plan = planOf(FILTERS);
    const src = ordersSource();
    await computeFacts(src, plan, 4);
    expect(src.asked.orders).toEqual(expect.arrayContaining(["id", "status", "total"]));
    expect(src.itemsAsked).toEqual(expect.arrayContaining(["order_id", "quantity", "price", "category"]));
  });
});

describe("computeFacts: a shared aggregate for both revenue (order totals) and quantity (items)", () => {
  // Same data as above. Revenue from totals: c0 170.5 (items alone would give 150.5, both 320.5);
  // c1 35; c2 25; c3 0. Quantity from items: c0 4, c1 3, c2 3, c3 0.
  it.each([
    ["revenue, then quantity", ["{ field: orders.revenue, gte: 0 }", "{ field: orders.quantity, gte: 0 }"]],
    ["quantity, then revenue", ["{ field: orders.quantity, gte: 0 }", "{ field: orders.revenue, gte: 0 }"]],
    ["avg_check and quantity", ["{ field: orders.avg_check, gte: 0 }", "{ field: orders.quantity, gte: 0 }"]],
  ])("%s", async (_name, filters) => {
    const plan = planOf(filters);
    expect(plan.aggregates).toHaveLength(1);
    const out = await computeFacts(ordersSource(), plan, 4);
    const a = resultOf(out, plan, 0);
    expect(arr(a.count)).toEqual([2, 1, 2, 0]);
    expect(arr(a.revenue)).toEqual([170.5, 35, 25, 0]);
    expect(arr(a.quantity)).toEqual([4, 3, 3, 0]);
  });

  it("with a row condition: paid orders' totals and paid orders' items", async () => {
    // Paid, kept: c0 o1 o2 (totals 170.5; items 2+1+1), c1 o3 (35; 3), c2 o7 (no total; 2).
    const plan = planOf([
      "{ field: orders.revenue, where: { status: [paid] }, gte: 0 }",
      "{ field: orders.quantity, where: { status: [paid] }, gte: 0 }",
    ]);
    expect(plan.aggregates).toHaveLength(1);
    const out = await computeFacts(ordersSource(), plan, 4);
    const a = resultOf(out, plan, 0);
    expect(arr(a.count)).toEqual([2, 1, 1, 0]);
    expect(arr(a.revenue)).toEqual([170.5, 35, 0, 0]);
    expect(arr(a.quantity)).toEqual([4, 3, 2, 0]);
  });

  it("alongside an item-condition aggregate of the same table", async () => {
    const plan = planOf([
      "{ field: orders.revenue, gte: 0 }",
      "{ field: orders.quantity, where: { category: [coffee] }, gte: 0 }",
      "{ field: orders.quantity, gte: 0 }",
    ]);
    const out = await computeFacts(ordersSource(), plan, 4);
    const a = resultOf(out, plan, 0);
    expect(arr(a.revenue)).toEqual([170.5, 35, 25, 0]);
    expect(arr(a.quantity)).toEqual([4, 3, 3, 0]);
    // Coffee items: o1 1 (c0), o3 3 (c1).
    const coffee = resultOf(out, plan, 1);
    expect(arr(coffee.count)).toEqual([1, 1, 0, 0]);
    expect(arr(coffee.quantity)).toEqual([1, 3, 0, 0]);
  });
});

describe("computeFacts: the as-of cut-off", () => {
  /*
   * Orders of customer 0 around the cut-off (2024-03-10T21:00Z = midnight in Moscow):
   *  a: CUT - 1 (23:59:59.999 on the as-of day), total 10, one item qty 1
   *  b: CUT (00:00 the next day), total 100, one item qty 10
   *  c: null timestamp, total 1000, one item qty 100
   *  d: CUT + 1 day, total 10000, one item qty 1000
   */
  function source(): FakeSource {
    return new FakeSource({
      orders: [facts([0, 0, 0, 0], {
        id: ["id", ["a", "b", "c", "d"]],
        created_at: ["datetime", [CUT - 1, CUT, null, CUT + 86_400_000]],
        total: ["decimal", [10, 100, 1000, 10000]],
      })],
    }, [batch({
      order_id: ["id", ["a", "b", "c", "d"]],
      category: ["string", ["tea", "tea", "tea", "tea"]],
      quantity: ["integer", [1, 10, 100, 1000]],
      price: ["decimal", [1, 2, 3, 4]],
    })]);
  }

  it("keeps a row 1 ms before factsBefore and an undated row; leaves out the rest", async () => {
    // Kept: a and c. count 2, revenue 10 + 1000, quantity 1 + 100; first = last = a.
    const plan = planOf(["{ field: orders.revenue, gte: 0 }", "{ field: orders.quantity, gte: 0 }", "{ field: orders.last_at, gte: \"2000-01-01\" }", "{ field: orders.first_at, gte: \"2000-01-01\" }"]);
    const out = await computeFacts(source(), plan, 1);
    const a = resultOf(out, plan, 0);
    expect(arr(a.count)).toEqual([2]);
    expect(arr(a.revenue)).toEqual([1010]);
    expect(arr(a.quantity)).toEqual([101]);
    expect(arr(a.first)).toEqual([CUT - 1]);
    expect(arr(a.last)).toEqual([CUT - 1]);
    expect(out.leftOut).toEqual({ orders: 2 });
  });

  it("the items of a left-out order do not count", async () => {
    // Tea orders kept: a and c. quantity 1 + 100; revenue 1*1 + 100*3 = 301.
    const plan = planOf(["{ field: orders.count, where: { category: [tea] }, gte: 0 }", "{ field: orders.revenue, where: { category: [tea] }, gte: 0 }", "{ field: orders.quantity, where: { category: [tea] }, gte: 0 }"]);
    const out = await computeFacts(source(), plan, 1);
    const b = resultOf(out, plan, 0);
    expect(arr(b.count)).toEqual([2]);
    expect(arr(b.quantity)).toEqual([101]);
    expect(arr(b.revenue)).toEqual([301]);
    // Left-out orders are known orders: their items are not "unmatched".
    expect(out.unmatchedItems).toBe(0);
  });

  it("a row condition does not bring a left-out row back", async () => {
    // total >= 100: b, c, d; of them only c is kept.
    const plan = planOf(["{ field: orders.count, where: { total: { gte: 100 } }, gte: 0 }", "{ field: orders.quantity, where: { total: { gte: 100 } }, gte: 0 }"]);
    const out = await computeFacts(source(), plan, 1);
    expect(arr(resultOf(out, plan, 0).count)).toEqual([1]);
    expect(arr(resultOf(out, plan, 0).quantity)).toEqual([100]);
  });

  it("in UTC the same instants fall differently: the cut-off is midnight UTC", async () => {
    // factsBefore = 2024-03-11T00:00Z: a, b (21:00Z on the 10th) and c are kept; d (21:00Z on the 11th) is not.
    const plan = planOf(["{ field: orders.revenue, gte: 0 }"], "UTC");
    const out = await computeFacts(source(), plan, 1);
    expect(arr(resultOf(out, plan, 0).count)).toEqual([3]);
    expect(arr(resultOf(out, plan, 0).revenue)).toEqual([1110]);
    expect(out.leftOut).toEqual({ orders: 1 });
  });

  it("date conditions compare calendar days in the zone", async () => {
    // [-9d, today] as of 10 March is 1 .. 10 March in Moscow.
    //  c0: 2024-02-29T21:30Z = 1 March 00:30 Moscow (in); c1: 2024-02-29T20:59Z = 29 Feb 23:59 (out);
    //  c2: CUT - 1 = 10 March 23:59:59.999 (in); c3: null timestamp (between is false on null).
    const src = new FakeSource({
      orders: [facts([0, 1, 2, 3], {
        created_at: ["datetime", [t("2024-02-29T21:30:00Z"), t("2024-02-29T20:59:00Z"), CUT - 1, null]],
      })],
    });
    const plan = planOf([
      "{ field: orders.count, where: { created_at: { between: [-9d, today] } }, gte: 1 }",
      // With ignore_year, the month-day of the Moscow day: 1 March is key 0301 (c0 only; c1 is 29 Feb, c2 10 March).
      "{ field: orders.created_at, ignore_year: true, between: [\"03-01\", \"03-01\"] }",
    ]);
    const out = await computeFacts(src, plan, 4);
    expect(arr(resultOf(out, plan, 0).count)).toEqual([1, 0, 1, 0]);
    expect(arr(resultOf(out, plan, 1).count)).toEqual([1, 0, 0, 0]);
  });
});

describe("computeFacts: other fact tables (one simple pass each)", () => {
  /*
   * Visits:
   *  cust | visited_at                | source
   *  0    | 2024-03-01T00:00Z         | Google
   *  0    | CUT - 1                   | google
   *  0    | CUT                       | google     left out
   *  1    | null                      | " GOOGLE " undated: kept
   *  -1   | 2024-03-01T00:00Z         | google     unknown customer
   *  -- second batch --
   *  2    | 2024-03-05T00:00Z         | bing
   *  3    | 2024-05-01T00:00Z         | google     left out
   */
  function source(): FakeSource {
    return new FakeSource({
      visits: [
        facts([0, 0, 0, 1, -1], {
          visited_at: ["datetime", [t("2024-03-01T00:00:00Z"), CUT - 1, CUT, null, t("2024-03-01T00:00:00Z")]],
          source: ["string", ["Google", "google", "google", " GOOGLE ", "google"]],
        }),
        facts([2, 3], {
          visited_at: ["datetime", [t("2024-03-05T00:00:00Z"), t("2024-05-01T00:00:00Z")]],
          source: ["string", ["bing", "google"]],
        }),
      ],
    });
  }
  const FILTERS = [
    "{ field: visits.count, gte: 0 }",
    "{ field: visits.first_at, gte: \"2000-01-01\" }",
    "{ field: visits.last_at, gte: \"2000-01-01\" }",
    "{ field: visits.count, where: { source: [google] }, gte: 0 }",
    "{ field: visits.source, eq: Bing }",
    "{ field: visits.source, ne: google }",
  ];

  it("counts, first and last of dated and undated rows before the cut-off", async () => {
    const plan = planOf(FILTERS);
    const out = await computeFacts(source(), plan, 4);
    const all = resultOf(out, plan, 0);
    expect(arr(all.count)).toEqual([2, 1, 1, 0]);
    expect(arr(all.first)).toEqual([t("2024-03-01T00:00:00Z"), NaN, t("2024-03-05T00:00:00Z"), NaN]);
    expect(arr(all.last)).toEqual([CUT - 1, NaN, t("2024-03-05T00:00:00Z"), NaN]);
  });

  it("row conditions fold the value", async () => {
    // google: c0's two kept visits, c1's " GOOGLE "; bing: c2.
    const plan = planOf(FILTERS);
    const out = await computeFacts(source(), plan, 4);
    expect(arr(resultOf(out, plan, 3).count)).toEqual([2, 1, 0, 0]);
    expect(arr(resultOf(out, plan, 4).count)).toEqual([0, 0, 1, 0]);
    // `ne google` is "no google row": its aggregate counts google rows, like filter 3.
    expect(aggOf(plan, 5).id).not.toBe(aggOf(plan, 3).id);
    expect(arr(resultOf(out, plan, 5).count)).toEqual([2, 1, 0, 0]);
  });

  it("counts the left-out rows per table read", async () => {
    const plan = planOf(FILTERS);
    const out = await computeFacts(source(), plan, 4);
    expect(out.leftOut).toEqual({ visits: 2 });
  });
});

describe("computeFacts: missing data", () => {
  it("a table the source does not have is not read: zeros, and no left-out count", async () => {
    const plan = planOf(["{ field: orders.revenue, gte: 0 }", "{ field: visits.last_at, gte: \"2000-01-01\" }"]);
    const out = await computeFacts(new FakeSource({}), plan, 2);
    const orders = resultOf(out, plan, 0), visits = resultOf(out, plan, 1);
    expect(arr(orders.count)).toEqual([0, 0]);
    expect(arr(orders.revenue)).toEqual([0, 0]);
    expect(arr(visits.last)).toEqual([NaN, NaN]);
    expect(out.leftOut).toEqual({});
  });

  it("no order_items export: item aggregates stay 0, order-level ones are still right", async () => {
    const src = new FakeSource({
      orders: [facts([0, 1], { id: ["id", ["o1", "o2"]], created_at: ["datetime", [t("2024-01-01T00:00:00Z"), null]], total: ["decimal", [10, 20]] })],
    });
    const plan = planOf(["{ field: orders.revenue, gte: 0 }", "{ field: orders.count, where: { category: [tea] }, gte: 0 }", "{ field: orders.quantity, gte: 0 }"]);
    const out = await computeFacts(src, plan, 2);
    expect(arr(resultOf(out, plan, 0).count)).toEqual([1, 1]);
    expect(arr(resultOf(out, plan, 0).revenue)).toEqual([10, 20]);
    expect(arr(resultOf(out, plan, 0).quantity)).toEqual([0, 0]);
    expect(arr(resultOf(out, plan, 1).count)).toEqual([0, 0]);
    expect(out.warnings).toEqual([]);
  });

  it("orders without an id column: items cannot join, and a warning says so", async () => {
    const src = new FakeSource(
      { orders: [facts([0], { created_at: ["datetime", [t("2024-01-01T00:00:00Z")]], total: ["decimal", [10]] })] },
      [batch({ order_id: ["id", ["o1"]], category: ["string", ["tea"]], quantity: ["integer", [1]], price: ["decimal", [10]] })],
    );
    const plan = planOf(["{ field: orders.count, where: { category: [tea] }, gte: 0 }", "{ field: orders.count, gte: 0 }"]);
    const out = await computeFacts(src, plan, 1);
    expect(arr(resultOf(out, plan, 0).count)).toEqual([0]);
    expect(arr(resultOf(out, plan, 1).count)).toEqual([1]);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/no `id` column/);
    expect(out.unmatchedItems).toBe(1);
  });

  it("an item with no quantity is one unit; one with no price adds nothing (as compute-facts.ts documents)", async () => {
    // Tea items of o1: qty null price 30 -> 1 unit, 30; qty 2 price null -> 2 units, 0. Total 3 units, 30.
    const src = new FakeSource(
      { orders: [facts([0], { id: ["id", ["o1"]], created_at: ["datetime", [t("2024-01-01T00:00:00Z")]], total: ["decimal", [99]] })] },
      [batch({ order_id: ["id", ["o1", "o1"]], category: ["string", ["tea", "tea"]], quantity: ["integer", [null, 2]], price: ["decimal", [30, null]] })],
    );
    const plan = planOf(["{ field: orders.revenue, where: { category: [tea] }, gte: 0 }", "{ field: orders.quantity, where: { category: [tea] }, gte: 0 }"]);
    const out = await computeFacts(src, plan, 1);
    const b = resultOf(out, plan, 0);
    expect(arr(b.count)).toEqual([1]);
    expect(arr(b.quantity)).toEqual([3]);
    expect(arr(b.revenue)).toEqual([30]);
  });
});

describe("computeFacts: the item join streamed beside the orders, over many chunks", () => {
  /*
   * 200,000 orders (four chunks of 65,536 of the order index) of 997 customers and about
   * 300,000 items, in batches of 5,000 rows, against a join written out here: every order in
   * a Map by id, every item looked up in it. Prices are whole quarters, so every sum is
   * exact in any order: items that wait for their order (DeferredItems) are added when it
   * comes, not in the items' order.
   */
  const ORDERS = 200_000;
  const CUSTOMERS = 997;
  const FILTERS = [
    "{ field: orders.count, where: { category: [tea] }, gte: 0 }", // with the two below: count, revenue and last time of tea
    "{ field: orders.revenue, where: { category: [tea] }, gte: 0 }",
    "{ field: orders.last_at, where: { category: [tea] }, gte: \"2000-01-01\" }",
    "{ field: orders.quantity, gte: 0 }", // all items of kept orders, no item condition
    "{ field: orders.revenue, where: { status: [paid], category: [coffee] }, gte: 0 }", // row and item conditions
  ];
  interface Order { id: string; cust: number; ts: number; status: string }
  interface Item { order: string | null; category: string; qty: number | null; price: number }

  function world(seed: number, textIds: boolean): { orders: Order[]; items: Item[] } {
    let a = seed;
    const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    const orders: Order[] = [];
    const items: Item[] = [];
    for (let o = 0; o < ORDERS; o++) {
      const id = textIds ? `A-${o}` : String(100_000 + o);
      // About one order in 50 of a customer the customers export does not have; some after the cut-off.
      const cust = rand() < 0.02 ? -1 : Math.floor(rand() * CUSTOMERS);
      const ts = rand() < 0.03 ? CUT + 1000 : t("2023-01-01T00:00:00Z") + Math.floor(rand() * 400) * 86_400_000;
      orders.push({ id, cust, ts, status: rand() < 0.7 ? "paid" : "cancelled" });
      const n = Math.floor(rand() * 4);
      for (let k = 0; k < n; k++) {
        const u = rand();
        items.push({ order: id, category: u < 0.4 ? "Tea" : u < 0.7 ? "coffee" : "cups", qty: rand() < 0.1 ? null : 1 + Math.floor(rand() * 5), price: Math.floor(rand() * 400) / 4 });
      }
    }
    return { orders, items };
  }

  function batches<T>(rows: T[], make: (part: T[]) => TypedBatch | FactBatch): Array<TypedBatch | FactBatch> {
    const out: Array<TypedBatch | FactBatch> = [];
    for (let i = 0; i < rows.length; i += 5000) out.push(make(rows.slice(i, i + 5000)));
    return out;
  }

  /**
   * An id column as the byte scan gives it when the pass asks for numbers (typed-batch.ts
   * keyedIds): a plain number in `keys` with "" as its text, any other id as text with NaN.
   */
  function keyed(col: TypedValues): TypedValues {
    if (col.type !== "id") return col;
    const keys = Float64Array.from(col.values, (v, r) => (col.validity.has(r) && numericId(v) >= 0 ? numericId(v) : NaN));
    return { ...col, keys, values: col.values.map((v, r) => (keys[r] === keys[r] ? "" : v)) };
  }

  /** The orders and items in batches; with `keys`, their ids as the byte scan gives them (keyed). */
  function sourceOf(orders: Order[], items: Item[], keys = false): FakeSource {
    const ids = <B extends TypedBatch>(b: B, name: string): B => (keys ? { ...b, columns: { ...b.columns, [name]: keyed(b.columns[name]) } } : b);
    const ob = batches(orders, (p) => facts(p.map((o) => o.cust), {
      id: ["id", p.map((o) => o.id)],
      customer_id: ["id", p.map((o) => String(o.cust))],
      created_at: ["datetime", p.map((o) => o.ts)],
      status: ["string", p.map((o) => o.status)],
      total: ["decimal", p.map(() => 1)],
    })) as FactBatch[];
    const ib = batches(items, (p) => batch({
      order_id: ["id", p.map((i) => i.order)],
      category: ["string", p.map((i) => i.category)],
      quantity: ["integer", p.map((i) => i.qty)],
      price: ["decimal", p.map((i) => i.price)],
    })) as TypedBatch[];
    return new FakeSource({ orders: ob.map((b) => ids(b, "id")) }, ib.map((b) => ids(b, "order_id")));
  }

  /** The join written out: per customer, over kept orders, what each aggregate of FILTERS holds. */
  function reference(orders: Order[], items: Item[]) {
    const byId = new Map(orders.map((o) => [o.id, o]));
    const zeros = () => new Array<number>(CUSTOMERS).fill(0);
    const tea = { count: zeros(), revenue: zeros(), last: new Array<number>(CUSTOMERS).fill(NaN) };
    const quantity = zeros();
    const paidCoffee = { count: zeros(), revenue: zeros() };
    const teaOrders = new Set<string>();
    const coffeeOrders = new Set<string>();
    let unmatched = 0;
    for (const i of items) {
      const o = i.order === null ? undefined : byId.get(i.order);
      if (!o) {
        unmatched++;
        continue;
      }
      if (o.ts >= CUT || o.cust < 0) continue;
      const q = i.qty ?? 1;
      quantity[o.cust] += q;
      if (i.category === "Tea") {
        tea.revenue[o.cust] += i.price * q;
        if (!teaOrders.has(o.id)) {
          teaOrders.add(o.id);
          tea.count[o.cust]++;
          if (!(tea.last[o.cust] >= o.ts)) tea.last[o.cust] = o.ts;
        }
      }
      if (i.category === "coffee" && o.status === "paid") {
        paidCoffee.revenue[o.cust] += i.price * q;
        if (!coffeeOrders.has(o.id)) {
          coffeeOrders.add(o.id);
          paidCoffee.count[o.cust]++;
        }
      }
    }
    return { tea, quantity, paidCoffee, unmatched };
  }

  /** Orders read at a time when an item names one not read yet: 4 batches here (1,048,576 in a run). */
  const READ_AHEAD = 20_000;

  async function check(orders: Order[], items: Item[], readAhead = READ_AHEAD, deferLimit?: number, keys = false) {
    const plan = planOf(FILTERS);
    const src = sourceOf(orders, items, keys);
    const out = await computeFacts(src, plan, CUSTOMERS, undefined, { readAhead, deferLimit });
    const want = reference(orders, items);
    const tea = resultOf(out, plan, 0);
    expect(resultOf(out, plan, 2)).toBe(tea);
    expect({ count: arr(tea.count), revenue: arr(tea.revenue), last: arr(tea.last) }).toEqual(want.tea);
    expect(arr(resultOf(out, plan, 3).quantity)).toEqual(want.quantity);
    const pc = resultOf(out, plan, 4);
    expect({ count: arr(pc.count), revenue: arr(pc.revenue) }).toEqual(want.paidCoffee);
    expect(out.unmatchedItems).toBe(want.unmatched);
    return src.log;
  }

  it("items in the orders' order: orders are read only as far as the items need them, and no order is read twice", async () => {
    const { orders, items } = world(7, false);
    const log = await check(orders, items);
    // Interleaved: before the second items batch, four orders batches (READ_AHEAD); between
    // any two items batches at most four; each orders batch once, and nothing read again.
    expect(log.slice(0, log.indexOf("items", log.indexOf("items") + 1)).filter((l) => l === "orders")).toHaveLength(4);
    const runs = log.join(" ").split("items").map((part) => part.split("orders").length - 1);
    expect(Math.max(...runs)).toBe(4);
    expect(log.filter((l) => l === "orders")).toHaveLength(ORDERS / 5000);
    expect(log).not.toContain("orders again");
    // With the run's read-ahead (more than these orders), the same results.
    await check(orders, items, 1 << 20);
  });

  it("an item of an early order after the items have moved on reads the orders again, and every sum is still right", async () => {
    // The last items name orders of the first chunk, long let go: the join restores them.
    const { orders, items } = world(8, false);
    const late = items.splice(0, 3);
    items.push(...late, { order: orders[5].id, category: "Tea", qty: 2, price: 1.25 });
    const log = await check(orders, items);
    expect(log.filter((l) => l === "orders again").length).toBeGreaterThan(0);
    // Only the orders let go are read again: the reread stops before the end of the orders.
    expect(log.filter((l) => l === "orders again").length).toBeLessThan(ORDERS / 5000);
  });

  it("items that start after the first orders (those have none) let orders go all the same", async () => {
    // The first 70,000 orders (more than a chunk of 65,536) have no items. The join lets go
    // of the chunks the items have passed once they move up: an item of an order of the
    // second chunk, put last, then finds it let go and reads the orders again (the build
    // that let go only after an item of the first chunk held every order, and read nothing
    // again). Backwards, the items go lower with every batch: nothing is let go, nothing read again.
    const { orders, items } = world(16, false);
    const first = orders[70_000].id;
    const late = items.slice(items.findIndex((i) => i.order === first));
    const straggler = { order: orders[80_000].id, category: "Tea", qty: 2, price: 1.25 };
    const log = await check(orders, [...late, straggler]);
    expect(log.filter((l) => l === "orders again").length).toBeGreaterThan(0);
    const back = await check(orders, late.slice().reverse());
    expect(back).not.toContain("orders again");
  });

  it("items backwards, at random, of unknown orders and of text ids: the same as the join written out", async () => {
    const { orders, items } = world(9, false);
    await check(orders, items.slice().reverse());
    let a = 1;
    const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    await check(orders, shuffle(items, rand));
    // Items of orders that do not exist, spread through items in order, and items without an order id.
    const holes = items.slice();
    for (let k = 0; k < 50; k++) holes.splice(Math.floor(rand() * holes.length), 0, { order: k % 2 ? String(90_000 + k) : null, category: "Tea", qty: 1, price: 1 });
    await check(orders, holes);
    // A block of items of no order, longer than two batches, after the join has let orders go:
    // batches in which no item has an order.
    const block = items.slice();
    block.splice(150_000, 0, ...Array.from({ length: 12_000 }, (_, k) => ({ order: k % 3 ? String(90_000 + k) : null, category: "Tea", qty: 1, price: 1 })));
    await check(orders, block);
    const text = world(10, true);
    await check(text.orders, text.items);
  });

  /** A shuffled copy of `rows` (Fisher-Yates with `rand`). */
  function shuffle<T>(rows: T[], rand: () => number): T[] {
    const out = rows.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** The most orders batches read between two items batches (or before the first). */
  const mostOrdersAtOnce = (log: string[]) => Math.max(...log.join(" ").split("items").map((part) => part.split("orders").length - 1));

  it("an item of an order the export does not have waits instead of reading every order at once", async () => {
    // Items in the orders' order, with an item of a missing order in the first batch and
    // more spread through. Before items could wait, the first one read all 40 orders
    // batches at once; now the join reads on only while it holds fewer than 4 read-aheads
    // (HOLD_LIMIT: 16 batches), and then at most one more read-ahead (4 batches).
    const { orders, items } = world(12, false);
    const holes = items.slice();
    holes.splice(10, 0, { order: "1", category: "Tea", qty: 1, price: 1 });
    for (let k = 0; k < 40; k++) holes.splice(2000 + k * 7000, 0, { order: String(900_000 + k), category: "Tea", qty: 2, price: 3 });
    for (const keys of [false, true]) {
      const log = await check(orders, holes, READ_AHEAD, undefined, keys);
      expect(mostOrdersAtOnce(log)).toBeLessThanOrEqual(16 + 4);
      expect(log.filter((l) => l === "orders")).toHaveLength(ORDERS / 5000);
      expect(log).not.toContain("orders again");
    }
    // Ids that are text, with an item of a missing one first.
    const text = world(15, true);
    const textLog = await check(text.orders, [{ order: "A-missing", category: "Tea", qty: 1, price: 1 }, ...text.items], READ_AHEAD, undefined, true);
    expect(mostOrdersAtOnce(textLog)).toBeLessThanOrEqual(16 + 4);
  });

  it("an item far ahead of its order waits for it and is joined when it comes, also after the last item", async () => {
    const { orders, items } = world(13, false);
    // The items of the last quarter of the orders dropped, but for 30 of orders near the end
    // moved to the front (their orders come after the last item, more than a read-ahead
    // later: only they are indexed then), and 30 of orders just before the quarter (their
    // orders come while the items are read).
    const cut = items.findIndex((i) => i.order === orders[150_000].id);
    const end = items.findIndex((i) => i.order === orders[195_000].id);
    const early = [...items.slice(end, end + 30), ...items.slice(cut - 4000, cut - 3970)];
    const rest = [...items.slice(0, cut - 4000), ...items.slice(cut - 3970, cut)];
    for (const keys of [false, true]) {
      const log = await check(orders, [...early, ...rest], READ_AHEAD, undefined, keys);
      expect(mostOrdersAtOnce(log)).toBeLessThanOrEqual(16 + 4);
      expect(log).not.toContain("orders again");
    }
    // With room for only 10 items to wait, the rest read on as before: still the same sums.
    const log10 = await check(orders, [...early, ...rest], READ_AHEAD, 10);
    expect(mostOrdersAtOnce(log10)).toBeGreaterThan(16 + 4);
  });

  it("items at random, with room for few to wait: the same as the join written out", async () => {
    const { orders, items } = world(14, false);
    let a = 3;
    const shuffled = shuffle(items, () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296));
    for (const limit of [1, 4999, 5001, 20_000]) await check(orders, shuffled, READ_AHEAD, limit);
  });

  it("an error in the items closes the orders, read only part way", async () => {
    const { orders, items } = world(11, false);
    const src = sourceOf(orders, items);
    const failing: FactSource = {
      hasFacts: (name) => src.hasFacts(name),
      facts: (...args) => src.facts(...args),
      orderItems: (wanted) => (async function* () {
        let n = 0;
        for await (const b of src.orderItems(wanted)!) {
          if (++n === 3) throw new Error("items.csv:12345:1: a bad row");
          yield b;
        }
      })(),
    };
    await expect(computeFacts(failing, planOf(FILTERS), CUSTOMERS, undefined, { readAhead: READ_AHEAD })).rejects.toThrow(/a bad row/);
    expect(src.log.filter((l) => l === "orders").length).toBeLessThan(ORDERS / 5000);
    expect(src.log.at(-1)).toBe("orders closed");
  });
});
