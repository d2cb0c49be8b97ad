/**
 * The one small interface every export reader implements: batches of raw records in source
 * column order, each with its line, and a callback for rows that cannot be read at all.
 * A faster scanner can replace a reader without touching the callers.
 */
import type { Limits } from "../config/load-config.js";
import { DataError, type Problem } from "../errors.js";
import type { CellBlock } from "./scan-bytes.js";

/** A raw cell as read: text from CSV; any JSON value from JSON. */
export type RawCell = string | number | boolean | null | undefined | object;

/** A batch of raw records. `header` is the source column names known so far (JSON may add more). */
export interface RecordBatch {
  header: string[];
  rows: RawCell[][];
  /** Line of each row's first character in the file (1-based). */
  lines: number[];
  /** The file the rows came from, as messages show it (set for exports of several files). */
  display?: string;
  /** The rows as ranges of one text, when the CSV reader scanned bytes (`rows` is then empty). */
  cells?: CellBlock;
}

/** The number of rows of a batch. */
export function rowCount(batch: RecordBatch): number {
  return batch.cells ? batch.cells.length : batch.rows.length;
}

/** Row r of a batch as cells. */
export function recordAt(batch: RecordBatch, r: number): RawCell[] {
  return batch.cells ? batch.cells.record(r) : batch.rows[r];
}

/** Receives a row that cannot be read; it throws to stop the read, or returns to skip the row. */
export type BadRowHandler = (problem: Problem, raw: string) => void;

/** Options common to all readers. */
export interface ReaderOptions {
  /** Path to open. */
  file: string;
  /** Name shown in messages. */
  display: string;
  encoding: string;
  delimiter: string;
  onBad: BadRowHandler;
  /** Rows per batch. */
  batchSize?: number;
  /** Size limits; the defaults when not given. */
  limits?: Limits;
  /** Source columns the config ignores (a JSON reader does not refuse their repeats). */
  ignore?: readonly string[];
  /**
   * CSV: given the header, the columns the caller reads (1) and does not (0). The reader may
   * then give an unread field as blanks of its length: rows, lines, limits and errors are
   * as without it; only the text of unread fields (and so the raw text given to onBad) is
   * not. Undefined from it: every column is read.
   */
  project?: (header: string[]) => Uint8Array | undefined;
  /** CSV with `project`: scan bytes where the file allows (the default), or always decoded text. */
  byteScan?: boolean;
  /** Bytes read from the file at a time (tests make it small to cut records and characters). */
  chunkBytes?: number;
}

/** JSON values nested deeper than this in a row are refused (no export nests more than a few levels). */
export const MAX_JSON_DEPTH = 64;

/**
 * The error of a limit passed, naming the config key that raises it: `what` is "a cell",
 * `unit` "characters" (a cell of more than 1,000,000 characters (limits.field_chars)).
 */
export function limitError(file: string, line: number | undefined, col: number | undefined, what: string, limit: number, unit: string, key: string): DataError {
  return new DataError([{
    file, line, col,
    message: `${what} of more than ${limit.toLocaleString("en-US")} ${unit} (limits.${key})`,
    hint: `a damaged file? If it is genuine, raise \`limits: { ${key}: N }\` in segment.config.yaml`,
  }]);
}

/** True when a JSON value nests arrays or objects more than `max` deep (walked without recursion). */
export function nestedDeeper(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    for (const x of Object.values(v)) if (typeof x === "object" && x !== null) stack.push([x, depth + 1]);
  }
  return false;
}

/** Reads records from one export file. */
export type RecordReader = (opts: ReaderOptions) => AsyncGenerator<RecordBatch>;

/** Rows per batch unless a reader is told otherwise. */
export const DEFAULT_BATCH = 4096;

/** The message for a row whose field count is not the header's. */
export function fieldCountMessage(got: number, want: number): string {
  return `the row has ${got} fields, the header has ${want}`;
}

/** The hint for a row whose field count is off: a space or tab delimiter suggests a padded log. */
export function fieldCountHint(delimiter: string, otherwise: string): string {
  return delimiter === " " || delimiter === "\t" ? "columns padded with several spaces or tabs (a log, a fixed-width file)? set `delimiter: whitespace` for the source" : otherwise;
}
