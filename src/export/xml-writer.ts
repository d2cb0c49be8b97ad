/**
 * XML: declared UTF-8, one `<customer>` element per row (one a line) under a `<customers>`
 * root, one child element per column, built record by record with fast-xml-parser's builder and
 * written as it goes (never the whole document in memory).
 *
 * Element names: a column name becomes an XML name by turning `.` and anything XML 1.0
 * names cannot hold (spaces, `/`, `²`, ...) into `_` (`orders.count` -> `orders_count`, `custom.loyalty tier` ->
 * `custom_loyalty_tier`), with `_` in front of a name that would not start with a letter
 * or `_`, or would start with `xml`; a name taken already gets `_2`, `_3`. Values are `exportText`'s text; a null
 * is an empty element (`<phone/>`); a list holds one `<item>` per value. Characters XML 1.0
 * cannot hold are replaced by U+FFFD and counted; a CR is written `&#13;` so that it reads
 * back as a CR, not as a line end.
 */
import { XMLBuilder } from "fast-xml-parser";
import type { CellValue } from "../table/column.js";
import { exportText } from "../table/value-text.js";
import { xmlSafe } from "./cells.js";
import type { Sink } from "./sink.js";
import { emptyReport, type ColumnSpec, type TableSpec, type TableWriter, type WriteReport, type WriterOptions } from "./writer.js";

/** Records joined before each write. */
const CHUNK = 256;

/** XML 1.0 (fifth edition) NameStartChar, without `:` (namespaces), as regex escapes. */
const NAME_START = String.raw`A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}`;
/** NameChar: NameStartChar plus `-`, digits, U+00B7, combining marks, U+203F-2040 (`.` left out: dots become `_`). */
// The classes are code point ranges of the XML spec; joiners and combining marks in them are meant.
// eslint-disable-next-line no-misleading-character-class
const NOT_NAME_CHAR = new RegExp(String.raw`[^${NAME_START}\-0-9\u00B7\u0300-\u036F\u203F\u2040]`, "gu");
// eslint-disable-next-line no-misleading-character-class
const NAME_START_CHAR = new RegExp(`^[${NAME_START}]`, "u");

/** The XML element names of columns, distinct, in order. */
export function elementNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((n) => {
    let base = n.replace(NOT_NAME_CHAR, "_");
    if (!NAME_START_CHAR.test(base) || /^xml/i.test(base)) base = `_${base}`;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  });
}

export class XmlWriter implements TableWriter {
  private columns: ColumnSpec[] = [];
  private elements: string[] = [];
  private rowElement = "customer";
  private pending: string[] = [];
  private readonly report = emptyReport();
  private readonly root: string;
  private started = false;
  private readonly builder = new XMLBuilder({ format: false, suppressEmptyNode: true, processEntities: true });

  constructor(private readonly sink: Sink, private readonly options: WriterOptions) {
    this.root = options.rootElement ?? "customers";
  }

  async table(spec: TableSpec): Promise<void> {
    if (this.started) throw new Error("an XML file holds one table");
    this.started = true;
    this.columns = spec.columns;
    this.elements = elementNames(spec.columns.map((c) => c.name));
    this.rowElement = spec.rowElement ?? "customer";
    await this.sink.write(`<?xml version="1.0" encoding="UTF-8"?>\n<${this.root}>\n`);
  }

  row(values: readonly CellValue[]): Promise<void> | undefined {
    // No prototype: a column named __proto__ is a key like any other.
    const record = Object.create(null) as Record<string, unknown>;
    for (let i = 0; i < this.columns.length; i++) {
      const v = values[i] ?? null;
      if (v === null) record[this.elements[i]] = "";
      else if (Array.isArray(v)) record[this.elements[i]] = v.length ? { item: v.map((s) => this.safe(s)) } : "";
      else record[this.elements[i]] = this.safe(exportText(this.columns[i].type, v, this.options.timezone));
    }
    const xml = this.builder.build({ [this.rowElement]: record }) as string;
    // One record a line (line breaks inside values stay as they are); a CR kept as a
    // reference so parsers do not fold it into a line end.
    this.pending.push(`  ${xml.replace(/\r/g, "&#13;")}\n`);
    this.report.rows++;
    return this.pending.length >= CHUNK ? this.flush() : undefined;
  }

  async end(): Promise<WriteReport> {
    if (!this.started) throw new Error("no table was started");
    this.pending.push(`</${this.root}>\n`);
    await this.flush();
    await this.sink.end();
    return this.report;
  }

  private safe(text: string): string {
    const s = xmlSafe(text);
    this.report.replacedControls += s.replaced;
    return s.text;
  }

  private flush(): Promise<void> | undefined {
    if (this.pending.length === 0) return undefined;
    const chunk = this.pending.join("");
    this.pending = [];
    return this.sink.write(chunk);
  }
}
