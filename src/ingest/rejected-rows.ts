/**
 * The rejected-rows files of `--max-bad-rows`: `out/rejected-<export>.csv`, one row per
 * skipped row with its line, column, reason and raw text. They are staged beside their
 * targets and moved into place only when the command succeeds; cells a spreadsheet would
 * run as a formula are neutralised (CLI.md), since the raw text comes from another system.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { discardStaged, moveIntoPlace, writeAside, type StagedFile } from "../fs-atomic.js";
import type { ExportName } from "../schema/exports.js";
import type { BadRows, RejectedRow } from "./bad-rows.js";

/** A rejected-rows file written. */
export interface RejectedFile {
  name: ExportName;
  file: string;
  rows: number;
}

/** The CSV text of one export's rejected rows. */
export function rejectedCsv(rows: RejectedRow[]): string {
  const records = rows.map((r) => [r.line === undefined ? "" : String(r.line), r.column, r.reason, r.raw]);
  return stringify([["line", "column", "reason", "row"], ...records], {
    escape_formulas: true,
    // Every cell is a string already; no default casts apply.
    cast: { string: (v: string) => v },
    record_delimiter: "unix",
  });
}

/** Writes every export's rejected rows into `outDir`, all or none. */
export function commitRejected(bad: BadRows, outDir: string): RejectedFile[] {
  const staged: StagedFile[] = [];
  const written: RejectedFile[] = [];
  try {
    for (const [name, rows] of bad.rejected) {
      if (rows.length === 0) continue;
      // Whole rows of customers: private, as every output (docs/reliability.md).
      mkdirSync(outDir, { recursive: true, mode: 0o700 });
      const file = path.join(outDir, `rejected-${name}.csv`);
      staged.push(writeAside(file, rejectedCsv(rows), 0o600));
      written.push({ name, file, rows: rows.length });
    }
    moveIntoPlace(staged);
  } catch (e) {
    discardStaged(staged);
    throw e;
  }
  return written;
}
