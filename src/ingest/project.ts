/**
 * The data of a project: the customers as typed columns, and a streaming API over the fact
 * exports. Customers are held in memory (they are what segments are made of); facts are
 * never materialised row by row, only streamed in typed batches.
 */
import path from "node:path";
import type { Config } from "../config/load-config.js";
import { DataError, type Problem } from "../errors.js";
import { BitSet } from "../table/bitset.js";
import { detach } from "../table/detach.js";
import { ColumnBuilder, Dictionary, type Column } from "../table/column.js";
import { CustomFieldBuilder } from "./custom-field.js";
import { BadRows, type BadRowPolicy } from "./bad-rows.js";
import { TypeGuess } from "./infer-type.js";
import type { ValueType } from "../table/value-type.js";
import { readRecords } from "./read-records.js";
import { recordAt } from "./records.js";
import { IdHashes, idHash } from "./unique-ids.js";
import { EXPORT_NAMES, ORDER_COLUMNS_IN_ITEMS, SCHEMAS, type ExportName, type FactExportName } from "../schema/exports.js";
import { resolveSources, type ResolvedSource } from "./sources.js";
import { planHeader, rawRowText, typeBatch, type ExtraColumn, type HeaderPlan, type TypedBatch, type TypedValues } from "./typed-batch.js";
import { choiceHint } from "../suggest.js";
import { endPhase } from "../timings.js";
import { statSync } from "node:fs";
import { idIndex, idIndexFromParts, isNumericForm, keyText, type IdForm, type IdIndexParts, type IdLookup } from "../table/id-index.js";
import { RowsById } from "../table/rows-by-id.js";
import { performance } from "node:perf_hooks";

/** The customers another thread read, as adoptCustomers takes them: their ids, or their index's parts. */
export interface AdoptedCustomers {
  length: number;
  ids?: string[];
  parts?: IdIndexParts;
}

/** The customers as typed columns, with an id -> row index (src/table/id-index.ts). */
export interface CustomerTable {
  length: number;
  ids: string[];
  index: IdLookup;
  /** Canonical columns by name, custom fields as `custom.<name>`. */
  columns: Map<string, Column>;
  /** True when there was no customers export and the ids come from the facts. */
  derived: boolean;
  /**
   * Every column the export has, loaded or not, with its type: a custom field not loaded
   * (no definition or output names it) is given as a string, for suggestions only.
   */
  available: Map<string, ValueType>;
  /** True when every column is loaded. */
  complete: boolean;
}

/** A typed batch of a fact export with each row's customer row index (-1: unknown customer). */
export interface FactBatch extends TypedBatch {
  customer: Int32Array;
}

/** `again`: a second read of an export already being read (the item join's reread): it adds nothing to the run's report (orphans, bad rows, the order id check). */
export interface FactReadOptions {
  again?: boolean;
}

/** Puts the keys of one of the report's records in the order of the exports, in place: summaries print them so. */
export function inExportOrder(record: Record<string, unknown>): void {
  const all = { ...record };
  for (const k of Object.keys(record)) delete record[k];
  for (const name of EXPORT_NAMES) if (name in all) record[name] = all[name];
  for (const k of Object.keys(all)) if (!(k in record)) record[k] = all[k];
}

/** What reading the exports found, for summaries. */
export interface IngestReport {
  rows: Partial<Record<ExportName, number>>;
  skipped: Partial<Record<ExportName, number>>;
  orphans: Partial<Record<FactExportName, number>>;
  /** Source columns read into nothing, per export (of its first file). */
  ignored: Partial<Record<ExportName, string[]>>;
  /** A fact export's own columns (custom fact columns), per export (of its first file). */
  extra: Partial<Record<ExportName, ExtraColumn[]>>;
  /** A few distinct customer ids of orphan facts, per export, in order of appearance. */
  orphanExamples: Partial<Record<FactExportName, string[]>>;
  /** True when orders were derived from a line-item export. */
  ordersFromItems: boolean;
}

