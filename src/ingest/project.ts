/**
 * The data of a project: the customers as typed columns, and a streaming API over the fact
 * exports. Customers are held in memory (they are what segments are made of); facts are
 * never materialised row by row, only streamed in typed batches.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/load-config.js";
import { DataError, type Problem } from "../errors.js";
import { writeFileAtomic } from "../fs-atomic.js";
import { BitSet } from "../table/bitset.js";
import { detach } from "../table/detach.js";
import { ColumnBuilder, Dictionary, type Column } from "../table/column.js";
import { BadRows, type BadRowPolicy } from "./bad-rows.js";
import { inferType } from "./infer-type.js";
import { parseBool, parseDate, parseDateTime, parseDecimal, parseInteger, type ValueType } from "./parse-value.js";
import { readRecords } from "./read-records.js";
import { EXPORT_NAMES, ORDER_COLUMNS_IN_ITEMS, SCHEMAS, type ExportName, type FactExportName } from "./schema.js";
import { resolveSources, type ResolvedSource } from "./sources.js";
import { planHeader, rawRowText, typeBatch, type HeaderPlan, type TypedBatch } from "./typed-batch.js";
import { choiceHint } from "../suggest.js";

/** The customers as typed columns, with an id -> row index map. */
export interface CustomerTable {
  length: number;
  ids: string[];
  index: Map<string, number>;
  /** Canonical columns by name, custom fields as `custom.<name>`. */
  columns: Map<string, Column>;
  /** True when there was no customers export and the ids come from the facts. */
  derived: boolean;
}

/** A typed batch of a fact export with each row's customer row index (-1: unknown customer). */
export interface FactBatch extends TypedBatch {
  customer: Int32Array;
}

/** What reading the exports found, for summaries. */
export interface IngestReport {
  rows: Partial<Record<ExportName, number>>;
  skipped: Partial<Record<ExportName, number>>;
  orphans: Partial<Record<FactExportName, number>>;
  /** True when orders were derived from a line-item export. */
  ordersFromItems: boolean;
}

const MSG_NO_EXPORTS = "no exports found: the data folder has neither a customers export nor a fact export with customer_id";
const msgMissingColumn = (col: string, exp: string) => `the ${exp} export has no \`${col}\` column`;

/** Opens the exports of a project. Nothing is read until asked for. */
export class Project {
  readonly config: Config;
  readonly sources: Partial<Record<ExportName, ResolvedSource>>;
  readonly bad: BadRows;
  readonly report: IngestReport = { rows: {}, skipped: {}, orphans: {}, ordersFromItems: false };
  private customerTable?: CustomerTable;

  constructor(config: Config, policy?: BadRowPolicy) {
    this.config = config;
    this.sources = resolveSources(config);
    this.bad = new BadRows(policy ?? { maxBadRows: config.maxBadRows });
    const items = this.sources.order_items;
    if (!this.sources.customers && !EXPORT_NAMES.some((n) => n !== "customers" && this.sources[n])) {
      throw new DataError([{ file: path.relative(process.cwd(), config.data) || ".", message: MSG_NO_EXPORTS, hint: "put customers.csv (or orders.csv, ...) in the data folder, or set `data` in the config" }]);
    }
    this.report.ordersFromItems = !this.sources.orders && items !== undefined;
  }

  /** True when the project has data for a fact table (orders may come from line items). */
  hasFacts(name: FactExportName): boolean {
    return this.sources[name] !== undefined || (name === "orders" && this.report.ordersFromItems);
  }

  /** Reads (once) and returns the customers. */
  async customers(): Promise<CustomerTable> {
    if (!this.customerTable) {
      this.customerTable = this.sources.customers ? await this.loadCustomers(this.sources.customers) : await this.deriveCustomers();
    }
    return this.customerTable;
  }

