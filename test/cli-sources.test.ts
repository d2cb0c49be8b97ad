/**
 * Exports of several files (`sources.<name>.file` as a glob, a folder or a list), through
 * the binary, over small shops written here with counts worked out by hand. The public
 * data sets are in test/public-data.test.ts.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, segment, tempDir, previewed } from "./helpers.js";

const ORDERS_HEADER = "id,customer_id,created_at,status,total";

interface ValidateJson {
  ok: boolean;
  rows: Record<string, number>;
  orphans: Record<string, number>;
}

function project(files: Record<string, string>, sources: string): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "data"));
  mkdirSync(path.join(dir, "segments"), { recursive: true });
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
    const p = previewed(segment(["preview", "buyers", "--json", "--limit", "0"], dir));
    expect(p.members).toEqual(["A"]);
  });

  it("a folder reads its export files; a list reads its entries in turn", () => {
    const folder = project(DAYS, "  orders: { file: daily }\n");
    expect(parseJson<ValidateJson>(segment(["validate", "--exports", "--json"], folder)).rows.orders).toBe(5);
    const list = project(DAYS, '  orders: { file: [daily/2026-01-03.csv, daily/2026-01-01.csv] }\n');
    // 2 + 2 orders; A has orders 1 and 5.
    expect(parseJson<ValidateJson>(segment(["validate", "--exports", "--json"], list)).rows.orders).toBe(4);
    expect(previewed(segment(["preview", "buyers", "--json", "--limit", "0"], list)).members).toEqual(["A"]);
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
    expect(previewed(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["00001"]);
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
    expect(previewed(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["A", "B"]);
    writeFileSync(path.join(dir, "segments", "buyers.yaml"), cancelled.replace("[cancelled]", "[adjustment]"));
    expect(previewed(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["B"]);
    writeFileSync(path.join(dir, "segments", "buyers.yaml"), cancelled.replace("[cancelled]", "[complete]"));
    expect(previewed(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["A"]);
  });

  it("without a default, a value no rule fits is kept; a case-sensitive pattern misses c3", () => {
    const dir = project({ "items.csv": ITEMS }, mapping('{ from: Invoice, values: { "/^C/": cancelled } }'));
    writeFileSync(path.join(dir, "segments", "buyers.yaml"), cancelled.replace("[cancelled]", "[c3]"));
    expect(previewed(segment(["preview", "buyers", "--json", "--limit", "0"], dir)).members).toEqual(["B"]);
  });

  it("a broken pattern is a config error at its line", () => {
    const r = segment(["validate"], project({ "items.csv": ITEMS }, mapping('{ from: Invoice, values: { "/^(C/": cancelled } }')));
    expectExit(r, 2);
    expect(r.stderr).toContain("sources.order_items.columns.status.values./^(C/: not a valid regular expression");
  });
});

describe("a fact export's own columns are custom fact columns", () => {
  // Orders with two columns of their own: Country (text) and Points (whole numbers).
  // By hand: A has orders 1 (UK, 5) and 3 (DE, 12); B has 2 (UK, 20); C has 4 (no country, 7).
  const ORDERS = `${ORDERS_HEADER},Country,Points,Notes\n` +
    "1,A,2026-01-01T10:00:00Z,complete,10,UK,5,x\n" +
    "2,B,2026-01-02T10:00:00Z,complete,20,UK,20,y\n" +
    "3,A,2026-01-03T10:00:00Z,complete,30,DE,12,\n" +
    "4,C,2026-01-04T10:00:00Z,complete,40,,7,z\n";
  const shop = (segments: Record<string, string>, sources = "  orders: { ignore: [Notes] }\n") => {
    const dir = project({ "orders.csv": ORDERS }, sources);
    for (const [name, text] of Object.entries(segments)) writeFileSync(path.join(dir, "segments", `${name}.yaml`), text);
    return dir;
  };
  const members = (dir: string, code: string) => previewed(segment(["preview", code, "--json", "--limit", "0", "--as-of", "2026-02-01"], dir)).members;

  it("as filter fields and in `where`, typed by inference (Points is an integer: 12 > 9 is no text comparison)", () => {
    const dir = shop({
      uk: "code: uk\nname: UK\nfilters:\n  - { field: orders.country, eq: uk }\n",
      not_uk: "code: not_uk\nname: no UK order\nfilters:\n  - { field: orders.country, ne: UK }\n",
      points: "code: points\nname: points\nfilters:\n  - { field: orders.points, gt: 9 }\n",
      de_big: "code: de_big\nname: de\nfilters:\n  - { field: orders.revenue, gte: 30, where: { country: [DE], points: { between: [10, 15] } } }\n",
    });
    expect(members(dir, "uk")).toEqual(["A", "B"]);
    // C's only order has no country: none of its orders is from the UK.
    expect(members(dir, "not_uk")).toEqual(["C"]);
    expect(members(dir, "points")).toEqual(["A", "B"]);
    expect(members(dir, "de_big")).toEqual(["A"]);
  });

  it("fields lists them with their inferred types; validate names them and the field each is", () => {
    const dir = shop({});
    const f = parseJson<{ fields: Array<{ field: string; type: string; source: string }> }>(segment(["fields", "--json"], dir)).fields;
    expect(f.find((x) => x.field === "orders.country")).toMatchObject({ type: "string", source: "orders (custom)" });
    expect(f.find((x) => x.field === "orders.points")).toMatchObject({ type: "integer", source: "orders (custom)" });
    expect(f.some((x) => x.field === "orders.notes")).toBe(false);
    const v = parseJson<{ custom_columns: Record<string, Record<string, string>>; ignored: Record<string, string[]> }>(segment(["validate", "--exports", "--json"], dir));
    expect(v.custom_columns).toEqual({ orders: { Country: "orders.country", Points: "orders.points" } });
    expect(v.ignored).toEqual({});
    expect(segment(["validate", "--exports"], dir).stderr).toContain('custom fact columns (usable in filters and where): orders: "Country" as orders.country, "Points" as orders.points');
  });

  it("a misspelt one, or an operator its inferred type does not take, is a definition error at its line", () => {
    const dir = shop({ typo: "code: typo\nname: t\nfilters:\n  - { field: orders.countri, eq: UK }\n" });
    // validate knows the exports' headers: the field is unknown where it is written.
    const r = segment(["validate"], dir);
    expectExit(r, 2);
    expect(r.stderr).toContain("segments/typo.yaml:4:14: filters[0].field: unknown field `orders.countri`\n  did you mean `orders.country`?");
    // preview finds it when it binds the definition to the data.
    const p = segment(["preview", "typo"], dir);
    expectExit(p, 2);
    expect(p.stderr).toContain("segments/typo.yaml:4:5: filters[0].field: `orders.countri` is not a column of orders: the orders (or order_items) export has no such column\n  did you mean `country`?");
    const w = shop({ w: "code: w\nname: w\nfilters:\n  - { field: orders.count, gte: 1, where: { points: { contains: \"1\" } } }\n" });
    const rw = segment(["preview", "w"], w);
    expectExit(rw, 2);
    expect(rw.stderr).toContain("`contains` does not apply to `orders.points` (a number field, inferred from the data)");
  });

  it("a column whose name a field already has is ignored, and said so", () => {
    // `Count` would be orders.count, the metric; `Status` repeats the mapped status column.
    const orders = "id,customer_id,created_at,state,total,Count,Status\n1,A,2026-01-01T10:00:00Z,complete,10,3,x\n";
    const dir = project({ "orders.csv": orders }, "  orders: { columns: { status: state } }\n");
    const f = segment(["fields"], dir);
    expectExit(f, 0);
    expect(f.stderr).toContain('ignored columns (their name is a field\'s already, or a repeat): orders: "Count", "Status"');
    const v = parseJson<{ ignored: Record<string, string[]> }>(segment(["validate", "--exports", "--json"], dir));
    expect(v.ignored).toEqual({ orders: ["Count", "Status"] });
    const all = project({ "orders.csv": orders }, "  orders: { columns: { status: state }, ignore: [count, status] }\n");
    expect(segment(["validate", "--exports"], all).stderr).not.toContain("ignored columns");
  });
});

describe("an export on standard input (`file: \"-\"`)", () => {
  const ORDERS = `${ORDERS_HEADER}\n1,A,2026-01-01T10:00:00Z,complete,10\n2,B,2026-01-02T10:00:00Z,complete,20\n3,A,2026-01-03T10:00:00Z,complete,30\n`;
  const spools = () => readdirSync(tmpdir()).filter((f) => f.startsWith("segment-stdin-")).length;

  it("is read once, though the customers are derived from it and it is read again for the facts", () => {
    const dir = project({}, "  orders: { file: \"-\" }\n");
    const before = spools();
    // By hand: A has orders 1 and 3, B has 2; customers A and B come from the same stream.
    const p = previewed(segment(["preview", "buyers", "--json", "--as-of", "2026-02-01"], dir, {}, ORDERS));
    expect(p.members).toEqual(["A"]);
    // Gzipped on the way in: read as a .gz file is.
    const gz = previewed(segment(["preview", "buyers", "--json", "--as-of", "2026-02-01"], dir, {}, gzipSync(ORDERS)));
    expect(gz.members).toEqual(["A"]);
    // The private copy is gone once the command ends.
    expect(spools()).toBe(before);
  });

  it("names <stdin> in messages about its rows", () => {
    const dir = project({}, "  orders: { file: \"-\" }\n");
    const r = segment(["validate", "--exports"], dir, {}, `${ORDERS}4,C,yesterday,complete,5\n`);
    expectExit(r, 3);
    expect(r.stderr).toContain("<stdin>:5:3");
  });

  it("can be one export's only file; two exports cannot both read it", () => {
    expectExit(segment(["validate"], project({}, "  orders: { file: [\"-\", more.csv] }\n")), 2);
    const two = segment(["validate"], project({}, "  orders: { file: \"-\" }\n  visits: { file: \"-\" }\n"));
    expectExit(two, 2);
    expect(two.stderr).toContain("standard input can hold one export, and orders and visits both read it");
  });
});