/** Orphan customer ids kept per export, for messages. */
const ORPHAN_EXAMPLES = 5;

const MSG_NO_EXPORTS = "no exports found: the data folder has neither a customers export nor a fact export with customer_id";
const MSG_CHANGED_WHILE_READ = "the customers export changed while it was read: this row is not where it was";
const msgMissingColumn = (col: string, exp: string) => `the ${exp} export has no \`${col}\` column`;

/** Opens the exports of a project. Nothing is read until asked for. */
export class Project {
  readonly config: Config;
  readonly sources: Partial<Record<ExportName, ResolvedSource>>;
  readonly bad: BadRows;
  readonly report: IngestReport = { rows: {}, skipped: {}, orphans: {}, orphanExamples: {}, ignored: {}, extra: {}, ordersFromItems: false };
  private customerTable?: CustomerTable;
  /** Inferred types of the fact exports' custom columns, per export (only those asked for). */
  private readonly customTypes: Partial<Record<ExportName, Record<string, ValueType>>> = {};

  /**
   * `cwd` is the folder that paths in messages are shown relative to. `taken`: per fact
   * export, the names the segment language already uses for its fields (a column of such
   * a name cannot be a custom fact column, and is reported as ignored).
   */
  constructor(config: Config, readonly cwd: string, policy?: BadRowPolicy, readonly taken: Partial<Record<FactExportName, ReadonlySet<string>>> = {}) {
    this.config = config;
    this.sources = resolveSources(config, cwd);
    this.bad = new BadRows(policy ?? { maxBadRows: config.maxBadRows });
    const items = this.sources.order_items;
    if (!this.sources.customers && !EXPORT_NAMES.some((n) => n !== "customers" && this.sources[n])) {
      throw new DataError([{ file: path.relative(cwd, config.data) || ".", message: MSG_NO_EXPORTS, hint: "put customers.csv (or orders.csv, ...) in the data folder, or set `data` in the config" }]);
    }
    this.report.ordersFromItems = !this.sources.orders && items !== undefined;
  }

  /** True when the project has data for a fact table (orders may come from line items). */
  hasFacts(name: FactExportName): boolean {
    return this.sources[name] !== undefined || (name === "orders" && this.report.ordersFromItems);
  }

  /**
   * Takes the customers' ids from another thread's read instead of reading them: a worker
   * of the parallel fact pass joins facts to the rows the main thread loaded. Numbered ids
   * come as their index's parts (idIndexParts) and no ids: the table then holds no id
   * column and `ids` is empty, since a fact pass only looks ids up. `types`: the custom
   * fact columns' types the main thread inferred.
   */
  adoptCustomers(given: AdoptedCustomers, types: Partial<Record<ExportName, Record<string, ValueType>>>): void {
    const ids = given.ids ?? [];
    const index = given.parts ? idIndexFromParts(given.parts) : idIndex(ids);
    const columns = new Map<string, Column>(given.ids ? [["id", idColumn(given.ids)]] : []);
    this.customerTable = { length: given.length, ids, index, columns, derived: false, available: new Map([["id", "id"]]), complete: false };
    Object.assign(this.customTypes, types);
  }

  /** Takes customers read from the cache, as a read of the export would have left them. */
  adoptTable(t: CustomerTable): void {
    this.customerTable = t;
    this.report.rows.customers = t.length;
    this.report.ignored.customers = [];
    this.report.extra.customers = [];
  }

  /** The custom fact columns' types inferred so far, per export (for adoptCustomers). */
  get inferredTypes(): Partial<Record<ExportName, Record<string, ValueType>>> {
    return this.customTypes;
  }

  /** The customers, if they have been read. */
  get loadedCustomers(): CustomerTable | undefined {
    return this.customerTable;
  }