  /**
   * Streams a fact export in typed batches with customer row indices. `wanted` limits the
   * columns typed (customer_id and the timestamp are always included).
   */
  async *facts(name: FactExportName, wanted?: readonly string[]): AsyncGenerator<FactBatch> {
    const customers = await this.customers();
    if (name === "orders" && this.report.ordersFromItems) {
      yield* this.ordersFromItems(customers);
      return;
    }
    const source = this.sources[name];
    if (!source) return;
    const ts = SCHEMAS[name].timestamp;
    const cols = wanted ? [...new Set([...wanted, ...(name === "order_items" ? [] : ["customer_id"]), ...(ts ? [ts] : [])])] : undefined;
    let orphans = 0;
    for await (const batch of this.typedBatches(source, cols)) {
      const customer = new Int32Array(batch.length).fill(-1);
      const ids = batch.columns.customer_id;
      if (ids && (ids.type === "id" || ids.type === "string")) {
        for (let r = 0; r < batch.length; r++) {
          const id = ids.values[r];
          const row = id === null ? undefined : customers.index.get(id);
          if (row === undefined) orphans++;
          else customer[r] = row;
        }
      }
      yield { ...batch, customer };
    }
    if (name !== "order_items") this.report.orphans[name] = orphans;
  }

  /** Writes `out/rejected-<export>.csv` for every export that had rows skipped. */
  writeRejected(outDir = this.config.out): Array<{ name: ExportName; file: string }> {
    const written: Array<{ name: ExportName; file: string }> = [];
    for (const [name, rows] of this.bad.rejected) {
      if (rows.length === 0) continue;
      mkdirSync(outDir, { recursive: true });
      const file = path.join(outDir, `rejected-${name}.csv`);
      const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      const body = ["line,column,reason,row", ...rows.map((r) => [r.line ?? "", r.column, r.reason, r.raw].map((v) => q(String(v))).join(","))].join("\n") + "\n";
      writeFileAtomic(file, body);
      written.push({ name, file });
    }
    return written;
  }

  /** Typed batches of one source, with header checks and bad rows handled per policy. */
  async *typedBatches(source: ResolvedSource, wanted?: readonly string[]): AsyncGenerator<TypedBatch> {
    let plan: HeaderPlan | undefined;
    let rows = 0;
    let checked = false;
    const onBad = (problem: Problem, raw: string) => {
      this.report.skipped[source.name] = (this.report.skipped[source.name] ?? 0) + 1;
      this.bad.take(source.name, problem, raw);
    };
    for await (const batch of readRecords(source, onBad)) {
      // Zone-less datetimes are UTC unless their column names a zone (DATA.md).
      if (!plan || plan.width !== batch.header.length) plan = planHeader(batch.header, source, "UTC", wanted);
      if (!checked) {
        checkHeader(source, plan, batch.header, this.report.ordersFromItems);
        checked = true;
      }
      const { typed, bad } = typeBatch(batch, plan, source);
      for (const b of bad) onBad(b.problem, rawRowText(batch.rows[b.row], source.options.delimiter));
      rows += typed.length;
      yield typed;
    }
    this.report.rows[source.name] = rows;
  }

  private async loadCustomers(source: ResolvedSource): Promise<CustomerTable> {
    const builders = new Map<string, ColumnBuilder>();
    const custom = new Map<string, ColumnBuilder>();
    const ids: string[] = [];
    const index = new Map<string, number>();
    const firstLine: number[] = [];
    let rows = 0;
    for await (const batch of this.typedBatches(source)) {
      const idCol = batch.columns.id;
      const idValues = idCol && idCol.type === "id" ? idCol.values : [];
      const keep = new Uint8Array(batch.length);
      for (let r = 0; r < batch.length; r++) {
        const id = idValues[r];
        const line = batch.lines[r];
        if (id === null || id === undefined) {
          this.takeBad(source, { file: source.display, line, path: "id", message: "the customer id is empty", hint: "every customer needs an id" }, "");
          continue;
        }
        const prev = index.get(id);
        if (prev !== undefined) {
          this.takeBad(source, {
            file: source.display, line, path: "id", value: id,
            message: `duplicate customer id (first at line ${firstLine[prev]})`,
            hint: `lines ${firstLine[prev]} and ${line} have the same id: keep one`,
          }, id);
          continue;
        }
        const kept = detach(id);
        index.set(kept, ids.length);
        ids.push(kept);
        firstLine.push(line);
        keep[r] = 1;
      }
      // Column by column, so each builder sees a run of values of one type.
      for (const [name, col] of Object.entries(batch.columns)) {
        if (name === "id") continue;
        let b = builders.get(name);
        if (!b) builders.set(name, (b = backfilled(new ColumnBuilder(col.type), rows)));
        for (let r = 0; r < batch.length; r++) if (keep[r]) b.push(typedValue(col, r));
      }
      for (const [name, values] of Object.entries(batch.custom)) {
        let b = custom.get(name);
        if (!b) custom.set(name, (b = backfilled(new ColumnBuilder("string"), rows)));
        for (let r = 0; r < batch.length; r++) if (keep[r]) b.push(values[r]);
      }
      rows = ids.length;
      for (const b of builders.values()) while (b.length < rows) b.push(null);
      for (const b of custom.values()) while (b.length < rows) b.push(null);
    }
    const columns = new Map<string, Column>([["id", idColumn(ids)]]);
    for (const [name, b] of builders) columns.set(name, b.finish());
    for (const [name, b] of custom) {
      const raw = b.finish();
      columns.set(`custom.${name}`, typeCustomColumn(raw as Extract<Column, { kind: "string" }>, source.options.decimal, "UTC"));
    }
    return { length: ids.length, ids, index, columns, derived: false };
  }

