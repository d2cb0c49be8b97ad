/**
 * The one small interface every export reader implements: batches of raw records in source
 * column order, each with its line, and a callback for rows that cannot be read at all.
 * A faster scanner can replace a reader without touching the callers.
 */
import type { Problem } from "../errors.js";

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