  /**
   * Reads and returns the customers: every column, or only `wanted` ones (canonical names
   * and `custom.<name>`; the id always), which is what a run needs and keeps names, e-mails
   * and notes no segment reads out of memory. Read once; read again only when a later call
   * wants a column the first left out.
   */
  async customers(wanted?: readonly string[]): Promise<CustomerTable> {
    const t = this.customerTable;
    const missing = t && !t.complete && (wanted === undefined || wanted.some((c) => t.available.has(c) && !t.columns.has(c)));
    if (!t || missing) {
      const source = this.sources.customers;
      if (!source) this.customerTable = await this.deriveCustomers();
      else {
        const want = wanted === undefined || !t ? wanted : [...new Set([...t.columns.keys(), ...wanted])];
        // Bad rows are counted by file and line (BadRows), so a second read counts each once.
        if (t) this.report.skipped.customers = 0;
        this.customerTable = await this.loadCustomers(source, want);
      }
    }
    return this.customerTable!;
  }

  /**
   * Streams a fact export in typed batches with customer row indices. `wanted` limits the
   * columns typed (customer_id and the timestamp are always included).
   */
  async *facts(name: FactExportName, wanted?: readonly string[], keyed: Readonly<Record<string, IdForm>> = {}, opts: FactReadOptions = {}): AsyncGenerator<FactBatch> {
    // The customers as loaded (only the id is needed here), or loaded now.
    const customers = this.customerTable ?? await this.customers();
    if (name === "orders" && this.report.ordersFromItems) {
      yield* this.ordersFromItems(customers, opts.again === true);
      return;
    }
    const source = this.sources[name];
    if (!source) return;
    const ts = SCHEMAS[name].timestamp;
    // A second read (`again`) of an export being read adds nothing to the report: its orphans,
    // bad rows and repeated ids are the first read's.
    const counted = !opts.again;
    // Order ids are checked for repeats whenever the orders are read.
    const unique = name === "orders" && counted ? new IdHashes() : undefined;
    const cols = wanted ? [...new Set([...wanted, ...(name === "order_items" ? [] : ["customer_id"]), ...(ts ? [ts] : []), ...(name === "orders" ? ["id"] : [])])] : undefined;
    if (name !== "order_items" && counted) this.report.orphans[name] = 0;
    const examples: string[] = [];
    if (counted) this.report.orphanExamples[name] = examples;
    // Customer ids of the index's form are looked up by their number, read from the bytes (typed-batch.ts).
    const index = customers.index;
    const form = index.form;
    const keys: Record<string, IdForm> = { ...keyed, ...(form && index.getKey ? { customer_id: form } : {}) };
    for await (const batch of this.typedBatches(source, cols, { keys, again: !counted })) {
      const customer = new Int32Array(batch.length).fill(-1);
      const ids = batch.columns.customer_id;
      let orphans = 0;
      if (ids && (ids.type === "id" || ids.type === "string")) {
        const numbers = ids.keys;
        for (let r = 0; r < batch.length; r++) {
          const key = numbers ? numbers[r] : NaN;
          const keyedRow = key === key;
          const row = keyedRow ? index.getKey!(key) : ids.validity.has(r) ? index.get(ids.values[r]) : undefined;
          if (row !== undefined) {
            customer[r] = row;
            continue;
          }
          orphans++;
          if (examples.length < ORPHAN_EXAMPLES && (keyedRow || ids.validity.has(r))) {
            const id = keyedRow ? keyText(key, form!) : detach(ids.values[r]);
            if (!examples.includes(id)) examples.push(id);
          }
        }
      }
      // Counted batch by batch, so the report is right however far a reader got.
      if (name !== "order_items" && counted) this.report.orphans[name]! += orphans;
      const orderIds = batch.columns.id;
      if (unique && orderIds && (orderIds.type === "id" || orderIds.type === "string")) {
        const numbers = orderIds.keys;
        const idForm = keys.id;
        // A canonical number is its own hash (unique-ids.ts); an id of another form is hashed by its text.
        const ownHash = idForm !== undefined && isNumericForm(idForm);
        for (let r = 0; r < batch.length; r++) {
          if (numbers && numbers[r] === numbers[r]) {
            if (ownHash) unique.addNumber(numbers[r]);
            else unique.add(keyText(numbers[r], idForm!));
          } else if (orderIds.validity.has(r)) unique.add(orderIds.values[r]);
        }
      }
      yield { ...batch, customer };
    }
    if (unique) await this.checkUnique(source, unique.repeated());
  }