  private takeBad(source: ResolvedSource, problem: Problem, raw: string): void {
    this.report.skipped[source.name] = (this.report.skipped[source.name] ?? 0) + 1;
    this.bad.take(source.name, problem, raw);
  }

  /** With no customers export: the distinct customer ids of the fact exports, in order of appearance. */
  private async deriveCustomers(): Promise<CustomerTable> {
    const ids = new Dictionary();
    for (const name of EXPORT_NAMES) {
      if (name === "customers") continue;
      const source = this.sources[name];
      if (!source) continue;
      if (name === "order_items" && !this.report.ordersFromItems) continue;
      for await (const batch of this.typedBatches(source, ["customer_id"])) {
        const col = batch.columns.customer_id;
        if (!col || col.type !== "id") continue;
        for (const id of col.values) if (id !== null) ids.encode(id);
      }
    }
    const index = new Map<string, number>();
    ids.values.forEach((id, i) => index.set(id, i));
    return { length: ids.values.length, ids: ids.values, index, columns: new Map([["id", idColumn(ids.values)]]), derived: true };
  }

  /** Orders of a line-item export, grouped by order_id; order columns from each order's first row. */
  private async *ordersFromItems(customers: CustomerTable): AsyncGenerator<FactBatch> {
    const source = this.sources.order_items!;
    const acc = new OrderAccumulator();
    for await (const batch of this.typedBatches(source, ["order_id", ...ORDER_COLUMNS_IN_ITEMS, "quantity", "price"])) acc.add(batch, customers);
    this.report.orphans.orders = acc.orphans;
    this.report.rows.orders = acc.size;
    yield* acc.batches();
  }
}

/** Accumulates orders from line items; memory grows with the number of orders (documented). */
class OrderAccumulator {
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  private customer: number[] = [];
  private created: number[] = [];
  private total: number[] = [];
  private itemSum: number[] = [];
  private lines: number[] = [];
  private readonly status = new StringSlots();
  private readonly store = new StringSlots();
  private readonly channel = new StringSlots();
  orphans = 0;

  get size(): number {
    return this.ids.length;
  }

  add(batch: TypedBatch, customers: CustomerTable): void {
    const col = (name: string) => batch.columns[name];
    const orderId = col("order_id");
    const custId = col("customer_id");
    const created = col("created_at");
    const total = col("total");
    const qty = col("quantity");
    const price = col("price");
    for (let r = 0; r < batch.length; r++) {
      const id = orderId && orderId.type === "id" ? orderId.values[r] : null;
      if (id === null) continue;
      let o = this.index.get(id);
      if (o === undefined) {
        o = this.ids.length;
        const kept = detach(id);
        this.index.set(kept, o);
        this.ids.push(kept);
        const cid = custId && custId.type === "id" ? custId.values[r] : null;
        const row = cid === null ? undefined : customers.index.get(cid);
        if (row === undefined) this.orphans++;
        this.customer.push(row ?? -1);
        this.created.push(created && created.type === "datetime" ? created.values[r] : NaN);
        this.total.push(total && total.type === "decimal" ? total.values[r] : NaN);
        this.itemSum.push(0);
        this.lines.push(batch.lines[r]);
        this.status.push(batch.columns.status, r);
        this.store.push(batch.columns.store, r);
        this.channel.push(batch.columns.channel, r);
      }
      const q = qty && qty.type === "integer" ? qty.values[r] : NaN;
      const p = price && price.type === "decimal" ? price.values[r] : NaN;
      if (!Number.isNaN(p)) this.itemSum[o] += p * (Number.isNaN(q) ? 1 : q);
    }
  }

