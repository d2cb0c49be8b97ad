/** The fields a filter may name, and what each one is. */
import type { ValueType } from "../table/value-type.js";
import { SCHEMAS } from "../schema/exports.js";
import type { Metric } from "./plan.js";

/** Fact tables of the language and the export each reads. */
export const FACT_EXPORT = { orders: "orders", visits: "visits", carts: "carts", emails: "email_events" } as const;
/** A fact table name. */
export type FactTable = keyof typeof FACT_EXPORT;
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
  | { kind: "segment" }
  | { kind: "rfm"; name: string };

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

/** RFM fields (computed by the RFM feature). */
export const RFM_FIELDS = ["rfm.recency", "rfm.frequency", "rfm.monetary", "rfm.r", "rfm.f", "rfm.m", "rfm.score", "rfm.segment"];

/** Resolves a field name, or undefined when there is no such field. */
export function resolveField(name: string): FieldRef | undefined {
  if (name === "segment") return { kind: "segment" };
  if (name === "age") return { kind: "age", type: "integer" };
  if (name in CUSTOMER_COLUMNS) return { kind: "customer", column: name, type: CUSTOMER_COLUMNS[name] };
  if (name.startsWith("custom.") && name.length > 7) return { kind: "custom", name: name.slice(7) };
  if (RFM_FIELDS.includes(name)) return { kind: "rfm", name: name.slice(4) };
  const dot = name.indexOf(".");
  if (dot < 0) return undefined;
  const table = name.slice(0, dot) as FactTable;
  const rest = name.slice(dot + 1);
  if (!(table in FACT_EXPORT)) return undefined;
  if ((METRICS[table] as string[]).includes(rest)) return { kind: "metric", table, metric: rest as Metric, type: METRIC_TYPE[rest as Metric] };
  const col = factColumns(table).get(rest);
  if (col) return { kind: "fact-column", table, column: rest, type: col.type, level: col.level };
  return undefined;
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