  /** Streams order_items in typed batches (for the item join), or undefined when there is none. */
  orderItems(wanted: readonly string[], keyed: Readonly<Record<string, IdForm>> = {}): AsyncIterable<TypedBatch> | undefined {
    const source = this.sources.order_items;
    return source ? this.typedBatches(source, wanted, { keys: keyed }) : undefined;
  }

  /** A fact export's custom columns (its columns mapped to no canonical one), from its header. */
  async extraColumns(name: FactExportName): Promise<ExtraColumn[]> {
    const source = this.sources[name];
    if (!source) return [];
    if (!this.report.extra[name]) {
      // The header comes with the first batch: read one, and stop.
      for await (const batch of readRecords(source, () => {})) {
        const plan = planHeader(batch.header, source, "UTC", [], { taken: this.taken[name] });
        this.report.extra[name] = plan.extra;
        this.report.ignored[name] = plan.ignored;
        break;
      }
    }
    return this.report.extra[name] ?? [];
  }

  /** The type of each named custom column of a fact export, inferred over all its rows (once). */
  async customColumnTypes(name: FactExportName, names: readonly string[]): Promise<Record<string, ValueType>> {
    const source = this.sources[name];
    const known = (this.customTypes[name] ??= {});
    const todo = names.filter((n) => !(n in known));
    if (source && todo.length) {
      const guesses = new Map(todo.map((n) => [n, new TypeGuess(source.options.decimal)]));
      // A read of its own, for the types alone: its bad rows are reported by the read that uses the values.
      for await (const batch of this.typedBatches(source, [], { raw: todo, quiet: true })) {
        for (const [n, values] of Object.entries(batch.custom)) {
          const g = guesses.get(n)!;
          if (g.settled) continue;
          for (const v of values) if (v !== null) g.add(v);
        }
        if ([...guesses.values()].every((g) => g.settled)) break;
      }
      for (const [n, g] of guesses) known[n] = g.result();
    }
    return Object.fromEntries(names.filter((n) => n in known).map((n) => [n, known[n]]));
  }

