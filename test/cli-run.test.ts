/**
 * `segment run` through the binary, with `history` and `list` on the state it leaves: each
 * scenario in a temp folder of its own, over a small hand-made shop written as CSV.
 *
 * Every expected member set comes from the naive reference evaluator
 * (test/reference/naive-evaluator.ts) run on the very files the binary reads: the CSV
 * exports read back by the golden loader's parser (test/golden/load-fixture.ts, csv-parse)
 * and the segment YAML files read with the `yaml` package. Where a run must NOT evaluate a
 * definition (a frozen static segment, an inactive one, a reference to either), the
 * expectation is the naive members of the run that last computed it, combined by hand as
 * the comment says. Nothing is taken from the product's own output except what is under
 * test.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { csvRows } from "./golden/load-fixture.js";
import { parseJson, segment, tempDir, type RunResult } from "./helpers.js";
import { CUSTOMER_COLUMNS, FACTS, NaiveEvaluator, type SegmentDef, type ShopData } from "./reference/naive-evaluator.js";

// ---------------------------------------------------------------------------------------
// The contract's shapes.
// ---------------------------------------------------------------------------------------

interface SegmentSummary {
  code: string;
  type: string;
  members: number;
  entered: number | null;
  left: number | null;
  skipped: string | null;
}
interface RunSummary {
  segments: SegmentSummary[];
  as_of: string;
  run_id: string;
}
interface HistoryEvent {
  run_id: string;
  as_of: string;
  segment: string;
  customer_id: string;
  event: "enter" | "leave";
}
interface ListEntry {
  code: string;
  name: string;
  type: string;
  active: boolean;
  members: number;
  entered: number | null;
  left: number | null;
}

const TIMEZONE = "UTC";
const AS_OF_1 = "2026-03-31";
const AS_OF_2 = "2026-04-15";
const AS_OF_3 = "2026-05-05";
const CONFIG = `data: data\nsegments: segments\nstate: .segment\nout: out\ntimezone: ${TIMEZONE}\n`;

// ---------------------------------------------------------------------------------------
// The hand-made shop.
// ---------------------------------------------------------------------------------------

type Customer = { id: string } & Partial<Record<keyof typeof CUSTOMER_COLUMNS, string>>;
interface Order {
  id: string;
  customer_id: string;
  created_at: string;
  status: string;
  total: string;
}
interface Shop {
  customers: Customer[];
  orders: Order[];
}

/**
 * Ten customers and their orders. Around the two as-of days:
 * - recent window of run 1 (2026-03-01..03-31): paid/complete orders of C01, C02, C04, C09;
 *   C07's is cancelled; C08's order of 2026-04-10 is after the as-of day and left out;
 * - revenue of paid/complete orders >= 100 on 2026-03-31: C01 (160), C03 (200), C05 (150), C09 (110).
 */
function baseShop(): Shop {
  return {
    customers: [
      { id: "C01", first_name: "Anna", city: "Moscow", tags: "vip;tea", birthday: "1990-04-02" },
      { id: "C02", first_name: "Boris", city: "Moscow", tags: "tea" },
      { id: "C03", first_name: "Vera", city: "Kazan", birthday: "1985-11-20" },
      { id: "C04", first_name: "Gleb", city: "Saint Petersburg", tags: "coffee" },
      { id: "C05", first_name: "Daria", city: "Moscow", birthday: "2000-02-29" },
      { id: "C06", first_name: "Egor" },
      { id: "C07", first_name: "Zoya", city: "Kazan", tags: "vip" },
      { id: "C08", first_name: "Ivan", city: "Moscow" },
      { id: "C09", first_name: "Kira", city: "Novosibirsk", tags: "tea;coffee" },
      { id: "C10", first_name: "Lev", city: "Saint Petersburg" },
    ],
    orders: [
      { id: "O01", customer_id: "C01", created_at: "2026-03-20T10:00:00Z", status: "paid", total: "120.00" },
      { id: "O02", customer_id: "C01", created_at: "2026-01-05T09:30:00Z", status: "complete", total: "40.00" },
      { id: "O03", customer_id: "C02", created_at: "2026-03-25T18:45:00Z", status: "paid", total: "30.00" },
      { id: "O04", customer_id: "C03", created_at: "2026-02-10T12:00:00Z", status: "complete", total: "200.00" },
      { id: "O05", customer_id: "C04", created_at: "2026-03-30T23:10:00Z", status: "paid", total: "80.00" },
      { id: "O06", customer_id: "C05", created_at: "2025-12-01T08:00:00Z", status: "complete", total: "150.00" },
      { id: "O07", customer_id: "C07", created_at: "2026-03-05T14:00:00Z", status: "cancelled", total: "90.00" },
      { id: "O08", customer_id: "C08", created_at: "2026-04-10T11:00:00Z", status: "paid", total: "60.00" },
      { id: "O09", customer_id: "C09", created_at: "2026-03-15T16:20:00Z", status: "paid", total: "110.00" },
      { id: "O10", customer_id: "C10", created_at: "2026-02-28T10:00:00Z", status: "complete", total: "20.00" },
    ],
  };
}

function customer(shop: Shop, id: string): Customer {
  const c = shop.customers.find((x) => x.id === id);
  if (!c) throw new Error(`no customer ${id} in the test shop`);
  return c;
}

/**
 * The change between run 1 and run 2 of several scenarios: an order added (C06, paid 300 on
 * 2026-04-12), one removed (O09 of C09), C02 moves from Moscow to Kazan and C03 from Kazan
 * to Moscow.
 */
function changedShop(): Shop {
  const shop = baseShop();
  shop.orders.push({ id: "O11", customer_id: "C06", created_at: "2026-04-12T13:00:00Z", status: "paid", total: "300.00" });
  shop.orders = shop.orders.filter((o) => o.id !== "O09");
  customer(shop, "C02").city = "Kazan";
  customer(shop, "C03").city = "Moscow";
  return shop;
}

const CUSTOMER_HEADER = Object.keys(CUSTOMER_COLUMNS);
const ORDER_HEADER = Object.keys(FACTS.orders.columns);

