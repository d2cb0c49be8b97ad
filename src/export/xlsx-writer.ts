/**
 * XLSX (also for `--format xls`: no maintained library writes legacy BIFF .xls, so `xls`
 * is the same workbook, named .xlsx so Excel opens it without a format warning).
 *
 * Written with exceljs's streaming WorkbookWriter, shared strings off (they cost memory per
 * distinct string). Cells keep their types: numbers are numbers, bools bools, dates real
 * date cells (`yyyy-mm-dd`), datetimes date cells with the time (`yyyy-mm-dd hh:mm:ss`)
 * holding the wall time in the configured zone (Excel has no zones: a cell shows what a
 * clock in the shop showed), lists their items joined by `;`, nulls empty cells. The header
 * row is bold, frozen and filterable; column widths are fitted to the header and the first
 * rows. Text Excel cannot hold is mended and counted: XML-forbidden control characters
 * become U+FFFD, cells over 32,767 characters are cut.
 *
 * A sheet holds at most 1,048,576 rows; a longer table goes on in a second sheet named
 * `<name> (2)`, and the report says so. exceljs has no backpressure of its own: the writer
 * waits whenever the zip stream behind the sheet has more than a few MB queued, and yields
 * to the event loop every few thousand rows, so memory stays flat.
 */
import { Writable } from "node:stream";
import { createRequire } from "node:module";
import type ExcelJS from "exceljs";

/**
 * exceljs, loaded when the first workbook is written: importing it takes about 0.5 s,
 * which every other command (and every other format) would pay at start-up.
 */
let excel: typeof ExcelJS | undefined;
const loadExcel = (): typeof ExcelJS => (excel ??= createRequire(import.meta.url)("exceljs") as typeof ExcelJS);
import type { CellValue } from "../table/column.js";
import { DAY_MS, zoneOffsetMs } from "../table/time.js";
import { tidyDecimal, valueText } from "../table/value-text.js";
import { xmlSafe } from "./cells.js";
import type { Sink } from "./sink.js";
import { emptyReport, type ColumnSpec, type TableSpec, type TableWriter, type WriteReport, type WriterOptions } from "./writer.js";

/** Rows of a sheet, the header included (Excel's limit). */
export const EXCEL_MAX_ROWS = 1_048_576;
/** Characters a cell holds (Excel's limit). */
export const EXCEL_MAX_CELL = 32_767;
/** Rows looked at to fit the column widths. */
const WIDTH_SAMPLE = 200;
/** Rows between yields to the event loop. */
const YIELD_EVERY = 2_000;
/** Bytes queued in the zip stream before the writer waits for it. */
const QUEUE_LIMIT = 4 << 20;

const DATE_FORMAT = "yyyy-mm-dd";
const DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss";

type Worksheet = ExcelJS.Worksheet;
type Excel = string | number | boolean | Date | null | { richText: Array<{ text: string }> };

/** The stream behind a sheet: a PassThrough of the readable-stream package (no writableLength there). */
interface QueueStream {
  writableLength?: number;
  _writableState?: { length?: number };
}

/** Bytes waiting in such a stream. */
function queuedBytes(s: QueueStream): number {
  if (typeof s.writableLength === "number") return s.writableLength;
  const n = s._writableState?.length;
  return typeof n === "number" ? n : 0;
}

interface Sheet {
  ws: Worksheet;
  rows: number;
}

export class XlsxWriter implements TableWriter {
  private readonly wb: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly report = emptyReport();
  private readonly sheetNames = new Set<string>();
  private spec?: TableSpec;
  private sheet?: Sheet;
  private sheetsOfTable: string[] = [];
  private sample: Excel[][] = [];
  private formats: (string | undefined)[] = [];
  private widths?: number[];
  private sinceYield = 0;
  private readonly sheetRows: number;
  private failure?: Error;