  /**
   * Typed batches of one source, with header checks and bad rows handled per policy. An
   * export of several files is checked file by file: each must have the columns of the
   * first (in any order), and messages name the file the row is in. Custom columns whose
   * types have been inferred are typed when wanted; `raw` ones come as text; `quiet` leaves
   * bad rows unreported; `again` (a second read of an export being read, which may stop part
   * way) leaves them unreported and the rows read uncounted, and is timed as `read X again`.
   */
  async *typedBatches(source: ResolvedSource, wanted?: readonly string[], opts: { raw?: readonly string[]; quiet?: boolean; again?: boolean; customers?: readonly string[]; onHeader?: (header: string[]) => void; keys?: Readonly<Record<string, IdForm>> } = {}): AsyncGenerator<TypedBatch> {
    let plan: HeaderPlan | undefined;
    let rows = 0;
    let current: ResolvedSource = source;
    let first: { display: string; columns: string[] } | undefined;
    const quiet = opts.quiet === true || opts.again === true;
    const counted = opts.again !== true;
    const onBad = quiet ? () => {} : (problem: Problem, raw: string) => {
      this.report.skipped[source.name] = (this.report.skipped[source.name] ?? 0) + 1;
      this.bad.take(source.name, problem, raw);
    };
    const reading = { types: this.customTypes[source.name], raw: opts.raw, taken: source.name === "customers" ? undefined : this.taken[source.name], customers: opts.customers };
    // Columns no plan reads are skipped by the CSV scanner (no string cut for them), unless
    // the raw text of a bad row is kept: the rejected-rows files of --max-bad-rows need it.
    const policy = this.bad.policy;
    const project = source.format === "csv" && (quiet || (policy.maxBadRows === 0 && !policy.collectAll))
      ? (header: string[]) => columnsRead(header, source, wanted, reading)
      : undefined;
    // Timed for --timings: the reader's own time, without the consumer's between batches.
    const start = performance.now();
    let resumed = start;
    let readMs = 0;
    try {
      for await (const batch of readRecords(source, onBad, undefined, project)) {
        const display = batch.display ?? source.display;
        if (display !== current.display || !plan) {
          current = { ...source, display };
          plan = undefined;
        }
        // Zone-less datetimes are UTC unless their column names a zone (DATA.md).
        if (!plan || plan.width !== batch.header.length) {
          const fresh = !plan;
          plan = planHeader(batch.header, current, "UTC", wanted, reading);
          for (const c of plan.columns) if (c.type === "id" && opts.keys?.[c.name]) c.key = opts.keys[c.name];
          opts.onHeader?.(batch.header);
          if (fresh) {
            checkHeader(current, plan, batch.header, this.report.ordersFromItems);
            const columns = [...batch.header].map((h) => h.trim()).sort();
            if (!first) {
              first = { display, columns };
              this.report.ignored[source.name] = plan.ignored;
              this.report.extra[source.name] = plan.extra;
            }
            else if (source.format === "csv") checkSameColumns(source.name, first, display, columns);
          }
        }
        const { typed, bad } = typeBatch(batch, plan, current);
        for (const b of bad) onBad(b.problem, rawRowText(recordAt(batch, b.row), source.options.delimiter));
        rows += typed.length;
        if (counted) this.report.rows[source.name] = rows;
        readMs += performance.now() - resumed;
        yield typed;
        resumed = performance.now();
      }
      if (counted) this.report.rows[source.name] = rows;
      // The item join reads orders and items side by side: the report lists them in the exports' order all the same.
      inExportOrder(this.report.rows);
      inExportOrder(this.report.skipped);
    } finally {
      endPhase(`read ${source.name}${counted ? "" : " again"}`, start, { rows, readMs, bytes: counted ? bytesOf(source) : undefined });
    }
  }

  /**
   * Finds the rows behind repeated id hashes (a second read of the id column) and stops at a
   * real duplicate: which of two rows of one order is right cannot be told, so it is a data
   * error even with --max-bad-rows.
   */
  private async checkUnique(source: ResolvedSource, repeated: Set<number>): Promise<void> {
    if (repeated.size === 0) return;
    const first = new Map<string, string>();
    for await (const batch of this.typedBatches(source, ["id"], { again: true })) {
      const ids = batch.columns.id;
      if (!ids || (ids.type !== "id" && ids.type !== "string")) return;
      for (let r = 0; r < batch.length; r++) {
        if (!ids.validity.has(r)) continue;
        const id = ids.values[r];
        if (!repeated.has(idHash(id))) continue;
        const where = `${batch.display}:${batch.lines[r]}`;
        const seen = first.get(id);
        if (seen === undefined) {
          first.set(detach(id), where);
          continue;
        }
        throw new DataError([{
          file: batch.display, line: batch.lines[r], path: "id", value: id,
          message: `duplicate ${source.name === "orders" ? "order" : "row"} id (first at ${seen})`,
          hint: "an order is one row of the orders export: remove the repeated row, or export again (lines of an order go in order_items)",
        }]);
      }
    }
  }

