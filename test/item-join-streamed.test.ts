/**
 * The item join streamed beside the orders (src/facts/compute-facts.ts `joinItems`), through
 * the binary on files large enough for it to let go of orders: 150,000 orders (three chunks
 * of the order index) of 30,000 customers and about 225,000 items. The items come in the
 * orders' order, then with stragglers at the end that name orders long let go (the join
 * reads the orders again), then backwards (nothing is let go). The expected members are
 * computed here from the rows as they are written, by a join over a Map of every order
 * (prices are whole numbers, so the sums are exact in any order).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, projectDir, segment } from "./helpers.js";
import { mulberry32 } from "./random.js";

const AS_OF = "2026-11-23";
const CUSTOMERS = 30_000;
const ORDERS = 150_000;

interface Order { id: number; customer: string; day: string; at: string }
interface Item { order: number; category: string; qty: number; price: number }

function shop(seed: number): { orders: Order[]; items: Item[] } {
  const r = mulberry32(seed);
  const orders: Order[] = [];
  const items: Item[] = [];
  for (let k = 0; k < ORDERS; k++) {
    const id = 500_000 + k;
    const customer = `C${String(1 + Math.floor(r() * CUSTOMERS)).padStart(5, "0")}`;
    // Days from 2025-01-01 to 2026-12-10: some after the as-of day, which are left out.
    const day = new Date(Date.UTC(2025, 0, 1) + Math.floor(r() * 709) * 86_400_000).toISOString().slice(0, 10);
    orders.push({ id, customer, day, at: `${day} 12:00:00` });
    const n = Math.floor(r() * 4);
    for (let j = 0; j < n; j++) items.push({ order: id, category: r() < 0.3 ? "Tea" : "Coffee", qty: 1 + Math.floor(r() * 3), price: 1 + Math.floor(r() * 20) });
  }
  return { orders, items };
}

const SEGMENT = `code: tea-regulars
name: Three tea orders, 60 on tea, the last within 60 days
filters:
  - { field: orders.count, where: { category: [Tea] }, gte: 3 }
  - { field: orders.revenue, where: { category: [Tea] }, gte: 60 }
  - { field: orders.last_at, where: { category: [Tea] }, gte: -60d }
`;

/** The members by a join written out: tea orders on or before the as-of day, per customer. */
function expected(orders: Order[], items: Item[]): string[] {
  const byId = new Map(orders.map((o) => [o.id, o]));
  const teaOrders = new Map<string, Set<number>>();
  const revenue = new Map<string, number>();
  const last = new Map<string, string>();
  for (const i of items) {
    const o = byId.get(i.order);
    if (!o || o.day > AS_OF || i.category !== "Tea") continue;
    if (!teaOrders.has(o.customer)) teaOrders.set(o.customer, new Set());
    teaOrders.get(o.customer)!.add(o.id);
    revenue.set(o.customer, (revenue.get(o.customer) ?? 0) + i.price * i.qty);
    if (o.day > (last.get(o.customer) ?? "")) last.set(o.customer, o.day);
  }
  // -60d: on or after 2026-09-24.
  return [...teaOrders.keys()].filter((c) => teaOrders.get(c)!.size >= 3 && revenue.get(c)! >= 60 && last.get(c)! >= "2026-09-24").sort();
}

/** `noOrder`: item lines of no order (an order_id not in the orders, or none), the first before every item, then one after each `every` items. */
function project(orders: Order[], items: Item[], noOrder: string[] = [], every = 5000): string {
  const customers = ["id,email"];
  for (let c = 1; c <= CUSTOMERS; c++) customers.push(`C${String(c).padStart(5, "0")},c${c}@example.com`);
  const dir = projectDir({
    "segment.config.yaml": "data: data\nsegments: segments\ntimezone: UTC\n",
    "segments/tea-regulars.yaml": SEGMENT,
    "data/customers.csv": customers.join("\n") + "\n",
  });
  writeFileSync(path.join(dir, "data", "orders.csv"), "id,customer_id,created_at,status,total\n" + orders.map((o) => `${o.id},${o.customer},${o.at},complete,1.00`).join("\n") + "\n");
  const lines = items.map((i) => `${i.order},${i.category},${i.qty},${i.price}.00`);
  noOrder.forEach((line, k) => lines.splice(k * (every + 1), 0, line));
  writeFileSync(path.join(dir, "data", "order_items.csv"), "order_id,category,quantity,price\n" + lines.join("\n") + "\n");
  return dir;
}