  *batches(size = 4096): Generator<FactBatch> {
    for (let start = 0; start < this.ids.length; start += size) {
      const end = Math.min(this.ids.length, start + size);
      const totals = new Float64Array(end - start);
      for (let o = start; o < end; o++) totals[o - start] = Number.isNaN(this.total[o]) ? this.itemSum[o] : this.total[o];
      yield {
        length: end - start,
        lines: Int32Array.from(this.lines.slice(start, end)),
        customer: Int32Array.from(this.customer.slice(start, end)),
        columns: {
          id: { type: "id", values: this.ids.slice(start, end) },
          created_at: { type: "datetime", values: Float64Array.from(this.created.slice(start, end)) },
          total: { type: "decimal", values: totals },
          status: { type: "string", values: this.status.slice(start, end) },
          store: { type: "string", values: this.store.slice(start, end) },
          channel: { type: "string", values: this.channel.slice(start, end) },
        },
        custom: {},
      };
    }
  }
}

/** A string per order, dictionary-encoded so repeated statuses cost a small integer each. */
class StringSlots {
  private readonly dict = new Dictionary();
  private readonly codes: number[] = [];
  push(col: TypedBatch["columns"][string] | undefined, r: number): void {
    const v = col && (col.type === "string" || col.type === "id") ? col.values[r] : null;
    this.codes.push(v === null ? -1 : this.dict.encode(v));
  }
  slice(start: number, end: number): Array<string | null> {
    return this.codes.slice(start, end).map((c) => (c < 0 ? null : this.dict.values[c]));
  }
}

/** The id column: ids are unique, so the dictionary is the ids themselves. */
function idColumn(ids: string[]): Column {
  const n = ids.length;
  const codes = new Uint32Array(n);
  for (let i = 0; i < n; i++) codes[i] = i;
  return { kind: "string", type: "id", codes, dict: ids, validity: BitSet.full(n), length: n };
}

function backfilled(b: ColumnBuilder, rows: number): ColumnBuilder {
  for (let i = 0; i < rows; i++) b.push(null);
  return b;
}

function typedValue(col: TypedBatch["columns"][string], r: number): number | boolean | string | string[] | null {
  switch (col.type) {
    case "bool":
      return col.values[r] < 0 ? null : col.values[r] === 1;
    case "integer": case "decimal": case "date": case "datetime":
      return Number.isNaN(col.values[r]) ? null : col.values[r];
    default:
      return col.values[r];
  }
}

/** Types a custom field: infers its type from the distinct values, then parses each once. */
function typeCustomColumn(raw: Extract<Column, { kind: "string" }>, decimal: "." | ",", timezone: string): Column {
  const type: ValueType = inferType(raw.dict, decimal);
  if (type === "string") return raw;
  const parsed = raw.dict.map((v): number | boolean | null => {
    switch (type) {
      case "bool": return parseBool(v) ?? null;
      case "integer": return parseInteger(v, decimal) ?? null;
      case "decimal": return parseDecimal(v, decimal) ?? null;
      case "date": return parseDate(v) ?? null;
      case "datetime": return parseDateTime(v, timezone) ?? null;
      default: return null;
    }
  });
  const b = new ColumnBuilder(type);
  for (let i = 0; i < raw.length; i++) b.push(raw.validity.has(i) ? parsed[raw.codes[i]] : null);
  return b.finish();
}

function checkHeader(source: ResolvedSource, plan: HeaderPlan, header: string[], ordersFromItems: boolean): void {
  const problems: Problem[] = [];
  const required = [...SCHEMAS[source.name].required];
  if (source.name === "order_items" && ordersFromItems) required.push("customer_id", "created_at");
  for (const { column, from } of plan.unmatched) {
    problems.push({
      file: source.display, line: 1, col: 1, path: column,
      message: `the config maps \`${column}\` to the source column "${from}", which the file does not have`,
      hint: choiceHint(from, header, 40) ?? `its columns are: ${header.join(", ")}`,
    });
  }
  for (const col of required) {
    if (!plan.missing.includes(col) || plan.unmatched.some((u) => u.column === col)) continue;
    problems.push({
      file: source.display, line: 1, col: 1, message: msgMissingColumn(col, source.name),
      hint: `map it in the config: sources.${source.name}.columns.${col}: "<source column>"` + (choiceHint(col, header, 0) ? ` (${choiceHint(col, header, 0)})` : ""),
    });
  }
  if (problems.length) throw new DataError(problems);
}