  private async loadCustomers(source: ResolvedSource, wanted?: readonly string[]): Promise<CustomerTable> {
    const builders = new Map<string, ColumnBuilder>();
    const custom = new Map<string, CustomFieldBuilder>();
    const ids: string[] = [];
    const seen = new RowsById();
    const firstLine: number[] = [];
    const firstFile: string[] = [];
    let rows = 0;
    let header: string[] = [];
    const canonical = wanted === undefined ? undefined : ["id", ...wanted.filter((c) => !c.startsWith("custom."))];
    const customWanted = wanted === undefined ? undefined : wanted.filter((c) => c.startsWith("custom.")).map((c) => c.slice(7));
    for await (const batch of this.typedBatches(source, canonical, { customers: customWanted, onHeader: (h) => (header = h) })) {
      const idCol = batch.columns.id;
      const keep = new Uint8Array(batch.length);
      for (let r = 0; r < batch.length; r++) {
        const id = idCol && idCol.type === "id" && idCol.validity.has(r) ? idCol.values[r] : undefined;
        const line = batch.lines[r];
        const file = batch.display ?? source.display;
        if (id === undefined) {
          this.takeBad(source, { file, line, path: "id", message: "the customer id is empty", hint: "every customer needs an id" }, "");
          continue;
        }
        const kept = detach(id);
        const prev = seen.add(kept, ids.length);
        if (prev !== -1) {
          const where = firstFile[prev] === file ? `line ${firstLine[prev]}` : `${firstFile[prev]}:${firstLine[prev]}`;
          this.takeBad(source, {
            file, line, path: "id", value: id,
            message: `duplicate customer id (first at ${where})`,
            hint: firstFile[prev] === file ? `lines ${firstLine[prev]} and ${line} have the same id: keep one` : `${where} and ${file}:${line} have the same id: keep one`,
          }, id);
          continue;
        }
        ids.push(kept);
        firstLine.push(line);
        firstFile.push(file);
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
        if (!b) custom.set(name, (b = backfilled(new CustomFieldBuilder(source.options.decimal, "UTC"), rows)));
        for (let r = 0; r < batch.length; r++) if (keep[r]) b.push(values[r]);
      }
      rows = ids.length;
      for (const b of builders.values()) while (b.length < rows) b.push(null);
      for (const b of custom.values()) while (b.length < rows) b.push(null);
    }
    const columns = new Map<string, Column>([["id", idColumn(ids)]]);
    for (const [name, b] of builders) columns.set(name, b.finish());
    const finished = new Map([...custom].map(([name, b]) => [name, b.finish()]));
    const lost = [...finished].filter(([, col]) => col === undefined).map(([name]) => name);
    const asText = lost.length ? await this.customFieldsAsText(source, lost, firstFile, firstLine) : new Map<string, Column>();
    for (const [name, col] of finished) columns.set(`custom.${name}`, col ?? asText.get(name)!);
    const available = new Map<string, ValueType>();
    const all = planHeader(header, source, "UTC");
    for (const c of all.columns) available.set(c.name, c.type);
    for (const c of all.custom) available.set(`custom.${c.name}`, "string");
    for (const [name, col] of columns) available.set(name, col.type);
    return { length: ids.length, ids, index: idIndex(ids), columns, derived: false, available, complete: wanted === undefined };
  }