function csvCell(v: string | null | undefined): string {
  if (v === null || v === undefined) return "";
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

function csvText(rows: Array<Record<string, string | undefined>>, header: string[]): string {
  return [header.join(","), ...rows.map((r) => header.map((h) => csvCell(r[h])).join(","))].join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------
// Segment definitions, as YAML text: the product reads the file, the naive evaluator the
// same file parsed by the `yaml` package.
// ---------------------------------------------------------------------------------------

const DEFS = {
  moscow: "code: moscow\nname: Lives in Moscow\nfilters:\n  - { field: city, in: [Moscow] }\n",
  kazan: "code: kazan\nname: Lives in Kazan\nfilters:\n  - { field: city, in: [Kazan] }\n",
  "not-moscow": "code: not-moscow\nname: Everyone but Moscow\nfilters:\n  - { field: city, ne: Moscow }\n",
  "recent-buyers": [
    "code: recent-buyers",
    "name: Bought in the last 30 days",
    "filters:",
    "  - field: orders.last_at",
    "    where: { status: [paid, complete] }",
    "    between: [-30d, today]",
    "",
  ].join("\n"),
  "big-spenders": [
    "code: big-spenders",
    "name: Spent 100 or more",
    "filters:",
    "  - field: orders.revenue",
    "    where: { status: [paid, complete] }",
    "    gte: 100",
    "",
  ].join("\n"),
  /** The same filter as big-spenders, static. */
  "big-list": [
    "code: big-list",
    "name: Big spenders, frozen list",
    "type: static",
    "filters:",
    "  - field: orders.revenue",
    "    where: { status: [paid, complete] }",
    "    gte: 100",
    "",
  ].join("\n"),
  /** A dynamic segment over a static one. */
  "big-not-kazan": [
    "code: big-not-kazan",
    "name: Frozen big spenders outside Kazan",
    "filters:",
    "  - { field: segment, in: [big-list] }",
    "  - { field: city, ne: Kazan }",
    "",
  ].join("\n"),
  /** A dynamic segment over a (possibly inactive) dynamic one. */
  "moscow-buyers": [
    "code: moscow-buyers",
    "name: Moscow customers with an order",
    "filters:",
    "  - { field: segment, in: [moscow] }",
    "  - { field: orders.count, gte: 1 }",
    "",
  ].join("\n"),
} as const;
type Code = keyof typeof DEFS;

/** The static Moscow list of the definition-hash scenarios, and edits of it that change nothing but its text. */
const MOSCOW_LIST = [
  "code: moscow-list",
  "name: Moscow list",
  "description: Customers in Moscow when the list was made",
  "type: static",
  "filters:",
  "  - field: city",
  "    in: [Moscow]",
  "",
].join("\n");
const MOSCOW_LIST_EDITS: Array<{ what: string; text: string }> = [
  {
    what: "a reformatting of the YAML (comments, spacing, quotes, flow and block style)",
    text: [
      "# the welcome list: made once, then frozen",
      "",
      "code:    moscow-list",
      'name:    "Moscow list"',
      "description: 'Customers in Moscow when the list was made'",
      "",
      "type:    static   # never recomputed",
      "filters:",
      "    -   field: \"city\"",
      "        in:",
      "            - Moscow",
      "",
      "",
    ].join("\n"),
  },
  {
    what: "a reordering of the keys (top level and inside the filter)",
    text: [
      "filters:",
      "  - in: [Moscow]",
      "    field: city",
      "type: static",
      "description: Customers in Moscow when the list was made",
      "name: Moscow list",
      "code: moscow-list",
      "",
    ].join("\n"),
  },
  {
    what: "an edit of name and description",
    text: [
      "code: moscow-list",
      "name: Moscow welcome list (renamed)",
      "description: Another description altogether",
      "type: static",
      "filters:",
      "  - field: city",
      "    in: [Moscow]",
      "",
    ].join("\n"),
  },
];
/** MOSCOW_LIST with a filter value changed: a real change of the definition. */
const MOSCOW_LIST_WITH_KAZAN = MOSCOW_LIST.replace("in: [Moscow]", "in: [Moscow, Kazan]");

// ---------------------------------------------------------------------------------------
// A project folder and what the binary left in it.
// ---------------------------------------------------------------------------------------

const sorted = (ids: Iterable<string>) => [...ids].sort();
const minus = (a: Iterable<string>, b: Iterable<string>) => {
  const drop = new Set(b);
  return sorted([...a].filter((id) => !drop.has(id)));
};
const intersect = (a: Iterable<string>, b: Iterable<string>) => {
  const keep = new Set(b);
  return sorted([...a].filter((id) => keep.has(id)));
};

class Project {
  readonly dir = tempDir("segment-run-");

  constructor(shop: Shop, defs: Record<string, string>) {
    writeFileSync(path.join(this.dir, "segment.config.yaml"), CONFIG);
    this.writeShop(shop);
    for (const [code, text] of Object.entries(defs)) this.writeSegment(code, text);
  }

  get segmentsDir(): string {
    return path.join(this.dir, "segments");
  }

  writeShop(shop: Shop): void {
    const data = path.join(this.dir, "data");
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, "customers.csv"), csvText(shop.customers, CUSTOMER_HEADER));
    writeFileSync(path.join(data, "orders.csv"), csvText(shop.orders.map((o) => ({ ...o })), ORDER_HEADER));
  }

  writeSegment(code: string, text: string): void {
    mkdirSync(this.segmentsDir, { recursive: true });
    writeFileSync(path.join(this.segmentsDir, `${code}.yaml`), text);
  }

  removeSegment(code: string): void {
    rmSync(path.join(this.segmentsDir, `${code}.yaml`));
  }

  /** The exports on disk as ShopData, read back by the golden loader's CSV parser. */
  shopData(): ShopData {
    const read = (name: string, header: string[]) => csvRows(readFileSync(path.join(this.dir, "data", name), "utf8"), header, name);
    return {
      customers: read("customers.csv", CUSTOMER_HEADER),
      orders: read("orders.csv", ORDER_HEADER),
      order_items: [],
      visits: [],
      carts: [],
      email_events: [],
      customFields: [],
    };
  }

  /** The definitions on disk, parsed with the `yaml` package. */
  definitions(): SegmentDef[] {
    return readdirSync(this.segmentsDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => parseYaml(readFileSync(path.join(this.segmentsDir, f), "utf8")) as SegmentDef);
  }

  /** The naive evaluator over the files as they are now (plus any extra helper definitions). */
  naive(asOf: string, extra: SegmentDef[] = []): NaiveEvaluator {
    return new NaiveEvaluator(this.shopData(), [...this.definitions(), ...extra], { asOf, timezone: TIMEZONE });
  }

  /** Naive members of every definition on disk, by code. */
  naiveAll(asOf: string): Map<string, Set<string>> {
    const n = this.naive(asOf);
    return new Map(this.definitions().map((d) => [d.code, n.members(d.code)]));
  }

  exec(args: string[]): RunResult {
    return segment(args, this.dir);
  }

  /** `segment run --as-of DATE --json [args]`: exit 0 and the summary. */
  run(asOf: string, ...args: string[]): RunSummary {
    const summary = parseJson<RunSummary>(this.exec(["run", ...args, "--as-of", asOf, "--json"]));
    expect(summary.as_of).toBe(asOf);
    expect(typeof summary.run_id).toBe("string");
    expect(summary.run_id.length).toBeGreaterThan(0);
    expect(Array.isArray(summary.segments)).toBe(true);
    return summary;
  }

  history(by: "--segment" | "--customer", value: string): HistoryEvent[] {
    const events = parseJson<{ events: HistoryEvent[] }>(this.exec(["history", by, value, "--json"])).events;
    expect(Array.isArray(events)).toBe(true);
    return events;
  }

  file(code: string, name: string): string {
    return path.join(this.dir, "out", code, name);
  }

  /** Ids of out/<code>/<kind>.csv (members, entered, left), checking the file's shape. */
  ids(code: string, kind: "members" | "entered" | "left"): string[] {
    return csvIds(this.file(code, `${kind}.csv`));
  }

  bytes(code: string, kind: string): Buffer {
    return readFileSync(this.file(code, kind));
  }
}

