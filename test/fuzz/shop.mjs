// A small random shop (every export, every format) and the one segment per export that makes
// a command read it: the base each data case mutates.
import { parse } from "csv-parse/sync";
import { TextDecoder } from "node:util";
import { gunzipSync } from "node:zlib";

const CITIES = ["Moscow", "Москва", "Paris", "Saint Petersburg", "Berlin", "", "Kazan"];
const CATEGORIES = ["Chinese tea", "Black tea", "Teaware", "Coffee"];
const STATUSES = ["complete", "paid", "cancelled", "returned", "new"];

/** The exports a shop may have, with the field a segment reads to make a command read it. */
export const EXPORTS = ["customers", "orders", "order_items", "visits", "carts", "email_events"];
const TOUCH = {
  customers: { field: "city", in: ["Moscow", "Paris"] },
  orders: { field: "orders.count", gte: 1 },
  order_items: { field: "orders.count", where: { category: ["Chinese tea", "Teaware"] }, gte: 1 },
  visits: { field: "visits.count", gte: 1 },
  carts: { field: "carts.count", where: { status: ["abandoned"] }, gte: 1 },
  email_events: { field: "emails.count", gte: 1 },
};
/** Numeric (JSON number) columns per export. */
const NUMERIC = { orders: ["total"], order_items: ["quantity", "price"], carts: ["total"] };