  /**
   * Custom fields of the customers read again as text, for the rows a read kept (by file and
   * line, in order): a field that turned out to be text after its strings were dropped
   * (custom-field.ts). Its bad rows were reported by the first read.
   */
  private async customFieldsAsText(source: ResolvedSource, names: string[], files: readonly string[], lines: readonly number[]): Promise<Map<string, Column>> {
    const builders = new Map(names.map((n) => [n, new ColumnBuilder("string")]));
    const report = { ...this.report, rows: { ...this.report.rows }, ignored: { ...this.report.ignored }, extra: { ...this.report.extra } };
    let k = 0;
    for await (const batch of this.typedBatches(source, ["id"], { customers: names, quiet: true })) {
      const file = batch.display ?? source.display;
      for (let r = 0; r < batch.length && k < lines.length; r++) {
        if (batch.lines[r] !== lines[k] || file !== files[k]) continue;
        for (const [n, b] of builders) b.push(batch.custom[n]?.[r] ?? null);
        k++;
      }
    }
    Object.assign(this.report, report);
    if (k < lines.length) {
      throw new DataError([{ file: files[k], line: lines[k], message: MSG_CHANGED_WHILE_READ, hint: "run again once the export has been written" }]);
    }
    return new Map([...builders].map(([n, b]) => [n, b.finish()]));
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
        for (let r = 0; r < batch.length; r++) if (col.validity.has(r)) ids.encode(col.values[r]);
      }
    }
    return { length: ids.values.length, ids: ids.values, index: idIndex(ids.values), columns: new Map([["id", idColumn(ids.values)]]), derived: true, available: new Map([["id", "id"]]), complete: true };
  }

  /** Orders of a line-item export, grouped by order_id; order columns from each order's first row. */
  private async *ordersFromItems(customers: CustomerTable, again: boolean): AsyncGenerator<FactBatch> {
    const source = this.sources.order_items!;
    const acc = new OrderAccumulator();
    for await (const batch of this.typedBatches(source, ["order_id", ...ORDER_COLUMNS_IN_ITEMS, "quantity", "price"], { again })) acc.add(batch, customers);
    if (again) {
      yield* acc.batches();
      return;
    }
    this.report.orphans.orders = acc.orphans;
    this.report.orphanExamples.orders = acc.orphanExamples;
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
  readonly orphanExamples: string[] = [];

  get size(): number {
    return this.ids.length;
  }

  add(batch: TypedBatch, customers: CustomerTable): void {
    const orderId = idValues(batch, "order_id");
    const custId = idValues(batch, "customer_id");
    const created = numberValues(batch, "created_at", "datetime");
    const total = numberValues(batch, "total", "decimal");
    const qty = numberValues(batch, "quantity", "integer");
    const price = numberValues(batch, "price", "decimal");
    for (let r = 0; r < batch.length; r++) {
      const id = orderId(r);
      if (id === undefined) continue;
      let o = this.index.get(id);
      if (o === undefined) {
        o = this.ids.length;
        const kept = detach(id);
        this.index.set(kept, o);
        this.ids.push(kept);
        const cid = custId(r);
        const row = cid === undefined ? undefined : customers.index.get(cid);
        if (row === undefined) {
          this.orphans++;
          if (cid !== undefined && this.orphanExamples.length < ORPHAN_EXAMPLES && !this.orphanExamples.includes(cid)) this.orphanExamples.push(detach(cid));
        }
        this.customer.push(row ?? -1);
        this.created.push(created(r));
        this.total.push(total(r));
        this.itemSum.push(0);
        this.lines.push(batch.lines[r]);
        this.status.push(batch.columns.status, r);
        this.store.push(batch.columns.store, r);
        this.channel.push(batch.columns.channel, r);
      }
      const q = qty(r);
      const p = price(r);
      if (!Number.isNaN(p)) this.itemSum[o] += p * (Number.isNaN(q) ? 1 : q);
    }
  }

  *batches(size = 4096): Generator<FactBatch> {
    for (let start = 0; start < this.ids.length; start += size) {
      const end = Math.min(this.ids.length, start + size);
      const n = end - start;
      const totals = new Float64Array(n);
      const created = Float64Array.from(this.created.slice(start, end));
      for (let o = start; o < end; o++) totals[o - start] = Number.isNaN(this.total[o]) ? this.itemSum[o] : this.total[o];
      yield {
        length: n,
        lines: Int32Array.from(this.lines.slice(start, end)),
        customer: Int32Array.from(this.customer.slice(start, end)),
        columns: {
          id: { type: "id", values: this.ids.slice(start, end), validity: BitSet.full(n) },
          created_at: { type: "datetime", values: created, validity: validWhereNumber(created) },
          total: { type: "decimal", values: totals, validity: BitSet.full(n) },
          status: this.status.slice(start, end),
          store: this.store.slice(start, end),
          channel: this.channel.slice(start, end),
        },
        custom: {},
      };
    }
  }
}

/** Row accessor of an id column of a batch: the id, or undefined when null or absent. */
function idValues(batch: TypedBatch, name: string): (r: number) => string | undefined {
  const col = batch.columns[name];
  if (!col || (col.type !== "id" && col.type !== "string")) return () => undefined;
  return (r) => (col.validity.has(r) ? col.values[r] : undefined);
}