/**
 * Ids of an output CSV: a header row whose first column is `id`, then one customer per
 * row, sorted by id (ascending string order), no id twice.
 */
function csvIds(file: string): string[] {
  expect(existsSync(file), `${file} exists`).toBe(true);
  const records = parseCsv(readFileSync(file, "utf8"), { bom: true, relax_column_count: false }) as string[][];
  expect(records.length, `${file} has a header row`).toBeGreaterThan(0);
  expect(records[0][0], `${file}: first column of the header`).toBe("id");
  const ids = records.slice(1).map((r) => r[0]);
  expect(ids, `${file} sorted by id`).toEqual(sorted(ids));
  expect(new Set(ids).size, `${file}: one row per customer`).toBe(ids.length);
  return ids;
}

/**
 * A diff file of a frozen static segment after a run that did not compute it: absent, zero
 * bytes, or a header with no rows (the brief's contract: "empty or absent, accept either").
 * A file left over from the run that last computed the segment, still listing that run's
 * entered customers, fails this: out/ would then claim entries the latest run did not make.
 */
function expectEmptyOrAbsent(file: string): void {
  if (!existsSync(file)) return;
  if (readFileSync(file, "utf8").trim() === "") return;
  expect(csvIds(file), `${file} lists no customer`).toEqual([]);
}

function row(summary: RunSummary, code: string): SegmentSummary {
  const r = summary.segments.find((s) => s.code === code);
  expect(r, `summary has a row for ${code}: ${JSON.stringify(summary.segments.map((s) => s.code))}`).toBeDefined();
  return r!;
}

/** The summary row of a segment the run computed, from the expected member sets before and after. */
function computedRow(code: string, type: "dynamic" | "static", before: Iterable<string>, after: Iterable<string>): SegmentSummary {
  const a = sorted(after);
  return { code, type, members: a.length, entered: minus(a, before).length, left: minus(before, a).length, skipped: null };
}

/** A summary row reduced to the contract's keys (the product may add more, e.g. elapsed ms). */
function contractRow(r: SegmentSummary): SegmentSummary {
  return { code: r.code, type: r.type, members: r.members, entered: r.entered, left: r.left, skipped: r.skipped };
}

/** The summary row of a segment the run skipped: its kept member count, the reason, and no change. */
function expectSkippedRow(summary: RunSummary, code: string, type: string, reason: string, members: number): void {
  const r = row(summary, code);
  expect({ code: r.code, type: r.type, members: r.members, skipped: r.skipped }).toEqual({ code, type, members, skipped: reason });
  // The contract leaves entered/left of a skipped row open; nothing changed, so 0 (or null).
  expect([0, null]).toContain(r.entered);
  expect([0, null]).toContain(r.left);
}

/** A run that kept a static segment frozen: its skipped row, members.csv byte for byte, no entered or left. */
function expectFrozenRun(p: Project, summary: RunSummary, code: string, members: number, membersBytes: Buffer): void {
  expectSkippedRow(summary, code, "static", "static, frozen", members);
  expect(p.bytes(code, "members.csv").equals(membersBytes), "members.csv unchanged").toBe(true);
  expectEmptyOrAbsent(p.file(code, "entered.csv"));
  expectEmptyOrAbsent(p.file(code, "left.csv"));
}

/** Checks members/entered/left files of a computed segment against the expected sets. */
function expectOutputs(p: Project, code: string, before: Iterable<string>, after: Iterable<string>): void {
  expect(p.ids(code, "members"), `${code} members`).toEqual(sorted(after));
  expect(p.ids(code, "entered"), `${code} entered`).toEqual(minus(after, before));
  expect(p.ids(code, "left"), `${code} left`).toEqual(minus(before, after));
}

