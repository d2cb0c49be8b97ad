/**
 * JSON (one array of objects, streamed: `[` first, one object a line, `]` last) and NDJSON
 * (one object a line). Keys are the column names (`orders.count` stays a key with a dot);
 * values keep their types (src/table/value-text.ts `exportJsonValue`): numbers, bools,
 * null, lists as arrays, dates as `YYYY-MM-DD`, datetimes as wall time in the zone with
 * the offset.
 */
import type { CellValue } from "../table/column.js";
import { exportJsonValue } from "../table/value-text.js";
import type { Sink } from "./sink.js";
import { emptyReport, type ColumnSpec, type TableSpec, type TableWriter, type WriteReport, type WriterOptions } from "./writer.js";

/** Rows joined before each write. */
const CHUNK = 256;

export class JsonWriter implements TableWriter {
  private columns: ColumnSpec[] = [];
  private keys: string[] = [];
  private pending: string[] = [];
  private readonly report = emptyReport();
  private started = false;

  constructor(private readonly sink: Sink, private readonly options: WriterOptions, private readonly shape: "array" | "lines") {}

  async table(spec: TableSpec): Promise<void> {
    if (this.started) throw new Error("a JSON file holds one table");
    this.started = true;
    this.columns = spec.columns;
    // Keys quoted once: a row is then joined from parts.
    this.keys = spec.columns.map((c) => JSON.stringify(c.name));
    if (this.shape === "array") await this.sink.write("[");
  }

  row(values: readonly CellValue[]): Promise<void> | undefined {
    const parts = new Array<string>(this.columns.length);
    for (let i = 0; i < parts.length; i++) {
      parts[i] = `${this.keys[i]}:${JSON.stringify(exportJsonValue(this.columns[i].type, values[i] ?? null, this.options.timezone))}`;
    }
    const obj = `{${parts.join(",")}}`;
    if (this.shape === "lines") this.pending.push(obj + "\n");
    else this.pending.push((this.report.rows === 0 ? "\n" : ",\n") + obj);
    this.report.rows++;
    return this.pending.length >= CHUNK ? this.flush() : undefined;
  }

  async end(): Promise<WriteReport> {
    if (!this.started) throw new Error("no table was started");
    if (this.shape === "array") this.pending.push(this.report.rows ? "\n]\n" : "]\n");
    await this.flush();
    await this.sink.end();
    return this.report;
  }

  private flush(): Promise<void> | undefined {
    if (this.pending.length === 0) return undefined;
    const chunk = this.pending.join("");
    this.pending = [];
    return this.sink.write(chunk);
  }
}
