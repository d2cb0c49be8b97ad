/**
 * Exports of several files (`sources.<name>.file` as a glob, a folder or a list), through
 * the binary, over small shops written here with counts worked out by hand. The public
 * data sets are in test/public-data.test.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
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

describe("delimiter: whitespace", () => {
  it("reads runs of spaces and tabs, leading ones ignored, CRLF, as CDNOW's log is written", () => {
    const log = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002\t19970112 \t1   12.00\r\n\r\n 00001 19970305  2   30.10\r\n";
    const dir = project({ "log.txt": log }, "  orders:\n    file: log.txt\n    delimiter: whitespace\n    columns: { customer_id: customer_id, created_at: { from: date, format: YYYYMMDD }, total: dollar_value }\n");
    expect(parseJson<ValidateJson>(segment(["validate", "--exports", "--json"], dir)).rows.orders).toBe(3);
    // 00001 has two orders (1997-01-01, 1997-03-05), 00002 one; ids keep their zeros.
    expect(parseJson<{ members: string[] }>(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["00001"]);
    const bad = segment(["validate", "--exports"], project({ "log.txt": log + " 00003 19970101\r\n" }, "  orders:\n    file: log.txt\n    delimiter: whitespace\n    columns: { customer_id: customer_id, created_at: { from: date, format: YYYYMMDD }, total: dollar_value }\n"));
    expectExit(bad, 3);
    expect(bad.stderr).toContain(`${path.join("data", "log.txt")}:6:3: the row has 2 fields, the header has 4`);
  });

  it("a single space as the delimiter points to whitespace when rows do not split", () => {
    const dir = project({ "log.txt": "customer_id date total\n 00001  19970101 1\n" }, "  orders:\n    file: log.txt\n    delimiter: \" \"\n");
    const r = segment(["validate", "--exports"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain("set `delimiter: whitespace`");
  });
});

describe("derived values: a column mapped from another by value or pattern", () => {
  const ITEMS = "Invoice,Customer,When,Qty,Price\nC1,A,2026-01-01T10:00:00Z,1,5\n2,A,2026-01-02T10:00:00Z,1,5\nc3,B,2026-01-03T10:00:00Z,1,5\nA4,B,2026-01-04T10:00:00Z,1,5\n";
  const mapping = (status: string) => `  order_items:\n    file: items.csv\n    columns: { order_id: Invoice, customer_id: Customer, created_at: When, quantity: Qty, price: Price, status: ${status} }\n`;
  const cancelled = "code: buyers\nname: Cancelled one\ngroups:\n  - filters:\n      - { field: orders.count, where: { status: [cancelled] }, gte: 1 }\n";

  it("the first rule that fits gives the value; regex flags apply; default for the rest", () => {
    const dir = project({ "items.csv": ITEMS }, mapping('{ from: Invoice, values: { "/^c/i": cancelled, "A4": adjustment }, default: complete }'));
    writeFileSync(path.join(dir, "segments", "buyers.yaml"), cancelled);
    // C1 (A) and c3 (B) match /^c/i: both customers cancelled one.
    expect(parseJson<{ members: string[] }>(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["A", "B"]);
    writeFileSync(path.join(dir, "segments", "buyers.yaml"), cancelled.replace("[cancelled]", "[adjustment]"));
    expect(parseJson<{ members: string[] }>(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["B"]);
    writeFileSync(path.join(dir, "segments", "buyers.yaml"), cancelled.replace("[cancelled]", "[complete]"));
    expect(parseJson<{ members: string[] }>(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["A"]);
  });

  it("without a default, a value no rule fits is kept; a case-sensitive pattern misses c3", () => {
    const dir = project({ "items.csv": ITEMS }, mapping('{ from: Invoice, values: { "/^C/": cancelled } }'));
    writeFileSync(path.join(dir, "segments", "buyers.yaml"), cancelled.replace("[cancelled]", "[c3]"));
    expect(parseJson<{ members: string[] }>(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["B"]);
  });

  it("a broken pattern is a config error at its line", () => {
    const r = segment(["validate"], project({ "items.csv": ITEMS }, mapping('{ from: Invoice, values: { "/^(C/": cancelled } }')));
    expectExit(r, 2);
    expect(r.stderr).toContain("sources.order_items.columns.status.values./^(C/: not a valid regular expression");
  });
});

describe("columns read into nothing are named", () => {
  it("fields and validate list unmapped fact columns; those in ignore are not listed", () => {
    const orders = `${ORDERS_HEADER},Country,Notes\n1,A,2026-01-01T10:00:00Z,complete,10,UK,x\n`;
    const dir = project({ "orders.csv": orders }, "  orders: { ignore: [Notes] }\n");
    const f = segment(["fields"], dir);
    expectExit(f, 0);
    expect(f.stderr).toContain('ignored columns (mapped to no field): orders: "Country"');
    expect(f.stderr).not.toContain('"Notes"');
    const v = parseJson<{ ignored: Record<string, string[]> }>(segment(["validate", "--exports", "--json"], dir));
    expect(v.ignored).toEqual({ orders: ["Country"] });
    const all = project({ "orders.csv": orders }, "  orders: { ignore: [Notes, country] }\n");
    expect(segment(["validate", "--exports"], all).stderr).not.toContain("ignored columns");
  });
});
