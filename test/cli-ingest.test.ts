/** The binary on the bundled fixtures, and on broken copies of them. */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { expectExit, fixtureCopy, parseJson, ROOT, segment } from "./helpers.js";

/** Lines of a file as the loader numbers them (1-based, CRLF or LF). */
function lineCount(file: string): number {
  const text = readFileSync(file, "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** Replaces the first match of `pattern` in a file, failing loudly when there is none. */
function edit(file: string, pattern: RegExp, replacement: string): void {
  const text = readFileSync(file, "utf8");
  if (!pattern.test(text)) throw new Error(`pattern ${pattern} not in ${file}`);
  writeFileSync(file, text.replace(pattern, replacement));
}

/** The 1-based line of the first line of `file` containing `needle`. */
function lineOf(file: string, needle: string): number {
  const i = readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${file}`);
  return i + 1;
}

describe("segment fields and validate on the fixtures", () => {
  it("lists fields of every kind from the repository root with no flags", () => {
    const r = segment(["fields", "--json"]);
    expectExit(r, 0);
    const fields = (JSON.parse(r.stdout) as { fields: Array<{ field: string; type: string; nulls?: number; rows?: number }> }).fields;
    const by = (f: string) => fields.find((x) => x.field === f);
    expect(by("id")).toMatchObject({ type: "id", rows: 200, nulls: 0 });
    expect(by("birthday")).toMatchObject({ type: "date", rows: 200 });
    expect(by("tags")?.type).toBe("list");
    expect(by("email_marketing")?.type).toBe("bool");
    expect(by("custom.loyalty_card")?.type).toBe("bool");
    expect(by("custom.bonus_points")?.type).toBe("integer");
    expect(by("custom.discount_rate")?.type).toBe("decimal");
    expect(by("custom.last_call")?.type).toBe("date");
    expect(by("custom.last_login_at")?.type).toBe("datetime");
    expect(by("custom.favourite_tea")?.type).toBe("string");
    expect(by("orders.category")).toMatchObject({ type: "string", rows: 1446 });
    expect(by("visits.source")).toMatchObject({ rows: 1527 });
    expect(by("carts.total")).toMatchObject({ type: "decimal", rows: 150 });
    expect(by("emails.type")).toMatchObject({ rows: 2457 });
    expect(r.stderr).toMatch(/orphans .*orders 3/);
  });

  it("prints a readable table", () => {
    const r = segment(["fields"]);
    expectExit(r, 0);
    expect(r.stdout.split("\n")[0]).toMatch(/^FIELD\s+TYPE\s+SOURCE\s+NULLS\s+SAMPLES$/);
    expect(r.stdout).toMatch(/custom\.favourite_tea\s+string\s+customers \(custom\)/);
  });

  it("validates the exports of all three fixtures", () => {
    const shop = segment(["validate", "--exports", "--json"]);
    expectExit(shop, 0);
    expect(JSON.parse(shop.stdout)).toMatchObject({ ok: true, rows: { customers: 200, orders: 808, order_items: 1446, visits: 1527, carts: 150, email_events: 2457 }, orphans: { orders: 3 } });
    const shopify = segment(["validate", "--exports", "--json", "--config", "fixtures/shopify/segment.config.yaml"]);
    expectExit(shopify, 0);
    expect(JSON.parse(shopify.stdout).rows).toMatchObject({ customers: 40, orders: 120 });
    const crm = segment(["validate", "--exports", "--json", "--config", "fixtures/crm-ru/segment.config.yaml"]);
    expectExit(crm, 0);
    expect(JSON.parse(crm.stdout).rows).toMatchObject({ customers: 30, orders: 80 });
  });

  it("reads the Shopify ids without their apostrophe and the Russian export's dates and decimals", () => {
    const shopify = parseJson<{ fields: Array<{ field: string; samples: string[] }> }>(segment(["fields", "--json", "--config", "fixtures/shopify/segment.config.yaml"])).fields;
    expect(shopify.find((f) => f.field === "id")?.samples[0]).toMatch(/^\d+$/);
    const crm = parseJson<{ fields: Array<{ field: string; type: string; samples: string[] }> }>(segment(["fields", "--json", "--config", "fixtures/crm-ru/segment.config.yaml"])).fields;
    expect(crm.find((f) => f.field === "custom.сумма_покупок")?.type).toBe("decimal");
    // 23 of the export's 30 customers have a birthday: there are samples to check.
    const birthdays = crm.find((f) => f.field === "birthday")?.samples ?? [];
    expect(birthdays.length).toBeGreaterThanOrEqual(1);
    expect(birthdays.every((s) => /^\d{4}-\d{2}-\d{2}$/.test(s))).toBe(true);
    expect(crm.find((f) => f.field === "city")?.samples).toContain("Москва");
  });
});

describe("bad input stops with exit 3 and file:line:column", () => {
  it("a truncated row", () => {
    const dir = fixtureCopy("shop");
    const file = path.join(dir, "customers.csv");
    const line = lineCount(file) + 1;
    appendFileSync(file, "C9999,cut@example.com,,Cut\r\n");
    const r = segment(["validate", "--exports"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain(`customers.csv:${line}:5:`);
    expect(r.stderr).toMatch(/4 fields, the header has 24/);
  });

  it("a bad quote", () => {
    const dir = fixtureCopy("shop");
    const file = path.join(dir, "orders.csv");
    const line = lineOf(file, "100010,");
    edit(file, /^100010,C\d+,/m, '100010,"C00"12",');
    const r = segment(["fields"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain(`orders.csv:${line}:`);
    expect(r.stderr).toMatch(/broken quoting/);
  });

  it("a bad date", () => {
    const dir = fixtureCopy("shop");
    const file = path.join(dir, "customers.csv");
    const line = lineOf(file, "C0005,");
    edit(file, /^(C0005,(?:[^,]*,){5})[^,]*,/m, "$12025-13-45,");
    const r = segment(["fields"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain(`customers.csv:${line}:7: birthday: expected a date YYYY-MM-DD (value "2025-13-45")`);
    expect(r.stderr).toMatch(/--max-bad-rows/);
  });

  it("a bad number", () => {
    const dir = fixtureCopy("shop");
    const file = path.join(dir, "orders.csv");
    const line = lineOf(file, "100020,");
    edit(file, /^(100020,[^,]*,[^,]*,[^,]*,)[^,]*,/m, "$112 500 RUB,");
    const r = segment(["validate", "--exports"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain(`orders.csv:${line}:5: total: expected a number such as 1234.56 (value "12 500 RUB")`);
  });

  it("invalid UTF-8", () => {
    const dir = fixtureCopy("shop");
    const file = path.join(dir, "orders.csv");
    const text = readFileSync(file);
    const at = text.indexOf("100030,");
    const line = text.subarray(0, at).toString().split("\n").length;
    writeFileSync(file, Buffer.concat([text.subarray(0, at), Buffer.from([0xc3, 0x28]), text.subarray(at)]));
    const r = segment(["validate", "--exports"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain(`orders.csv:${line}:1: bytes that are not valid utf-8`);
    expect(r.stderr).toMatch(/encoding/);
  });

  it("a duplicate customer id names both lines", () => {
    const dir = fixtureCopy("shop");
    const file = path.join(dir, "customers.csv");
    const first = lineOf(file, "C0007,");
    const row = readFileSync(file, "utf8").split("\n")[first - 1];
    const line = lineCount(file) + 1;
    appendFileSync(file, row + "\n");
    const r = segment(["fields"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain(`customers.csv:${line}: id: duplicate customer id (first at line ${first}) (value "C0007")`);
    expect(r.stderr).toContain(`lines ${first} and ${line}`);
  });

  it("a gzip stream cut short", () => {
    const dir = fixtureCopy("shop");
    const file = path.join(dir, "email_events.csv.gz");
    const gz = readFileSync(file);
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const r = segment(["validate", "--exports"], dir);
    expectExit(r, 3);
    expect(r.stderr).toMatch(/email_events\.csv\.gz:\d+:\d+: the gzip stream ends early/);
  });

  it("a bad NDJSON line and a bad JSON element", () => {
    const dir = fixtureCopy("shop");
    appendFileSync(path.join(dir, "visits.ndjson"), '{"customer_id": "C0001", "visited_at": \n');
    const line = lineCount(path.join(dir, "visits.ndjson"));
    const r = segment(["validate", "--exports"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain(`visits.ndjson:${line}:`);
    expect(r.stderr).toMatch(/invalid JSON/);
  });

  it("validate lists every problem at once", () => {
    const dir = fixtureCopy("shop");
    edit(path.join(dir, "customers.csv"), /^(C0005,(?:[^,]*,){5})[^,]*,/m, "$1not-a-date,");
    edit(path.join(dir, "orders.csv"), /^(100020,[^,]*,[^,]*,[^,]*,)[^,]*,/m, "$1abc,");
    const r = segment(["validate", "--exports", "--json"], dir);
    expectExit(r, 3);
    expect(JSON.parse(r.stdout).problems).toHaveLength(2);
    expect(r.stderr).toMatch(/2 data problems/);
  });

  it("a missing required column, with a hint to map it", () => {
    const dir = fixtureCopy("shop");
    edit(path.join(dir, "orders.csv"), /^id,customer_id,/, "id,client,");
    const r = segment(["fields"], dir);
    expectExit(r, 3);
    expect(r.stderr).toMatch(/orders\.csv:1:1: the orders export has no `customer_id` column/);
    expect(r.stderr).toMatch(/sources\.orders\.columns\.customer_id/);
  });
});

describe("--max-bad-rows", () => {
  it("skips bad rows, counts them and writes out/rejected-<export>.csv", () => {
    const dir = fixtureCopy("shop");
    edit(path.join(dir, "orders.csv"), /^(100020,[^,]*,[^,]*,[^,]*,)[^,]*,/m, "$1abc,");
    edit(path.join(dir, "orders.csv"), /^(100021,[^,]*,)[^,]*,/m, "$1yesterday,");
    const strict = segment(["fields"], dir);
    expectExit(strict, 3);
    expect(existsSync(path.join(dir, "out"))).toBe(false);
    const tooFew = segment(["fields", "--max-bad-rows", "1"], dir);
    expectExit(tooFew, 3);
    const r = segment(["fields", "--json", "--max-bad-rows", "2"], dir);
    expectExit(r, 0);
    expect(r.stderr).toMatch(/skipped 2 unreadable orders rows \(--max-bad-rows\): see .*rejected-orders\.csv/);
    const fields = (JSON.parse(r.stdout) as { fields: Array<{ field: string; rows?: number }> }).fields;
    expect(fields.find((f) => f.field === "orders.status")?.rows).toBe(806);
    const rejected = readFileSync(path.join(dir, "out", "rejected-orders.csv"), "utf8").trim().split("\n");
    expect(rejected[0]).toBe("line,column,reason,row");
    expect(rejected).toHaveLength(3);
    expect(rejected[1]).toMatch(/^\d+,total,expected a number/);
    expect(rejected[2]).toMatch(/^\d+,created_at,expected a datetime/);
  });

  it("rejects a bad value for the flag with exit 2", () => {
    const r = segment(["fields", "--max-bad-rows", "many"]);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/--max-bad-rows takes a whole number/);
  });
});

describe("config and usage errors exit 2", () => {
  it("an unknown key in the config, with line, column and suggestion", () => {
    const dir = fixtureCopy("shop", "data: .\nsegmnts: segments\n");
    const r = segment(["fields"], dir);
    expectExit(r, 2);
    expect(r.stderr).toContain("segment.config.yaml:2:1: segmnts: unknown key `segmnts`");
    expect(r.stderr).toContain("did you mean `segments`?");
  });

  it("a mapped column the file does not have", () => {
    const dir = fixtureCopy("shop", "data: .\nsources:\n  customers:\n    columns: { email: E-mail }\n");
    const r = segment(["fields"], dir);
    expectExit(r, 3);
    expect(r.stderr).toMatch(/maps `email` to the source column "E-mail", which the file does not have/);
    expect(r.stderr).toMatch(/did you mean `email`\?/);
  });

  it("an unknown command or flag", () => {
    expectExit(segment(["frobnicate"]), 2);
    expectExit(segment(["fields", "--nope"]), 2);
  });

  it("--help and --version exit 0", () => {
    const help = segment(["fields", "--help"]);
    expectExit(help, 0);
    expect(help.stdout).toMatch(/Examples:/);
    const version = segment(["--version"]);
    expectExit(version, 0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
  });
});

describe("derived data", () => {
  it("derives customers from the facts when there is no customers export", () => {
    const dir = fixtureCopy("shop");
    rmSync(path.join(dir, "customers.csv"));
    const ids = new Set<string>();
    for (const line of readFileSync(path.join(dir, "orders.csv"), "utf8").trim().split("\n").slice(1)) ids.add(line.split(",")[1]);
    for (const line of readFileSync(path.join(dir, "visits.ndjson"), "utf8").trim().split("\n")) ids.add(JSON.parse(line).customer_id);
    for (const cart of JSON.parse(readFileSync(path.join(dir, "carts.json"), "utf8"))) ids.add(cart.customer_id);
    for (const line of gunzipSync(readFileSync(path.join(dir, "email_events.csv.gz"))).toString().trim().split("\n").slice(1)) ids.add(line.split(",")[0]);
    const r = segment(["fields", "--json"], dir);
    expectExit(r, 0);
    const fields = (JSON.parse(r.stdout) as { fields: Array<{ field: string; source: string; rows?: number }> }).fields;
    expect(fields[0]).toMatchObject({ field: "id", source: "derived from facts", rows: ids.size });
    // Every fact now has a known customer: no orphans.
    expect(r.stderr).not.toMatch(/orphans/);
    expect(fields.some((f) => f.field === "city")).toBe(false);
  });

  it("reads a gzipped NDJSON export", () => {
    const dir = fixtureCopy("shop");
    const text = readFileSync(path.join(dir, "visits.ndjson"));
    writeFileSync(path.join(dir, "visits.ndjson.gz"), gzipSync(text));
    rmSync(path.join(dir, "visits.ndjson"));
    const r = segment(["fields", "--json"], dir);
    expectExit(r, 0);
    expect((JSON.parse(r.stdout) as { fields: Array<{ field: string; rows?: number }> }).fields.find((f) => f.field === "visits.source")?.rows).toBe(1527);
  });

  it("refuses to guess between two files for one export", () => {
    const dir = fixtureCopy("shop");
    writeFileSync(path.join(dir, "visits.ndjson.gz"), gzipSync(readFileSync(path.join(dir, "visits.ndjson"))));
    const r = segment(["fields"], dir);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/several files could be the visits export: visits.ndjson, visits.ndjson.gz/);
  });
});
