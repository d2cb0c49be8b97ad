/**
 * Reads the raw exports of fixtures/shop into the naive reference evaluator's `ShopData`:
 * rows of cell text exactly as written (no trimming, no type conversion), null for an
 * empty cell. CSV goes through csv-parse's sync API, not through the product's own
 * scanner; nothing here imports from src/, so the golden lists derived from it are
 * independent of the product.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import { CUSTOMER_COLUMNS, type CustomType, type Row, type ShopData } from "../reference/naive-evaluator.js";

/** The custom columns of fixtures/shop/customers.csv and their types (fixtures/README.md). */
export const SHOP_CUSTOM_FIELDS: Array<{ name: string; type: CustomType }> = [
  { name: "loyalty_card", type: "bool" },
  { name: "bonus_points", type: "integer" },
  { name: "discount_rate", type: "decimal" },
  { name: "last_call", type: "date" },
  { name: "last_login_at", type: "datetime" },
  { name: "favourite_tea", type: "string" },
];

/** The columns each CSV export of the fixture must have, in this order. */
const CSV_HEADERS: Record<string, string[]> = {
  "customers.csv": [...Object.keys(CUSTOMER_COLUMNS), ...SHOP_CUSTOM_FIELDS.map((f) => f.name)],
  "orders.csv": ["id", "customer_id", "created_at", "status", "total", "store", "channel"],
  "order_items.csv": ["order_id", "product_id", "sku", "name", "category", "quantity", "price"],
  "email_events.csv.gz": ["customer_id", "type", "at", "campaign"],
};

/** The keys of the JSON exports' objects. */
const JSON_KEYS: Record<string, string[]> = {
  "visits.ndjson": ["customer_id", "visited_at", "source", "medium", "campaign", "page", "category", "product_id", "goal"],
  "carts.json": ["customer_id", "updated_at", "status", "total"],
};

/**
 * Parses CSV text (RFC 4180: quoted cells with `""`, delimiters and line breaks inside
 * quotes; CRLF or LF; an optional UTF-8 BOM) into rows. Cells are kept verbatim; an empty
 * cell becomes null. Every record must have the header's column count.
 */
export function csvRows(text: string, expectedHeader: string[], what: string): Row[] {
  const records = parse(text, { bom: true, relax_column_count: false, relax_quotes: false, skip_empty_lines: false, trim: false }) as string[][];
  if (records.length === 0) throw new Error(`${what}: no header`);
  const [header, ...body] = records;
  if (JSON.stringify(header) !== JSON.stringify(expectedHeader)) {
    throw new Error(`${what}: header ${JSON.stringify(header)}, expected ${JSON.stringify(expectedHeader)}`);
  }
  return body.map((cells) => {
    const row: Row = {};
    header.forEach((name, i) => {
      row[name] = cells[i] === "" ? null : cells[i];
    });
    return row;
  });
}

/** A JSON value of an export as cell text: strings as they are, numbers and bools as their text, null or missing as null. */
function jsonCell(v: unknown, what: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v === "" ? null : v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new Error(`${what}: not a scalar: ${JSON.stringify(v)}`);
}

/** One JSON object of an export as a row; its keys must be exactly `keys`. */
function jsonRow(obj: unknown, keys: string[], what: string): Row {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new Error(`${what}: not an object`);
  const o = obj as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw new Error(`${what}: unexpected keys ${extra.join(", ")}`);
  const row: Row = {};
  for (const k of keys) row[k] = jsonCell(o[k], `${what}.${k}`);
  return row;
}

/** Reads a shop folder laid out like fixtures/shop into `ShopData`. */
export function loadShopFixture(dir: string): ShopData {
  const text = (name: string) => readFileSync(path.join(dir, name), "utf8");
  const csv = (name: string, content = text(name)) => csvRows(content, CSV_HEADERS[name], name);

  const customers = csv("customers.csv");
  const orders = csv("orders.csv");
  const order_items = csv("order_items.csv");
  const email_events = csv("email_events.csv.gz", gunzipSync(readFileSync(path.join(dir, "email_events.csv.gz"))).toString("utf8"));

  const visits = text("visits.ndjson")
    .split(/\r?\n/)
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => line.trim() !== "")
    .map(({ line, i }) => jsonRow(JSON.parse(line), JSON_KEYS["visits.ndjson"], `visits.ndjson:${i + 1}`));

  const cartArray = JSON.parse(text("carts.json")) as unknown;
  if (!Array.isArray(cartArray)) throw new Error("carts.json: not a JSON array");
  const carts = cartArray.map((c, i) => jsonRow(c, JSON_KEYS["carts.json"], `carts.json[${i}]`));

  return { customers, orders, order_items, visits, carts, email_events, customFields: SHOP_CUSTOM_FIELDS };
}
