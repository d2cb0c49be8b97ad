/**
 * `segment rfm` on shops written here, values worked out by hand in the comments, and on the
 * bundled Shopify fixture, whose statuses the config maps so refunds are not counted.
 * The R package's own outputs are checked in test/rfm-package.test.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, projectDir, ROOT, segment } from "./helpers.js";

// As of 2026-02-01. A: one order the day before (100). B: two, 2026-01-01 and 2026-01-20
// (10 each). C: three, 1-3 December 2025 (50 each). D: none.
function shop(): string {
  return projectDir({
    "data/customers.csv": "id\nA\nB\nC\nD\n",
    "data/orders.csv": [
      "id,customer_id,created_at,total",
      "1,A,2026-01-31T10:00:00Z,100",
      "2,B,2026-01-01T10:00:00Z,10", "3,B,2026-01-20T10:00:00Z,10",
      "4,C,2025-12-01T10:00:00Z,50", "5,C,2025-12-02T10:00:00Z,50", "6,C,2025-12-03T10:00:00Z,50", "",
    ].join("\n"),
    "segment.config.yaml": "data: data\nsegments: segments\ntimezone: UTC\nas_of: 2026-02-01\n",
  });
}

describe("segment rfm, rank with 2 bins", () => {
  // n = 3. recency A 1, B 12, C 60: r = 1 + floor(2k/3), k = those with a larger recency:
  // A 2 -> 2, B 1 -> 1, C 0 -> 1. frequency A 1, B 2, C 3: A 1, B 1, C 2. monetary A 100,
  // B 20, C 150: B 1, A 1, C 2.
  it("the table: buyers only, in id order, with scores and the R x F grid", () => {
    const dir = shop();
    const rows = parseJson<Array<Record<string, unknown>>>(segment(["rfm", "--bins", "2", "--format", "json"], dir));
    expect(rows.map((r) => [r.id, r.recency, r.frequency, r.monetary, r.score])).toEqual([
      ["A", 1, 1, 100, "211"], ["B", 12, 2, 20, "111"], ["C", 60, 3, 150, "122"],
    ]);
    const j = parseJson<{ scored: number; customers: number; grid: Array<{ r: number; f: number; customers: number; mean_monetary: number | null }> }>(segment(["rfm", "--bins", "2", "--json", "--grid"], dir));
    expect([j.scored, j.customers]).toEqual([3, 4]);
    // Rows r = 2, 1; columns f = 1, 2: A at (2, 1), B at (1, 1), C at (1, 2).
    expect(j.grid).toEqual([
      { r: 2, f: 1, customers: 1, mean_monetary: 100 }, { r: 2, f: 2, customers: 0, mean_monetary: null },
      { r: 1, f: 1, customers: 1, mean_monetary: 20 }, { r: 1, f: 2, customers: 1, mean_monetary: 150 },
    ]);
    // Off a terminal the grid is plain characters.
    const text = segment(["rfm", "--bins", "2", "--grid"], dir);
    expectExit(text, 0);
    expect(text.stderr).toMatch(/r=2 +1 +100 +0 +-\n/);
    expect(text.stderr).toMatch(/r=1 +1 +20 +1 +150\n/);
    expect(text.stderr).not.toContain("\u001b[");
  });

  it("rfm.* for a customer without a counted order: null values, segment no-orders", () => {
    const dir = shop();
    writeFileSync(path.join(dir, "segments", "none.yaml"), "code: none\nname: none\nfilters:\n  - { field: rfm.segment, eq: no-orders }\n");
    expect(parseJson<{ segments: Array<{ members: string[] }> }>(segment(["preview", "none", "--json"], dir)).segments[0].members).toEqual(["D"]);
  });
});

describe("rfm.* in preview --customer, and collapsed bins", () => {
  it("the trace shows a customer's RFM value", () => {
    const dir = shop();
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\ntimezone: UTC\nas_of: 2026-02-01\nrfm: { bins: 2 }\n");
    writeFileSync(path.join(dir, "segments", "top.yaml"), "code: top\nname: top\nfilters:\n  - { field: rfm.score, eq: \"211\" }\n");
    // A scores 2 1 1 (the rank test above).
    const c = parseJson<{ segments: Array<{ members: string[]; customer: { member: boolean; trace: Array<{ value?: string }> } }> }>(segment(["preview", "top", "--json", "--customer", "A"], dir)).segments[0];
    expect(c.members).toEqual(["A"]);
    expect(c.customer.member).toBe(true);
    // Text values are traced quoted, as for any text field.
    expect(c.customer.trace[1].value).toBe('"211"');
  });

  it("warns when a measure's scores take fewer values than bins", () => {
    // Every customer has one order: frequency is 1 for all, one score of 5.
    const dir = projectDir({
      "data/orders.csv": "id,customer_id,created_at,total\n1,A,2026-01-01T10:00:00Z,5\n2,B,2026-01-02T10:00:00Z,6\n3,C,2026-01-03T10:00:00Z,7\n",
      "segment.config.yaml": "data: data\nsegments: segments\nas_of: 2026-02-01\n",
    });
    const r = segment(["rfm"], dir);
    expectExit(r, 0);
    expect(r.stderr).toContain("warning: rfm: the frequency scores collapsed: 1 distinct scores for 5 bins");
    expect(parseJson<{ collapsed: string[] }>(segment(["rfm", "--json"], dir)).collapsed).toContain("frequency");
  });
});

describe("segment rfm --as-of several days, one long table", () => {
  // As of 2026-01-15 A's only order (01-31) and B's second (01-20) are after the day:
  // B (one order, 14 days, 10) and C (three, 43 days, 150) are scored. rank, 2 bins, n = 2:
  // r B 2, C 1; f B 1, C 2; m B 1, C 2. As of 2026-02-01, as in the test above.
  it("rows of each day with an as_of column, in day order; a summary per day", () => {
    const dir = shop();
    const rows = parseJson<Array<Record<string, unknown>>>(segment(["rfm", "--bins", "2", "--format", "json", "--as-of", "2026-02-01,2026-01-15"], dir));
    expect(rows.map((r) => [r.as_of, r.id, r.recency, r.frequency, r.monetary, r.score])).toEqual([
      ["2026-01-15", "B", 14, 1, 10, "211"], ["2026-01-15", "C", 43, 3, 150, "122"],
      ["2026-02-01", "A", 1, 1, 100, "211"], ["2026-02-01", "B", 12, 2, 20, "111"], ["2026-02-01", "C", 60, 3, 150, "122"],
    ]);
    const j = parseJson<{ as_of: string; dates: Array<{ as_of: string; scored: number }> }>(segment(["rfm", "--bins", "2", "--json", "--as-of", "2026-01-15,2026-02-01"], dir));
    expect(j.as_of).toBe("2026-02-01");
    expect(j.dates.map((d) => [d.as_of, d.scored])).toEqual([["2026-01-15", 2], ["2026-02-01", 3]]);
  });

  it("a range with a step: every month from the first day, the last day included when it falls on one", () => {
    const dir = shop();
    // 2025-12-31 + 1m = 2026-01-31 (month ends kept), + 2m = 2026-02-28, past the end.
    const j = parseJson<{ dates: Array<{ as_of: string; scored: number }> }>(segment(["rfm", "--json", "--as-of", "2025-12-31..2026-02-27/1m"], dir));
    // As of 2025-12-31 only C has an order; as of 2026-01-31, A, B and C.
    expect(j.dates.map((d) => [d.as_of, d.scored])).toEqual([["2025-12-31", 1], ["2026-01-31", 3]]);
    const bad = segment(["rfm", "--as-of", "2026-02-01..2026-01-01/1m"], dir);
    expectExit(bad, 2);
    expect(bad.stderr).toContain("the range ends before it starts");
  });
});

describe("the Shopify fixture: Financial Status mapped, refunds and voids not counted", () => {
  it("counts the orders of known customers that are not refunded or voided, as a script over the export does", () => {
    // Independently: group the line items by order Id; an order's status is its first row's.
    const items = parseCsv(readFileSync(path.join(ROOT, "fixtures", "shopify", "orders_export.csv")), { columns: true, bom: true }) as Array<Record<string, string>>;
    const customers = parseCsv(readFileSync(path.join(ROOT, "fixtures", "shopify", "customers_export.csv")), { columns: true, bom: true }) as Array<Record<string, string>>;
    const known = new Set(customers.map((c) => c["Customer ID"].replace(/^'/, "")));
    const orders = new Map<string, { customer: string; status: string }>();
    for (const r of items) if (!orders.has(r.Id)) orders.set(r.Id, { customer: r["Customer ID"].replace(/^'/, ""), status: r["Financial Status"] });
    const counted = [...orders.values()].filter((o) => known.has(o.customer) && o.status !== "refunded" && o.status !== "voided");
    expect([...orders.values()].some((o) => o.status === "refunded")).toBe(true);
    const j = parseJson<{ scored: number; segments: Array<{ orders: number }> }>(segment(["rfm", "--json", "--as-of", "2026-11-23", "--config", "fixtures/shopify/segment.config.yaml"]));
    expect(j.segments.reduce((n, s) => n + s.orders, 0)).toBe(counted.length);
    expect(j.scored).toBe(new Set(counted.map((o) => o.customer)).size);
  });
});