// ---------------------------------------------------------------------------------------
// Expected history.
// ---------------------------------------------------------------------------------------

interface RunRecord {
  run_id: string;
  as_of: string;
  /** Members of the segments the run computed, by code (others are absent). */
  members: Map<string, Set<string>>;
}

/** Every enter and leave the runs should have recorded: each computed segment against its last computed members. */
function expectedEvents(runs: RunRecord[]): HistoryEvent[] {
  const last = new Map<string, Set<string>>();
  const out: HistoryEvent[] = [];
  for (const r of runs) {
    for (const [code, now] of r.members) {
      const before = last.get(code) ?? new Set<string>();
      for (const id of minus(now, before)) out.push({ run_id: r.run_id, as_of: r.as_of, segment: code, customer_id: id, event: "enter" });
      for (const id of minus(before, now)) out.push({ run_id: r.run_id, as_of: r.as_of, segment: code, customer_id: id, event: "leave" });
      last.set(code, now);
    }
  }
  return out;
}

const eventKey = (e: HistoryEvent) => `${e.run_id}|${e.as_of}|${e.segment}|${e.customer_id}|${e.event}`;

/**
 * The events printed equal the expected ones as a set, and come newest first: the runs'
 * order (as in `runs`) never goes forward along the array. Within one run the order is
 * not part of the contract.
 */
function expectHistory(got: HistoryEvent[], expected: HistoryEvent[], runs: RunRecord[]): void {
  const pick = (e: HistoryEvent): HistoryEvent => ({ run_id: e.run_id, as_of: e.as_of, segment: e.segment, customer_id: e.customer_id, event: e.event });
  expect(got.map(pick).map(eventKey).sort()).toEqual(expected.map(eventKey).sort());
  const index = new Map(runs.map((r, i) => [r.run_id, i]));
  const order = got.map((e) => index.get(e.run_id) ?? -1);
  expect(order, "newest run first").toEqual([...order].sort((a, b) => b - a));
}

// ---------------------------------------------------------------------------------------
// State and out/ as data: every path (folders too) with the bytes of each file.
// ---------------------------------------------------------------------------------------

function tree(dir: string): Record<string, string> | null {
  if (!existsSync(dir)) return null;
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const r = rel === "" ? name : `${rel}/${name}`;
      if (statSync(full).isDirectory()) {
        out[`${r}/`] = "(folder)";
        walk(full, r);
      } else {
        out[r] = readFileSync(full).toString("base64");
      }
    }
  };
  walk(dir, "");
  return out;
}

function snapshot(p: Project): { state: Record<string, string> | null; out: Record<string, string> | null } {
  return { state: tree(path.join(p.dir, ".segment")), out: tree(path.join(p.dir, "out")) };
}

// ---------------------------------------------------------------------------------------
// The scenarios.
// ---------------------------------------------------------------------------------------

function pickDefs(...codes: Code[]): Record<string, string> {
  return Object.fromEntries(codes.map((c) => [c, DEFS[c]]));
}