  constructor(private readonly sink: Sink, private readonly options: WriterOptions) {
    this.sheetRows = options.sheetRows ?? EXCEL_MAX_ROWS - 1;
    // exceljs pipes its zip into this; each chunk is passed on when the sink has room. A
    // failed sink fails the adapter, which fails the workbook's commit and stops the rows.
    const adapter = new Writable({
      write(chunk: Buffer, _enc, cb) {
        let wait: Promise<void> | undefined;
        try {
          wait = sink.write(chunk);
        } catch (e) {
          cb(e as Error);
          return;
        }
        if (wait) wait.then(() => cb(), cb);
        else cb();
      },
    });
    adapter.on("error", (e) => {
      this.failure ??= e;
    });
    this.wb = new (loadExcel().stream.xlsx.WorkbookWriter)({ stream: adapter, useStyles: true, useSharedStrings: false });
  }

  async table(spec: TableSpec): Promise<void> {
    await this.closeTable();
    this.spec = spec;
    this.formats = spec.columns.map((c) => (c.type === "date" ? DATE_FORMAT : c.type === "datetime" ? DATETIME_FORMAT : undefined));
    this.sheetsOfTable = [];
    this.sample = [];
    this.widths = undefined;
  }

  row(values: readonly CellValue[]): Promise<void> | undefined {
    const spec = this.spec;
    if (!spec) throw new Error("no table was started");
    if (this.failure) throw this.failure;
    const cells = new Array<Excel>(spec.columns.length);
    for (let i = 0; i < cells.length; i++) cells[i] = this.cell(spec.columns[i], values[i] ?? null);
    this.report.rows++;
    if (!this.sheet && this.sample.length < WIDTH_SAMPLE) {
      this.sample.push(cells);
      return undefined;
    }
    this.flushHeld();
    this.put(cells);
    if (++this.sinceYield >= YIELD_EVERY) {
      this.sinceYield = 0;
      return this.breathe();
    }
    return undefined;
  }

  async end(): Promise<WriteReport> {
    await this.closeTable();
    if (this.failure) throw this.failure;
    await this.wb.commit();
    await this.sink.end();
    return this.report;
  }

  /** Writes the rows held for the widths, then commits the current table's last sheet. */
  private async closeTable(): Promise<void> {
    if (!this.spec) return;
    this.flushHeld();
    if (!this.sheet) this.sheet = this.openSheet(this.spec);
    this.commitSheet();
    if (this.sheetsOfTable.length > 1) this.report.continued.push({ table: this.spec.name, sheets: [...this.sheetsOfTable] });
    this.spec = undefined;
    await this.breathe();
  }

  /** Writes the rows held back to fit the widths (once per table). */
  private flushHeld(): void {
    if (this.sample.length === 0) return;
    this.widths ??= this.spec!.columns.map((c, i) => this.width(c, i));
    const held = this.sample;
    this.sample = [];
    for (const cells of held) this.put(cells);
  }

