/**
 * Custom fields with many distinct values, through the binary: past 16,384 distinct values
 * a field some type fits is parsed as the export streams (src/ingest/custom-field.ts), and
 * one that turns out to be text late is read again as text, for the rows the first read
 * kept. The expected values are the texts this file writes, row by row.
 */
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, projectDir, segment } from "./helpers.js";

const ROWS = 20_000;
/** Row 0-based index of the text that makes `code` a text field, late in the file. */
const TEXT_AT = 19_990;

/** The customers export: `code` distinct numbers and one text; `seen` distinct datetimes; a bad birthday and a repeated id early on. */
function customers(): { csv: string; kept: Array<{ id: string; code: string; seen: string }> } {
  const lines = ["id,birthday,code,seen"];
  const kept: Array<{ id: string; code: string; seen: string }> = [];
  for (let i = 0; i < ROWS; i++) {
    const id = `C${String(i + 1).padStart(5, "0")}`;
    const code = i === TEXT_AT ? "n/a" : String(100_000 + 7 * i);
    const seen = new Date(Date.UTC(2026, 0, 1) + i * 61_000).toISOString().replace(".000", "");
    // Row 3000's birthday is no date, so the first read (which types birthday) skips it; the
    // re-read of `code` does not type birthday and sees it, and must not take its code.
    const birthday = i === 3000 ? "2025-13-45" : "1990-05-17";
    lines.push(`${id},${birthday},${code},${seen}`);
    if (i !== 3000) kept.push({ id, code, seen });
    // A repeat of the first id after row 5000: skipped as a duplicate.
    if (i === 5000) lines.push(`C00001,1991-01-01,999,2026-06-01T00:00:00Z`);
  }
  return { csv: lines.join("\n") + "\n", kept };
}

describe("custom fields of many distinct values", () => {
  const { csv, kept } = customers();
  const dir = projectDir({
    "customers.csv": csv,
    "segment.config.yaml": "data: .\nsegments: segments\ntimezone: UTC\n",
    "segments/everyone.yaml": "code: everyone\nname: Everyone with a birthday\ngroups:\n  - filters:\n      - { field: birthday, empty: false }\n",
    "segments/late-text.yaml": "code: late-text\nname: The late text\ngroups:\n  - filters:\n      - { field: custom.code, eq: \"n/a\" }\n",
    "segments/seen-late.yaml": "code: seen-late\nname: Seen late\ngroups:\n  - filters:\n      - { field: custom.seen, gte: 2026-01-14 }\n",
  });

  it("reads a many-valued field that turns text late as text, row for row, and a many-valued datetime as a datetime", () => {
    const fields = parseJson<{ fields: Array<{ field: string; type: string }> }>(segment(["fields", "--json", "--max-bad-rows", "5"], dir)).fields;
    expect(fields.find((f) => f.field === "custom.code")?.type).toBe("string");
    expect(fields.find((f) => f.field === "custom.seen")?.type).toBe("datetime");

    const r = segment(["export", "everyone", "--fresh", "--fields", "id,birthday,custom.code", "--format", "json", "--out", "-", "--max-bad-rows", "5"], dir);
    expectExit(r, 0);
    const rows = JSON.parse(r.stdout) as Array<{ id: string; "custom.code": string }>;
    expect(rows.length).toBe(kept.length);
    const byId = new Map(rows.map((x) => [x.id, x["custom.code"]]));
    for (const k of kept) expect(byId.get(k.id), k.id).toBe(k.code);
  });

  it("counts the late text once, and the datetimes past a bound as written", () => {
    const count = (code: string) => {
      const r = segment(["preview", code, "--json", "--max-bad-rows", "5"], dir);
      expectExit(r, 0);
      return parseJson<{ segments: Array<{ count: number }> }>(r).segments[0].count;
    };
    const counts = { "late-text": count("late-text"), "seen-late": count("seen-late") };
    expect(counts["late-text"]).toBe(1);
    // A datetime compares by its day (docs/segments.md): gte 2026-01-14 is from 13 days after
    // 2026-01-01 on. Row i is seen i x 61 s after it, so rows 18,414 (1,123,254 s; 13 days are
    // 1,123,200 s) to 19,999 pass: 1,586.
    const bound = Date.UTC(2026, 0, 14);
    expect(kept.filter((k) => Date.parse(k.seen) >= bound).length).toBe(1586);
    expect(counts["seen-late"]).toBe(1586);
  });
});