describe("segment run: entered and left against the previous snapshot", () => {
  it("first run: every member enters, none leaves, members equal the naive evaluator's", () => {
    const codes: Code[] = ["moscow", "not-moscow", "recent-buyers", "big-spenders", "big-list"];
    const p = new Project(baseShop(), pickDefs(...codes));
    const naive = p.naiveAll(AS_OF_1);
    // The data must make every segment non-trivial: some members, not everyone.
    for (const code of codes) {
      expect(naive.get(code)!.size, code).toBeGreaterThan(0);
      expect(naive.get(code)!.size, code).toBeLessThan(10);
    }
    const summary = p.run(AS_OF_1);
    expect(sorted(summary.segments.map((s) => s.code))).toEqual(sorted(codes));
    for (const code of codes) {
      const type = code === "big-list" ? "static" : "dynamic";
      expect(contractRow(row(summary, code))).toEqual(computedRow(code, type, [], naive.get(code)!));
      expectOutputs(p, code, [], naive.get(code)!);
      expect(p.ids(code, "left")).toEqual([]);
    }
  });

  it("changed exports and a later as-of: entered = new - old, left = old - new, and history lists exactly those events", () => {
    const codes: Code[] = ["moscow", "recent-buyers", "big-spenders"];
    const p = new Project(baseShop(), pickDefs(...codes));
    const old = p.naiveAll(AS_OF_1);
    const first = p.run(AS_OF_1);

    p.writeShop(changedShop());
    const now = p.naiveAll(AS_OF_2);
    // Both directions happen in every segment of this scenario (see baseShop and changedShop).
    for (const code of codes) {
      expect(minus(now.get(code)!, old.get(code)!).length, `${code} has newcomers`).toBeGreaterThan(0);
      expect(minus(old.get(code)!, now.get(code)!).length, `${code} has leavers`).toBeGreaterThan(0);
    }
    const second = p.run(AS_OF_2);
    expect(second.run_id).not.toBe(first.run_id);
    for (const code of codes) {
      expect(contractRow(row(second, code))).toEqual(computedRow(code, "dynamic", old.get(code)!, now.get(code)!));
      expectOutputs(p, code, old.get(code)!, now.get(code)!);
    }

    // history --segment: the second run's events are exactly its entered and left, and
    // the whole list is both runs' events, newest first.
    const runs: RunRecord[] = [
      { run_id: first.run_id, as_of: AS_OF_1, members: old },
      { run_id: second.run_id, as_of: AS_OF_2, members: now },
    ];
    for (const code of codes) {
      const events = p.history("--segment", code);
      const ofSecond = events.filter((e) => e.run_id === second.run_id);
      expect(sorted(ofSecond.filter((e) => e.event === "enter").map((e) => e.customer_id))).toEqual(minus(now.get(code)!, old.get(code)!));
      expect(sorted(ofSecond.filter((e) => e.event === "leave").map((e) => e.customer_id))).toEqual(minus(old.get(code)!, now.get(code)!));
      expect(ofSecond.every((e) => e.segment === code && e.as_of === AS_OF_2)).toBe(true);
      expectHistory(events, expectedEvents(runs).filter((e) => e.segment === code), runs);
    }
  });

  it("the same run twice: the second one's entered and left are header-only files and count 0", () => {
    const codes: Code[] = ["moscow", "recent-buyers", "big-spenders"];
    const p = new Project(baseShop(), pickDefs(...codes));
    const naive = p.naiveAll(AS_OF_1);
    p.run(AS_OF_1);
    const members1 = Object.fromEntries(codes.map((c) => [c, p.bytes(c, "members.csv")]));
    const second = p.run(AS_OF_1);
    for (const code of codes) {
      const n = naive.get(code)!;
      expect(contractRow(row(second, code))).toEqual({ code, type: "dynamic", members: n.size, entered: 0, left: 0, skipped: null });
      expect(p.ids(code, "members")).toEqual(sorted(n));
      expect(p.bytes(code, "members.csv").equals(members1[code]), `${code} members.csv unchanged`).toBe(true);
      expect(p.ids(code, "entered")).toEqual([]);
      expect(p.ids(code, "left")).toEqual([]);
      // Nothing entered or left, so nothing was appended to the history by the second run.
      expect(p.history("--segment", code).filter((e) => e.run_id === second.run_id)).toEqual([]);
    }
  });

  it("a segment added between runs enters all its members; a removed one is no error and keeps its history", () => {
    const p = new Project(baseShop(), pickDefs("moscow", "recent-buyers", "big-spenders"));
    const old = p.naiveAll(AS_OF_1);
    const first = p.run(AS_OF_1);

    p.removeSegment("big-spenders");
    p.writeSegment("kazan", DEFS.kazan);
    p.writeShop(changedShop());
    const now = p.naiveAll(AS_OF_2);
    expect(now.has("big-spenders")).toBe(false);
    expect(now.get("kazan")!.size).toBeGreaterThan(0);

    const second = p.run(AS_OF_2);
    // Only defined segments are computed. (Whether the removed one gets a skipped row is
    // left open by the contract; if it has one, it is not a computed row.)
    expect(sorted(second.segments.filter((s) => s.skipped === null).map((s) => s.code))).toEqual(["kazan", "moscow", "recent-buyers"]);
    const removedRow = second.segments.find((s) => s.code === "big-spenders");
    if (removedRow) expect(removedRow.skipped, "the removed segment is not computed").not.toBeNull();
    // The added segment: first computed now, so every member enters.
    expect(contractRow(row(second, "kazan"))).toEqual(computedRow("kazan", "dynamic", [], now.get("kazan")!));
    expectOutputs(p, "kazan", [], now.get("kazan")!);
    // The others diff against run 1 as usual.
    for (const code of ["moscow", "recent-buyers"]) {
      expect(contractRow(row(second, code))).toEqual(computedRow(code, "dynamic", old.get(code)!, now.get(code)!));
      expectOutputs(p, code, old.get(code)!, now.get(code)!);
    }
    // The removed segment's history is still there: run 1's enters, nothing since.
    const runs: RunRecord[] = [{ run_id: first.run_id, as_of: AS_OF_1, members: new Map([["big-spenders", old.get("big-spenders")!]]) }];
    expectHistory(p.history("--segment", "big-spenders"), expectedEvents(runs), runs);
    // list still works with a removed segment in the state, and shows the defined ones.
    const list = parseJson<{ segments: ListEntry[] }>(p.exec(["list", "--json"])).segments;
    expect(list.map((s) => s.code)).toEqual(expect.arrayContaining(["kazan", "moscow", "recent-buyers"]));
  });

  it("run CODE computes the named segment and what it depends on; a later full run diffs against that", () => {
    const p = new Project(baseShop(), pickDefs("moscow", "moscow-buyers", "kazan"));
    const naive = p.naiveAll(AS_OF_1);
    const partial = p.run(AS_OF_1, "moscow-buyers");
    const computed = partial.segments.filter((s) => s.skipped === null).map((s) => s.code);
    expect(sorted(computed)).toEqual(["moscow", "moscow-buyers"]);
    for (const code of ["moscow", "moscow-buyers"]) expectOutputs(p, code, [], naive.get(code)!);
    expect(existsSync(p.file("kazan", "members.csv")), "kazan was not computed").toBe(false);

    // Same data and as-of: the two computed ones have empty diffs, kazan enters whole.
    const full = p.run(AS_OF_1);
    for (const code of ["moscow", "moscow-buyers"]) {
      expect(contractRow(row(full, code))).toEqual(computedRow(code, "dynamic", naive.get(code)!, naive.get(code)!));
      expectOutputs(p, code, naive.get(code)!, naive.get(code)!);
    }
    expect(contractRow(row(full, "kazan"))).toEqual(computedRow("kazan", "dynamic", [], naive.get("kazan")!));
    expectOutputs(p, "kazan", [], naive.get("kazan")!);
  });

  it("--format csv,json,ndjson writes the same ids, sorted, in every format", () => {
    const codes: Code[] = ["moscow", "big-spenders"];
    const p = new Project(baseShop(), pickDefs(...codes));
    const naive = p.naiveAll(AS_OF_1);
    p.run(AS_OF_1, "--format", "csv,json,ndjson");
    for (const code of codes) {
      const expected = { members: sorted(naive.get(code)!), entered: sorted(naive.get(code)!), left: [] as string[] };
      for (const kind of ["members", "entered", "left"] as const) {
        expect(p.ids(code, kind), `${code} ${kind}.csv`).toEqual(expected[kind]);
        const json = JSON.parse(readFileSync(p.file(code, `${kind}.json`), "utf8")) as Array<{ id: string }>;
        expect(Array.isArray(json), `${code} ${kind}.json is an array`).toBe(true);
        expect(json.map((o) => o.id), `${code} ${kind}.json`).toEqual(expected[kind]);
        const lines = readFileSync(p.file(code, `${kind}.ndjson`), "utf8").split("\n").filter((l) => l.trim() !== "");
        expect(lines.map((l) => (JSON.parse(l) as { id: string }).id), `${code} ${kind}.ndjson`).toEqual(expected[kind]);
      }
    }
  });
});