  private openSheet(spec: TableSpec): Sheet {
    const name = this.sheetName(this.sheetsOfTable.length === 0 ? spec.name : `${spec.name} (${this.sheetsOfTable.length + 1})`);
    this.sheetsOfTable.push(name);
    const ws = this.wb.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1, xSplit: 0 }] });
    this.widths ??= spec.columns.map((c, i) => this.width(c, i));
    ws.columns = spec.columns.map((c, i) => ({ key: `c${i}`, width: this.widths![i] }));
    const header = ws.addRow(spec.columns.map((c) => c.name));
    header.font = { bold: true };
    header.commit();
    return { ws, rows: 0 };
  }

  /** Writes a row, starting the table's first sheet, or the next one when this one is full. */
  private put(cells: Excel[]): void {
    if (this.sheet && this.sheet.rows >= this.sheetRows) this.commitSheet();
    this.sheet ??= this.openSheet(this.spec!);
    const sheet = this.sheet;
    const row = sheet.ws.addRow(cells);
    for (let i = 0; i < cells.length; i++) {
      const fmt = this.formats[i];
      if (fmt && cells[i] !== null) row.getCell(i + 1).numFmt = fmt;
    }
    row.commit();
    sheet.rows++;
  }

  private commitSheet(): void {
    const sheet = this.sheet;
    if (!sheet) return;
    const n = this.spec!.columns.length;
    sheet.ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: sheet.rows + 1, column: n } };
    sheet.ws.commit();
    this.sheet = undefined;
  }

  /** Lets the zip stream catch up: always a turn of the event loop; longer while it is full. */
  private async breathe(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const dest = this.zipQueue();
    // Wait while the zip is behind, until it has taken half the queue in: polled, since the
    // queue's own 'drain' comes only once it is empty, which would leave the zip idle.
    if (dest && queuedBytes(dest) >= QUEUE_LIMIT) {
      while (queuedBytes(dest) >= QUEUE_LIMIT / 2 && !this.failure) await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
    if (this.failure) throw this.failure;
    await this.sink.drained();
  }

  /**
   * The stream the open sheet's XML queues in before the zip takes it: exceljs 4.4's
   * StreamBuf keeps its consumers in `pipes`, and writes to them without waiting, so this
   * writer waits instead. (A later exceljs without them just gets the yields.)
   */
  private zipQueue(): QueueStream | undefined {
    return (this.sheet?.ws as unknown as { stream?: { pipes?: QueueStream[] } } | undefined)?.stream?.pipes?.[0];
  }

  private cell(col: ColumnSpec, v: CellValue): Excel {
    if (v === null) return null;
    switch (col.type) {
      case "integer": return v as number;
      case "decimal": return tidyDecimal(v as number);
      case "bool": return v as boolean;
      // exceljs writes a Date from its UTC fields: give it the wall time as if it were UTC.
      case "date": return new Date((v as number) * DAY_MS);
      case "datetime": return new Date((v as number) + zoneOffsetMs(this.options.timezone, v as number));
      case "list": return (v as string[]).length ? this.text(valueText(col.type, v)) : null;
      default: return this.text(valueText(col.type, v));
    }
  }

  private text(s: string): Excel {
    const safe = xmlSafe(s);
    this.report.replacedControls += safe.replaced;
    let text = safe.text;
    if (text.length > EXCEL_MAX_CELL) {
      this.report.truncatedCells++;
      // Cut on a code point, not inside a surrogate pair.
      let cut = EXCEL_MAX_CELL;
      const code = text.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
      text = text.slice(0, cut);
    }
    // A plain text cell drops leading and trailing spaces in LibreOffice; a rich-text run
    // is written with xml:space="preserve" and keeps them.
    if (/^\s|\s$/.test(text)) return { richText: [{ text }] };
    return text;
  }

  /** A sheet name Excel takes: no `: \ / ? * [ ]`, at most 31 characters, distinct ignoring case. */
  private sheetName(wanted: string): string {
    let base = wanted.replace(/[:\\/?*[\]]/g, "_").replace(/^'+|'+$/g, "").trim() || "sheet";
    base = base.slice(0, 31);
    let name = base;
    for (let k = 2; this.sheetNames.has(name.toLowerCase()); k++) {
      const suffix = ` ${k}`;
      name = base.slice(0, 31 - suffix.length) + suffix;
    }
    this.sheetNames.add(name.toLowerCase());
    return name;
  }

  /** A column width in characters: the header or the widest sampled value, within 8 to 60. */
  private width(col: ColumnSpec, i: number): number {
    let w = [...col.name].length + 2;
    if (col.type === "date") w = Math.max(w, 12);
    else if (col.type === "datetime") w = Math.max(w, 20);
    for (const cells of this.sample) {
      const v = cells[i];
      if (v === null || v instanceof Date) continue;
      const text = typeof v === "object" ? v.richText[0].text : String(v);
      const len = [...text.split("\n")[0]].length;
      if (len + 2 > w) w = len + 2;
    }
    return Math.max(8, Math.min(60, w));
  }
}
