/**
 * An xlsx from the writer, opened by a real spreadsheet: LibreOffice Calc converts it to CSV
 * (headless), and the cells read back as a user would see them — numbers, TRUE/FALSE, dates
 * and datetimes shown with the number formats the writer set, an id "007" kept as text.
 * Expected values are worked out by hand (comments). Skipped, with a warning, where soffice
 * is not installed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { stagedFileSink } from "../src/export/sink.js";
import { openWriter, writeTable, type TableSpec } from "../src/export/writer.js";
import { moveIntoPlace } from "../src/fs-atomic.js";
import type { CellValue } from "../src/table/column.js";
import { tempDir } from "./helpers.js";

const hasSoffice = spawnSync("which", ["soffice"]).status === 0;
if (!hasSoffice) console.warn("skipped: soffice not installed (LibreOffice Calc, e.g. Debian's libreoffice-calc-nogui); test/export-libreoffice.test.ts did not run");

const TIMEOUT_MS = 60_000;

// 2026-11-23 is day 20780 since 1970-01-01 (56 years with 14 leap days = 20454 days to
// 2026-01-01, + 304 days of Jan..Oct, + 22); 1999-12-31 is day 10956 (30 years with 7 leap
// days = 10957 days to 2000-01-01, - 1).
const D_2026_11_23 = 20780;
const D_1999_12_31 = 10956;

const SPEC: TableSpec = {
  name: "vip",
  columns: [
    { name: "id", type: "id" },
    { name: "name", type: "string" },
    { name: "total", type: "decimal" },
    { name: "orders.count", type: "integer" },
    { name: "vip", type: "bool" },
    { name: "birthday", type: "date" },
    { name: "last_order_at", type: "datetime" },
    { name: "phone", type: "string" },
    { name: "note", type: "string" },
  ],
};
const ROWS: CellValue[][] = [
  // 11:05Z in Moscow (UTC+3 all year) is 14:05.
  ["007", "Иван Петров", 12890.5, 3, true, D_2026_11_23, Date.UTC(2026, 10, 23, 11, 5, 0), null, "  padded  "],
  // 0.1 + 0.2 is written as 0.3; 22:30Z on Dec 31 + 3 h = 2027-01-01 01:30 in Moscow.
  ["c2", "=1+1", 0.1 + 0.2, -5, false, D_1999_12_31, Date.UTC(2026, 11, 31, 22, 30, 0), "+7 999 123-45-67", "plain"],
];

describe.skipIf(!hasSoffice)("an xlsx opened by LibreOffice Calc", () => {
  let cells: string[][] = [];

  beforeAll(async () => {
    const dir = tempDir("segment-lo-");
    // A profile of its own: a user's running LibreOffice (or another test run) holds a lock on theirs.
    const profile = tempDir("segment-lo-profile-");
    const file = path.join(dir, "vip.xlsx");
    const out = stagedFileSink(file, 0o600);
    await writeTable(openWriter("xlsx", out.sink, { timezone: "Europe/Moscow" }), SPEC, ROWS);
    moveIntoPlace([out.staged]);
    // 44,34,76,1: comma-separated, " quotes, UTF-8 (76), from line 1.
    const r = spawnSync("soffice", [
      `-env:UserInstallation=file://${profile}`, "--headless",
      "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", dir, file,
    ], { encoding: "utf8", timeout: TIMEOUT_MS });
    const csv = path.join(dir, "vip.csv");
    if (!existsSync(csv)) throw new Error(`soffice wrote no CSV (exit ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
    cells = parseCsv(readFileSync(csv, "utf8"), { bom: true, relax_quotes: false }) as string[][];
  }, TIMEOUT_MS);

  it("shows the typed cells as a user sees them", { timeout: TIMEOUT_MS }, () => {
    // Every column but `note` (the next test's).
    expect(cells.map((row) => row.slice(0, 8))).toEqual([
      ["id", "name", "total", "orders.count", "vip", "birthday", "last_order_at", "phone"],
      // "007" stays text (not the number 7); bools are TRUE/FALSE; the date and datetime are
      // shown with the writer's formats yyyy-mm-dd and yyyy-mm-dd hh:mm:ss; null is empty.
      ["007", "Иван Петров", "12890.5", "3", "TRUE", "2026-11-23", "2026-11-23 14:05:00", ""],
      // "=1+1" is text, not a formula that would show 2.
      ["c2", "=1+1", "0.3", "-5", "FALSE", "1999-12-31", "2027-01-01 01:30:00", "+7 999 123-45-67"],
    ]);
  });

  it("keeps the spaces around text", { timeout: TIMEOUT_MS }, () => {
    // exceljs (useSharedStrings: false) writes text as <c t="str"><v>  padded  </v></c>, a
    // formula-result string with no xml:space="preserve", which Calc trims to "padded"; the
    // writer puts such text in a rich-text run, written with xml:space="preserve".
    expect(cells.map((row) => row[8])).toEqual(["note", "  padded  ", "plain"]);
  });
});