describe("segment run: static segments", () => {
  it("a static segment stays frozen while its customers change", () => {
    const p = new Project(baseShop(), { "moscow-list": MOSCOW_LIST, moscow: DEFS.moscow });
    const frozen = p.naiveAll(AS_OF_1).get("moscow-list")!;
    const first = p.run(AS_OF_1);
    expect(contractRow(row(first, "moscow-list"))).toEqual(computedRow("moscow-list", "static", [], frozen));
    expectOutputs(p, "moscow-list", [], frozen);
    const membersBytes = p.bytes("moscow-list", "members.csv");

    // C01 leaves Moscow (no longer matches), C03 and a new customer C11 move in (would match).
    const shop = baseShop();
    customer(shop, "C01").city = "Kazan";
    customer(shop, "C03").city = "Moscow";
    shop.customers.push({ id: "C11", first_name: "Mila", city: "Moscow" });
    p.writeShop(shop);
    const now = p.naiveAll(AS_OF_2);
    // The definition alone would now give other members: the dynamic twin below does.
    expect(frozen.has("C01") && !now.get("moscow-list")!.has("C01")).toBe(true);
    expect(!frozen.has("C03") && now.get("moscow-list")!.has("C03")).toBe(true);
    expect(now.get("moscow-list")!.has("C11")).toBe(true);

    const second = p.run(AS_OF_2);
    expectSkippedRow(second, "moscow-list", "static", "static, frozen", frozen.size);
    expect(p.bytes("moscow-list", "members.csv").equals(membersBytes), "members.csv unchanged").toBe(true);
    expect(p.ids("moscow-list", "members")).toEqual(sorted(frozen));
    expect(p.history("--segment", "moscow-list").filter((e) => e.run_id === second.run_id)).toEqual([]);
    // The dynamic segment with the same filter follows the data.
    expect(contractRow(row(second, "moscow"))).toEqual(computedRow("moscow", "dynamic", frozen, now.get("moscow")!));
    expectOutputs(p, "moscow", frozen, now.get("moscow")!);
    expectEmptyOrAbsent(p.file("moscow-list", "entered.csv"));
    expectEmptyOrAbsent(p.file("moscow-list", "left.csv"));
  });

  /** Run 1 on the base shop; then C01 leaves Moscow and C07 and a new C11 arrive, so a recompute would show. */
  function frozenListProject(): { p: Project; frozen: Set<string> } {
    const p = new Project(baseShop(), { "moscow-list": MOSCOW_LIST });
    const frozen = p.naiveAll(AS_OF_1).get("moscow-list")!;
    p.run(AS_OF_1);
    expectOutputs(p, "moscow-list", [], frozen);
    const shop = baseShop();
    customer(shop, "C01").city = "Saint Petersburg";
    customer(shop, "C07").city = "Moscow";
    shop.customers.push({ id: "C11", first_name: "Mila", city: "Moscow" });
    p.writeShop(shop);
    return { p, frozen };
  }

  for (const edit of MOSCOW_LIST_EDITS) {
    it(`a static segment is not recomputed after ${edit.what}`, () => {
      const { p, frozen } = frozenListProject();
      const membersBytes = p.bytes("moscow-list", "members.csv");
      p.writeSegment("moscow-list", edit.text);
      // The edited text is the same definition (parsed, name and description aside)...
      const { name: _n1, description: _d1, ...was } = parseYaml(MOSCOW_LIST) as SegmentDef;
      const { name: _n2, description: _d2, ...is } = parseYaml(edit.text) as SegmentDef;
      expect(is).toEqual(was);
      // ...and evaluating it now would give other members.
      expect(sorted(p.naiveAll(AS_OF_2).get("moscow-list")!)).not.toEqual(sorted(frozen));

      const second = p.run(AS_OF_2);
      expectFrozenRun(p, second, "moscow-list", frozen.size, membersBytes);
    });
  }

  it("a static segment is recomputed once after a filter value changes, then frozen again", () => {
    const { p, frozen } = frozenListProject();
    p.writeSegment("moscow-list", MOSCOW_LIST_WITH_KAZAN);
    const recomputed = p.naiveAll(AS_OF_2).get("moscow-list")!;
    // Expected by hand too: Moscow or Kazan in the changed shop is C02, C03, C05, C07, C08, C11;
    // C01 (now Saint Petersburg) leaves.
    expect(sorted(recomputed)).toEqual(["C02", "C03", "C05", "C07", "C08", "C11"]);
    const second = p.run(AS_OF_2);
    expect(contractRow(row(second, "moscow-list"))).toEqual(computedRow("moscow-list", "static", frozen, recomputed));
    expectOutputs(p, "moscow-list", frozen, recomputed);
    const membersBytes = p.bytes("moscow-list", "members.csv");

    // The new definition's hash is kept: a further data change and a later run leave it frozen.
    const shop = baseShop();
    customer(shop, "C01").city = "Saint Petersburg";
    customer(shop, "C07").city = "Moscow";
    customer(shop, "C08").city = "Novosibirsk";
    customer(shop, "C10").city = "Kazan";
    shop.customers.push({ id: "C11", first_name: "Mila", city: "Moscow" });
    p.writeShop(shop);
    expect(sorted(p.naiveAll(AS_OF_3).get("moscow-list")!)).not.toEqual(sorted(recomputed));
    const third = p.run(AS_OF_3);
    expectFrozenRun(p, third, "moscow-list", recomputed.size, membersBytes);
  });

  it("a segment referencing a static segment sees its frozen members", () => {
    const p = new Project(baseShop(), pickDefs("big-list", "big-not-kazan"));
    const n1 = p.naiveAll(AS_OF_1);
    const frozenA = n1.get("big-list")!;
    // By hand: big-list is C01, C03, C05, C09; C03 lives in Kazan, so big-not-kazan is C01, C05, C09.
    expect(sorted(frozenA)).toEqual(["C01", "C03", "C05", "C09"]);
    expect(sorted(n1.get("big-not-kazan")!)).toEqual(["C01", "C05", "C09"]);
    const first = p.run(AS_OF_1);
    expect(contractRow(row(first, "big-list"))).toEqual(computedRow("big-list", "static", [], frozenA));
    expect(contractRow(row(first, "big-not-kazan"))).toEqual(computedRow("big-not-kazan", "dynamic", [], n1.get("big-not-kazan")!));

    // C05's big order goes (the definition would drop C05), C06 buys big (would add C06),
    // C09 moves to Kazan, C03 moves from Kazan to Moscow.
    const shop = baseShop();
    shop.orders = shop.orders.filter((o) => o.id !== "O06");
    shop.orders.push({ id: "O11", customer_id: "C06", created_at: "2026-04-12T13:00:00Z", status: "paid", total: "300.00" });
    customer(shop, "C09").city = "Kazan";
    customer(shop, "C03").city = "Moscow";
    p.writeShop(shop);
    // B's own filter, on its own, over the new data; B's expected members are the frozen A's within it.
    const rest: SegmentDef = { code: "probe-not-kazan", name: "city ne Kazan", filters: [{ field: "city", ne: "Kazan" }] };
    const n2 = p.naive(AS_OF_2, [rest]);
    const expectedB = intersect(frozenA, n2.members(rest.code));
    expect(expectedB).toEqual(["C01", "C03", "C05"]);
    // The definition of A would now give other members, and B over it other members too.
    expect(sorted(n2.members("big-list"))).not.toEqual(sorted(frozenA));
    expect(sorted(n2.members("big-not-kazan"))).not.toEqual(expectedB);

    const second = p.run(AS_OF_2);
    expectSkippedRow(second, "big-list", "static", "static, frozen", frozenA.size);
    expect(p.ids("big-list", "members")).toEqual(sorted(frozenA));
    expect(contractRow(row(second, "big-not-kazan"))).toEqual(computedRow("big-not-kazan", "dynamic", n1.get("big-not-kazan")!, expectedB));
    expectOutputs(p, "big-not-kazan", n1.get("big-not-kazan")!, expectedB);
  });
});

