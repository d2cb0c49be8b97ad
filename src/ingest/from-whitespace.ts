/**
 * Whitespace-separated logs (`delimiter: whitespace`), such as CDNOW_master.txt: fields
 * are separated by runs of spaces or tabs, leading and trailing ones ignored; no quoting
 * (a field cannot hold a space). LF or CRLF line ends; empty lines skipped; the first line
 * is the header. Fixed-width files whose columns never touch read the same way.
 */
import { DataError, type Problem } from "../errors.js";
import { DEFAULT_LIMITS, LIMIT_KEYS } from "../config/load-config.js";
import { DEFAULT_BATCH, fieldCountMessage, limitError, type RawCell, type ReaderOptions, type RecordBatch } from "./records.js";
import { readText } from "./text-stream.js";

const SPLIT = /[ \t]+/;

/** Streams the records of a whitespace-separated export; the first record is the header. */
export async function* fromWhitespace(opts: ReaderOptions): AsyncGenerator<RecordBatch> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  let header: string[] | undefined;
  let rows: RawCell[][] = [];
  let lines: number[] = [];
  let line = 0;
  let rest = "";
  let yielded = false;
  const take = (text: string): void => {
    line++;
    if (text.length > limits.recordChars) throw limitError(opts.display, line, 1, "a line", limits.recordChars, "characters", LIMIT_KEYS.recordChars);
    const t = text.endsWith("\r") ? text.slice(0, -1).trim() : text.trim();
    if (t === "") return;
    const fields = t.split(SPLIT);
    if (fields.length > limits.columns) throw limitError(opts.display, line, limits.columns + 1, "a line", limits.columns, "fields", LIMIT_KEYS.columns);
    const long = fields.findIndex((f) => f.length > limits.fieldChars);
    if (long !== -1) throw limitError(opts.display, line, long + 1, "a field", limits.fieldChars, "characters", LIMIT_KEYS.fieldChars);
    if (!header) {
      header = fields;
      return;
    }
    if (fields.length !== header.length) {
      const problem: Problem = {
        file: opts.display, line, col: Math.min(fields.length, header.length) + 1,
        message: fieldCountMessage(fields.length, header.length),
        hint: "fields are separated by spaces or tabs, so a value cannot hold one: fix the row, or export with another delimiter",
      };
      opts.onBad(problem, t);
      return;
    }
    rows.push(fields);
    lines.push(line);
  };
  for await (const chunk of readText(opts.file, opts.display, opts.encoding)) {
    const text = rest + chunk;
    let start = 0;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", start)) {
      take(text.slice(start, i));
      start = i + 1;
    }
    rest = text.slice(start);
    if (rest.length > limits.recordChars) throw limitError(opts.display, line + 1, 1, "a line", limits.recordChars, "characters", LIMIT_KEYS.recordChars);
    if (rows.length >= batchSize && header) {
      yielded = true;
      yield { header, rows, lines };
      rows = [];
      lines = [];
    }
  }
  if (rest !== "") take(rest);
  if (!header) throw new DataError([{ file: opts.display, line: 1, col: 1, message: "the file is empty: the export needs a header line", hint: "export the file again with its header" }]);
  if (rows.length || !yielded) yield { header, rows, lines };
}
