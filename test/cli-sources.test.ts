/**
 * Exports of several files (`sources.<name>.file` as a glob, a folder or a list), through
 * the binary: small shops written here, with counts worked out by hand, and the public
 * Online Retail data as it is (305 daily CSVs), whose counts its README gives.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, segment, tempDir } from "./helpers.js";

const ORDERS_HEADER = "id,customer_id,created_at,status,total";

interface ValidateJson {
  ok: boolean;
  rows: Record<string, number>;
  orphans: Record<string, number>;
}

function project(files: Record<string, string>, sources: string): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "data"));
  mkdirSync(path.join(dir, "segments"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, "data", name)), { recursive: true });
    writeFileSync(path.join(dir, "data", name), text);
  }
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: data\nsegments: segments\ntimezone: UTC\nsources:\n${sources}`);
  writeFileSync(path.join(dir, "segments", "buyers.yaml"), "code: buyers\nname: Two orders or more\ngroups:\n  - filters:\n      - { field: orders.count, gte: 2 }\n");
  return dir;
}

const DAYS = {
  "daily/2026-01-01.csv": `${ORDERS_HEADER}\n1,A,2026-01-01T10:00:00Z,complete,10\n2,B,2026-01-01T11:00:00Z,complete,20\n`,
  // Columns in another order: read by name.
  "daily/2026-01-02.csv": "customer_id,id,total,status,created_at\nA,3,30,complete,2026-01-02T10:00:00Z\n",
  "daily/2026-01-03.csv": `${ORDERS_HEADER}\n4,C,2026-01-03T10:00:00Z,complete,40\n5,A,2026-01-03T12:00:00Z,complete,50\n`,
  "daily/notes.txt.bak": "not an export\n",
};

describe("an export of several files", () => {
  it("a glob reads every matching file in name order", () => {
    const dir = project(DAYS, '  orders: { file: "daily/*.csv" }\n');
    const v = parseJson<ValidateJson>(segment(["validate", "--exports", "--json"], dir));
    // 2 + 1 + 2 orders in the three files.
    expect(v.rows.orders).toBe(5);
    // A has orders 1, 3 and 5; B one; C one: only A has two or more.
    const p = parseJson<{ count: number; members: string[] }>(segment(["preview", "buyers", "--json", "--limit", "0"], dir));
    expect(p.members).toEqual(["A"]);
  });

  it("a folder reads its export files; a list reads its entries in turn", () => {
    const folder = project(DAYS, "  orders: { file: daily }\n");
    expect(parseJson<ValidateJson>(segment(["validate", "--exports", "--json"], folder)).rows.orders).toBe(5);
    const list = project(DAYS, '  orders: { file: [daily/2026-01-03.csv, daily/2026-01-01.csv] }\n');
    // 2 + 2 orders; A has orders 1 and 5.
    expect(parseJson<ValidateJson>(segment(["validate", "--exports", "--json"], list)).rows.orders).toBe(4);
    expect(parseJson<{ members: string[] }>(segment(["preview", "buyers", "--json", "--limit", "0"], list)).members).toEqual(["A"]);
  });

  it("a bad row is reported with its own file and line", () => {
    const files = { ...DAYS, "daily/2026-01-02.csv": "customer_id,id,total,status,created_at\nA,3,30,complete,2026-01-02T10:00:00Z\nB,9,abc,complete,2026-01-02T11:00:00Z\n" };
    const r = segment(["validate", "--exports"], project(files, '  orders: { file: "daily/*.csv" }\n'));
    expectExit(r, 3);
    expect(r.stderr).toContain(`${path.join("data", "daily", "2026-01-02.csv")}:3:3`);
  });

  it("a file whose columns differ from the first's stops the read, naming both", () => {
    const files = { ...DAYS, "daily/2026-01-03.csv": "id,customer_id,created_at,total\n4,C,2026-01-03T10:00:00Z,40\n" };
    const r = segment(["validate", "--exports"], project(files, '  orders: { file: "daily/*.csv" }\n'));
    expectExit(r, 3);
    expect(r.stderr).toContain(`${path.join("data", "daily", "2026-01-03.csv")}:1:1`);
    expect(r.stderr).toContain(`the header differs from the first file of the orders export (${path.join("data", "daily", "2026-01-01.csv")}): it lacks "status"`);
  });

  it("a glob that matches nothing is a data error; a glob in a folder name is a config error", () => {
    const none = segment(["validate", "--exports"], project(DAYS, '  orders: { file: "daily/*.json" }\n'));
    expectExit(none, 3);
    expect(none.stderr).toContain("no file matches the orders export's pattern");
    const folderGlob = segment(["validate", "--exports"], project(DAYS, '  orders: { file: "d*/2026-01-01.csv" }\n'));
    expectExit(folderGlob, 2);
    expect(folderGlob.stderr).toContain("a glob may only be in the file name");
  });
});

const RETAIL = path.resolve(__dirname, "..", "..", "shared", "data", "online-retail");

describe.skipIf(!existsSync(RETAIL))("Online Retail as it is: 305 daily CSVs", () => {
  it("loads as order items: 25,900 invoices, 4,372 customers, 3,710 invoices without a customer as orphans", () => {
    // The counts are those of ../shared/data/online-retail/README.md.
    const dir = tempDir();
    mkdirSync(path.join(dir, "segments"));
    writeFileSync(path.join(dir, "segments", "all.yaml"), "code: all\nname: All\ngroups:\n  - filters:\n      - { field: orders.count, gte: 1 }\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), [
      `data: ${RETAIL}`, "segments: segments", "timezone: Europe/London", "sources:", "  order_items:", '    file: "by-day/*.csv"',
      "    columns: { order_id: InvoiceNo, sku: StockCode, name: Description, quantity: Quantity, created_at: InvoiceDate, price: UnitPrice, customer_id: CustomerID }", "",
    ].join("\n"));
    const v = parseJson<ValidateJson>(segment(["validate", "--exports", "--json"], dir));
    expect(v.rows.order_items).toBe(541909);
    expect(v.rows.orders).toBe(25900);
    expect(v.orphans.orders).toBe(3710);
    expect(parseJson<{ count: number }>(segment(["preview", "all", "--json"], dir)).count).toBe(4372);
  }, 120_000);
});