function members(dir: string): string[] {
  const r = segment(["preview", "tea-regulars", "--as-of", AS_OF, "--format", "ids", "--limit", "0", "--no-cache"], dir);
  expectExit(r, 0);
  return r.stdout.trim().split("\n").filter(Boolean).sort();
}

describe("the item join over 150,000 orders, through the binary", () => {
  const { orders, items } = shop(4);
  const inOrder = expected(orders, items);

  it("items in the orders' order: the members of a join written out", () => {
    // A segment with members and non-members, so that the comparison can fail either way.
    expect(inOrder.length).toBeGreaterThan(10);
    expect(inOrder.length).toBeLessThan(CUSTOMERS - 10);
    expect(members(project(orders, items))).toEqual(inOrder);
  });

  it("stragglers at the end naming the first orders (read again), and items backwards", () => {
    // Tea items of early orders, last in the file: the join has let those orders go by then.
    const late = orders.slice(0, 400).map((o) => ({ order: o.id, category: "Tea", qty: 3, price: 20 }));
    const withLate = [...items, ...late];
    const want = expected(orders, withLate);
    expect(want).not.toEqual(inOrder);
    const dir = project(orders, withLate);
    expect(members(dir)).toEqual(want);
    // The second read stops part way through the orders: the run still reports every row read once.
    const run = segment(["run", "--as-of", AS_OF, "--json", "--timings"], dir);
    expectExit(run, 0);
    expect(parseJson<{ rows: Record<string, number> }>(run).rows).toEqual({ customers: CUSTOMERS, orders: ORDERS, order_items: withLate.length });
    expect(run.stderr).toMatch(/^read orders again /m);
    expect(members(project(orders, items.slice().reverse()))).toEqual(inOrder);
  });

  it("items of orders the export does not have, or of none: left out, and counted on stderr and in the run's summary", () => {
    // Tea items worth a lot, the first before any other item: joined to anyone, they would
    // change the members. 37 name orders that do not exist, 5 have no order_id.
    const noOrder = [...Array.from({ length: 37 }, (_, k) => `${9_000_000 + k},Tea,3,500.00`), ...Array.from({ length: 5 }, () => ",Tea,3,500.00")];
    const dir = project(orders, items, noOrder);
    const preview = segment(["preview", "tea-regulars", "--as-of", AS_OF, "--format", "ids", "--limit", "0", "--no-cache"], dir);
    expectExit(preview, 0);
    expect(preview.stdout.trim().split("\n").filter(Boolean).sort()).toEqual(inOrder);
    expect(preview.stderr).toContain("items of no order (order_items rows whose order_id is empty or not in the orders export, ignored): 42");
    const run = segment(["run", "--as-of", AS_OF, "--json"], dir);
    expectExit(run, 0);
    expect(parseJson<{ items_without_order: number }>(run).items_without_order).toBe(42);
    // The summary line (without --json; the same as-of again gives empty diffs).
    const again = segment(["run", "--as-of", AS_OF], dir);
    expectExit(again, 0);
    expect(again.stderr).toMatch(/: 1 segment computed; \+0 entered, -0 left; .*; items of no order: 42$/m);
    // Without them, nothing is said.
    const clean = segment(["preview", "tea-regulars", "--as-of", AS_OF, "--no-cache"], project(orders, items));
    expectExit(clean, 0);
    expect(clean.stderr).not.toContain("items of no order");
  });
});
