/**
 * CSV reader on csv-parse in array mode (RFC 4180 quoting, CRLF), over decoded text.
 * Exports are read by the faster scanner in scan-csv.ts; this reader is kept as its oracle:
 * the scanner's tests compare the two on thousands of generated documents.
 */
import { CsvError, parse } from "csv-parse";
import { DataError, type Problem } from "../errors.js";
import { DEFAULT_BATCH, fieldCountHint, fieldCountMessage, type RawCell, type ReaderOptions, type RecordBatch } from "./records.js";
import { readText } from "./text-stream.js";

const HINT_FIELD_COUNT = "check for an unquoted delimiter or a missing cell; quote cells that hold the delimiter";
const HINT_QUOTE = "a quote inside a quoted cell must be doubled (\"\"); the rest of the file cannot be trusted past this point";

/** Streams the records of a CSV export; the first record is the header. */
export async function* fromCsv(opts: ReaderOptions): AsyncGenerator<RecordBatch> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const parser = parse({
    delimiter: opts.delimiter,
    relax_column_count: true,
    // Empty lines come through as [""] and are skipped below: counting them here keeps line
    // numbers right without csv-parse's per-record info objects (13% of the read time).
    skip_empty_lines: false,
    // Both line ends, even mixed in one file (exports glued from several sources have them).
    record_delimiter: ["\r\n", "\n"],
    bom: true,
  });
  const text = readText(opts.file, opts.display, opts.encoding);
  let feedError: unknown;
  const feed = (async () => {
    try {
      for await (const chunk of text) {
        if (parser.destroyed) break;
        // Wait for room, or for the parser to fail: a failed parser never drains.
        if (!parser.write(chunk)) await roomOrClose(parser);
      }
      if (!parser.destroyed) parser.end();
    } catch (e) {
      feedError = e;
      parser.destroy();
    }
  })();

  let header: string[] | undefined;
  let rows: RawCell[][] = [];
  let lines: number[] = [];
  let prevEnd = 0;
  let yielded = false;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      // csv-parse's own line count takes a CRLF inside quotes for two lines, so lines are
      // counted here from the newlines inside each record's fields.
      const line = prevEnd + 1;
      prevEnd = line + newlinesIn(record);
      if (record.length === 1 && record[0] === "") continue;
      if (!header) {
        header = record;
        continue;
      }
      if (record.length !== header.length) {
        const problem: Problem = {
          file: opts.display, line, col: Math.min(record.length, header.length) + 1,
          message: fieldCountMessage(record.length, header.length),
          hint: fieldCountHint(opts.delimiter, HINT_FIELD_COUNT),
        };
        opts.onBad(problem, record.join(opts.delimiter));
        continue;
      }
      rows.push(record);
      lines.push(line);
      if (rows.length >= batchSize) {
        yielded = true;
        yield { header, rows, lines };
        rows = [];
        lines = [];
      }
    }
  } catch (e) {
    await feed;
    if (feedError) throw feedError;
    const err = e as { code?: string; lines?: number; column?: number; message: string };
    // Not all of csv-parse's error codes start with CSV_ (INVALID_OPENING_QUOTE does not).
    if (e instanceof CsvError) {
      throw new DataError([{
        file: opts.display, line: err.lines ?? prevEnd + 1, col: (err.column ?? 0) + 1,
        message: `broken quoting: ${err.message.replace(/ at line \d+.*$/, "")}`, hint: HINT_QUOTE,
      }]);
    }
    throw e;
  }
  await feed;
  if (feedError) throw feedError;
  if (!header) throw new DataError([{ file: opts.display, line: 1, col: 1, message: "the file is empty: a CSV export needs a header row", hint: "export the file again with its header" }]);
  // A header-only file still yields once, so callers can check its columns.
  if (rows.length || !yielded) yield { header, rows, lines };
}

function newlinesIn(record: string[]): number {
  let n = 0;
  for (const field of record) {
    for (let i = field.indexOf("\n"); i !== -1; i = field.indexOf("\n", i + 1)) n++;
  }
  return n;
}

/** Resolves when the parser has room again or has closed (a failed parser never drains). */
function roomOrClose(parser: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      parser.off("drain", done);
      parser.off("close", done);
      resolve();
    };
    parser.on("drain", done);
    parser.on("close", done);
  });
}
