/**
 * `segment rfm` against the R package rfm 0.3's own outputs (../shared/data/rfm/expected,
 * produced by running the package in R; its README says how). The orders file is read as
 * it is, through a test config whose mapping renames its columns; customer ids are full
 * names with apostrophes. Skipped, with a message, where the data set is absent.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, ROOT, segment, tempDir } from "./helpers.js";

const SHARED = process.env.SEGMENT_SHARED_DATA ?? path.resolve(ROOT, "..", "shared", "data");
const RFM = path.join(SHARED, "rfm");
const EXPECTED = path.join(RFM, "expected");
if (!existsSync(RFM)) console.warn(`skipped: the public data set rfm is not at ${RFM}; test/rfm-package.test.ts did not check it`);

const csv = (file: string) => parseCsv(readFileSync(path.join(EXPECTED, file)), { columns: true }) as Array<Record<string, string>>;

/** A project over rfm_data_orders.csv with the given `rfm:` block (YAML, indented two spaces). */
function project(rfm: string): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  writeFileSync(path.join(dir, "segment.config.yaml"), [
    `data: ${JSON.stringify(RFM)}`, "segments: segments", "timezone: UTC",
    "sources:", "  orders:", "    file: rfm_data_orders.csv",
    "    columns: { customer_id: customer_id, created_at: order_date, total: revenue }",
    "rfm:", rfm, "",
  ].join("\n"));
  return dir;
}

interface Row { id: string; recency: number; frequency: number; monetary: number; r: number; f: number; m: number; score: string; segment: string }
interface Summary { cuts: Record<string, Array<{ score: number; lower: number; upper: number }>>; segments: Array<{ code: string; customers: number; orders: number; revenue: number; aov: number | null }> }

const table = (dir: string): Row[] => parseJson<Row[]>(segment(["rfm", "--as-of", "2006-12-31", "--format", "json"], dir));
const summary = (dir: string): Summary => parseJson<Summary>(segment(["rfm", "--as-of", "2006-12-31", "--json"], dir));

/** The package's thresholds table (a row per bin, lower edges ascending) from our cut points: recency scores run the other way. */
function thresholdRows(cuts: Summary["cuts"]): Array<Record<string, number>> {
  const byBin = (m: string) => [...cuts[m]].sort((a, b) => a.lower - b.lower);
  const r = byBin("recency"), f = byBin("frequency"), m = byBin("monetary");
  // R prints 15 significant digits: 297.4000000000001 is its 297.4.
  const p = (x: number) => Number(x.toPrecision(15));
  return r.map((_, i) => ({ recency_lower: p(r[i].lower), recency_upper: p(r[i].upper), frequency_lower: p(f[i].lower), frequency_upper: p(f[i].upper), monetary_lower: p(m[i].lower), monetary_upper: p(m[i].upper) }));
}

function expectTable(rows: Row[], expected: Array<Record<string, string>>): void {
  expect(rows).toHaveLength(expected.length);
  const by = new Map(rows.map((r) => [r.id, r]));
  for (const e of expected) {
    const got = by.get(e.customer_id);
    expect(got, e.customer_id).toBeDefined();
    expect([got!.recency, got!.frequency, got!.monetary, got!.r, got!.f, got!.m, got!.score], e.customer_id).toEqual([
      Number(e.recency_days), Number(e.transaction_count), Number(e.amount), Number(e.recency_score), Number(e.frequency_score), Number(e.monetary_score), e.rfm_score,
    ]);
  }
}

/** The package's rules file as our `rfm.segments`. */
function rulesYaml(file: string): string {
  return "  segments:\n" + csv(file).map((r) => `    - { code: ${JSON.stringify(r.segment)}, r: [${r.recency_lower}, ${r.recency_upper}], f: [${r.frequency_lower}, ${r.frequency_upper}], m: [${r.monetary_lower}, ${r.monetary_upper}] }`).join("\n");
}

