/**
 * The rejected-rows files of --max-bad-rows: formula cells neutralised (CLI.md), written
 * only when the command succeeds, and a failed command leaves the previous ones as they were.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { rejectedCsv } from "../src/ingest/rejected-rows.js";
import { segment, tempDir } from "./helpers.js";

/** A shop whose orders have two unreadable rows: one total a formula, one row starting with `=` and a date an @-command. */
function shop(): string {
  const dir = tempDir("segment-rejected-");
  mkdirSync(path.join(dir, "data"));
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  writeFileSync(path.join(dir, "data", "customers.csv"), "id,city\nc1,Moscow\nc2,Paris\n");
  writeFileSync(path.join(dir, "data", "orders.csv"), [
    "id,customer_id,created_at,total",
    "o1,c1,2026-11-01T10:00:00Z,100",
    'o2,c1,2026-11-02T10:00:00Z,"=HYPERLINK(""http://x"")"',
    "=o3,c2,@SUM(1),20",
    "o4,c2,2026-11-03T10:00:00Z,30",
  ].join("\n") + "\n");
  writeFileSync(path.join(dir, "segments", "buyers.yaml"), "code: buyers\nname: b\nfilters: [{ field: orders.count, gte: 1 }]\n");
  writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\nout: out\n");
  return dir;
}

describe("rejected rows", () => {
  it("neutralises cells a spreadsheet would run as a formula", () => {
    const text = rejectedCsv([
      { line: 3, column: "total", reason: "expected a number", raw: '=HYPERLINK("http://x")' },
      { line: 4, column: "created_at", reason: "expected a datetime", raw: "+1,-2" },
      { line: undefined, column: "x", reason: "@reason", raw: "plain, text" },
    ]);
    const rows = parse(text) as string[][];
    expect(rows).toEqual([
      ["line", "column", "reason", "row"],
      ["3", "total", "expected a number", `'=HYPERLINK("http://x")`],
      ["4", "created_at", "expected a datetime", "'+1,-2"],
      ["", "x", "'@reason", "plain, text"],
    ]);
  });

  it("are written when the command succeeds, neutralised", () => {
    const dir = shop();
    const r = segment(["preview", "buyers", "--max-bad-rows", "5", "--as-of", "2026-11-23"], dir);
    expect(r.code, r.stderr).toBe(0);
    // o2 and o3 are skipped: c1 keeps o1, c2 keeps o4.
    expect(r.stdout).toContain("2 of 2 customers");
    const rows = parse(readFileSync(path.join(dir, "out", "rejected-orders.csv"), "utf8")) as string[][];
    expect(rows.map((x) => [x[0], x[1]])).toEqual([["line", "column"], ["3", "total"], ["4", "created_at"]]);
    // The row cell of o2 starts with "o": a spreadsheet shows it as text. The row of =o3 would run.
    expect(rows[1][3]).toBe(`o2,c1,2026-11-02T10:00:00Z,=HYPERLINK("http://x")`);
    expect(rows[2][3]).toBe("'=o3,c2,@SUM(1),20");
    // No temp file is left beside it.
    expect(existsSync(path.join(dir, "out"))).toBe(true);
    expect(readdir(path.join(dir, "out"))).toEqual(["rejected-orders.csv"]);
  });

  it("are not written, and earlier ones stay as they were, when the command fails", () => {
    const dir = shop();
    mkdirSync(path.join(dir, "out"));
    writeFileSync(path.join(dir, "out", "rejected-orders.csv"), "from an earlier run\n");
    // Too many bad rows: the second one stops the command with exit 3.
    const r = segment(["preview", "buyers", "--max-bad-rows", "1", "--as-of", "2026-11-23"], dir);
    expect(r.code, r.stderr).toBe(3);
    expect(readFileSync(path.join(dir, "out", "rejected-orders.csv"), "utf8")).toBe("from an earlier run\n");
    expect(readdir(path.join(dir, "out"))).toEqual(["rejected-orders.csv"]);
  });
});

describe("rejected rows with columns no segment reads", () => {
  // A run reads only the columns its plans name, and past the first 1 MiB the CSV scanner
  // cuts no text for the others (CsvScanner.keep); with --max-bad-rows the whole row is
  // kept for this file. 30,000 good orders (2 MB) put the bad one past the first chunk.
  it("keep the text of the unread columns, and the error names the read one", () => {
    const dir = shop();
    const good = Array.from({ length: 30000 }, (_, k) => `g${k},c1,2026-11-01T10:00:00Z,100,first order,no`);
    writeFileSync(path.join(dir, "data", "orders.csv"), [
      "id,customer_id,created_at,total,note,gift_card",
      ...good,
      "o2,c1,2026-11-02T10:00:00Z,lots,leave at the door,yes",
      "o4,c2,2026-11-03T10:00:00Z,30,,no",
    ].join("\n") + "\n");
    const r = segment(["preview", "buyers", "--max-bad-rows", "5", "--as-of", "2026-11-23"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("2 of 2 customers");
    const rows = parse(readFileSync(path.join(dir, "out", "rejected-orders.csv"), "utf8")) as string[][];
    // The header is line 1 and the good orders lines 2 to 30001.
    expect(rows.slice(1)).toEqual([["30002", "total", "expected a number such as 1234.56", "o2,c1,2026-11-02T10:00:00Z,lots,leave at the door,yes"]]);
    // Without --max-bad-rows the same row stops the preview at its line, column 4 (total).
    const stop = segment(["preview", "buyers", "--as-of", "2026-11-23"], dir);
    expect(stop.code).toBe(3);
    expect(stop.stderr).toContain("orders.csv:30002:4");
  });
});

function readdir(dir: string): string[] {
  return (existsSync(dir) ? readdirSync(dir) : []).sort();
}
