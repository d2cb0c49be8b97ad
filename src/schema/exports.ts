/** The canonical exports of DATA.md: their columns, types and required columns. */
import type { ValueType } from "../table/value-type.js";

/** Names of the six exports. */
export const EXPORT_NAMES = ["customers", "orders", "order_items", "visits", "carts", "email_events"] as const;
/** One of the six exports. */
export type ExportName = (typeof EXPORT_NAMES)[number];
/** The fact exports (all but customers). */
export type FactExportName = Exclude<ExportName, "customers">;

/** Columns and rules of one export. */
export interface ExportSchema {
  columns: Record<string, ValueType>;
  /** Columns that must be present. */
  required: string[];
  /** The column whose datetime is the fact's timestamp. */
  timestamp?: string;
}

/** The canonical schema of each export. */
export const SCHEMAS: Record<ExportName, ExportSchema> = {
  customers: {
    columns: {
      id: "id", email: "string", phone: "string", first_name: "string", last_name: "string",
      sex: "string", birthday: "date", created_at: "datetime", country: "string", region: "string",
      city: "string", source: "string", tags: "list", customer_group: "string", manager: "string",
      email_marketing: "bool", sms_marketing: "bool", channels: "list",
    },
    required: ["id"],
  },
  orders: {
    columns: {
      id: "id", customer_id: "id", created_at: "datetime", status: "string", total: "decimal",
      store: "string", channel: "string",
    },
    required: ["customer_id", "created_at"],
    timestamp: "created_at",
  },
  order_items: {
    columns: {
      order_id: "id", product_id: "id", sku: "string", name: "string", category: "string",
      quantity: "integer", price: "decimal",
      // Present when the items are a line-item export that stands for the orders too.
      customer_id: "id", created_at: "datetime", status: "string", store: "string",
      channel: "string", total: "decimal",
    },
    required: ["order_id"],
  },
  visits: {
    columns: {
      customer_id: "id", visited_at: "datetime", source: "string", medium: "string",
      campaign: "string", page: "string", category: "string", product_id: "id", goal: "string",
    },
    required: ["customer_id", "visited_at"],
    timestamp: "visited_at",
  },
  carts: {
    columns: { customer_id: "id", updated_at: "datetime", status: "string", total: "decimal" },
    required: ["customer_id", "updated_at"],
    timestamp: "updated_at",
  },
  email_events: {
    columns: { customer_id: "id", type: "string", at: "datetime", campaign: "string" },
    required: ["customer_id", "type", "at"],
    timestamp: "at",
  },
};

/** Order columns a line-item export may carry, taken from each order's first row. */
export const ORDER_COLUMNS_IN_ITEMS = ["customer_id", "created_at", "status", "store", "channel", "total"] as const;

/** Turns a source header into a custom field name: lower case, runs of other characters as `_`. */
export function customFieldName(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
}
