/**
 * `segment export` (and `run --format/--fields`) through the binary, over a small shop
 * written by hand in this file. Every expected value is worked out by hand from the rows
 * below, with the arithmetic in a comment; files are read back with the real readers
 * (csv-parse, exceljs, fast-xml-parser, JSON.parse), never with the product's code.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import ExcelJS from "exceljs";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { BIN, expectExit, segment, tempDir } from "./helpers.js";

// ---------------------------------------------------------------------------------------
// The shop: Moscow time (UTC+3 all year), as of 2026-11-23.
// ---------------------------------------------------------------------------------------

const CONFIG = "data: data\nsegments: segments\nstate: .segment\nout: out\ntimezone: Europe/Moscow\n";
const AS_OF = "2026-11-23";

// `note` and `since` are custom fields: text, and a date (inferred from the values).
const CUSTOMERS = [
  "id,email,phone,first_name,city,birthday,email_marketing,tags,note,since",
  // A numeric-looking id with leading zeros: text everywhere.
  "007,bond@example.com,+7 999 000-00-07,James,Москва,1968-04-13,true,vip;spy,\"said \"\"hi\"\", then left\",2020-01-31",
  // A name a spreadsheet would run; a note with a line break and a control character.
  "C2,c2@example.com,,\"=HYPERLINK(\"\"http://x\"\")\",Kazan,,false,,\"line one\nline two\u0001\",",
  // Cyrillic and an emoji; no orders.
  "C3,,,Алёна 🌸,Санкт-Петербург,1990-12-31,,newsletter,,2024-02-29",
  // Not in the segment (no email marketing).
  "C4,c4@example.com,,Olga,Moscow,,false,,,",
].join("\n") + "\n";

const ORDERS = [
  "id,customer_id,created_at,status,total",
  "1,007,2026-10-01T09:00:00Z,complete,100.10",
  "2,007,2026-11-20T10:30:00Z,complete,200.20",
  // After the as-of day in Moscow (2026-11-24 00:30 local): left out.
  "3,007,2026-11-23T21:30:00Z,complete,999.00",
  "4,C2,2026-05-05T00:00:00Z,complete,-5",
  "5,C4,2026-11-01T12:00:00Z,complete,50",
].join("\n") + "\n";

// Everyone with an email address or a note... written so each customer's membership is plain:
// 007 (email), C2 (email), C3 (no email, but city Санкт-Петербург), not C4 (city Moscow, email).
const SEGMENT = `code: reach
name: Reachable, not in Moscow
groups:
  - match: all
    filters:
      - { field: city, not_in: [Moscow] }
`;

/**
 * The default export of `reach`, by hand: the customer columns in the export's order
 * (canonical ones, then custom.note, custom.since), then the order metrics.
 * 007: orders 1 and 2 (order 3 is after the as-of day): count 2, revenue 100.10 + 200.20 =
 * 300.3, last 2026-11-20T10:30Z = 13:30 Moscow. C2: order 4: count 1, revenue -5, last
 * 2026-05-05T00:00Z = 03:00 Moscow. C3: none: 0, 0, null.
 *
 * Then RFM (rank, 5 bins), over the three customers with a counted order, 007, C2 and C4
 * (order 5, 2026-11-01 15:00 Moscow, 50). Recency in days to 2026-11-23: 007 3, C4 22,
 * C2 202; r = 1 + floor(5k/3), k those with a larger recency: 007 4, C4 2, C2 1. Frequency
 * 007 2, C2 1, C4 1: 007 4, the others 1. Monetary 007 300.3, C4 50, C2 -5: 007 4, C4 2,
 * C2 1. 007 (4,4,4) is potential-loyalist (r 3-5, f 3-5, m 2-5); C2 (1,1,1) lost; C3,
 * without orders, no-orders with null values.
 */
