/** The fields a filter may name, and what each one is. */
import type { ValueType } from "../table/value-type.js";
import { SCHEMAS, type FactExportName } from "../schema/exports.js";
import type { FilterNode, GroupNode, SegmentDef } from "./ast.js";
import type { Metric, RfmField } from "./plan.js";

/** Fact tables of the language and the export each reads. */
export const FACT_EXPORT = { orders: "orders", visits: "visits", carts: "carts", emails: "email_events" } as const;
/** A fact table name. */
export type FactTable = keyof typeof FACT_EXPORT;
/** The fact table each fact export feeds (order_items: the item-level columns of orders). */
export const TABLE_OF: Record<FactExportName, FactTable> = { orders: "orders", order_items: "orders", visits: "visits", carts: "carts", email_events: "emails" };
/** The exports holding a fact table's columns, with their level: orders.<name> is the orders export's, else its items'. */
export const EXPORTS_OF: Record<FactTable, ReadonlyArray<readonly [FactExportName, "row" | "item"]>> = {
  orders: [["orders", "row"], ["order_items", "item"]], visits: [["visits", "row"]], carts: [["carts", "row"]], emails: [["email_events", "row"]],
};
/** The fact tables, in the order passes run. */
export const FACT_TABLES = Object.keys(FACT_EXPORT) as FactTable[];

/** The timestamp column of each fact table: it dates a row (as-of cut-off, first_at, last_at). */
export const TIMESTAMP: Record<FactTable, string> = {
  orders: SCHEMAS.orders.timestamp!, visits: SCHEMAS.visits.timestamp!, carts: SCHEMAS.carts.timestamp!, emails: SCHEMAS.email_events.timestamp!,
};

/** Columns of order_items that orders filters may name. */
export const ITEM_COLUMNS = ["product_id", "sku", "name", "category", "quantity", "price"] as const;

/** A resolved field. */
export type FieldRef =
  | { kind: "customer"; column: string; type: ValueType }
  | { kind: "age"; type: "integer" }
  | { kind: "custom"; name: string }
  | { kind: "metric"; table: FactTable; metric: Metric; type: ValueType }
  | { kind: "fact-column"; table: FactTable; column: string; type: ValueType; level: "row" | "item" }
  /** A fact export's own extra column (`orders.country`): its type is inferred from the data at bind. */
  | { kind: "fact-custom"; table: FactTable; column: string }
  | { kind: "segment" }
  | { kind: "rfm"; name: RfmField; type: ValueType };

const CUSTOMER_COLUMNS = SCHEMAS.customers.columns;

/** Columns of a fact table that a filter or `where` may name, with their types and level. */
export function factColumns(table: FactTable): Map<string, { type: ValueType; level: "row" | "item" }> {
  const out = new Map<string, { type: ValueType; level: "row" | "item" }>();
  for (const [c, t] of Object.entries(SCHEMAS[FACT_EXPORT[table]].columns)) if (c !== "customer_id") out.set(c, { type: t, level: "row" });
  if (table === "orders") for (const c of ITEM_COLUMNS) out.set(c, { type: SCHEMAS.order_items.columns[c], level: "item" });
  return out;
}

const METRICS: Record<FactTable, Metric[]> = {
  orders: ["count", "first_at", "last_at", "revenue", "avg_check", "quantity"],
  visits: ["count", "first_at", "last_at"],
  carts: ["count", "first_at", "last_at"],
  emails: ["count", "first_at", "last_at"],
};

/** The value type of each metric. */
export const METRIC_TYPE: Record<Metric, ValueType> = {
  count: "integer", first_at: "datetime", last_at: "datetime", revenue: "decimal", avg_check: "decimal", quantity: "integer",
};

/** RFM fields (docs/rfm.md) and their types. */
export const RFM_TYPE: Record<RfmField, ValueType> = {
  recency: "integer", frequency: "integer", monetary: "decimal", r: "integer", f: "integer", m: "integer", score: "string", segment: "string",
};
export const RFM_FIELDS = Object.keys(RFM_TYPE).map((k) => `rfm.${k}`);

/** The shape of a custom column's name (what `customFieldName` makes of a header). */
const CUSTOM_NAME = /^[\p{L}\p{N}_]+$/u;

