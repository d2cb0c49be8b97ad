/** Output files: a table written to a temp file beside its target, moved into place by the caller. */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { StagedFile } from "../fs-atomic.js";
import type { CellValue } from "../table/column.js";
import { stagedFileSink } from "./sink.js";
import { extensionOf, openWriter, writeTable, type Format, type IdRows, type TableSpec, type WriteReport, type WriterOptions } from "./writer.js";

/** Files and folders of outputs hold personal data: owner only, unless asked otherwise. */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** Writes one table to a staged file; on failure nothing is left behind. */
export async function stageTable(file: string, format: Format, options: WriterOptions, spec: TableSpec, rows: Iterable<readonly CellValue[]> | IdRows, mode = PRIVATE_FILE): Promise<{ staged: StagedFile; report: WriteReport }> {
  const out = stagedFileSink(file, mode);
  try {
    const report = await writeTable(openWriter(format, out.sink, options), spec, rows);
    return { staged: out.staged, report };
  } catch (e) {
    out.discard();
    throw e;
  }
}

/** `<dir>/<name>.<ext>` for a format, the folder created (0700) when missing. */
export function outputFile(dir: string, name: string, format: Format): string {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  return path.join(dir, `${name}.${extensionOf(format)}`);
}