const RFM = ["rfm.recency", "rfm.frequency", "rfm.monetary", "rfm.r", "rfm.f", "rfm.m", "rfm.score", "rfm.segment"];
const WRITTEN = ["id", "email", "phone", "first_name", "city", "birthday", "email_marketing", "tags", "custom.note", "custom.since", "orders.count", "orders.revenue", "orders.last_at", ...RFM];
/** The export's order: the canonical columns in DATA.md's order, the custom fields in the file's, the metrics, RFM. */
const HEADER = ["id", "email", "phone", "first_name", "birthday", "city", "tags", "email_marketing", "custom.note", "custom.since", "orders.count", "orders.revenue", "orders.last_at", ...RFM];
const TEXT_ROWS = ([
  ["007", "bond@example.com", "+7 999 000-00-07", "James", "Москва", "1968-04-13", "true", "vip;spy", 'said "hi", then left', "2020-01-31", "2", "300.3", "2026-11-20T13:30:00+03:00", "3", "2", "300.3", "4", "4", "4", "444", "potential-loyalist"],
  ["C2", "c2@example.com", "", '=HYPERLINK("http://x")', "Kazan", "", "false", "", "line one\nline two\u0001", "", "1", "-5", "2026-05-05T03:00:00+03:00", "202", "1", "-5", "1", "1", "1", "111", "lost"],
  ["C3", "", "", "Алёна 🌸", "Санкт-Петербург", "1990-12-31", "", "newsletter", "", "2024-02-29", "0", "0", "", "", "", "", "", "", "", "", "no-orders"],
]).map((row) => HEADER.map((h) => row[WRITTEN.indexOf(h)]));
const rfmOf = (v: [number, number, number, number, number, number, string] | null, segment: string) =>
  Object.fromEntries(RFM.map((k, i) => [k, i === 7 ? segment : v ? v[i] : null]));
/** The same rows as JSON values (numbers, bools, lists, nulls). */
const JSON_ROWS = [
  { id: "007", email: "bond@example.com", phone: "+7 999 000-00-07", first_name: "James", city: "Москва", birthday: "1968-04-13", email_marketing: true, tags: ["vip", "spy"], "custom.note": 'said "hi", then left', "custom.since": "2020-01-31", "orders.count": 2, "orders.revenue": 300.3, "orders.last_at": "2026-11-20T13:30:00+03:00", ...rfmOf([3, 2, 300.3, 4, 4, 4, "444"], "potential-loyalist") },
  { id: "C2", email: "c2@example.com", phone: null, first_name: '=HYPERLINK("http://x")', city: "Kazan", birthday: null, email_marketing: false, tags: null, "custom.note": "line one\nline two\u0001", "custom.since": null, "orders.count": 1, "orders.revenue": -5, "orders.last_at": "2026-05-05T03:00:00+03:00", ...rfmOf([202, 1, -5, 1, 1, 1, "111"], "lost") },
  { id: "C3", email: null, phone: null, first_name: "Алёна 🌸", city: "Санкт-Петербург", birthday: "1990-12-31", email_marketing: null, tags: ["newsletter"], "custom.note": null, "custom.since": "2024-02-29", "orders.count": 0, "orders.revenue": 0, "orders.last_at": null, ...rfmOf(null, "no-orders") },
];

function shop(): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "data"));
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  writeFileSync(path.join(dir, "segment.config.yaml"), CONFIG);
  writeFileSync(path.join(dir, "data", "customers.csv"), CUSTOMERS);
  writeFileSync(path.join(dir, "data", "orders.csv"), ORDERS);
  writeFileSync(path.join(dir, "segments", "reach.yaml"), SEGMENT);
  return dir;
}

function ran(dir: string, asOf = AS_OF): string {
  const r = segment(["run", "--as-of", asOf, "-q"], dir);
  expectExit(r, 0);
  return dir;
}

function csvOf(text: string, delimiter = ","): string[][] {
  return parseCsv(text, { bom: true, delimiter, relax_column_count: false }) as string[][];
}

async function sheetsOf(file: string): Promise<Map<string, unknown[][]>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const out = new Map<string, unknown[][]>();
  for (const ws of wb.worksheets) {
    const rows: unknown[][] = [];
    ws.eachRow({ includeEmpty: false }, (row) => {
      const values = (row.values as unknown[]).slice(1);
      rows.push(Array.from({ length: ws.columnCount }, (_, i) => values[i] ?? null));
    });
    out.set(ws.name, rows);
  }
  return out;
}

// ---------------------------------------------------------------------------------------

