/**
 * A deliberately naive reference evaluator of segment definitions, written from
 * SEGMENTS.md, DATA.md and docs/segments.md only. It walks the in-memory rows customer by
 * customer and filter by filter, re-parsing every cell each time it is looked at: obvious
 * rather than fast. It shares no code with src/ (its date arithmetic is its own, on
 * Date.UTC and Intl), so the differential test compares two independent readings of the
 * spec.
 *
 * The as-of day is "now" (SEGMENTS.md, Dates): fact rows dated after it in the configured
 * zone are dropped when the indexes are built (Shop), so every aggregate, column filter and
 * `where` only ever sees the kept rows; `leftOut` counts the dropped ones per export.
 */

// ---------------------------------------------------------------------------------------
// Data model: rows of cell texts exactly as written to the CSV files (null: empty cell).
// ---------------------------------------------------------------------------------------

/** One row of an export: column name -> cell text (null for an empty cell). */
export type Row = Record<string, string | null>;

/** Types of custom fields the generator produces. */
export type CustomType = "integer" | "decimal" | "bool" | "date" | "datetime" | "string";

/** A whole shop: the six exports as rows of cell text. */
export interface ShopData {
  customers: Row[];
  orders: Row[];
  order_items: Row[];
  visits: Row[];
  carts: Row[];
  email_events: Row[];
  /** Custom columns of customers (the header equals the field name) and their type. */
  customFields: Array<{ name: string; type: CustomType }>;
}

/** Types a value can have once parsed. */
export type Kind = "string" | "list" | "number" | "bool" | "date" | "datetime";

/** DATA.md: customers' canonical columns. */
export const CUSTOMER_COLUMNS: Record<string, Kind> = {
  id: "string", email: "string", phone: "string", first_name: "string", last_name: "string",
  sex: "string", birthday: "date", created_at: "datetime", country: "string", region: "string",
  city: "string", source: "string", tags: "list", customer_group: "string", manager: "string",
  email_marketing: "bool", sms_marketing: "bool", channels: "list",
};

/** The fact tables of SEGMENTS.md, their export, columns and timestamp column. */
export const FACTS: Record<string, { export: keyof Omit<ShopData, "customFields">; columns: Record<string, Kind>; timestamp: string }> = {
  orders: {
    export: "orders",
    columns: { id: "string", customer_id: "string", created_at: "datetime", status: "string", total: "number", store: "string", channel: "string" },
    timestamp: "created_at",
  },
  visits: {
    export: "visits",
    columns: {
      customer_id: "string", visited_at: "datetime", source: "string", medium: "string", campaign: "string",
      page: "string", category: "string", product_id: "string", goal: "string",
    },
    timestamp: "visited_at",
  },
  carts: {
    export: "carts",
    columns: { customer_id: "string", updated_at: "datetime", status: "string", total: "number" },
    timestamp: "updated_at",
  },
  emails: {
    export: "email_events",
    columns: { customer_id: "string", type: "string", at: "datetime", campaign: "string" },
    timestamp: "at",
  },
};

/** order_items columns an `orders` filter or `where` may name (docs/segments.md, Facts). */
export const ITEM_COLUMNS: Record<string, Kind> = {
  category: "string", product_id: "string", sku: "string", name: "string", quantity: "number", price: "number",
};

/** Aggregate fields of every fact table, and the extra ones of orders. */
export const AGGREGATES = ["count", "first_at", "last_at"];
export const ORDER_AGGREGATES = ["revenue", "avg_check", "quantity"];

export const OPERATORS = [
  "eq", "ne", "in", "not_in", "all", "gt", "gte", "lt", "lte", "between", "empty",
  "contains", "not_contains", "starts_with", "ends_with", "matches",
] as const;
export type Operator = (typeof OPERATORS)[number];

/** Operators that hold on a null value (besides `empty: true`). */
const NULL_TRUE = new Set(["ne", "not_in", "not_contains"]);
/** A negative operator on a fact column and its positive form. */
const POSITIVE_OF: Record<string, Operator> = { ne: "eq", not_in: "in", not_contains: "contains" };

// ---------------------------------------------------------------------------------------
// Segment definitions as plain objects.
// ---------------------------------------------------------------------------------------

export interface FilterDef {
  field: string;
  where?: Record<string, unknown>;
  ignore_year?: boolean;
  [op: string]: unknown;
}
export interface GroupDef {
  match?: "all" | "any";
  not?: boolean;
  filters?: FilterDef[];
  groups?: GroupDef[];
}
/** A segment is the outermost group: `filters`, `groups`, `match` and `not: true` as any group. */
export interface SegmentDef extends GroupDef {
  code: string;
  name: string;
  description?: string;
  type?: "dynamic" | "static";
  active?: boolean;
  analytics?: boolean;
}

