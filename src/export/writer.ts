/**
 * The table writers: csv, xlsx (also for `xls`), xml, json and ndjson, one module each,
 * behind one interface. A writer is fed typed values (src/table/column.ts CellValue: dates
 * as day numbers, datetimes as epoch ms) with their column types, turns them into its
 * format through src/table/value-text.ts, and streams to a Sink with backpressure: memory
 * stays flat as rows grow. `run`, `export` and `rfm` all write through here.
 */
import type { CellValue } from "../table/column.js";
import type { ValueType } from "../table/value-type.js";
import { CsvWriter } from "./csv-writer.js";
import { JsonWriter } from "./json-writer.js";
import type { Sink } from "./sink.js";
import { XlsxWriter } from "./xlsx-writer.js";
import { XmlWriter } from "./xml-writer.js";

/** The file formats, as `--format` names them. */
export const FORMATS = ["csv", "xlsx", "xls", "xml", "json", "ndjson"] as const;
/** One of them. */
export type Format = (typeof FORMATS)[number];

/** The file extension of a format: `xls` writes an xlsx workbook, so it is named `.xlsx`. */
export function extensionOf(format: Format): string {
  return format === "xls" ? "xlsx" : format;
}

/** A column of an output table: its header (or key, or element) and its value type. */
export interface ColumnSpec {
  name: string;
  type: ValueType;
}

/** One table of an output: a sheet in a workbook; the whole file in the other formats. */
export interface TableSpec {
  /** The sheet name (xlsx), the element of each row (xml: `customer`). */
  name: string;
  columns: ColumnSpec[];
  /** xml: the name of each row's element (default `customer`). */
  rowElement?: string;
}

/** How values are written. */
export interface WriterOptions {
  /** IANA zone: datetimes are shown as wall time there. */
  timezone: string;
  /** csv: write cells a spreadsheet would run as a formula as they are (default: neutralised). */
  raw?: boolean;
  /** csv: start with a UTF-8 byte order mark, for Excel. */
  bom?: boolean;
  /** csv: the field delimiter (default `,`). */
  delimiter?: string;
  /** xml: the root element (default `customers`). */
  rootElement?: string;
  /** xlsx: data rows per sheet before a table continues on the next (default: Excel's limit). */
  sheetRows?: number;
}

/** What a writer did that the user should know. */
export interface WriteReport {
  rows: number;
  /** Control characters the format cannot hold, replaced by U+FFFD (xml, xlsx). */
  replacedControls: number;
  /** xlsx: text cells cut to Excel's limit of 32,767 characters. */
  truncatedCells: number;
  /** xlsx: tables that went on over more than one sheet, with the sheets they took. */
  continued: Array<{ table: string; sheets: string[] }>;
}

/**
 * Writes tables to a sink. `table()` starts one (only xlsx takes more than one); `row()`
 * returns a promise only when the sink wants the writer to wait; `end()` finishes the file.
 */
export interface TableWriter {
  table(spec: TableSpec): Promise<void>;
  row(values: readonly CellValue[]): Promise<void> | undefined;
  /** A table of one id column: what row([id]) of each id would write, made faster (csv). */
  ids?(ids: readonly string[]): Promise<void>;
  end(): Promise<WriteReport>;
}

/** The rows of a table whose every column is the customer id: one row per id. */
export interface IdRows {
  ids: readonly string[];
}

/** Opens a writer of `format` over a sink. */
export function openWriter(format: Format, sink: Sink, options: WriterOptions): TableWriter {
  switch (format) {
    case "csv": return new CsvWriter(sink, options);
    case "xlsx":
    case "xls": return new XlsxWriter(sink, options);
    case "xml": return new XmlWriter(sink, options);
    case "json": return new JsonWriter(sink, options, "array");
    case "ndjson": return new JsonWriter(sink, options, "lines");
  }
}

/** A report with nothing to say. */
export function emptyReport(): WriteReport {
  return { rows: 0, replacedControls: 0, truncatedCells: 0, continued: [] };
}

/** Writes rows to the current table, waiting whenever the writer asks to. */
export async function writeRows(writer: TableWriter, rows: Iterable<readonly CellValue[]>): Promise<void> {
  for (const r of rows) {
    const wait = writer.row(r);
    if (wait) await wait;
  }
}

/** Writes one table of rows to a writer and ends it. */
export async function writeTable(writer: TableWriter, spec: TableSpec, rows: Iterable<readonly CellValue[]> | IdRows): Promise<WriteReport> {
  await writer.table(spec);
  if (!("ids" in rows)) await writeRows(writer, rows);
  else if (writer.ids && spec.columns.length === 1) await writer.ids(rows.ids);
  else await writeRows(writer, idRows(rows.ids, spec.columns.length));
  return writer.end();
}

function* idRows(ids: readonly string[], width: number): Generator<CellValue[]> {
  for (const id of ids) yield new Array<CellValue>(width).fill(id);
}

/** What a report says the user should know, as warning lines (none when all went as written). */
export function reportWarnings(report: WriteReport, file: string): string[] {
  const out: string[] = [];
  for (const c of report.continued) out.push(`${file}: ${c.table} has more rows than an Excel sheet holds (1,048,576 with the header): it goes on in ${c.sheets.slice(1).join(", ")}`);
  if (report.replacedControls) out.push(`${file}: ${report.replacedControls} control characters the format cannot hold were replaced by U+FFFD`);
  if (report.truncatedCells) out.push(`${file}: ${report.truncatedCells} text cells were longer than Excel's 32,767 characters and were cut`);
  return out;
}