describe("export: every format holds the same values", () => {
  it("csv: header, RFC 4180 quoting, zone wall times, formulas neutralised", () => {
    const dir = ran(shop());
    const r = segment(["export", "reach", "--out", "-"], dir);
    expectExit(r, 0);
    const rows = csvOf(r.stdout);
    expect(rows[0]).toEqual(HEADER);
    // Text cells starting with = + - @ get a leading ' (the phone +7..., the formula name).
    const neutral = TEXT_ROWS.map((row) => row.map((v, i) => (["phone", "first_name"].includes(HEADER[i]) && /^[=+]/.test(v) ? `'${v}` : v)));
    expect(rows.slice(1)).toEqual(neutral);
    // A negative number is a number, not a formula: no quote mark.
    expect(r.stdout).toContain(",-5,");
  });

  it("csv --raw, --bom and --delimiter ';'", () => {
    const dir = ran(shop());
    const r = segment(["export", "reach", "--out", "-", "--raw", "--bom", "--delimiter", ";"], dir);
    expectExit(r, 0);
    expect(r.stdout.startsWith("\uFEFFid;email;")).toBe(true);
    expect(csvOf(r.stdout, ";").slice(1)).toEqual(TEXT_ROWS);
  });

  it("json and ndjson keep types: numbers, bools, lists, nulls", () => {
    const dir = ran(shop());
    const json = segment(["export", "reach", "--format", "json", "--out", "-"], dir);
    expectExit(json, 0);
    expect(JSON.parse(json.stdout)).toEqual(JSON_ROWS);
    const nd = segment(["export", "reach", "--format", "ndjson", "--out", "-"], dir);
    expectExit(nd, 0);
    expect(nd.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual(JSON_ROWS);
  });

  it("xml: one element per customer, dotted names with _, the control character replaced and counted", () => {
    const dir = ran(shop());
    const r = segment(["export", "reach", "--format", "xml", "--out", "-"], dir);
    expectExit(r, 0);
    expect(r.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<customers>\n')).toBe(true);
    expect(r.stderr).toContain("stdout: 1 control characters the format cannot hold were replaced by U+FFFD");
    const doc = new XMLParser({ parseTagValue: false, trimValues: false, isArray: (n) => n === "customer" || n === "item" }).parse(r.stdout) as {
      customers: { customer: Array<Record<string, unknown>> };
    };
    const got = doc.customers.customer;
    expect(got).toHaveLength(3);
    expect(got.map((c) => c.id)).toEqual(["007", "C2", "C3"]);
    expect(got[0].orders_count).toBe("2");
    expect(got[0].orders_revenue).toBe("300.3");
    expect(got[0].orders_last_at).toBe("2026-11-20T13:30:00+03:00");
    expect(got[0].custom_note).toBe('said "hi", then left');
    expect(got[0].tags).toEqual({ item: ["vip", "spy"] });
    expect(got[1].first_name).toBe('=HYPERLINK("http://x")');
    // \u0001 cannot be in XML 1.0: U+FFFD in its place.
    expect(got[1].custom_note).toBe("line one\nline two\uFFFD");
    // Nulls are empty elements.
    expect(got[2].email).toBe("");
    expect(got[2].first_name).toBe("Алёна 🌸");
  });

  for (const format of ["xlsx", "xls"]) {
    it(`${format}: typed cells (numbers, bools, dates in Moscow wall time), text ids, frozen filterable header`, async () => {
      const dir = ran(shop());
      const r = segment(["export", "reach", "--format", format, "--out", "reach.xlsx"], dir);
      expectExit(r, 0);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(path.join(dir, "reach.xlsx"));
      const ws = wb.worksheets[0];
      expect(ws.name).toBe("reach");
      expect(ws.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
      // 21 columns: A..U.
      expect(ws.autoFilter).toBe("A1:U4");
      const rows = (await sheetsOf(path.join(dir, "reach.xlsx"))).get("reach")!;
      expect(rows[0]).toEqual(HEADER);
      // exceljs reads a date cell as a Date whose UTC fields are the wall time written.
      expect(rows[1]).toEqual(["007", "bond@example.com", "+7 999 000-00-07", "James", new Date("1968-04-13T00:00:00Z"), "Москва", "vip;spy", true, 'said "hi", then left', new Date("2020-01-31T00:00:00Z"), 2, 300.3, new Date("2026-11-20T13:30:00Z"), 3, 2, 300.3, 4, 4, 4, "444", "potential-loyalist"]);
      // The control character is replaced; the formula-looking name stays text, unprefixed.
      expect(rows[2]).toEqual(["C2", "c2@example.com", null, '=HYPERLINK("http://x")', null, "Kazan", null, false, "line one\nline two\uFFFD", null, 1, -5, new Date("2026-05-05T03:00:00Z"), 202, 1, -5, 1, 1, 1, "111", "lost"]);
      expect(rows[3]).toEqual(["C3", null, null, "Алёна 🌸", new Date("1990-12-31T00:00:00Z"), "Санкт-Петербург", "newsletter", null, null, new Date("2024-02-29T00:00:00Z"), 0, 0, null, null, null, null, null, null, null, null, "no-orders"]);
      expect(ws.getCell("E2").numFmt).toBe("yyyy-mm-dd");
      expect(ws.getCell("M2").numFmt).toBe("yyyy-mm-dd hh:mm:ss");
    });
  }

  it("--format comes from the --out extension; the default file is out/<code>.csv, 0600", () => {
    const dir = ran(shop());
    expectExit(segment(["export", "reach", "--out", "r.json"], dir), 0);
    expect(JSON.parse(readFileSync(path.join(dir, "r.json"), "utf8"))).toEqual(JSON_ROWS);
    const r = segment(["export", "reach"], dir);
    expectExit(r, 0);
    expect(r.stderr).toContain("exported 3 members of reach, from the last run");
    expect(r.stderr).toContain(path.join("out", "reach.csv"));
    const file = path.join(dir, "out", "reach.csv");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expectExit(segment(["export", "reach", "--out", "r640.csv", "--mode", "640"], dir), 0);
    expect(statSync(path.join(dir, "r640.csv")).mode & 0o777).toBe(0o640);
  });

  it("a file outside the current folder is named by its absolute path, not ../../..", () => {
    const dir = ran(shop());
    const elsewhere = path.join(tempDir(), "reach.csv");
    const r = segment(["export", "reach", "--out", elsewhere], dir);
    expectExit(r, 0);
    expect(r.stderr).toContain(`to ${elsewhere}`);
    expect(r.stderr).not.toContain("../");
  });
});

describe("export: fields", () => {
  it("--fields takes custom fields, age and fact metrics; id comes first", () => {
    const dir = ran(shop());
    const r = segment(["export", "reach", "--fields", "custom.since,age,orders.avg_check,orders.first_at,orders.quantity", "--format", "json", "--out", "-"], dir);
    expectExit(r, 0);
    // age on 2026-11-23: 007 born 1968-04-13 -> 58; C3 born 1990-12-31 -> 35 (birthday not yet).
    // avg_check: 007 300.3 / 2 = 150.15; C2 -5 / 1 = -5; C3 none -> null.
    // first_at: 007 2026-10-01T09:00Z = 12:00 Moscow. quantity: no order_items export -> 0.
    expect(JSON.parse(r.stdout)).toEqual([
      { id: "007", "custom.since": "2020-01-31", age: 58, "orders.avg_check": 150.15, "orders.first_at": "2026-10-01T12:00:00+03:00", "orders.quantity": 0 },
      { id: "C2", "custom.since": null, age: null, "orders.avg_check": -5, "orders.first_at": "2026-05-05T03:00:00+03:00", "orders.quantity": 0 },
      { id: "C3", "custom.since": "2024-02-29", age: 35, "orders.avg_check": null, "orders.first_at": null, "orders.quantity": 0 },
    ]);
  });

  it("refuses per-row columns, `segment` and unknown names, all at once, with exit 2", () => {
    const dir = ran(shop());
    const r = segment(["export", "reach", "--fields", "orders.status,segment,emial,custom.nope", "--out", "-"], dir);
    expectExit(r, 2);
    expect(r.stderr).toContain("`orders.status` is a column of each orders row");
    expect(r.stderr).toContain("`segment` is not a value of a customer");
    expect(r.stderr).toContain("unknown field `emial` (did you mean `email`?)");
    expect(r.stderr).toContain("unknown custom field `custom.nope`");
    expect(r.stdout).toBe("");
  });

  it("without an orders export the defaults have no order metrics", () => {
    const dir = shop();
    writeFileSync(path.join(dir, "data", "orders.csv"), "");
    // An empty orders file is an error elsewhere; remove it instead.
    spawnSync("rm", [path.join(dir, "data", "orders.csv")]);
    ran(dir);
    const r = segment(["export", "reach", "--out", "-"], dir);
    expectExit(r, 0);
    expect(csvOf(r.stdout)[0]).toEqual(HEADER.slice(0, 10));
  });
});

describe("export: which members", () => {
  it("--what entered and left are the last run's; --fresh evaluates now and changes no state", () => {
    const dir = ran(shop());
    // C4 moves out of Moscow; C2 moves to Moscow. Second run: C4 enters, C2 leaves.
    writeFileSync(path.join(dir, "data", "customers.csv"), CUSTOMERS.replace("C4,c4@example.com,,Olga,Moscow", "C4,c4@example.com,,Olga,Tver").replace(',Kazan,', ',Moscow,'));
    ran(dir, "2026-11-24");
    const ids = (what: string) => {
      const r = segment(["export", "reach", "--what", what, "--format", "ndjson", "--fields", "city", "--out", "-"], dir);
      expectExit(r, 0);
      return r.stdout.trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; city: string });
    };
    expect(ids("members")).toEqual([{ id: "007", city: "Москва" }, { id: "C3", city: "Санкт-Петербург" }, { id: "C4", city: "Tver" }]);
    expect(ids("entered")).toEqual([{ id: "C4", city: "Tver" }]);
    expect(ids("left")).toEqual([{ id: "C2", city: "Moscow" }]);

    // Fresh: C3 moves to Moscow now; the snapshot still has C3, the fresh export does not.
    writeFileSync(path.join(dir, "data", "customers.csv"), readFileSync(path.join(dir, "data", "customers.csv"), "utf8").replace("Санкт-Петербург,1990", "Moscow,1990"));
    const state = snapshotOf(path.join(dir, ".segment"));
    const fresh = segment(["export", "reach", "--fresh", "--as-of", "2026-11-25", "--format", "json", "--fields", "city", "--out", "-"], dir);
    expectExit(fresh, 0);
    expect((JSON.parse(fresh.stdout) as Array<{ id: string }>).map((x) => x.id)).toEqual(["007", "C4"]);
    const freshLeft = segment(["export", "reach", "--fresh", "--as-of", "2026-11-25", "--what", "left", "--format", "json", "--fields", "city", "--out", "-"], dir);
    expect(JSON.parse(freshLeft.stdout)).toEqual([{ id: "C3", city: "Moscow" }]);
    expect(snapshotOf(path.join(dir, ".segment"))).toEqual(state);
    // The snapshot export is unchanged by the fresh ones.
    expect(ids("members").map((x) => x.id)).toEqual(["007", "C3", "C4"]);
  });

  it("a member no longer in the customers export keeps its id, with a warning", () => {
    const dir = ran(shop());
    writeFileSync(path.join(dir, "data", "customers.csv"), CUSTOMERS.split("\n").filter((l) => !l.startsWith("C3,")).join("\n"));
    const r = segment(["export", "reach", "--fields", "city", "--format", "json", "--out", "-"], dir);
    expectExit(r, 0);
    expect(JSON.parse(r.stdout)).toEqual([{ id: "007", city: "Москва" }, { id: "C2", city: "Kazan" }, { id: "C3", city: null }]);
    expect(r.stderr).toContain("1 exported customer is no longer in the customers export");
  });

  it("--all: an xlsx summary sheet and one sheet per segment; csv with a segment column", async () => {
    const dir = shop();
    writeFileSync(path.join(dir, "segments", "moscow.yaml"), "code: moscow\nname: In Moscow\ngroups:\n  - filters:\n      - { field: city, in: [Moscow, Москва] }\n");
    ran(dir);
    expectExit(segment(["export", "--all", "--out", "all.xlsx", "--fields", "city"], dir), 0);
    const sheets = await sheetsOf(path.join(dir, "all.xlsx"));
    expect([...sheets.keys()]).toEqual(["summary", "moscow", "reach"]);
    // First run: everyone entered. moscow: 007 (Москва) and C4 (Moscow).
    expect(sheets.get("summary")).toEqual([
      ["segment", "name", "members", "entered", "left", "as_of"],
      ["moscow", "In Moscow", 2, 2, 0, new Date("2026-11-23T00:00:00Z")],
      ["reach", "Reachable, not in Moscow", 3, 3, 0, new Date("2026-11-23T00:00:00Z")],
    ]);
    expect(sheets.get("moscow")).toEqual([["id", "city"], ["007", "Москва"], ["C4", "Moscow"]]);
    expect(sheets.get("reach")).toEqual([["id", "city"], ["007", "Москва"], ["C2", "Kazan"], ["C3", "Санкт-Петербург"]]);
    const csv = segment(["export", "--all", "--fields", "city", "--out", "-"], dir);
    expectExit(csv, 0);
    expect(csvOf(csv.stdout)).toEqual([["segment", "id", "city"], ["moscow", "007", "Москва"], ["moscow", "C4", "Moscow"], ["reach", "007", "Москва"], ["reach", "C2", "Kazan"], ["reach", "C3", "Санкт-Петербург"]]);
  });
});

describe("export: failures and pipes", () => {
  it("without a run: exit 2, saying to run first or use --fresh", () => {
    const r = segment(["export", "reach", "--out", "-"], shop());
    expectExit(r, 2);
    expect(r.stderr).toContain("there is no snapshot yet");
    expect(r.stderr).toContain("--fresh");
  });

  it("an unknown code: exit 2 with the nearest one; no code and no --all: exit 2", () => {
    const dir = ran(shop());
    const r = segment(["export", "raech", "--out", "-"], dir);
    expectExit(r, 2);
    expect(r.stderr).toContain("did you mean `reach`?");
    expectExit(segment(["export"], dir), 2);
    expectExit(segment(["export", "reach", "--format", "pdf"], dir), 2);
    expectExit(segment(["export", "reach", "--mode", "999"], dir), 2);
  });

  it("a failing export leaves the earlier file as it was and no temp file", () => {
    const dir = ran(shop());
    expectExit(segment(["export", "reach", "--out", "r.csv"], dir), 0);
    const before = readFileSync(path.join(dir, "r.csv"), "utf8");
    // A broken orders row: a data error (exit 3) while reading the fields.
    writeFileSync(path.join(dir, "data", "orders.csv"), ORDERS + "6,007,not a date,complete,1\n");
    const r = segment(["export", "reach", "--out", "r.csv"], dir);
    expectExit(r, 3);
    expect(readFileSync(path.join(dir, "r.csv"), "utf8")).toBe(before);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("--out - into a pipe closed early ends with exit 0", () => {
    const dir = shop();
    // 3,000 customers: far more output than a pipe buffer holds.
    const lines = ["id,email,city"];
    for (let i = 0; i < 3000; i++) lines.push(`K${String(i).padStart(5, "0")},k${i}@example.com,Tver`);
    writeFileSync(path.join(dir, "data", "customers.csv"), lines.join("\n") + "\n");
    ran(dir);
    const r = spawnSync("bash", ["-c", `set -o pipefail; node ${JSON.stringify(BIN)} export reach --format ndjson --out - | head -c 100 > /dev/null`], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("bug");
  });
});

describe("run writes every format through the same writers", () => {
  it("--format xlsx,xml,json --fields email: members, entered, left with the fields", async () => {
    const dir = shop();
    const r = segment(["run", "--as-of", AS_OF, "--format", "xlsx,xml,json", "--fields", "email", "-q"], dir);
    expectExit(r, 0);
    expect(readdirSync(path.join(dir, "out", "reach")).sort()).toEqual(["entered.json", "entered.xlsx", "entered.xml", "left.json", "left.xlsx", "left.xml", "members.json", "members.xlsx", "members.xml"]);
    const members = [{ id: "007", email: "bond@example.com" }, { id: "C2", email: "c2@example.com" }, { id: "C3", email: null }];
    expect(JSON.parse(readFileSync(path.join(dir, "out", "reach", "members.json"), "utf8"))).toEqual(members);
    expect(JSON.parse(readFileSync(path.join(dir, "out", "reach", "left.json"), "utf8"))).toEqual([]);
    expect((await sheetsOf(path.join(dir, "out", "reach", "entered.xlsx"))).get("reach")).toEqual([["id", "email"], ["007", "bond@example.com"], ["C2", "c2@example.com"], ["C3", null]]);
    const xml = readFileSync(path.join(dir, "out", "reach", "members.xml"), "utf8");
    expect(xml).toContain("<customer><id>007</id><email>bond@example.com</email></customer>");
    expect(xml).toContain("<customer><id>C3</id><email/></customer>");
    for (const f of readdirSync(path.join(dir, "out", "reach"))) expect(statSync(path.join(dir, "out", "reach", f)).mode & 0o777).toBe(0o600);
  });
});

/** Every file of a state folder with its content, to show a command changed nothing. */
function snapshotOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}