/** The one operator of a filter (or of a `where` operator object). */
export function operatorOf(f: Record<string, unknown>): Operator {
  const ops = OPERATORS.filter((o) => o in f);
  if (ops.length !== 1) throw new Error(`filter must have exactly one operator: ${JSON.stringify(f)}`);
  return ops[0];
}

// ---------------------------------------------------------------------------------------
// Calendar arithmetic of its own: day numbers (days since 1970-01-01) via Date.UTC, and
// time zones via Intl.
// ---------------------------------------------------------------------------------------

export const DAY_MS = 86_400_000;

/** Day number of a calendar date (month 1..12). */
export function dayOf(y: number, m: number, d: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  t.setUTCHours(0, 0, 0, 0);
  return Math.round(t.getTime() / DAY_MS);
}

/** Calendar fields of a day number. */
export function civil(day: number): { y: number; m: number; d: number } {
  const t = new Date(day * DAY_MS);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** `YYYY-MM-DD` of a day number. */
export function dayText(day: number): string {
  const { y, m, d } = civil(day);
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

export function daysInMonth(y: number, m: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Adds calendar months; a day past the end of the target month takes its last day. */
export function addMonths(day: number, n: number): number {
  const { y, m, d } = civil(day);
  let ty = y;
  let tm = m + n;
  while (tm > 12) { tm -= 12; ty += 1; }
  while (tm < 1) { tm += 12; ty -= 1; }
  return dayOf(ty, tm, Math.min(d, daysInMonth(ty, tm)));
}

/** Parses `YYYY-MM-DD` (a real calendar date) to a day number. */
export function parseDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  return dayOf(y, mo, d);
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(?: ?(Z|z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Parses an ISO datetime of DATA.md to epoch ms. A datetime with no zone is UTC (the
 * generator never writes one).
 */
export function parseInstant(text: string): number | undefined {
  const m = DATETIME.exec(text.trim());
  if (!m) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3];
  const h = m[4] ? +m[4] : 0, mi = m[5] ? +m[5] : 0, s = m[6] ? +m[6] : 0;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  let offsetMin = 0;
  const z = m[8];
  if (z && z.toUpperCase() !== "Z") {
    const sign = z[0] === "-" ? -1 : 1;
    const digits = z.slice(1).replace(":", "");
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  const wall = dayOf(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  return wall - offsetMin * 60_000;
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of an instant in a zone, read with Intl. */
export function wallFields(ms: number, zone: string): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  let f = dayFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    });
    dayFormatters.set(zone, f);
  }
  const out = { y: 0, m: 0, d: 0, h: 0, mi: 0, s: 0 };
  for (const p of f.formatToParts(new Date(ms))) {
    if (p.type === "year") out.y = +p.value;
    else if (p.type === "month") out.m = +p.value;
    else if (p.type === "day") out.d = +p.value;
    else if (p.type === "hour") out.h = +p.value;
    else if (p.type === "minute") out.mi = +p.value;
    else if (p.type === "second") out.s = +p.value;
  }
  return out;
}

/** The calendar day (day number) of an instant in a zone. */
export function zoneDay(ms: number, zone: string): number {
  const w = wallFields(ms, zone);
  return dayOf(w.y, w.m, w.d);
}

/** Offset of a zone from UTC at an instant, in minutes (local = utc + offset). */
export function zoneOffsetMinutes(ms: number, zone: string): number {
  const w = wallFields(ms, zone);
  const local = dayOf(w.y, w.m, w.d) * DAY_MS + ((w.h * 60 + w.mi) * 60 + w.s) * 1000;
  const floored = ms - (((ms % 1000) + 1000) % 1000);
  return Math.round((local - floored) / 60_000);
}

/** The instant at which the wall clock of `zone` shows `wallMs` (read as if UTC); approximate in DST gaps. */
export function wallToInstant(wallMs: number, zone: string): number {
  let guess = wallMs - zoneOffsetMinutes(wallMs, zone) * 60_000;
  for (let i = 0; i < 3; i++) {
    const next = wallMs - zoneOffsetMinutes(guess, zone) * 60_000;
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

/** Month and day as one comparable number: 02-29 is 229, between 228 and 301. */
export function monthDay(day: number): number {
  const { m, d } = civil(day);
  return m * 100 + d;
}

// ---------------------------------------------------------------------------------------
// Operands.
// ---------------------------------------------------------------------------------------

const RELATIVE = /^([+-])(\d+)([dwmy])$/;

/** Turns a date operand into a day number: absolute date, datetime (its day in the zone), `today`, or an offset. */
export function resolveDateOperand(operand: unknown, asOfDay: number, zone: string): number {
  const text = String(operand).trim();
  if (text.toLowerCase() === "today") return asOfDay;
  const rel = RELATIVE.exec(text);
  if (rel) {
    const n = (rel[1] === "-" ? -1 : 1) * Number(rel[2]);
    switch (rel[3]) {
      case "d": return asOfDay + n;
      case "w": return asOfDay + 7 * n;
      case "m": return addMonths(asOfDay, n);
      case "y": return addMonths(asOfDay, 12 * n);
    }
  }
  const day = parseDay(text);
  if (day !== undefined) return day;
  const instant = parseInstant(text);
  if (instant !== undefined) return zoneDay(instant, zone);
  throw new Error(`not a date operand: ${JSON.stringify(operand)}`);
}

/** Turns an `ignore_year` operand (`MM-DD`, `today` or an offset) into a month-day number. */
export function resolveMonthDayOperand(operand: unknown, asOfDay: number, zone: string): number {
  const text = String(operand).trim();
  const md = /^(\d{2})-(\d{2})$/.exec(text);
  if (md) return Number(md[1]) * 100 + Number(md[2]);
  return monthDay(resolveDateOperand(text, asOfDay, zone));
}

/** Folds a string for comparison: trimmed, lower-cased. Numbers compare as their text. */
export function fold(v: unknown): string {
  return String(v).trim().toLowerCase();
}

/** A `matches` operand: `/body/flags` or a bare expression (no flags). A fresh RegExp each time. */
export function regexOf(operand: unknown): RegExp {
  const text = String(operand);
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
  return m ? new RegExp(m[1], m[2]) : new RegExp(text);
}

// ---------------------------------------------------------------------------------------
// Cell parsing.
// ---------------------------------------------------------------------------------------

/** A parsed value: null, a string (kept unfolded), a list of strings, a number, a bool, or a day number. */
export type Value = null | string | string[] | number | boolean;

/** Parses a cell as a value of `kind`; an empty (or blank) cell is null. Datetimes become their day in `zone`. */
export function parseCell(cell: string | null | undefined, kind: Kind, zone: string): Value {
  if (cell === null || cell === undefined) return null;
  const t = cell.trim();
  if (t === "") return null;
  switch (kind) {
    case "string":
      return t;
    case "list":
      return t.split(";").map((s) => s.trim()).filter((s) => s !== "");
    case "number": {
      const n = Number(t);
      if (!Number.isFinite(n)) throw new Error(`bad number cell ${JSON.stringify(cell)}`);
      return n;
    }
    case "bool": {
      const l = t.toLowerCase();
      if (["true", "1", "yes"].includes(l)) return true;
      if (["false", "0", "no"].includes(l)) return false;
      throw new Error(`bad bool cell ${JSON.stringify(cell)}`);
    }
    case "date": {
      const d = parseDay(t);
      if (d === undefined) throw new Error(`bad date cell ${JSON.stringify(cell)}`);
      return d;
    }
    case "datetime": {
      const ms = parseInstant(t);
      if (ms === undefined) throw new Error(`bad datetime cell ${JSON.stringify(cell)}`);
      return zoneDay(ms, zone);
    }
  }
}

function kindOfCustom(type: CustomType): Kind {
  return type === "integer" || type === "decimal" ? "number" : type;
}

// ---------------------------------------------------------------------------------------
// Operators on one value.
// ---------------------------------------------------------------------------------------

export interface EvalContext {
  asOfDay: number;
  zone: string;
}

function isEmpty(v: Value): boolean {
  return v === null || (Array.isArray(v) && v.length === 0);
}

/**
 * Applies `op operand` to the value `v` of kind `kind`. `ignoreYear` compares month and
 * day only. Straight from the operator table and the null rule.
 */
export function applyOperator(kind: Kind, v: Value, op: Operator, operand: unknown, ctx: EvalContext, ignoreYear = false): boolean {
  if (op === "empty") return isEmpty(v) === (operand === true);
  if (v === null) return NULL_TRUE.has(op);

  if (kind === "list") {
    const items = v as string[];
    const has = (x: unknown) => items.some((it) => fold(it) === fold(x));
    switch (op) {
      case "eq": return has(operand);
      case "ne": return !has(operand);
      case "in": return (operand as unknown[]).some(has);
      case "not_in": return !(operand as unknown[]).some(has);
      case "all": return (operand as unknown[]).every(has);
      case "contains": return items.some((it) => fold(it).includes(fold(operand)));
      case "not_contains": return !items.some((it) => fold(it).includes(fold(operand)));
      case "starts_with": return items.some((it) => fold(it).startsWith(fold(operand)));
      case "ends_with": return items.some((it) => fold(it).endsWith(fold(operand)));
      case "matches": return items.some((it) => regexOf(operand).test(it.trim()));
    }
    throw new Error(`operator ${op} not for lists`);
  }

  if (kind === "string") {
    const s = fold(v);
    switch (op) {
      case "eq": return s === fold(operand);
      case "ne": return s !== fold(operand);
      case "in": return (operand as unknown[]).some((x) => s === fold(x));
      case "not_in": return !(operand as unknown[]).some((x) => s === fold(x));
      case "contains": return s.includes(fold(operand));
      case "not_contains": return !s.includes(fold(operand));
      case "starts_with": return s.startsWith(fold(operand));
      case "ends_with": return s.endsWith(fold(operand));
      case "matches": return regexOf(operand).test(String(v).trim());
    }
    throw new Error(`operator ${op} not for strings`);
  }

  if (kind === "bool") {
    switch (op) {
      case "eq": return v === operand;
      case "ne": return v !== operand;
      case "in": return (operand as unknown[]).includes(v);
      case "not_in": return !(operand as unknown[]).includes(v);
    }
    throw new Error(`operator ${op} not for bools`);
  }

  // Numbers, and dates as day numbers (or month-day numbers with ignore_year).
  let x = v as number;
  let conv: (o: unknown) => number;
  if (kind === "number") {
    conv = (o) => {
      if (typeof o !== "number") throw new Error(`numeric operand expected, got ${JSON.stringify(o)}`);
      return o;
    };
  } else if (ignoreYear) {
    x = monthDay(x);
    conv = (o) => resolveMonthDayOperand(o, ctx.asOfDay, ctx.zone);
  } else {
    conv = (o) => resolveDateOperand(o, ctx.asOfDay, ctx.zone);
  }
  switch (op) {
    case "eq": return x === conv(operand);
    case "ne": return x !== conv(operand);
    case "in": return (operand as unknown[]).some((o) => x === conv(o));
    case "not_in": return !(operand as unknown[]).some((o) => x === conv(o));
    case "gt": return x > conv(operand);
    case "gte": return x >= conv(operand);
    case "lt": return x < conv(operand);
    case "lte": return x <= conv(operand);
    case "between": {
      const [lo, hi] = operand as [unknown, unknown];
      const l = lo === null ? null : conv(lo);
      const h = hi === null ? null : conv(hi);
      if (ignoreYear && l !== null && h !== null && l > h) return x >= l || x <= h; // wraps the new year
      return (l === null || x >= l) && (h === null || x <= h);
    }
  }
  throw new Error(`operator ${op} not for ${kind}`);
}

// ---------------------------------------------------------------------------------------
// Facts.
// ---------------------------------------------------------------------------------------

/** An order that passed `where`, with the items that count for it. */
export interface PassingOrder {
  order: Row;
  items: Row[];
}

/** The exports of fact rows (the ones with a timestamp that the as-of day cuts). */
export type FactExport = "orders" | "visits" | "carts" | "email_events";

/**
 * Is a fact's timestamp cell on a calendar day (in the zone) after the as-of day? An empty
 * cell is not: it cannot be shown to be after. (Nor is an unreadable one; it is kept and
 * fails where it is read.)
 */
export function isAfterAsOf(cell: string | null | undefined, ctx: EvalContext): boolean {
  if (cell === null || cell === undefined || cell.trim() === "") return false;
  const ms = parseInstant(cell);
  return ms !== undefined && zoneDay(ms, ctx.zone) > ctx.asOfDay;
}

/**
 * Indexes of fact rows by customer id and of items by order id; built once per dataset and
 * as-of day. Fact rows dated after the as-of day go to `leftOutByCustomer` instead, so
 * nothing downstream sees them; items are only reached through a kept order (`itemsOf`),
 * so the items of a left-out order are left out with it.
 */
export class Shop {
  readonly byCustomer = new Map<string, Map<string, Row[]>>();
  /** Fact rows dated after the as-of day, by table then customer id (for explain only). */
  readonly leftOutByCustomer = new Map<string, Map<string, Row[]>>();
  /** How many rows of each fact export are dated after the as-of day, whether or not their customer is known. */
  readonly leftOut: Record<FactExport, number> = { orders: 0, visits: 0, carts: 0, email_events: 0 };
  readonly itemsByOrder = new Map<string, Row[]>();
  readonly customerIds: Set<string>;

  constructor(readonly data: ShopData, ctx: EvalContext) {
    this.customerIds = new Set(data.customers.map((c) => (c.id ?? "").trim()));
    for (const [table, spec] of Object.entries(FACTS)) {
      const kept = new Map<string, Row[]>();
      const gone = new Map<string, Row[]>();
      for (const r of data[spec.export]) {
        const cid = (r.customer_id ?? "").trim();
        const after = isAfterAsOf(r[spec.timestamp], ctx);
        if (after) this.leftOut[spec.export as FactExport] += 1;
        const m = after ? gone : kept;
        if (!m.has(cid)) m.set(cid, []);
        m.get(cid)!.push(r);
      }
      this.byCustomer.set(table, kept);
      this.leftOutByCustomer.set(table, gone);
    }
    for (const it of data.order_items) {
      const oid = (it.order_id ?? "").trim();
      if (!this.itemsByOrder.has(oid)) this.itemsByOrder.set(oid, []);
      this.itemsByOrder.get(oid)!.push(it);
    }
  }

  /** The customer's kept rows of a fact table (none dated after the as-of day). */
  rowsOf(table: string, customerId: string): Row[] {
    return this.byCustomer.get(table)?.get(customerId) ?? [];
  }

  /** The customer's rows of a fact table that are dated after the as-of day. */
  leftOutRowsOf(table: string, customerId: string): Row[] {
    return this.leftOutByCustomer.get(table)?.get(customerId) ?? [];
  }

  itemsOf(order: Row): Row[] {
    return this.itemsByOrder.get((order.id ?? "").trim()) ?? [];
  }

  customKind(name: string): Kind | undefined {
    const f = this.data.customFields.find((c) => c.name === name);
    return f ? kindOfCustom(f.type) : undefined;
  }
}

/** Does a row pass one `where` entry (a list of values, any of; or an object with one operator)? */
function passesWhereEntry(row: Row, column: string, kind: Kind, spec: unknown, ctx: EvalContext): boolean {
  const v = parseCell(row[column], kind, ctx.zone);
  if (Array.isArray(spec)) return applyOperator(kind, v, "in", spec, ctx);
  const obj = spec as Record<string, unknown>;
  const op = operatorOf(obj);
  return applyOperator(kind, v, op, obj[op], ctx);
}

function splitWhere(table: string, where: Record<string, unknown> | undefined) {
  const rowConds: Array<[string, Kind, unknown]> = [];
  const itemConds: Array<[string, Kind, unknown]> = [];
  for (const [col, spec] of Object.entries(where ?? {})) {
    if (table === "orders" && col in ITEM_COLUMNS) itemConds.push([col, ITEM_COLUMNS[col], spec]);
    else if (col in FACTS[table].columns) rowConds.push([col, FACTS[table].columns[col], spec]);
    else throw new Error(`unknown where column ${table}.${col}`);
  }
  return { rowConds, itemConds };
}

/** The customer's orders that pass `where`, each with its passing items (all items when `where` names no item column). */
export function passingOrders(shop: Shop, customerId: string, where: Record<string, unknown> | undefined, ctx: EvalContext): { orders: PassingOrder[]; itemFiltered: boolean } {
  const { rowConds, itemConds } = splitWhere("orders", where);
  const out: PassingOrder[] = [];
  for (const order of shop.rowsOf("orders", customerId)) {
    if (!rowConds.every(([c, k, s]) => passesWhereEntry(order, c, k, s, ctx))) continue;
    const items = shop.itemsOf(order).filter((it) => itemConds.every(([c, k, s]) => passesWhereEntry(it, c, k, s, ctx)));
    if (itemConds.length > 0 && items.length === 0) continue;
    out.push({ order, items });
  }
  return { orders: out, itemFiltered: itemConds.length > 0 };
}

/** The customer's rows of a non-order fact table that pass `where`. */
export function passingRows(shop: Shop, table: string, customerId: string, where: Record<string, unknown> | undefined, ctx: EvalContext): Row[] {
  const { rowConds } = splitWhere(table, where);
  return shop.rowsOf(table, customerId).filter((r) => rowConds.every(([c, k, s]) => passesWhereEntry(r, c, k, s, ctx)));
}

function num(cell: string | null | undefined): number | null {
  return parseCell(cell, "number", "UTC") as number | null;
}

/** Value of an aggregate fact field (`count`, `first_at`, `last_at`, `revenue`, `avg_check`, `quantity`). */
export function aggregateValue(shop: Shop, table: string, agg: string, customerId: string, where: Record<string, unknown> | undefined, ctx: EvalContext): Value {
  if (table === "orders") {
    const { orders, itemFiltered } = passingOrders(shop, customerId, where, ctx);
    let revenue = 0;
    for (const po of orders) {
      if (itemFiltered) {
        for (const it of po.items) {
          const price = num(it.price);
          const qty = num(it.quantity) ?? 1;
          if (price !== null) revenue += price * qty;
        }
      } else {
        revenue += num(po.order.total) ?? 0;
      }
    }
    switch (agg) {
      case "count": return orders.length;
      case "revenue": return revenue;
      case "avg_check": return orders.length === 0 ? null : revenue / orders.length;
      case "quantity": {
        let q = 0;
        for (const po of orders) for (const it of po.items) q += num(it.quantity) ?? 1;
        return q;
      }
      case "first_at":
      case "last_at": return extremeDay(orders.map((po) => po.order.created_at), agg, ctx);
    }
    throw new Error(`unknown orders aggregate ${agg}`);
  }
  const rows = passingRows(shop, table, customerId, where, ctx);
  switch (agg) {
    case "count": return rows.length;
    case "first_at":
    case "last_at": return extremeDay(rows.map((r) => r[FACTS[table].timestamp]), agg, ctx);
  }
  throw new Error(`unknown ${table} aggregate ${agg}`);
}

/** Earliest / latest instant among the cells, as its day in the zone. */
function extremeDay(cells: Array<string | null>, agg: string, ctx: EvalContext): number | null {
  let best: number | null = null;
  for (const c of cells) {
    if (c === null || c.trim() === "") continue;
    const ms = parseInstant(c);
    if (ms === undefined) throw new Error(`bad timestamp ${c}`);
    if (best === null || (agg === "first_at" ? ms < best : ms > best)) best = ms;
  }
  return best === null ? null : zoneDay(best, ctx.zone);
}

/** The values of `T.<column>` over the customer's passing rows (item rows for item columns of orders). */
export function columnValues(shop: Shop, table: string, column: string, customerId: string, where: Record<string, unknown> | undefined, ctx: EvalContext): { kind: Kind; values: Value[] } {
  if (table === "orders") {
    const { orders } = passingOrders(shop, customerId, where, ctx);
    if (column in ITEM_COLUMNS) {
      const kind = ITEM_COLUMNS[column];
      return { kind, values: orders.flatMap((po) => po.items.map((it) => parseCell(it[column], kind, ctx.zone))) };
    }
    const kind = FACTS.orders.columns[column];
    return { kind, values: orders.map((po) => parseCell(po.order[column], kind, ctx.zone)) };
  }
  const kind = FACTS[table].columns[column];
  if (!kind) throw new Error(`unknown column ${table}.${column}`);
  return { kind, values: passingRows(shop, table, customerId, where, ctx).map((r) => parseCell(r[column], kind, ctx.zone)) };
}

// ---------------------------------------------------------------------------------------
// Fields of a customer.
// ---------------------------------------------------------------------------------------

/** What a field names. */
export type FieldRef =
  | { type: "segment" }
  | { type: "customer"; column: string; kind: Kind }
  | { type: "age" }
  | { type: "custom"; name: string; kind: Kind }
  | { type: "aggregate"; table: string; agg: string }
  | { type: "column"; table: string; column: string };

export function resolveField(shop: { customKind(name: string): Kind | undefined }, field: string): FieldRef {
  if (field === "segment") return { type: "segment" };
  if (field === "age") return { type: "age" };
  if (field in CUSTOMER_COLUMNS) return { type: "customer", column: field, kind: CUSTOMER_COLUMNS[field] };
  const dot = field.indexOf(".");
  if (dot > 0) {
    const head = field.slice(0, dot), rest = field.slice(dot + 1);
    if (head === "custom") {
      const kind = shop.customKind(rest);
      if (!kind) throw new Error(`unknown custom field ${rest}`);
      return { type: "custom", name: rest, kind };
    }
    if (head in FACTS) {
      if (AGGREGATES.includes(rest) || (head === "orders" && ORDER_AGGREGATES.includes(rest))) return { type: "aggregate", table: head, agg: rest };
      if (rest in FACTS[head].columns || (head === "orders" && rest in ITEM_COLUMNS)) return { type: "column", table: head, column: rest };
    }
  }
  throw new Error(`unknown field ${field}`);
}

/** Kind of an aggregate's value. */
function aggregateKind(agg: string): Kind {
  return agg === "first_at" || agg === "last_at" ? "datetime" : "number";
}

/** Age in whole years at the as-of day; someone born on 29 February ages on 1 March in common years. */
export function ageAt(birthday: number, asOfDay: number): number {
  const b = civil(birthday), a = civil(asOfDay);
  let age = a.y - b.y;
  if (a.m * 100 + a.d < b.m * 100 + b.d) age -= 1;
  return age;
}

/** The customer's value of a scalar field (not `segment`, not `T.<column>`) and its kind. */
export function scalarValue(shop: Shop, ref: FieldRef, customer: Row, where: Record<string, unknown> | undefined, ctx: EvalContext): { kind: Kind; value: Value } {
  const id = (customer.id ?? "").trim();
  switch (ref.type) {
    case "customer": return { kind: ref.kind, value: parseCell(customer[ref.column], ref.kind, ctx.zone) };
    case "custom": return { kind: ref.kind, value: parseCell(customer[ref.name], ref.kind, ctx.zone) };
    case "age": {
      const b = parseCell(customer.birthday, "date", ctx.zone) as number | null;
      return { kind: "number", value: b === null ? null : ageAt(b, ctx.asOfDay) };
    }
    case "aggregate": return { kind: aggregateKind(ref.agg), value: aggregateValue(shop, ref.table, ref.agg, id, where, ctx) };
  }
  throw new Error(`not a scalar field: ${ref.type}`);
}

// ---------------------------------------------------------------------------------------
// The evaluator.
// ---------------------------------------------------------------------------------------

export class NaiveEvaluator {
  readonly shop: Shop;
  readonly ctx: EvalContext;
  private readonly defs = new Map<string, SegmentDef>();
  private readonly memo = new Map<string, Set<string>>();
  private readonly inProgress = new Set<string>();

  constructor(data: ShopData, segments: SegmentDef[], opts: { asOf: string; timezone: string }) {
    const asOfDay = parseDay(opts.asOf);
    if (asOfDay === undefined) throw new Error(`bad as-of ${opts.asOf}`);
    this.ctx = { asOfDay, zone: opts.timezone };
    this.shop = new Shop(data, this.ctx);
    for (const s of segments) this.defs.set(s.code, s);
  }

  /** Rows of each fact export dated after the as-of day and left out (orphans included). */
  get leftOut(): Record<FactExport, number> {
    return { ...this.shop.leftOut };
  }

  /** Member ids of every segment, by code. */
  evaluateAll(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const code of this.defs.keys()) out.set(code, [...this.members(code)].sort());
    return out;
  }

  /** Member ids of one segment (memoised; segment references evaluate the referenced definition). */
  members(code: string): Set<string> {
    const hit = this.memo.get(code);
    if (hit) return hit;
    const def = this.defs.get(code);
    if (!def) throw new Error(`unknown segment ${code}`);
    if (this.inProgress.has(code)) throw new Error(`segment cycle through ${code}`);
    this.inProgress.add(code);
    const set = new Set<string>();
    for (const c of this.shop.data.customers) {
      if (this.group(def, c)) set.add((c.id ?? "").trim());
    }
    this.inProgress.delete(code);
    this.memo.set(code, set);
    return set;
  }

  /** A group (or the segment itself): its filters and nested groups combined by `match`, negated by `not`. */
  group(g: GroupDef, customer: Row): boolean {
    const results: boolean[] = [];
    for (const f of g.filters ?? []) results.push(this.filter(f, customer));
    for (const sub of g.groups ?? []) results.push(this.group(sub, customer));
    if (results.length === 0) throw new Error("empty group");
    const r = (g.match ?? "all") === "any" ? results.some(Boolean) : results.every(Boolean);
    return g.not === true ? !r : r;
  }

  /** One filter for one customer. */
  filter(f: FilterDef, customer: Row): boolean {
    const op = operatorOf(f);
    const operand = f[op];
    const ref = resolveField(this.shop, f.field);
    const id = (customer.id ?? "").trim();
    if (ref.type === "segment") {
      const codes = operand as string[];
      const inAny = codes.some((code) => this.members(code).has(id));
      if (op === "in") return inAny;
      if (op === "not_in") return !inAny;
      throw new Error(`segment takes in / not_in, not ${op}`);
    }
    if (ref.type === "column") {
      const { kind, values } = columnValues(this.shop, ref.table, ref.column, id, f.where, this.ctx);
      if (op in POSITIVE_OF) return !values.some((v) => applyOperator(kind, v, POSITIVE_OF[op], operand, this.ctx));
      if (op === "all") return (operand as unknown[]).every((x) => values.some((v) => applyOperator(kind, v, "eq", x, this.ctx)));
      if (op === "empty") return values.some((v) => applyOperator(kind, v, "empty", operand, this.ctx));
      return values.some((v) => applyOperator(kind, v, op, operand, this.ctx, f.ignore_year === true));
    }
    const { kind, value } = scalarValue(this.shop, ref, customer, f.where, this.ctx);
    return applyOperator(kind, value, op, operand, this.ctx, f.ignore_year === true);
  }

  /**
   * For debugging a mismatch: the value each leaf filter of a definition looked at for
   * this customer, the raw cells and fact rows behind it, and the filter's result.
   */
  explain(def: GroupDef, customer: Row): string[] {
    const lines: string[] = [];
    const id = (customer.id ?? "").trim();
    const walk = (g: GroupDef, path: string) => {
      (g.filters ?? []).forEach((f, i) => {
        const p = `${path}filters[${i}]`;
        let result: string;
        try {
          result = String(this.filter(f, customer));
        } catch (e) {
          result = `error: ${(e as Error).message}`;
        }
        lines.push(`  ${p} ${JSON.stringify(f)} -> naive ${result}`);
        lines.push(...this.describeField(f, customer, id).map((l) => `      ${l}`));
      });
      (g.groups ?? []).forEach((sub, i) => walk(sub, `${path}groups[${i}].`));
      if (g.not === true) {
        let result: string;
        try {
          result = String(this.group(g, customer));
        } catch (e) {
          result = `error: ${(e as Error).message}`;
        }
        lines.push(`  ${path === "" ? "(the segment itself)" : path.slice(0, -1)} not: true, match ${g.match ?? "all"} -> naive ${result}`);
      }
    };
    walk(def, "");
    return lines;
  }

  private describeField(f: FilterDef, customer: Row, id: string): string[] {
    const ref = resolveField(this.shop, f.field);
    const show = (v: Value, kind: Kind) =>
      v === null ? "null" : (kind === "date" || kind === "datetime") && typeof v === "number" ? dayText(v) : JSON.stringify(v);
    switch (ref.type) {
      case "segment": {
        const codes = (f.in ?? f.not_in) as string[];
        const of = codes.filter((c) => this.members(c).has(id));
        return [`naive member of: ${of.length ? of.join(", ") : "(none of them)"}`];
      }
      case "customer": return [`cell ${JSON.stringify(customer[ref.column])} -> ${show(parseCell(customer[ref.column], ref.kind, this.ctx.zone), ref.kind)}`];
      case "custom": return [`cell ${JSON.stringify(customer[ref.name])} (${ref.kind}) -> ${show(parseCell(customer[ref.name], ref.kind, this.ctx.zone), ref.kind)}`];
      case "age": {
        const v = scalarValue(this.shop, ref, customer, undefined, this.ctx).value;
        return [`birthday ${JSON.stringify(customer.birthday)} -> age ${v}`];
      }
      case "aggregate":
      case "column": {
        const out: string[] = [];
        if (ref.type === "aggregate") {
          const { kind, value } = scalarValue(this.shop, ref, customer, f.where, this.ctx);
          out.push(`value ${show(value, kind)}`);
        } else {
          const { kind, values } = columnValues(this.shop, ref.table, ref.column, id, f.where, this.ctx);
          out.push(`passing values ${values.map((v) => show(v, kind)).join(" | ") || "(no passing rows)"}`);
        }
        const rows = this.shop.rowsOf(ref.table, id);
        out.push(`${rows.length} ${ref.table} rows:`);
        for (const r of rows.slice(0, 12)) {
          const { customer_id: _cid, ...rest } = r;
          const items = ref.table === "orders" ? this.shop.itemsOf(r).map((it) => {
            const { order_id: _oid, ...irest } = it;
            return JSON.stringify(irest);
          }) : [];
          const ts = r[FACTS[ref.table].timestamp];
          const tsDay = ts ? ` (day ${dayText(zoneDay(parseInstant(ts)!, this.ctx.zone))} in ${this.ctx.zone})` : "";
          out.push(`  ${JSON.stringify(rest)}${tsDay}`);
          for (const i of items) out.push(`    item ${i}`);
        }
        if (rows.length > 12) out.push(`  ... ${rows.length - 12} more`);
        const gone = this.shop.leftOutRowsOf(ref.table, id);
        if (gone.length > 0) {
          const ts = FACTS[ref.table].timestamp;
          out.push(`${gone.length} ${ref.table} rows after the as-of day, left out: ${gone.slice(0, 6).map((r) => JSON.stringify(r[ts])).join(", ")}${gone.length > 6 ? ", ..." : ""}`);
        }
        return out;
      }
    }
  }
}

/** Convenience: rows of each fact export dated after the as-of day (SEGMENTS.md: commands report them). */
export function leftOutNaive(data: ShopData, opts: { asOf: string; timezone: string }): Record<FactExport, number> {
  return new NaiveEvaluator(data, [], opts).leftOut;
}

/** Convenience: member ids of every segment. */
export function evaluateNaive(data: ShopData, segments: SegmentDef[], opts: { asOf: string; timezone: string }): Map<string, string[]> {
  return new NaiveEvaluator(data, segments, opts).evaluateAll();
}