const pad = (n, w = 2) => String(n).padStart(w, "0");
function datetime(rng) {
  const d = `${rng.int(2023, 2026)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;
  const t = `${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}`;
  return rng.pick([`${d}T${t}Z`, `${d} ${t}`, `${d}T${t}+03:00`, d]);
}

/** Tables of string cells: { name: { columns, rows } } for a random small shop. */
export function makeShop(rng, { customers = rng.int(2, 15), facts = rng.int(0, 25) } = {}) {
  const ids = Array.from({ length: customers }, (_, i) => `C${pad(i + 1, 3)}`);
  const t = {};
  t.customers = {
    columns: ["id", "email", "first_name", "city", "birthday", "created_at", "tags", "email_marketing", "channels", "loyalty_card", "bonus_points"],
    rows: ids.map((id) => [
      id, rng.chance(0.8) ? `${id.toLowerCase()}@example.com` : "", rng.pick(["Anna", "Иван", "Jo \"JJ\"", "O'Neil", ""]), rng.pick(CITIES),
      rng.chance(0.8) ? `${rng.int(1950, 2005)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}` : "", datetime(rng),
      rng.pick(["", "vip", "vip;wholesale"]), rng.pick(["true", "false", "1", "0", "yes", ""]), rng.pick(["", "telegram", "telegram;viber"]),
      rng.pick(["Yes", "No", ""]), String(rng.int(0, 900)),
    ]),
  };
  const orderIds = Array.from({ length: facts }, (_, i) => String(100001 + i));
  t.orders = {
    columns: ["id", "customer_id", "created_at", "status", "total"],
    rows: orderIds.map((oid) => [oid, rng.pick(ids), datetime(rng), rng.pick(STATUSES), `${rng.int(1, 9000)}.${pad(rng.int(0, 99))}`]),
  };
  t.order_items = {
    columns: ["order_id", "product_id", "category", "quantity", "price"],
    rows: orderIds.flatMap((oid) => Array.from({ length: rng.int(1, 2) }, () => [oid, `P${rng.int(100, 130)}`, rng.pick(CATEGORIES), String(rng.int(1, 5)), `${rng.int(50, 900)}.00`])),
  };
  t.visits = {
    columns: ["customer_id", "visited_at", "page", "source"],
    rows: Array.from({ length: rng.int(0, facts) }, () => [rng.pick(ids), datetime(rng), rng.pick(["/", "/catalog/tea", "/cart"]), rng.pick(["google", "", "yandex"])]),
  };
  t.carts = {
    columns: ["customer_id", "updated_at", "status", "total"],
    rows: Array.from({ length: rng.int(0, 8) }, () => [rng.pick(ids), datetime(rng), rng.pick(["abandoned", "converted"]), `${rng.int(1, 900)}`]),
  };
  t.email_events = {
    columns: ["customer_id", "type", "at", "campaign"],
    rows: Array.from({ length: rng.int(0, 10) }, () => [rng.pick(ids), rng.pick(["sent", "open", "click"]), datetime(rng), rng.pick(["digest", ""])]),
  };
  return t;
}

function csvCell(v, delimiter) {
  return /["\r\n]/.test(v) || v.includes(delimiter) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** A table as CSV text. */
export function toCsv({ columns, rows }, { delimiter = ",", eol = "\n", bom = false } = {}) {
  const lines = [columns, ...rows].map((r) => r.map((v) => csvCell(v, delimiter)).join(delimiter));
  return (bom ? "\ufeff" : "") + lines.join(eol) + eol;
}

function toObjects(name, { columns, rows }) {
  const numeric = NUMERIC[name] ?? [];
  return rows.map((r) => {
    const o = {};
    columns.forEach((c, i) => {
      const v = r[i];
      if (typeof v !== "string") o[c] = v;
      else if (v === "") o[c] = null;
      else if (numeric.includes(c) && /^-?\d+(\.\d+)?$/.test(v)) o[c] = Number(v);
      else if ((c === "tags" || c === "channels") && name === "customers") o[c] = v.split(";");
      else o[c] = v;
    });
    return o;
  });
}

/** A table as NDJSON text. */
export const toNdjson = (name, table) => toObjects(name, table).map((o) => JSON.stringify(o)).join("\n") + "\n";
/** A table as a JSON array, compact or pretty. */
export const toJson = (name, table, pretty = false) => JSON.stringify(toObjects(name, table), null, pretty ? 2 : 0) + "\n";

/** The segment that makes a command read `exportName`, as YAML text. */
export function touchSegment(code, exportName) {
  return `code: ${code}\nname: Reads ${exportName}\nfilters:\n  - ${JSON.stringify(TOUCH[exportName])}\n`;
}

/**
 * Whether bytes of an export are structurally broken as DATA.md and docs/data.md say (a gzip
 * stream cut short, invalid UTF-8, a NUL byte, broken quoting, a wrong field count, a JSON
 * line or array that does not parse, an empty file, or no header): the reference reading,
 * csv-parse with the product's options.
 */
export function structurallyBroken(format, bytes, gz) {
  try {
    if (gz) bytes = gunzipSync(bytes);
    let text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    // readText's rules (docs/data.md), before any reader: a NUL is refused; a text with CRs
    // and no LF has CR line ends (the rule looks at the first megabyte; these files are small).
    if (text.includes("\0")) return "a NUL byte";
    if (text.includes("\r") && !text.includes("\n")) text = text.replaceAll("\r", "\n");
    if (format === "csv") {
      const records = parse(text, { relax_column_count: true, skip_empty_lines: false, record_delimiter: ["\r\n", "\n"], bom: true });
      const real = records.filter((r) => !(r.length === 1 && r[0] === ""));
      if (!real.length) return "no header";
      const want = real[0].length;
      const bad = real.findIndex((r) => r.length !== want);
      return bad === -1 ? null : `record ${bad + 1} has ${real[bad].length} fields, the header ${want}`;
    }
    const isObject = (o) => o !== null && typeof o === "object" && !Array.isArray(o);
    if (format === "ndjson") {
      if (text.trim() === "") return "the file is empty";
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        if (!isObject(JSON.parse(line))) return "a line is not an object";
      }
      return null;
    }
    const doc = JSON.parse(text);
    if (!Array.isArray(doc) || !doc.every(isObject)) return "not an array of objects";
    return null;
  } catch (e) {
    return String(e.message ?? e).slice(0, 100);
  }
}