describe("segment run: inactive segments", () => {
  /** Run 1 with moscow active; then moscow made inactive and C02 and C03 swap Kazan and Moscow. */
  function inactiveProject(): { p: Project; n1: Map<string, Set<string>>; first: RunSummary } {
    const p = new Project(baseShop(), pickDefs("moscow", "moscow-buyers", "big-spenders"));
    const n1 = p.naiveAll(AS_OF_1);
    const first = p.run(AS_OF_1);
    expectOutputs(p, "moscow", [], n1.get("moscow")!);
    p.writeSegment("moscow", DEFS.moscow.replace("name: Lives in Moscow\n", "name: Lives in Moscow\nactive: false\n"));
    expect((parseYaml(readFileSync(path.join(p.segmentsDir, "moscow.yaml"), "utf8")) as SegmentDef).active).toBe(false);
    p.writeShop(changedShop());
    return { p, n1, first };
  }

  it("an inactive segment is skipped, keeps its last members and records no diff", () => {
    const { p, n1 } = inactiveProject();
    const kept = n1.get("moscow")!;
    const n2 = p.naiveAll(AS_OF_2);
    // Its definition would now give other members (C02 left Moscow, C03 arrived).
    expect(sorted(n2.get("moscow")!)).not.toEqual(sorted(kept));

    const second = p.run(AS_OF_2);
    expectSkippedRow(second, "moscow", "dynamic", "inactive", kept.size);
    expect(p.ids("moscow", "members")).toEqual(sorted(kept));
    expect(p.history("--segment", "moscow").filter((e) => e.run_id === second.run_id)).toEqual([]);
    // An active one beside it is computed as usual.
    expect(contractRow(row(second, "big-spenders"))).toEqual(computedRow("big-spenders", "dynamic", n1.get("big-spenders")!, n2.get("big-spenders")!));
    expectOutputs(p, "big-spenders", n1.get("big-spenders")!, n2.get("big-spenders")!);
  });

  it("a segment referencing an inactive segment sees its last members", () => {
    const { p, n1 } = inactiveProject();
    const kept = n1.get("moscow")!;
    // moscow-buyers = moscow's kept members that have an order in the new data.
    const rest: SegmentDef = { code: "probe-has-order", name: "orders.count >= 1", filters: [{ field: "orders.count", gte: 1 }] };
    const n2 = p.naive(AS_OF_2, [rest]);
    const expected = intersect(kept, n2.members(rest.code));
    // By hand: kept moscow is C01, C02, C05, C08, all with an order by 2026-04-15.
    expect(expected).toEqual(["C01", "C02", "C05", "C08"]);
    // Over moscow's definition it would be C01, C03, C05, C08 instead.
    expect(sorted(n2.members("moscow-buyers"))).not.toEqual(expected);

    const second = p.run(AS_OF_2);
    expect(contractRow(row(second, "moscow-buyers"))).toEqual(computedRow("moscow-buyers", "dynamic", n1.get("moscow-buyers")!, expected));
    expectOutputs(p, "moscow-buyers", n1.get("moscow-buyers")!, expected);
  });
});