/** Resolves a field name, or undefined when there is no such field. */
export function resolveField(name: string): FieldRef | undefined {
  if (name === "segment") return { kind: "segment" };
  if (name === "age") return { kind: "age", type: "integer" };
  if (name in CUSTOMER_COLUMNS) return { kind: "customer", column: name, type: CUSTOMER_COLUMNS[name] };
  if (name.startsWith("custom.") && name.length > 7) return { kind: "custom", name: name.slice(7) };
  if (RFM_FIELDS.includes(name)) return { kind: "rfm", name: name.slice(4) as RfmField, type: RFM_TYPE[name.slice(4) as RfmField] };
  const dot = name.indexOf(".");
  if (dot < 0) return undefined;
  const table = name.slice(0, dot) as FactTable;
  const rest = name.slice(dot + 1);
  if (!(table in FACT_EXPORT)) return undefined;
  if ((METRICS[table] as string[]).includes(rest)) return { kind: "metric", table, metric: rest as Metric, type: METRIC_TYPE[rest as Metric] };
  const col = factColumns(table).get(rest);
  if (col) return { kind: "fact-column", table, column: rest, type: col.type, level: col.level };
  if (isCustomFactName(table, rest)) return { kind: "fact-custom", table, column: rest };
  return undefined;
}

/** True when `name` could be a custom column of a fact export (not a canonical column or a metric). */
export function isCustomFactName(table: FactTable, name: string): boolean {
  return CUSTOM_NAME.test(name) && !factColumns(table).has(name) && !(METRICS[table] as string[]).includes(name) && name !== "customer_id";
}

/** Every field name, for suggestions. */
export function allFieldNames(customFields: readonly string[] = []): string[] {
  const names = ["segment", "age", ...Object.keys(CUSTOMER_COLUMNS), ...customFields.map((c) => `custom.${c}`), ...RFM_FIELDS];
  for (const table of Object.keys(FACT_EXPORT) as FactTable[]) {
    for (const m of METRICS[table]) names.push(`${table}.${m}`);
    for (const c of factColumns(table).keys()) names.push(`${table}.${c}`);
  }
  return names;
}

/** Per fact export, the names the language gives its fields: a column of such a name cannot be a custom fact column. */
export function takenFactNames(): Record<FactExportName, ReadonlySet<string>> {
  const of = (table: FactTable) => new Set(["customer_id", "id", ...factColumns(table).keys(), ...METRICS[table]]);
  const out = {} as Record<FactExportName, ReadonlySet<string>>;
  for (const [exp, table] of Object.entries(TABLE_OF) as Array<[FactExportName, FactTable]>) out[exp] = of(table);
  return out;
}

/** The custom fact columns the definitions name (fields and `where` columns), per fact table. */
export function customFactRefs(defs: readonly SegmentDef[]): Map<FactTable, Set<string>> {
  const out = new Map<FactTable, Set<string>>();
  const add = (table: FactTable, column: string) => {
    if (!isCustomFactName(table, column)) return;
    let set = out.get(table);
    if (!set) out.set(table, (set = new Set()));
    set.add(column);
  };
  const walk = (node: GroupNode | FilterNode): void => {
    if (node.kind === "group") return node.children.forEach(walk);
    const ref = resolveField(node.field);
    if (!ref || (ref.kind !== "fact-custom" && ref.kind !== "fact-column" && ref.kind !== "metric")) return;
    if (ref.kind === "fact-custom") add(ref.table, ref.column);
    for (const c of node.where) add(ref.table, c.column);
  };
  for (const d of defs) walk(d.root);
  return out;
}

/**
 * The customer columns that the definitions' filters and the output fields read (canonical
 * names and `custom.<name>`; `age` reads `birthday`), so a run loads only those.
 */
export function customerColumnRefs(defs: readonly SegmentDef[], outputs: readonly string[] = []): string[] {
  const out = new Set<string>();
  const add = (field: string) => {
    const ref = resolveField(field);
    if (ref?.kind === "customer") out.add(ref.column);
    else if (ref?.kind === "age") out.add("birthday");
    else if (ref?.kind === "custom") out.add(`custom.${ref.name}`);
  };
  const walk = (node: GroupNode | FilterNode): void => {
    if (node.kind === "group") node.children.forEach(walk);
    else add(node.field);
  };
  for (const d of defs) walk(d.root);
  outputs.forEach(add);
  return [...out];
}
