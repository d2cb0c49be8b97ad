/**
 * CSV: UTF-8, a header row, RFC 4180 quoting (a field holding the delimiter, a quote or a
 * line break is quoted, quotes doubled), LF line ends. Values as src/table/value-text.ts
 * `exportText` gives them. Text cells a spreadsheet would run as a formula get a leading
 * `'` unless `raw`; numbers never do. Rows are stringified in chunks by csv-stringify with
 * an explicit cast (its default casts turn dates and bools into surprises).
 */
import { stringify } from "csv-stringify/sync";
import type { CellValue } from "../table/column.js";
import { exportText } from "../table/value-text.js";
import { neutraliseFormula } from "./cells.js";
import type { Sink } from "./sink.js";
import { emptyReport, type ColumnSpec, type TableSpec, type TableWriter, type WriteReport, type WriterOptions } from "./writer.js";

/** Rows stringified at a time. */
const CHUNK = 512;

/** Types whose cells are text to a spreadsheet, and so may be read as a formula. */
const TEXT_TYPES = new Set(["id", "string", "list"]);

export class CsvWriter implements TableWriter {
  private columns: ColumnSpec[] = [];
  private text: boolean[] = [];
  private pending: string[][] = [];
  private readonly report = emptyReport();
  private started = false;

  constructor(private readonly sink: Sink, private readonly options: WriterOptions) {}

  async table(spec: TableSpec): Promise<void> {
    if (this.started) throw new Error("a CSV file holds one table");
    this.started = true;
    this.columns = spec.columns;
    this.text = spec.columns.map((c) => TEXT_TYPES.has(c.type));
    if (this.options.bom) await this.sink.write("\uFEFF");
    this.pending.push(spec.columns.map((c) => this.cell(c.name, true)));
  }

  row(values: readonly CellValue[]): Promise<void> | undefined {
    const cells = new Array<string>(this.columns.length);
    for (let i = 0; i < cells.length; i++) {
      const text = exportText(this.columns[i].type, values[i] ?? null, this.options.timezone);
      cells[i] = this.text[i] ? this.cell(text, true) : text;
    }
    this.pending.push(cells);
    this.report.rows++;
    return this.pending.length >= CHUNK ? this.flush() : undefined;
  }

  async end(): Promise<WriteReport> {
    await this.flush();
    await this.sink.end();
    return this.report;
  }

  private cell(text: string, isText: boolean): string {
    return isText && !this.options.raw ? neutraliseFormula(text) : text;
  }

  private flush(): Promise<void> | undefined {
    if (this.pending.length === 0) return undefined;
    const chunk = stringify(this.pending, {
      delimiter: this.options.delimiter ?? ",",
      record_delimiter: "unix",
      cast: { string: (v: string) => v },
      escape_formulas: false,
      // csv-stringify quotes the delimiter, quotes and LF; a lone CR must be quoted too, or
      // LibreOffice and Excel read it as a line end.
      quoted_match: /\r/,
    });
    this.pending = [];
    return this.sink.write(chunk);
  }
}