describe.skipIf(!existsSync(RFM))("segment rfm reproduces the R package rfm 0.3", () => {
  it("method quantile, as of 2006-12-31: every customer's recency, orders, amount and scores; the thresholds", () => {
    const dir = project("  method: quantile");
    expectTable(table(dir), csv("order_default.csv"));
    expect(thresholdRows(summary(dir).cuts)).toEqual(csv("order_default_thresholds.csv").map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]))));
    expect(table(dir).map((r) => r.id)).toContain("Abbey O'Reilly");
  }, 120_000);

  it("several as-of days in one pass: the package's day as the package scores it, an earlier day as its own run does", () => {
    const dir = project("  method: quantile");
    const rows = parseJson<Array<Row & { as_of: string }>>(segment(["rfm", "--as-of", "2006-06-30,2006-12-31", "--format", "json"], dir));
    expectTable(rows.filter((r) => r.as_of === "2006-12-31"), csv("order_default.csv"));
    const june = parseJson<Row[]>(segment(["rfm", "--as-of", "2006-06-30", "--format", "json"], dir));
    expect(rows.filter((r) => r.as_of === "2006-06-30").map(({ as_of: _d, ...r }) => r)).toEqual(june);
  }, 120_000);

  it("method thresholds with the package's custom cut points", () => {
    const dir = project("  method: thresholds\n  thresholds: { recency: [115, 181, 297, 482], frequency: [4, 5, 6, 8], monetary: [256, 382, 506, 666] }");
    expectTable(table(dir), csv("order_custom.csv"));
    expect(thresholdRows(summary(dir).cuts)).toEqual(csv("order_custom_thresholds.csv").map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]))));
  }, 120_000);

  for (const rules of ["test", "example"]) {
    it(`the segment rules of the package's ${rules === "test" ? "tests" : "example"}: each customer's segment, and the summary`, () => {
      const dir = project(`  method: quantile\n${rulesYaml(`segments_${rules}_rules.csv`)}`);
      const segments = new Map(table(dir).map((r) => [r.id, r.segment]));
      // The package names the customers no rule fits "Others"; segment calls them `others`.
      const name = (s: string) => (s === "Others" ? "others" : s);
      for (const e of csv(`order_default_segments_${rules}_rules.csv`)) expect(segments.get(e.customer_id), e.customer_id).toBe(name(e.segment));
      const got = summary(dir).segments.filter((s) => s.customers > 0);
      const want = csv(`order_default_segment_summary_${rules}_rules.csv`).map((e) => ({ code: name(e.segment), customers: Number(e.customers), orders: Number(e.orders), revenue: Number(e.revenue), aov: Number(e.aov) }));
      expect(got.map((s) => ({ code: s.code, customers: s.customers, orders: s.orders, revenue: s.revenue, aov: s.aov })).sort((a, b) => a.code.localeCompare(b.code))).toEqual(want.sort((a, b) => a.code.localeCompare(b.code)));
    }, 120_000);
  }

  it("rfm.* in definitions: the package's Champions (example rules) and recency score 5, counted from its files", () => {
    const dir = project("  method: quantile");
    writeFileSync(path.join(dir, "segments", "best.yaml"), "- code: champions\n  name: RFM champions\n  filters: [{ field: rfm.segment, eq: champions }]\n- code: recent\n  name: Recent\n  filters: [{ field: rfm.r, gte: 5 }, { field: rfm.score, starts_with: \"5\" }]\n");
    const champions = csv("order_default_segment_summary_example_rules.csv").find((e) => e.segment === "Champions")!;
    const recent = csv("order_default.csv").filter((e) => e.recency_score === "5").length;
    const p = (code: string) => parseJson<{ segments: Array<{ count: number }> }>(segment(["preview", code, "--as-of", "2006-12-31", "--json"], dir)).segments[0].count;
    expect(p("champions")).toBe(Number(champions.customers));
    expect(p("recent")).toBe(recent);
  }, 120_000);

  it("a bad rules list or thresholds is a config error at its line", () => {
    const r = segment(["rfm"], project("  method: thresholds\n  thresholds: { recency: [115, 100, 297, 482], frequency: [4, 5, 6], monetary: [256, 382, 506, 666] }"));
    expectExit(r, 2);
    expect(r.stderr).toMatch(/segment\.config\.yaml:\d+:\d+: rfm\.thresholds\.recency: expected 4 increasing numbers/);
    expect(r.stderr).toMatch(/rfm\.thresholds\.frequency: expected 4 increasing numbers/);
    const s = segment(["rfm"], project("  segments:\n    - { code: all, r: [1, 5], f: [1, 5], m: [1, 5] }\n    - { code: never, r: [5, 5], f: [1, 5], m: [1, 6] }"));
    expectExit(s, 2);
    expect(s.stderr).toContain("rfm.segments[1].m: expected a score range [low, high] within 1..5");
    const w = segment(["rfm", "--as-of", "2006-12-31"], project("  segments:\n    - { code: all, r: [1, 5], f: [1, 5], m: [1, 5] }\n    - { code: never, r: 5, f: 5, m: 5 }"));
    expectExit(w, 0);
    expect(w.stderr).toContain("the rule `never` is never reached");
  }, 120_000);
});