/** Row accessor of a number column of a batch: the value, or NaN when null or absent. */
function numberValues(batch: TypedBatch, name: string, type: "integer" | "decimal" | "datetime"): (r: number) => number {
  const col = batch.columns[name];
  if (!col || col.type !== type) return () => NaN;
  return (r) => (col.validity.has(r) ? col.values[r] : NaN);
}

function validWhereNumber(values: Float64Array): BitSet {
  const v = BitSet.full(values.length);
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) v.delete(i);
  return v;
}

/** A string per order, dictionary-encoded so repeated statuses cost a small integer each. */
class StringSlots {
  private readonly dict = new Dictionary();
  private readonly codes: number[] = [];
  push(col: TypedBatch["columns"][string] | undefined, r: number): void {
    const present = col !== undefined && (col.type === "string" || col.type === "id") && col.validity.has(r);
    this.codes.push(present ? this.dict.encode(col.values[r] as string) : -1);
  }
  slice(start: number, end: number): TypedValues {
    const codes = this.codes.slice(start, end);
    const validity = BitSet.full(codes.length);
    const values = codes.map((c, i) => {
      if (c >= 0) return this.dict.values[c];
      validity.delete(i);
      return "";
    });
    return { type: "string", values, validity };
  }
}

/**
 * The columns typeBatch reads under the header plan of `wanted`, as 1 and the rest as 0; or
 * undefined when it reads them all, or the header does not plan (the read says why).
 */
function columnsRead(header: string[], source: ResolvedSource, wanted: readonly string[] | undefined, reading: Parameters<typeof planHeader>[4]): Uint8Array | undefined {
  let plan: HeaderPlan;
  try {
    plan = planHeader(header, source, "UTC", wanted, reading);
  } catch {
    return undefined;
  }
  const keep = new Uint8Array(header.length);
  for (const c of plan.columns) keep[c.index] = 1;
  for (const c of plan.custom) keep[c.index] = 1;
  return keep.includes(0) ? keep : undefined;
}

/** The id column of a customer table: ids are unique, so the dictionary is the ids themselves, each row its own code. */
export function idColumn(ids: string[]): Column {
  const n = ids.length;
  const codes = new Uint32Array(n);
  for (let i = 0; i < n; i++) codes[i] = i;
  return { kind: "string", type: "id", codes, dict: ids, validity: BitSet.full(n), length: n };
}

function backfilled<B extends { push(v: null): void }>(b: B, rows: number): B {
  for (let i = 0; i < rows; i++) b.push(null);
  return b;
}

function typedValue(col: TypedValues, r: number): number | boolean | string | string[] | null {
  if (!col.validity.has(r)) return null;
  return col.type === "bool" ? col.values[r] === 1 : col.values[r];
}

/** The files of one export must have the same columns (their order may differ). */
function checkSameColumns(name: string, first: { display: string; columns: string[] }, display: string, columns: string[]): void {
  const missing = first.columns.filter((c) => !columns.includes(c));
  const extra = columns.filter((c) => !first.columns.includes(c));
  if (missing.length === 0 && extra.length === 0) return;
  const said = [missing.length ? `lacks ${missing.map((c) => `"${c}"`).join(", ")}` : "", extra.length ? `has ${extra.map((c) => `"${c}"`).join(", ")} besides` : ""].filter(Boolean).join(" and ");
  throw new DataError([{
    file: display, line: 1, col: 1,
    message: `the header differs from the first file of the ${name} export (${first.display}): it ${said}`,
    hint: "the files of one export must have the same columns; export them again alike, or read them as separate projects",
  }]);
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

/** The size of an export's files on disk (compressed, for .gz), 0 for one that cannot be read. */
export function bytesOf(source: ResolvedSource): number {
  let n = 0;
  for (const f of source.files) {
    try {
      n += statSync(f.file).size;
    } catch {
      // gone since it was opened: the read has said so
    }
  }
  return n;
}