describe("segment run --dry-run", () => {
  it("evaluates and prints the summary but changes neither the state nor out/", () => {
    const p = new Project(baseShop(), pickDefs("moscow", "recent-buyers", "big-list"));
    const n1 = p.naiveAll(AS_OF_1);
    p.run(AS_OF_1);
    p.writeShop(changedShop());
    const n2 = p.naiveAll(AS_OF_2);
    const before = snapshot(p);
    expect(before.state, "run 1 made a state folder").not.toBeNull();
    expect(before.out, "run 1 wrote out/").not.toBeNull();

    const dry = p.run(AS_OF_2, "--dry-run");
    for (const code of ["moscow", "recent-buyers"]) {
      expect(contractRow(row(dry, code))).toEqual(computedRow(code, "dynamic", n1.get(code)!, n2.get(code)!));
    }
    expectSkippedRow(dry, "big-list", "static", "static, frozen", n1.get("big-list")!.size);
    expect(snapshot(p)).toEqual(before);

    // The real run then reports what the dry run said, and does change things.
    const real = p.run(AS_OF_2);
    expect(real.segments.map(contractRow)).toEqual(dry.segments.map(contractRow));
    expect(snapshot(p)).not.toEqual(before);
    for (const code of ["moscow", "recent-buyers"]) expectOutputs(p, code, n1.get(code)!, n2.get(code)!);
  });

  it("a dry run in a fresh folder creates neither the state folder nor out/", () => {
    const p = new Project(baseShop(), pickDefs("moscow", "big-list"));
    const n1 = p.naiveAll(AS_OF_1);
    const dry = p.run(AS_OF_1, "--dry-run");
    expect(contractRow(row(dry, "moscow"))).toEqual(computedRow("moscow", "dynamic", [], n1.get("moscow")!));
    expect(contractRow(row(dry, "big-list"))).toEqual(computedRow("big-list", "static", [], n1.get("big-list")!));
    expect(snapshot(p)).toEqual({ state: null, out: null });
  });
});

describe("segment history and list after runs", () => {
  /** Three runs over moscow, not-moscow and kazan while C02 moves Moscow -> Kazan -> Moscow. */
  function threeRuns(): { p: Project; runs: RunRecord[] } {
    const p = new Project(baseShop(), pickDefs("moscow", "not-moscow", "kazan"));
    const runs: RunRecord[] = [];
    const step = (shop: Shop, asOf: string) => {
      p.writeShop(shop);
      const members = p.naiveAll(asOf);
      runs.push({ run_id: p.run(asOf).run_id, as_of: asOf, members });
    };
    step(baseShop(), AS_OF_1);
    const moved = baseShop();
    customer(moved, "C02").city = "Kazan";
    step(moved, AS_OF_2);
    const back = baseShop();
    customer(back, "C09").city = "Moscow";
    step(back, AS_OF_3);
    expect(new Set(runs.map((r) => r.run_id)).size, "run ids differ").toBe(3);
    return { p, runs };
  }

  it("history --customer: a customer's enters and leaves over segments and runs, newest first", () => {
    const { p, runs } = threeRuns();
    const all = expectedEvents(runs);
    // By hand for C02: run 1 enters moscow; run 2 leaves moscow, enters not-moscow and kazan;
    // run 3 leaves not-moscow and kazan, enters moscow.
    const c02 = all.filter((e) => e.customer_id === "C02");
    expect(c02.map((e) => `${e.as_of} ${e.event} ${e.segment}`).sort()).toEqual([
      `${AS_OF_1} enter moscow`,
      `${AS_OF_2} enter kazan`,
      `${AS_OF_2} enter not-moscow`,
      `${AS_OF_2} leave moscow`,
      `${AS_OF_3} enter moscow`,
      `${AS_OF_3} leave kazan`,
      `${AS_OF_3} leave not-moscow`,
    ]);
    expectHistory(p.history("--customer", "C02"), c02, runs);
    // C09 (Novosibirsk, then Moscow in run 3).
    expectHistory(p.history("--customer", "C09"), all.filter((e) => e.customer_id === "C09"), runs);
    // C04 never changes: one enter, in run 1.
    expectHistory(p.history("--customer", "C04"), all.filter((e) => e.customer_id === "C04"), runs);
    expect(all.filter((e) => e.customer_id === "C04")).toHaveLength(1);
  });

  it("history --segment: every member's enters and leaves over three runs, newest first", () => {
    const { p, runs } = threeRuns();
    const all = expectedEvents(runs);
    for (const code of ["moscow", "not-moscow", "kazan"]) {
      const expected = all.filter((e) => e.segment === code);
      expect(expected.some((e) => e.event === "leave"), `${code} has a leave`).toBe(true);
      expectHistory(p.history("--segment", code), expected, runs);
    }
  });

  it("list --json: every defined segment with its members now and the entered/left of the last run that computed it", () => {
    const p = new Project(baseShop(), pickDefs("moscow", "recent-buyers", "big-list", "kazan"));
    const n1 = p.naiveAll(AS_OF_1);
    p.run(AS_OF_1);
    p.writeSegment("kazan", DEFS.kazan.replace("name: Lives in Kazan\n", "name: Lives in Kazan\nactive: false\n"));
    p.writeShop(changedShop());
    const n2 = p.naiveAll(AS_OF_2);
    p.run(AS_OF_2);

    const list = parseJson<{ segments: ListEntry[] }>(p.exec(["list", "--json"])).segments;
    expect(sorted(list.map((s) => s.code))).toEqual(["big-list", "kazan", "moscow", "recent-buyers"]);
    const entry = (code: string) => {
      const e = list.find((s) => s.code === code)!;
      return { code: e.code, name: e.name, type: e.type, active: e.active, members: e.members, entered: e.entered, left: e.left };
    };
    const size = (s: Set<string>) => s.size;
    // Dynamic and active: computed by run 2.
    for (const [code, name] of [["moscow", "Lives in Moscow"], ["recent-buyers", "Bought in the last 30 days"]]) {
      expect(entry(code)).toEqual({
        code, name, type: "dynamic", active: true, members: size(n2.get(code)!),
        entered: minus(n2.get(code)!, n1.get(code)!).length, left: minus(n1.get(code)!, n2.get(code)!).length,
      });
    }
    // Static, frozen in run 2: last computed by run 1, where all its members entered.
    expect(entry("big-list")).toEqual({
      code: "big-list", name: "Big spenders, frozen list", type: "static", active: true,
      members: size(n1.get("big-list")!), entered: size(n1.get("big-list")!), left: 0,
    });
    // Inactive in run 2: its last membership and the diff of run 1.
    expect(entry("kazan")).toEqual({
      code: "kazan", name: "Lives in Kazan", type: "dynamic", active: false,
      members: size(n1.get("kazan")!), entered: size(n1.get("kazan")!), left: 0,
    });
  });
});

