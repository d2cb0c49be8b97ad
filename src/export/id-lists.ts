/**
 * Writers of id lists (a segment's members, entered, left) as csv, json or ndjson: one row
 * or object per customer with the id in the column (or key) `id`. Files are staged beside
 * their targets (mode 0600, folders 0700) and moved into place by the caller when the run
 * commits. CSV cells a spreadsheet would run as a formula are neutralised (CLI.md).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { writeAside, type StagedFile } from "../fs-atomic.js";

/** The formats of id lists. */
export const ID_LIST_FORMATS = ["csv", "json", "ndjson"] as const;
/** One of them. */
export type IdListFormat = (typeof ID_LIST_FORMATS)[number];

/** The text of an id list in a format. */
export function idListText(ids: readonly string[], format: IdListFormat): string {
  switch (format) {
    case "csv":
      return stringify([["id"], ...ids.map((id) => [id])], { escape_formulas: true, cast: { string: (v: string) => v }, record_delimiter: "unix" });
    case "json":
      return ids.length === 0 ? "[]\n" : `[\n${ids.map((id) => JSON.stringify({ id })).join(",\n")}\n]\n`;
    case "ndjson":
      return ids.map((id) => JSON.stringify({ id }) + "\n").join("");
  }
}

/** Stages `<dir>/<name>.<ext>` for each format. */
export function stageIdList(dir: string, name: string, ids: readonly string[], formats: readonly IdListFormat[]): StagedFile[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return formats.map((f) => writeAside(path.join(dir, `${name}.${f}`), idListText(ids, f), 0o600));
}
