/**
 * CSV: UTF-8, a header row, RFC 4180 quoting (a field holding the delimiter, a quote or a
 * line break is quoted, quotes doubled), LF line ends. Values as src/table/value-text.ts
 * `exportText` gives them. Text cells a spreadsheet would run as a formula get a leading
 * `'` unless `raw`; numbers never do.
 *
 * Every cell is text by the time it is written, so a line is the cells joined with the
 * delimiter, each quoted by csvField's rule. That is csv-stringify's output with the
 * options we gave it (cast strings as they are, LF line ends, a lone CR quoted too), at a
 * third of its cost: a first run at 1M customers writes 12M lines. A seeded test keeps the
 * two byte-equal (test/export-writers.test.ts).
 */
import type { CellValue } from "../table/column.js";
import { exportText } from "../table/value-text.js";
import { neutraliseFormula } from "./cells.js";
import type { Sink } from "./sink.js";
import { emptyReport, type ColumnSpec, type TableSpec, type TableWriter, type WriteReport, type WriterOptions } from "./writer.js";

/** Rows stringified at a time. */
const CHUNK = 512;
/**
 * Characters gathered before a write to the sink (its buffer's size). Each write is a
 * write(2) on libuv's threads, and handing one over costs the main thread about 40 µs: 512
 * rows of ids alone are 5 KB, so a first run at 1M customers made 20,000 writes of them and
 * spent 0.8 s on it.
 */
const WRITE_CHARS = 1 << 16;

/** Types whose cells are text to a spreadsheet, and so may be read as a formula. */
const TEXT_TYPES = new Set(["id", "string", "list"]);

export class CsvWriter implements TableWriter {
  private columns: ColumnSpec[] = [];
  private text: boolean[] = [];
  private pending: string[][] = [];
  /** Stringified chunks of rows not yet written, and their length. */
  private ready: string[] = [];
  private readyChars = 0;
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

  /**
   * Rows of a table whose one column is the customer id, one per id: the bytes row([id]) of
   * each would write, without a row array or a cell array per id. A first run at 1M
   * customers writes 6M of them.
   */
  async ids(ids: readonly string[]): Promise<void> {
    if (this.columns.length !== 1 || !this.text[0]) throw new Error("ids() writes a table of one text column");
    const d = this.options.delimiter ?? ",";
    this.stringifyPending();
    for (let from = 0; from < ids.length; from += CHUNK) {
      const to = Math.min(ids.length, from + CHUNK);
      let text = "";
      for (let k = from; k < to; k++) text += csvField(this.cell(ids[k], true), d) + "\n";
      this.ready.push(text);
      this.readyChars += text.length;
      this.report.rows += to - from;
      const wait = this.flush();
      if (wait) await wait;
    }
  }

  async end(): Promise<WriteReport> {
    await this.flush(true);
    await this.sink.end();
    return this.report;
  }

  private cell(text: string, isText: boolean): string {
    return isText && !this.options.raw ? neutraliseFormula(text) : text;
  }

  /** Stringifies the pending rows; writes what is gathered once it is WRITE_CHARS long, or with `all`. */
  private flush(all = false): Promise<void> | undefined {
    this.stringifyPending();
    if (this.readyChars === 0 || (!all && this.readyChars < WRITE_CHARS)) return undefined;
    const text = this.ready.join("");
    this.ready = [];
    this.readyChars = 0;
    return this.sink.write(text);
  }

  /** The pending rows (and header) as lines, after those gathered before. */
  private stringifyPending(): void {
    if (this.pending.length === 0) return;
    const d = this.options.delimiter ?? ",";
    const lines = new Array<string>(this.pending.length);
    for (let k = 0; k < this.pending.length; k++) {
      const cells = this.pending[k];
      let line = csvField(cells[0] ?? "", d);
      for (let i = 1; i < cells.length; i++) line += d + csvField(cells[i], d);
      lines[k] = line;
    }
    this.pending = [];
    const text = lines.join("\n") + "\n";
    this.ready.push(text);
    this.readyChars += text.length;
  }
}

/**
 * One field as RFC 4180 writes it: quoted, with quotes doubled, when it holds the delimiter,
 * a quote, LF or CR (a lone CR too, or LibreOffice and Excel read it as a line end).
 */
function csvField(text: string, delimiter: string): string {
  if (!(text.includes(delimiter) || text.includes('"') || text.includes("\n") || text.includes("\r"))) return text;
  return `"${text.replaceAll('"', '""')}"`;
}
