/**
 * Seeded generators for the differential test: small random shops (in-memory rows of cell
 * text, written out as canonical CSV exports) and random valid segment definitions over
 * them. Everything comes from one mulberry32 stream per call, so a seed always gives the
 * same files and the same definitions.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import {
  addMonths, civil, CUSTOMER_COLUMNS, DAY_MS, dayOf, dayText, FACTS, ITEM_COLUMNS, monthDay, NaiveEvaluator,
  operatorOf, parseDay, parseInstant, resolveDateOperand, resolveField, scalarValue, wallFields, wallToInstant, zoneDay, zoneOffsetMinutes,
  type CustomType, type FilterDef, type GroupDef, type Kind, type Row, type SegmentDef, type ShopData, type Value,
} from "./naive-evaluator.js";
import { mulberry32 } from "../random.js";

// ---------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------

/** Draws from one mulberry32 stream. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [a, b], both inclusive. */
  int(a: number, b: number): number {
    return a + Math.floor(this.next() * (b - a + 1));
  }
  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new Error("pick from an empty list");
    return arr[Math.floor(this.next() * arr.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Picks by weight: [[value, weight], ...]. */
  weighted<T>(pairs: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of pairs) total += w;
    let x = this.next() * total;
    for (const [v, w] of pairs) {
      x -= w;
      if (x < 0) return v;
    }
    return pairs[pairs.length - 1][0];
  }
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [arr[i], arr[j]] = [arr[j], arr[i]];
    }
    return arr;
  }
  /** Up to n distinct items of arr. */
  some<T>(arr: readonly T[], n: number): T[] {
    return this.shuffle([...arr]).slice(0, Math.min(n, arr.length));
  }
}

// ---------------------------------------------------------------------------------------
// Scenarios: as-of day and time zone.
// ---------------------------------------------------------------------------------------

/** As-of days chosen for their edges: month ends, leap days, new year, DST changes. */
const AS_OF_DAYS = [
  "2026-03-31", "2028-02-29", "2027-02-28", "2027-03-01", "2026-12-31", "2027-01-01", "2027-01-02",
  "2026-11-23", "2026-05-31", "2026-03-08", "2026-11-01", "2026-10-25", "2029-03-01", "2028-03-01",
  "2026-02-28", "2026-07-31", "2028-12-31", "2026-01-01",
];

export interface Scenario {
  seed: number;
  asOf: string;
  timezone: string;
}

/** The as-of day and zone of dataset number `i` (mostly UTC). */
export function scenario(i: number, seed: number): Scenario {
  const rng = new Rng(seed ^ 0x5eed);
  const zones = ["UTC", "UTC", "UTC", "Europe/Moscow", "America/New_York", "UTC", "UTC", "Europe/Moscow", "America/New_York", "Asia/Kolkata"];
  const timezone = zones[i % zones.length];
  const asOf = rng.chance(0.75) ? rng.pick(AS_OF_DAYS) : dayText(dayOf(2025, 1, 1) + rng.int(0, 4 * 365));
  return { seed, asOf, timezone };
}

// ---------------------------------------------------------------------------------------
// Text helpers.
// ---------------------------------------------------------------------------------------

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");

/** Varies a string's case and surrounding spaces, as real exports do. */
function vary(rng: Rng, s: string, p = 0.35): string {
  let t = s;
  if (rng.chance(p)) t = rng.pick([t.toLowerCase(), t.toUpperCase(), t[0].toLowerCase() + t.slice(1)]);
  if (rng.chance(p / 2)) t = rng.pick([" ", "  ", "\t"]) + t;
  if (rng.chance(p / 2)) t = t + rng.pick([" ", "  "]);
  return t;
}

/** A string cell: mostly a varied value, sometimes empty or blank (both null). */
function cell(rng: Rng, values: readonly string[], nullP = 0.12): string | null {
  if (rng.chance(nullP)) return rng.chance(0.85) ? null : "  ";
  return vary(rng, rng.pick(values));
}

/** A list cell: `;`-separated items, sometimes null, sometimes an empty list (`;`). */
function listCell(rng: Rng, values: readonly string[]): string | null {
  const r = rng.next();
  if (r < 0.2) return null;
  if (r < 0.28) return rng.pick([";", " ; ", ";;"]);
  const items = rng.some(values, rng.int(1, 3)).map((v) => vary(rng, v, 0.3).trim());
  return items.join(rng.pick([";", "; ", " ;"]));
}

/** A multiple of 0.25, so sums are exact in binary floating point whatever their order. */
function quarterAmount(rng: Rng, lo: number, hi: number): number {
  return rng.int(lo * 4, hi * 4) / 4;
}

function money(n: number, rng: Rng): string {
  return rng.chance(0.5) ? n.toFixed(2) : String(n);
}

// ---------------------------------------------------------------------------------------
// Timestamps clustered around the as-of day.
// ---------------------------------------------------------------------------------------

/** Days near the edges that relative filters test: -90d, -1m, month ends, new year... (all <= as-of). */
export function anchorDays(asOfDay: number): number[] {
  const { y, m } = civil(asOfDay);
  const firstOfMonth = dayOf(y, m, 1);
  const days = [
    asOfDay, asOfDay - 1, asOfDay - 2, asOfDay - 3, asOfDay - 6, asOfDay - 7, asOfDay - 8, asOfDay - 13, asOfDay - 14,
    asOfDay - 29, asOfDay - 30, asOfDay - 31, asOfDay - 89, asOfDay - 90, asOfDay - 91, asOfDay - 119, asOfDay - 120,
    asOfDay - 121, asOfDay - 180, asOfDay - 364, asOfDay - 365, asOfDay - 366,
    addMonths(asOfDay, -1), addMonths(asOfDay, -1) - 1, addMonths(asOfDay, -1) + 1, addMonths(asOfDay, -3),
    addMonths(asOfDay, -3) - 1, addMonths(asOfDay, -6), addMonths(asOfDay, -12), addMonths(asOfDay, -12) - 1,
    addMonths(asOfDay, -12) + 1, addMonths(asOfDay, -24),
    firstOfMonth, firstOfMonth - 1, addMonths(firstOfMonth, -1), addMonths(firstOfMonth, -1) - 1,
    dayOf(y, 1, 1), dayOf(y, 1, 1) - 1, dayOf(y - 1, 1, 1), dayOf(y - 1, 12, 30), dayOf(y - 1, 2, 28), dayOf(y - 1, 3, 1),
  ];
  return days.filter((d) => d <= asOfDay);
}

/** Times of day near midnight (and a few others), in seconds. */
const TIMES_OF_DAY = [0, 1, 59, 30 * 60, 23 * 3600 + 59 * 60 + 59, 23 * 3600 + 30 * 60, 22 * 3600, 2 * 3600, 12 * 3600];

/** Other zones whose wall clock a timestamp may have been taken in. */
const OTHER_ZONES = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin"];
/** Offsets (minutes) a timestamp may be written with, besides Z and the dataset zone's own. */
const OFFSETS = [180, -300, -240, 330, 60, 120, -480, 540, 0];

/** Share of fact timestamps dated after the as-of day (to be left out by both evaluators). */
export const AFTER_AS_OF_P = 0.065;
/** Of those, the share in the first hour of the next local day (the rest are days or weeks later). */
const NEXT_DAY_FIRST_HOUR_P = 0.45;
/** Share of fact timestamps forced into the last local hour of the as-of day itself (they count). */
export const AS_OF_LAST_HOUR_P = 0.03;
/** How many days after the as-of day a later fact lands. */
const LATER_DAYS = [1, 1, 2, 3, 6, 7, 8, 13, 14, 21, 30, 31, 45, 60, 90, 120, 365];

class TimeGen {
  private readonly anchors: number[];
  constructor(private readonly rng: Rng, readonly asOfDay: number, readonly zone: string) {
    this.anchors = anchorDays(asOfDay);
  }

  /** A day at or before the as-of day, often an anchor. */
  day(spread = 900): number {
    return this.rng.chance(0.6) ? this.rng.pick(this.anchors) : this.asOfDay - this.rng.int(0, spread);
  }

  /** An instant whose day in the dataset zone is at or before the as-of day. */
  instant(spread = 900): number {
    const rng = this.rng;
    const day = this.day(spread);
    const tod = rng.chance(0.7) ? rng.pick(TIMES_OF_DAY) : rng.int(0, 86_399);
    const wallZone = rng.chance(0.75) ? this.zone : rng.pick(OTHER_ZONES);
    let ms = wallToInstant(day * DAY_MS + tod * 1000, wallZone);
    if (rng.chance(0.15)) ms += rng.int(0, 999);
    while (zoneDay(ms, this.zone) > this.asOfDay) ms -= DAY_MS;
    return ms;
  }

  /** An ISO text of an instant: `Z` or an offset (with or without colon, maybe after a space), `T` or space. */
  text(ms: number): string {
    const rng = this.rng;
    const offsetMin = rng.weighted<number>([[0, 4], [zoneOffsetMinutes(ms, this.zone), 4], [rng.pick(OFFSETS), 2]]);
    const wall = new Date(ms + offsetMin * 60_000);
    const date = `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
    const sec = wall.getUTCSeconds(), milli = wall.getUTCMilliseconds();
    let time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
    if (sec !== 0 || milli !== 0 || rng.chance(0.8)) time += `:${pad(sec)}`;
    if (milli !== 0) time += `.${pad(milli, 3)}`;
    let zone: string;
    if (offsetMin === 0 && rng.chance(0.7)) zone = "Z";
    else {
      const sign = offsetMin < 0 ? "-" : "+";
      const hh = pad(Math.floor(Math.abs(offsetMin) / 60)), mm = pad(Math.abs(offsetMin) % 60);
      zone = rng.chance(0.6) ? `${sign}${hh}:${mm}` : `${sign}${hh}${mm}`;
      if (rng.chance(0.25)) zone = " " + zone;
    }
    return `${date}${rng.chance(0.7) ? "T" : " "}${time}${zone}`;
  }

  cell(spread = 900): string {
    return this.text(this.instant(spread));
  }

  /**
   * A fact's timestamp (orders, visits, carts, email events): mostly at or before the as-of
   * day, as `cell`; AFTER_AS_OF_P of them after it (left out of every aggregate), and
   * AS_OF_LAST_HOUR_P in the last local hour of the as-of day (kept).
   */
  factCell(spread: number): string {
    const r = this.rng.next();
    if (r < AFTER_AS_OF_P) return this.text(this.afterAsOf());
    if (r < AFTER_AS_OF_P + AS_OF_LAST_HOUR_P) return this.text(this.lastHourOfAsOfDay());
    return this.cell(spread);
  }

  /** An instant whose day in the dataset zone is after the as-of day: often 00:00-00:59 local the next day. */
  afterAsOf(): number {
    const rng = this.rng;
    const next = this.asOfDay + 1;
    let ms: number;
    if (rng.chance(NEXT_DAY_FIRST_HOUR_P)) {
      const tod = rng.chance(0.5) ? rng.pick([0, 1, 59, 60, 15 * 60, 30 * 60, 59 * 60 + 59]) : rng.int(0, 3599);
      ms = wallToInstant(next * DAY_MS + tod * 1000, this.zone);
      if (rng.chance(0.15)) ms += rng.int(0, 999);
      // Guards against a DST change at midnight (none in the zones used): stay in that first hour.
      while (zoneDay(ms, this.zone) <= this.asOfDay) ms += 60_000;
    } else {
      const day = this.asOfDay + (rng.chance(0.7) ? rng.pick(LATER_DAYS) : rng.int(1, 200));
      const tod = rng.chance(0.5) ? rng.pick(TIMES_OF_DAY) : rng.int(0, 86_399);
      ms = wallToInstant(day * DAY_MS + tod * 1000, rng.chance(0.75) ? this.zone : rng.pick(OTHER_ZONES));
      while (zoneDay(ms, this.zone) <= this.asOfDay) ms += DAY_MS;
    }
    return ms;
  }

  /** An instant at 23:00-23:59 local on the as-of day itself. */
  lastHourOfAsOfDay(): number {
    const rng = this.rng;
    const tod = 23 * 3600 + (rng.chance(0.5) ? rng.pick([0, 30 * 60, 59 * 60, 59 * 60 + 59]) : rng.int(0, 3599));
    let ms = wallToInstant(this.asOfDay * DAY_MS + tod * 1000, this.zone);
    if (rng.chance(0.15)) ms += rng.int(0, 999);
    while (zoneDay(ms, this.zone) > this.asOfDay) ms -= 60_000;
    return ms;
  }
}

// ---------------------------------------------------------------------------------------
// Shop data.
// ---------------------------------------------------------------------------------------

const FIRST_NAMES = ["Ivan", "Olga", "Natalia", "Sean", "Maria", "Alexander \"Sasha\"", "Наталья", "Иван", "Ёжик", "Anna-Maria", "Li", "José"];
const LAST_NAMES = ["Petrov", "Sidorova", "O'Brien, \"Jr.\"", "Smith", "Семёнова", "Петров", "Müller", "van der Berg", "Kim"];
const COUNTRIES = ["RU", "GB", "US", "DE", "ru"];
const REGIONS = ["Moscow", "Saint Petersburg", "England", "New York", "Bavaria", "Москва", "Tatarstan"];
const CITIES = ["Moscow", "Saint Petersburg", "Kazan", "London", "New York", "Москва", "Munich", "Moscow Oblast"];
const SOURCES = ["google", "yandex", "direct", "instagram", "email", "Facebook Ads"];
const TAGS = ["vip", "wholesale", "newsletter", "Black Friday", "tea-lover", "b2b", "returning"];
const GROUPS = ["Retail", "Wholesale", "VIP", "1", "2"];
const MANAGERS = ["Pavel Kim", "Olga Sidorova", "Anna Lee", "Игорь Ким"];
const CHANNELS = ["telegram", "viber", "whatsapp", "messenger", "sms"];
const DOMAINS = ["example.com", "Example.RU", "mail.example.org", "shop.test"];
const BOOL_TEXTS = ["true", "false", "TRUE", "False", "yes", "no", "Yes", "NO", "1", "0"];
const STATUSES: Array<[string, number]> = [["complete", 30], ["paid", 12], ["new", 8], ["cancelled", 10], ["returned", 5], [" Complete ", 5], ["PAID", 4], ["Cancelled", 3]];
const STORES = ["teashop.example", "Nevsky 48", "Tverskaya 7"];
const SALE_CHANNELS = ["web", "offline", "app", "marketplace"];
const CATEGORIES = ["Chinese tea", "Black tea", "Green tea", "Teaware", "Coffee beans", "Gift sets"];
const VISIT_SOURCES = ["google", "yandex", "direct", "email", "t.me"];
const MEDIUMS = ["cpc", "organic", "email", "referral"];
const CAMPAIGNS = ["spring_sale", "black-friday", "new-year 2027", "tea_club", "Retarget"];
const PAGES = ["/", "/catalog/tea", "/catalog/coffee", "/product/P101", "/cart", "/blog/how-to-brew"];
const GOALS = ["purchase", "add_to_cart", "subscribe", "Callback"];
const EMAIL_TYPES: Array<[string, number]> = [["sent", 10], ["open", 6], ["click", 3], ["unsubscribe", 1], ["bounce", 1], ["Open", 1], [" CLICK", 1]];
const FAVOURITES = ["Sencha", "Da Hong Pao", "Tie Guan Yin", "Молочный улун", "42", "Pu-erh 2015", "earl grey"];
const REFERRALS = ["FRIEND-10", "promo2026", "tg_ads", "X-99", "ref.42"];

interface Product {
  product_id: string;
  sku: string;
  name: string;
  category: string;
  price: number;
}

function products(rng: Rng): Product[] {
  const out: Product[] = [];
  const n = rng.int(6, 12);
  for (let i = 0; i < n; i++) {
    const category = rng.pick(CATEGORIES);
    const code = category.split(" ").map((w) => w[0].toUpperCase()).join("");
    out.push({
      product_id: `P${100 + i * 7}`,
      sku: `${code}-${rng.pick(["LAPSANG", "ETH", "KRASNODAR", "GAIWAN", "SENCHA", "BOX"])}-${rng.pick([100, 250, 500])}`,
      name: `${rng.pick(["Lapsang Souchong", "Ethiopia Yirgacheffe", "Krasnodar black", "Gaiwan", "Sencha", "Gift box"])}, ${rng.pick(["100 g", "250 g", "1 pc"])}`,
      category,
      price: quarterAmount(rng, 2, 400),
    });
  }
  return out;
}

/** The custom fields a shop may have, with a generator of their cells. */
const CUSTOM_FIELDS: Array<{ name: string; type: CustomType }> = [
  { name: "loyalty_points", type: "integer" },
  { name: "discount_rate", type: "decimal" },
  { name: "loyalty_card", type: "bool" },
  { name: "last_call", type: "date" },
  { name: "last_login_at", type: "datetime" },
  { name: "favourite_tea", type: "string" },
  { name: "visits_per_month", type: "integer" },
  { name: "referral_code", type: "string" },
  { name: "next_call", type: "date" },
];

/** A birthday: often near the as-of day's month and day, near new year, or on 29 February. */
function birthday(rng: Rng, asOfDay: number): number {
  const asOfYear = civil(asOfDay).y;
  const r = rng.next();
  let m: number, d: number;
  if (r < 0.4) {
    ({ m, d } = civil(asOfDay + rng.int(-5, 5)));
  } else if (r < 0.5) {
    m = 2; d = 29;
  } else if (r < 0.6) {
    ({ m, d } = civil(dayOf(2001, 1, 1) + rng.int(-4, 4)));
  } else if (r < 0.67) {
    [m, d] = rng.pick([[2, 28], [3, 1], [12, 31], [1, 1]]);
  } else {
    ({ m, d } = civil(dayOf(2001, 1, 1) + rng.int(0, 364)));
  }
  let y = rng.int(1950, asOfYear - 1);
  if (m === 2 && d === 29) while (!(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) y -= 1;
  return dayOf(y, m, d);
}

function customCell(rng: Rng, type: CustomType, times: TimeGen, first: boolean, name: string): string | null {
  if (!first && rng.chance(0.15)) return null;
  switch (type) {
    case "integer": {
      const v = name === "visits_per_month" ? rng.int(0, 12) : rng.weighted([[rng.int(0, 5000), 6], [rng.int(-50, 0), 1], [0, 1]]);
      return rng.chance(0.1) ? ` ${v}` : String(v);
    }
    case "decimal": {
      // The first is always fractional, so the column infers as a decimal.
      const v = first ? rng.int(1, 1500) / 100 + 0.05 : rng.weighted([[rng.int(0, 1500) / 100, 5], [rng.int(-300, 0) / 4, 1], [rng.int(0, 20), 1]]);
      return first ? v.toFixed(2) : rng.chance(0.5) ? v.toFixed(2) : String(v);
    }
    case "bool":
      return first ? rng.pick(["yes", "True", "no"]) : rng.pick(BOOL_TEXTS);
    case "date":
      return dayText(name === "next_call" ? times.asOfDay + rng.int(-10, 60) : times.day(500));
    case "datetime":
      return times.cell(400);
    case "string":
      return first ? "Sencha" : vary(rng, rng.pick(name === "favourite_tea" ? FAVOURITES : REFERRALS));
  }
}

/** A random small shop around the as-of day. */
export function generateShop(seed: number, sc: Scenario): ShopData {
  const rng = new Rng(seed);
  const asOfDay = parseDay(sc.asOf)!;
  const times = new TimeGen(rng, asOfDay, sc.timezone);
  const customFields = rng.some(CUSTOM_FIELDS, rng.int(3, 6));
  const n = rng.int(30, 120);
  const customers: Row[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `C${pad(rng.int(0, 9) * 1000 + i + 1, 4)}`;
    ids.push(id);
    const first = rng.pick(FIRST_NAMES), last = rng.pick(LAST_NAMES);
    const ascii = (s: string) => s.replace(/[^A-Za-z]/g, "").toLowerCase() || "client";
    const row: Row = {
      id,
      email: rng.chance(0.1) ? null : vary(rng, `${ascii(first)}.${ascii(last)}${rng.int(1, 99)}@${rng.pick(DOMAINS)}`, 0.2),
      phone: rng.chance(0.2) ? null : rng.pick([
        `+7 9${rng.int(10, 99)} ${rng.int(100, 999)}-${pad(rng.int(0, 99))}-${pad(rng.int(0, 99))}`,
        `+44 7700 900${rng.int(100, 999)}`,
        `8 (9${rng.int(10, 99)}) ${rng.int(100, 999)} ${pad(rng.int(0, 99))} ${pad(rng.int(0, 99))}`,
      ]),
      first_name: cell(rng, FIRST_NAMES, 0.05),
      last_name: rng.chance(0.02) ? "Line\nBreak" : cell(rng, LAST_NAMES, 0.05),
      sex: cell(rng, ["male", "female", "Female", "MALE"], 0.2),
      birthday: rng.chance(0.15) ? null : dayText(birthday(rng, asOfDay)),
      created_at: rng.chance(0.1) ? null : times.cell(1100),
      country: cell(rng, COUNTRIES, 0.1),
      region: cell(rng, REGIONS, 0.2),
      city: cell(rng, CITIES, 0.15),
      source: cell(rng, SOURCES, 0.2),
      tags: listCell(rng, TAGS),
      customer_group: cell(rng, GROUPS, 0.2),
      manager: cell(rng, MANAGERS, 0.4),
      email_marketing: rng.chance(0.15) ? null : rng.pick(BOOL_TEXTS),
      sms_marketing: rng.chance(0.2) ? null : rng.pick(BOOL_TEXTS),
      channels: listCell(rng, CHANNELS),
    };
    for (const f of customFields) row[f.name] = customCell(rng, f.type, times, i === 0, f.name);
    customers.push(row);
  }
  // Make sure every custom bool column has a word and every column at least one value.
  for (const f of customFields) if (f.type === "bool") customers[0][f.name] = "yes";

  const catalogue = products(rng);
  const orders: Row[] = [];
  const order_items: Row[] = [];
  const visits: Row[] = [];
  const carts: Row[] = [];
  const email_events: Row[] = [];
  let orderId = 100_000 + rng.int(0, 5000);

  const addOrder = (customerId: string) => {
    const id = String(++orderId);
    const nItems = rng.weighted([[0, 1], [1, 8], [2, 6], [3, 3], [4, 2]]);
    let sum = 0;
    for (let k = 0; k < nItems; k++) {
      const p = rng.pick(catalogue);
      const qty = rng.chance(0.1) ? null : rng.weighted([[1, 6], [2, 3], [3, 2], [5, 1]]);
      const price = rng.chance(0.06) ? null : p.price;
      sum += (price ?? 0) * (qty ?? 1);
      order_items.push({
        order_id: id,
        product_id: p.product_id,
        sku: rng.chance(0.05) ? null : p.sku,
        name: rng.chance(0.05) ? null : p.name,
        category: rng.chance(0.05) ? null : vary(rng, p.category, 0.25),
        quantity: qty === null ? null : String(qty),
        price: price === null ? null : money(price, rng),
      });
    }
    const totalKind = rng.weighted([["sum", 8], ["other", 1], ["null", 1]]);
    const total = totalKind === "sum" ? sum : totalKind === "other" ? quarterAmount(rng, 0, 2000) : null;
    orders.push({
      id,
      customer_id: customerId,
      created_at: times.factCell(800),
      status: rng.chance(0.05) ? null : rng.weighted(STATUSES),
      total: total === null ? null : money(total, rng),
      store: cell(rng, STORES, 0.1),
      channel: cell(rng, SALE_CHANNELS, 0.1),
    });
  };

  for (const id of ids) {
    const nOrders = rng.weighted([[0, 6], [1, 5], [2, 4], [3, 3], [5, 2], [8, 1]]);
    for (let k = 0; k < nOrders; k++) addOrder(id);
    const nVisits = rng.weighted([[0, 4], [1, 3], [3, 3], [6, 2], [10, 1]]);
    for (let k = 0; k < nVisits; k++) visits.push(visitRow(rng, id, times, catalogue));
    const nCarts = rng.weighted([[0, 5], [1, 3], [2, 2], [3, 1]]);
    for (let k = 0; k < nCarts; k++) carts.push(cartRow(rng, id, times));
    const nEmails = rng.weighted([[0, 3], [2, 3], [5, 3], [12, 1]]);
    for (let k = 0; k < nEmails; k++) email_events.push(emailRow(rng, id, times));
  }
  // Orphans: facts of unknown customers, and items of unknown orders.
  for (let k = rng.int(1, 3); k > 0; k--) {
    const ghost = `X${rng.int(100, 999)}`;
    addOrder(ghost);
    visits.push(visitRow(rng, ghost, times, catalogue));
    carts.push(cartRow(rng, ghost, times));
    email_events.push(emailRow(rng, ghost, times));
  }
  order_items.push({ order_id: "999999", product_id: catalogue[0].product_id, sku: catalogue[0].sku, name: catalogue[0].name, category: catalogue[0].category, quantity: "2", price: money(catalogue[0].price, rng) });
  rng.shuffle(orders);
  rng.shuffle(order_items);
  rng.shuffle(visits);
  return { customers, orders, order_items, visits, carts, email_events, customFields };
}

function visitRow(rng: Rng, customerId: string, times: TimeGen, catalogue: Product[]): Row {
  const p = rng.pick(catalogue);
  return {
    customer_id: customerId,
    visited_at: times.factCell(400),
    source: cell(rng, VISIT_SOURCES, 0.15),
    medium: cell(rng, MEDIUMS, 0.3),
    campaign: cell(rng, CAMPAIGNS, 0.4),
    page: rng.pick(PAGES),
    category: rng.chance(0.5) ? null : vary(rng, p.category, 0.25),
    product_id: rng.chance(0.5) ? null : p.product_id,
    goal: rng.chance(0.7) ? null : vary(rng, rng.pick(GOALS), 0.2),
  };
}

function cartRow(rng: Rng, customerId: string, times: TimeGen): Row {
  return {
    customer_id: customerId,
    updated_at: times.factCell(300),
    status: cell(rng, ["abandoned", "converted", "Abandoned"], 0.05),
    total: rng.chance(0.1) ? null : money(quarterAmount(rng, 0, 1500), rng),
  };
}

function emailRow(rng: Rng, customerId: string, times: TimeGen): Row {
  return {
    customer_id: customerId,
    type: rng.weighted(EMAIL_TYPES),
    at: times.factCell(500),
    campaign: cell(rng, CAMPAIGNS, 0.2),
  };
}

// ---------------------------------------------------------------------------------------
// CSV writing (RFC 4180).
// ---------------------------------------------------------------------------------------

function csvCell(rng: Rng, v: string | null): string {
  if (v === null) return "";
  const must = /[",\r\n]/.test(v);
  if (must || (v !== v.trim() && rng.chance(0.5)) || rng.chance(0.05)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

/** Writes rows as a CSV file with the given columns. */
export function csvText(rows: Row[], columns: string[], rng: Rng, bom = false): string {
  const eol = rng.chance(0.3) ? "\r\n" : "\n";
  const lines = [columns.map((c) => csvCell(rng, c)).join(",")];
  for (const r of rows) lines.push(columns.map((c) => csvCell(rng, r[c] ?? null)).join(","));
  return (bom ? "\ufeff" : "") + lines.join(eol) + (rng.chance(0.8) ? eol : "");
}

/** Writes the shop as canonical CSV exports into `dir`. */
export function writeShopCsv(data: ShopData, dir: string, seed: number): void {
  const rng = new Rng(seed ^ 0xc5c5);
  mkdirSync(dir, { recursive: true });
  const customerColumns = [...Object.keys(CUSTOMER_COLUMNS), ...data.customFields.map((f) => f.name)];
  if (rng.chance(0.3)) rng.shuffle(customerColumns);
  writeFileSync(path.join(dir, "customers.csv"), csvText(data.customers, customerColumns, rng, rng.chance(0.3)));
  writeFileSync(path.join(dir, "orders.csv"), csvText(data.orders, Object.keys(FACTS.orders.columns), rng));
  writeFileSync(path.join(dir, "order_items.csv"), csvText(data.order_items, ["order_id", ...Object.keys(ITEM_COLUMNS)], rng));
  writeFileSync(path.join(dir, "visits.csv"), csvText(data.visits, Object.keys(FACTS.visits.columns), rng));
  writeFileSync(path.join(dir, "carts.csv"), csvText(data.carts, Object.keys(FACTS.carts.columns), rng));
  writeFileSync(path.join(dir, "email_events.csv"), csvText(data.email_events, Object.keys(FACTS.emails.columns), rng));
}

// ---------------------------------------------------------------------------------------
// Segment definitions.
// ---------------------------------------------------------------------------------------

const STRING_OPS: Array<[string, number]> = [
  ["eq", 3], ["ne", 2], ["in", 3], ["not_in", 2], ["empty", 1], ["contains", 2], ["not_contains", 1],
  ["starts_with", 1], ["ends_with", 1], ["matches", 2],
];
const LIST_OPS: Array<[string, number]> = [
  ["eq", 1], ["ne", 1], ["in", 3], ["not_in", 2], ["all", 2], ["empty", 1], ["contains", 1], ["not_contains", 1],
  ["starts_with", 1], ["ends_with", 1], ["matches", 1],
];
const NUMBER_OPS: Array<[string, number]> = [
  ["eq", 2], ["ne", 1], ["in", 1], ["not_in", 1], ["gt", 2], ["gte", 2], ["lt", 2], ["lte", 2], ["between", 3], ["empty", 1],
];
const BOOL_OPS: Array<[string, number]> = [["eq", 3], ["ne", 2], ["in", 1], ["not_in", 1], ["empty", 1]];
const DATE_OPS: Array<[string, number]> = [
  ["eq", 2], ["ne", 1], ["gt", 1], ["gte", 2], ["lt", 1], ["lte", 2], ["between", 4], ["empty", 1], ["in", 0.4], ["not_in", 0.3],
];
const MONTH_DAY_OPS: Array<[string, number]> = [["eq", 2], ["ne", 1], ["gt", 1], ["gte", 1], ["lt", 1], ["lte", 1], ["between", 5]];

const RELATIVE_NEAR = ["today", "-1d", "-7d", "-8d", "-2w", "-30d", "-31d", "-90d", "-89d", "-91d", "-1m", "-3m", "-6m", "-1y", "-2y", "-120d", "-52w", "+1d", "+3d"];
const RELATIVE_FAR = ["-18y", "-30y", "-45y", "-60y", "-25y", "-1y", "-400m", "-1000w"];
const MONTH_DAY_RELATIVE = ["today", "+3d", "+7d", "-7d", "+1m", "-1m", "+2w", "-1y", "+10d", "-3d", "+1y"];
const MONTH_DAY_FIXED = ["02-29", "02-28", "03-01", "12-31", "01-01", "12-25", "01-03", "12-02", "06-30"];

/** A generator of random segment definitions over one shop. */
export class SegmentGenerator {
  private readonly rng: Rng;
  private readonly naive: NaiveEvaluator;
  private readonly asOfDay: number;
  readonly defs: SegmentDef[] = [];

  constructor(seed: number, private readonly data: ShopData, private readonly sc: Scenario) {
    this.rng = new Rng(seed);
    this.naive = new NaiveEvaluator(data, [], { asOf: sc.asOf, timezone: sc.timezone });
    this.asOfDay = parseDay(sc.asOf)!;
  }

  /** Generates `count` segments; later ones may reference earlier ones (so there is no cycle). */
  generate(count: number, prefix: string): SegmentDef[] {
    for (let i = 0; i < count; i++) {
      const code = `${prefix}-${i}`;
      let def = this.segment(code);
      // Prefer definitions that split the customers; an all-or-nothing one is kept sometimes.
      for (let tries = 0; tries < 4; tries++) {
        const n = this.membersOf(def);
        if ((n > 0 && n < this.data.customers.length) || this.rng.chance(0.15)) break;
        def = this.segment(code);
      }
      this.defs.push(def);
    }
    return this.defs;
  }

  private membersOf(def: SegmentDef): number {
    const ev = new NaiveEvaluator(this.data, [...this.defs, def], { asOf: this.sc.asOf, timezone: this.sc.timezone });
    return ev.members(def.code).size;
  }

  private segment(code: string): SegmentDef {
    const rng = this.rng;
    const def: SegmentDef = { code, name: rng.pick([`Segment ${code}`, `Тест ${code}`, `${code}: "quoted", name`]) };
    if (rng.chance(0.3)) def.description = "generated by the differential test";
    // Static segments are computed on their first run (the state folder is fresh), and an
    // inactive one is not computed but is used by the segments that reference it.
    if (rng.chance(0.06)) def.type = "static";
    else if (rng.chance(0.2)) def.type = "dynamic";
    const active = rng.next();
    if (active < 0.1) def.active = false;
    else if (active < 0.3) def.active = true;
    if (rng.chance(0.2)) def.analytics = rng.chance(0.5);
    const shape = rng.weighted([["filters", 4], ["groups", 3], ["both", 3]]);
    if (rng.chance(0.6)) def.match = rng.chance(0.5) ? "any" : "all";
    // The segment itself is the outermost group and may be negated (rarely an explicit `not: false`).
    if (rng.chance(0.14)) def.not = rng.chance(0.9);
    if (shape !== "groups") def.filters = this.filters(rng.int(1, 3));
    if (shape !== "filters") def.groups = Array.from({ length: rng.int(1, shape === "both" ? 2 : 3) }, () => this.group(1));
    return def;
  }

  private group(depth: number): GroupDef {
    const rng = this.rng;
    const g: GroupDef = {};
    if (rng.chance(0.7)) g.match = rng.chance(0.5) ? "any" : "all";
    if (rng.chance(0.3)) g.not = rng.chance(0.85);
    const nested = depth < 3 && rng.chance(0.25);
    if (!nested || rng.chance(0.6)) g.filters = this.filters(rng.int(1, 3));
    if (nested) g.groups = Array.from({ length: rng.int(1, 2) }, () => this.group(depth + 1));
    return g;
  }

  private filters(n: number): FilterDef[] {
    return Array.from({ length: n }, () => this.filter());
  }

  /** One random filter. */
  filter(): FilterDef {
    const rng = this.rng;
    const kind = rng.weighted<string>([
      ["string", 14], ["list", 7], ["bool", 3], ["date", 8], ["age", 3], ["custom", 9],
      ["aggregate", 18], ["column", 12], ["segment", this.defs.length > 0 ? 5 : 0],
    ]);
    switch (kind) {
      case "string": return this.stringFilter(rng.pick(["id", "email", "phone", "first_name", "last_name", "sex", "country", "region", "city", "source", "customer_group", "manager"]));
      case "list": return this.listFilter(rng.pick(["tags", "channels"]));
      case "bool": return this.boolFilter(rng.pick(["email_marketing", "sms_marketing"]));
      case "date": return this.dateFilter(rng.pick(["birthday", "created_at"]));
      case "age": return this.numberFilter("age", undefined, true);
      case "custom": {
        const f = rng.pick(this.data.customFields);
        const field = `custom.${f.name}`;
        switch (f.type) {
          case "integer": return this.numberFilter(field, undefined, true);
          case "decimal": return this.numberFilter(field, undefined, false);
          case "bool": return this.boolFilter(field);
          case "date":
          case "datetime": return this.dateFilter(field);
          case "string": return this.stringFilter(field);
        }
        break;
      }
      case "aggregate": return this.aggregateFilter();
      case "column": return this.columnFilter();
      case "segment": {
        const codes = rng.some(this.defs.map((d) => d.code), rng.int(1, 2));
        return rng.chance(0.5) ? { field: "segment", in: codes } : { field: "segment", not_in: codes };
      }
    }
    throw new Error("unreachable");
  }

  // ----- value pools -----

  /** Non-null values of a customer column (trimmed cell texts). */
  private customerPool(column: string): string[] {
    const out = new Set<string>();
    for (const c of this.data.customers) {
      const v = c[column];
      if (v !== null && v !== undefined && v.trim() !== "") out.add(v.trim());
    }
    return [...out];
  }

  private listPool(column: string): string[] {
    const out = new Set<string>();
    for (const c of this.data.customers) for (const it of (c[column] ?? "").split(";")) if (it.trim()) out.add(it.trim());
    return out.size ? [...out] : ["vip"];
  }

  /** Non-null values of a fact column (item columns for orders' item columns). */
  private factPool(table: string, column: string): string[] {
    const rows = table === "orders" && column in ITEM_COLUMNS ? this.data.order_items : this.data[FACTS[table].export];
    const out = new Set<string>();
    for (const r of rows) {
      const v = r[column];
      if (v !== null && v !== undefined && v.trim() !== "") out.add(v.trim());
    }
    return [...out];
  }

  /** Values of a scalar field over the customers (with a where), for picking operands near real values. */
  private scalarSamples(field: string, where?: Record<string, unknown>): Value[] {
    const ref = resolveField(this.naive.shop, field);
    return this.data.customers.map((c) => scalarValue(this.naive.shop, ref, c, where, this.naive.ctx).value).filter((v) => v !== null);
  }

  // ----- operands -----

  /** A string operand from the pool (varied in case and spaces), or one that matches nothing. */
  private stringOperand(pool: string[], spaces = true): string | number {
    const rng = this.rng;
    if (pool.length === 0 || rng.chance(0.15)) return rng.pick(["Nowhere", "zzz", "Moscow", "vip"]);
    const v = rng.pick(pool);
    if (/^[1-9]\d{0,5}$/.test(v) && rng.chance(0.6)) return Number(v); // a number operand compares as its text
    return spaces ? vary(rng, v, 0.4) : vary(rng, v, 0.4).trim();
  }

  /** A non-blank piece of a value: prefix, suffix or middle, in any case. */
  private piece(pool: string[], where: "start" | "end" | "middle"): string | number {
    const rng = this.rng;
    if (pool.length === 0) return "tea";
    const v = rng.pick(pool);
    const len = rng.int(1, Math.min(6, v.length));
    const start = where === "start" ? 0 : where === "end" ? v.length - len : rng.int(0, v.length - len);
    let p = v.slice(start, start + len).trim();
    if (p === "") p = v.trim();
    if (/^[1-9]\d{0,3}$/.test(p) && rng.chance(0.4)) return Number(p);
    return rng.chance(0.3) ? vary(rng, p, 1).trim() || p : p;
  }

  /** A `matches` operand built from a value: `/…/flags` or bare. Never a bare expression starting with `/`. */
  private regexOperand(pool: string[]): string {
    const rng = this.rng;
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const v = pool.length ? rng.pick(pool) : "tea";
    const pre = v.slice(0, rng.int(1, Math.min(4, v.length)));
    const suf = v.slice(v.length - rng.int(1, Math.min(4, v.length)));
    return rng.weighted<string>([
      [`/^${esc(pre.toLowerCase())}/i`, 3],
      [`^${esc(pre)}`, 3],
      [`/${esc(suf)}$/`, 2],
      [`${esc(suf)}$`, 1],
      [`/${esc(pre.toUpperCase())}|${esc(suf)}/gi`, 1],
      [`/\\d{3}/`, 1],
      [`^[A-ZА-Я]`, 1],
      [`/^\\s*[a-m]/iu`, 1],
      [`/tea|coffee/i`, 1],
    ]);
  }

  /** A date operand: `today`, an offset, an absolute day (often a sample's day) or a datetime near midnight. */
  private dateOperand(samples: number[], far: boolean): string {
    const rng = this.rng;
    const s = samples.length ? rng.pick(samples) : this.asOfDay;
    return rng.weighted<string>([
      ["today", far ? 0 : 1],
      [rng.pick(far ? RELATIVE_FAR : RELATIVE_NEAR), 4],
      [s <= this.asOfDay ? `-${this.asOfDay - s}d` : `+${s - this.asOfDay}d`, 2],
      [dayText(s + rng.pick([0, 0, 0, 1, -1])), 3],
      [dayText(rng.pick(anchorDays(this.asOfDay))), 1],
      [this.datetimeOperand(s), 2],
    ]);
  }

  /** A datetime operand near a day's midnight, written with `Z` or an offset. */
  private datetimeOperand(day: number): string {
    const rng = this.rng;
    const [time, zone] = rng.pick([
      ["23:30:00", "Z"], ["00:15:00", "+03:00"], ["21:00:00", "-05:00"], ["22:30:00", "Z"], ["01:00:00", "+0300"],
      ["12:00:00", "Z"], ["00:00:00", "Z"], ["23:59:59", "-04:00"],
    ] as const);
    return `${dayText(day)}T${time}${zone}`;
  }

  private monthDayOperand(samples: number[]): string {
    const rng = this.rng;
    const s = samples.length ? rng.pick(samples) : this.asOfDay;
    const md = (d: number) => `${pad(Math.floor(monthDay(d) / 100))}-${pad(monthDay(d) % 100)}`;
    return rng.weighted<string>([
      [rng.pick(MONTH_DAY_RELATIVE), 3],
      [rng.pick(MONTH_DAY_FIXED), 2],
      [md(s), 2],
      [md(this.asOfDay + rng.int(-4, 4)), 2],
    ]);
  }

  /** Orders two date operands so low <= high at this as-of day (no definition error, either reading). */
  private orderedDates(a: string, b: string): [string, string] {
    const da = resolveDateOperand(a, this.asOfDay, this.sc.timezone), db = resolveDateOperand(b, this.asOfDay, this.sc.timezone);
    return da <= db ? [a, b] : [b, a];
  }

  // ----- filters by field kind -----

  private stringFilter(field: string): FilterDef {
    const pool = field.startsWith("custom.") ? this.customerPool(field.slice(7)) : this.customerPool(field);
    return { field, ...this.stringOp(pool, STRING_OPS) };
  }

  /** An operator and operand for a string-valued field or column. */
  private stringOp(pool: string[], ops: Array<[string, number]>): Record<string, unknown> {
    const rng = this.rng;
    const op = rng.weighted(ops);
    switch (op) {
      case "eq": case "ne": return { [op]: this.stringOperand(pool) };
      case "in": case "not_in": case "all": return { [op]: Array.from({ length: rng.int(1, 3) }, () => this.stringOperand(pool)) };
      case "empty": return { empty: rng.chance(0.5) };
      case "contains": case "not_contains": return { [op]: this.piece(pool, "middle") };
      case "starts_with": return { [op]: this.piece(pool, "start") };
      case "ends_with": return { [op]: this.piece(pool, "end") };
      case "matches": return { [op]: this.regexOperand(pool) };
    }
    throw new Error(op);
  }

  private listFilter(field: string): FilterDef {
    return { field, ...this.stringOp(this.listPool(field), LIST_OPS) };
  }

  private boolFilter(field: string): FilterDef {
    const rng = this.rng;
    const op = rng.weighted(BOOL_OPS);
    if (op === "in" || op === "not_in") return { field, [op]: rng.chance(0.7) ? [rng.chance(0.5)] : [true, false] };
    return { field, [op]: rng.chance(0.5) };
  }

  /** A number operator over samples of the field's values. */
  private numberOp(samples: number[], integer: boolean, ops = NUMBER_OPS): Record<string, unknown> {
    const rng = this.rng;
    const near = (): number => {
      if (samples.length === 0) return integer ? rng.int(0, 5) : quarterAmount(rng, 0, 500);
      const s = rng.pick(samples);
      if (rng.chance(0.6)) return integer || Number.isInteger(s * 4) ? s : Math.round(s * 100) / 100;
      return integer ? s + rng.int(-2, 2) : Math.round((s + rng.pick([-1, 1]) * rng.int(0, 400) / 4) * 100) / 100;
    };
    const op = rng.weighted(ops);
    switch (op) {
      case "eq": case "ne": case "gt": case "gte": case "lt": case "lte": return { [op]: near() };
      case "in": case "not_in": return { [op]: Array.from({ length: rng.int(1, 3) }, near) };
      case "between": {
        const a = near(), b = near();
        const lo = Math.min(a, b), hi = Math.max(a, b);
        const r = rng.next();
        return { between: r < 0.15 ? [null, hi] : r < 0.3 ? [lo, null] : [lo, hi] };
      }
      case "empty": return { empty: rng.chance(0.5) };
    }
    throw new Error(op);
  }

  private numberFilter(field: string, where: Record<string, unknown> | undefined, integer: boolean): FilterDef {
    const samples = this.scalarSamples(field, where) as number[];
    const f: FilterDef = { field };
    if (where) f.where = where;
    return { ...f, ...this.numberOp(samples, integer) };
  }

  /** A date operator (absolute or relative, maybe `ignore_year`) over samples of day numbers. */
  private dateOp(samples: number[], far: boolean, allowIgnoreYear: boolean): Record<string, unknown> {
    const rng = this.rng;
    if (allowIgnoreYear && rng.chance(0.3)) {
      const op = rng.weighted(MONTH_DAY_OPS);
      if (op === "between") {
        // Any order: a low after the high wraps the new year.
        const wrap = rng.chance(0.3);
        return { ignore_year: true, between: wrap ? [rng.pick(["12-2" + rng.int(0, 9), "12-31", "11-30"]), rng.pick(["01-0" + rng.int(1, 9), "01-01", "02-29", "03-01"])] : [this.monthDayOperand(samples), this.monthDayOperand(samples)] };
      }
      return { ignore_year: true, [op]: this.monthDayOperand(samples) };
    }
    const op = rng.weighted(DATE_OPS);
    switch (op) {
      case "eq": case "ne": case "gt": case "gte": case "lt": case "lte": return { [op]: this.dateOperand(samples, far) };
      case "in": case "not_in": return { [op]: Array.from({ length: rng.int(1, 3) }, () => dayText(samples.length ? rng.pick(samples) : this.asOfDay)) };
      case "between": {
        const [lo, hi] = this.orderedDates(this.dateOperand(samples, far), this.dateOperand(samples, far));
        const r = rng.next();
        return { between: r < 0.15 ? [null, hi] : r < 0.3 ? [lo, null] : [lo, hi] };
      }
      case "empty": return { empty: rng.chance(0.5) };
    }
    throw new Error(op);
  }

  private dateFilter(field: string, where?: Record<string, unknown>): FilterDef {
    const samples = this.scalarSamples(field, where) as number[];
    const f: FilterDef = { field };
    if (where) f.where = where;
    return { ...f, ...this.dateOp(samples, field === "birthday", true) };
  }

  private aggregateFilter(): FilterDef {
    const rng = this.rng;
    const table = rng.weighted([["orders", 6], ["visits", 2], ["carts", 1], ["emails", 2]]);
    const agg = table === "orders"
      ? rng.weighted([["count", 4], ["first_at", 2], ["last_at", 3], ["revenue", 3], ["avg_check", 2], ["quantity", 2]])
      : rng.weighted([["count", 3], ["first_at", 1], ["last_at", 2]]);
    const where = rng.chance(0.6) ? this.where(table) : undefined;
    const field = `${table}.${agg}`;
    if (agg === "first_at" || agg === "last_at") return this.dateFilter(field, where);
    return this.numberFilter(field, where, agg === "count" || agg === "quantity");
  }

  /** Columns of a fact table a filter or `where` may name (orders: also its item columns). */
  private columnsOf(table: string): Array<[string, Kind]> {
    const cols = Object.entries(FACTS[table].columns).filter(([c]) => c !== "customer_id" && c !== "id");
    if (table === "orders") cols.push(...Object.entries(ITEM_COLUMNS));
    return cols;
  }

  private columnFilter(): FilterDef {
    const rng = this.rng;
    const table = rng.weighted([["orders", 6], ["visits", 3], ["carts", 1], ["emails", 2]]);
    // orders.quantity is the aggregate (sum of quantities), not the item column.
    const cols = this.columnsOf(table).filter(([c]) => !(table === "orders" && c === "quantity"));
    const [column, kind] = rng.pick(cols);
    const f: FilterDef = { field: `${table}.${column}` };
    if (rng.chance(0.45)) f.where = this.where(table);
    const pool = this.factPool(table, column);
    const isItem = table === "orders" && column in ITEM_COLUMNS;
    if (kind === "string") {
      // `empty: true` on an item column is left out: whether an order with no items has an
      // empty item value is not decided by the spec.
      const op = this.stringOp(pool, STRING_OPS.map(([o, w]) => [o, o === "eq" || o === "in" || o === "ne" || o === "not_in" ? w + 1 : w] as [string, number]).concat([["all", 2]]));
      if (isItem && op.empty === true) op.empty = false;
      return { ...f, ...op };
    }
    if (kind === "number") {
      const op = this.numberOp(pool.map(Number), false);
      if (isItem && op.empty === true) op.empty = false;
      return { ...f, ...op };
    }
    const days = pool.slice(0, 200).map((t) => zoneDay(parseInstantSafe(t), this.sc.timezone));
    return { ...f, ...this.dateOp(days, false, false) };
  }

  /** A random `where` of a fact table: a list of values, or an object with one operator. */
  private where(table: string): Record<string, unknown> {
    const rng = this.rng;
    const w: Record<string, unknown> = {};
    const n = rng.weighted([[1, 6], [2, 3], [3, 1]]);
    const cols = this.columnsOf(table);
    for (const [column, kind] of rng.some(cols, n)) {
      const pool = this.factPool(table, column);
      if (kind === "string") {
        w[column] = rng.chance(0.6)
          ? Array.from({ length: rng.int(1, 3) }, () => this.stringOperand(pool))
          : this.stringOp(pool, STRING_OPS);
      } else if (kind === "number") {
        w[column] = rng.chance(0.15)
          ? rng.some(pool.map(Number), rng.int(1, 2))
          : this.numberOp(pool.map(Number), column === "quantity");
      } else {
        const days = pool.slice(0, 200).map((t) => zoneDay(parseInstantSafe(t), this.sc.timezone));
        w[column] = this.dateOp(days, false, false);
      }
    }
    return w;
  }
}

function parseInstantSafe(t: string): number {
  const ms = parseInstant(t);
  if (ms === undefined) throw new Error(`bad datetime ${t}`);
  return ms;
}

// ---------------------------------------------------------------------------------------
// Writing definitions.
// ---------------------------------------------------------------------------------------

/** The YAML text of one definition. */
export function segmentYaml(def: SegmentDef | SegmentDef[]): string {
  return stringify(def);
}

/** Writes the definitions as YAML files under `dir`: mostly one per file, sometimes several in a list. */
export function writeSegments(defs: SegmentDef[], dir: string, seed: number): void {
  const rng = new Rng(seed ^ 0x7a31);
  mkdirSync(dir, { recursive: true });
  let i = 0;
  let file = 0;
  while (i < defs.length) {
    const n = rng.chance(0.2) ? rng.int(2, 3) : 1;
    const chunk = defs.slice(i, i + n);
    i += chunk.length;
    const ext = rng.chance(0.25) ? "yml" : "yaml";
    const name = `${String(file++).padStart(2, "0")}-${chunk[0].code}.${ext}`;
    const text = chunk.length === 1 && rng.chance(0.85) ? segmentYaml(chunk[0]) : segmentYaml(chunk);
    writeFileSync(path.join(dir, name), text);
  }
}

/**
 * Every operator, field kind and structure a set of definitions uses (for the coverage
 * check); given the scenario, also where the shop's fact timestamps fall around the as-of day.
 */
export function coverage(defs: SegmentDef[], data: ShopData, sc?: Scenario): Set<string> {
  const seen = new Set<string>();
  const walk = (g: GroupDef, depth: number) => {
    if (g.match === "any") seen.add("match:any");
    if (g.not === true) seen.add("group:not");
    if (depth >= 2) seen.add("group:nested");
    if (g.filters && g.groups) seen.add("group:filters+groups");
    for (const f of g.filters ?? []) {
      const op = operatorOf(f);
      seen.add(`op:${op}`);
      const ref = resolveField(new ShopIndexLite(data), f.field);
      const kind = ref.type === "customer" ? `customer:${ref.kind}` : ref.type === "custom" ? `custom:${data.customFields.find((c) => c.name === ref.name)!.type}` : ref.type === "aggregate" ? `aggregate:${ref.table}.${ref.agg}` : ref.type === "column" ? `column:${ref.table}` : ref.type;
      seen.add(`field:${kind}`);
      seen.add(`field:${kind}:${op}`);
      if (ref.type === "column") {
        seen.add(`column-op:${op}`);
        if (ref.table === "orders" && ref.column in ITEM_COLUMNS) seen.add("column:orders-item");
      }
      if (f.ignore_year) {
        seen.add("ignore_year");
        if (op === "between") {
          const [lo, hi] = f.between as string[];
          if (/^\d{2}-\d{2}$/.test(lo) && /^\d{2}-\d{2}$/.test(hi) && lo > hi) seen.add("ignore_year:wrap");
        }
      }
      if (op === "between") {
        const [lo, hi] = f.between as unknown[];
        if (lo === null || hi === null) seen.add("between:open");
      }
      const strings = (x: unknown): string[] =>
        typeof x === "string" ? [x] : Array.isArray(x) ? x.flatMap(strings) : x && typeof x === "object" ? Object.values(x).flatMap(strings) : [];
      for (const v of strings(f)) {
        if (/^[+-]\d+[dwmy]$/.test(v) || v === "today") seen.add(`date:relative:${v === "today" ? "today" : v.slice(-1)}`);
        else if (/^\d{4}-\d{2}-\d{2}$/.test(v)) seen.add("date:absolute");
        else if (/^\d{4}-\d{2}-\d{2}T/.test(v)) seen.add("date:datetime");
      }
      if (f.where) {
        seen.add(`where:${f.field.split(".")[0]}`);
        for (const [col, spec] of Object.entries(f.where)) {
          seen.add(Array.isArray(spec) ? "where:list" : `where:op:${operatorOf(spec as Record<string, unknown>)}`);
          if (f.field.startsWith("orders.") && col in ITEM_COLUMNS) seen.add("where:item-column");
        }
      }
    }
    for (const sub of g.groups ?? []) walk(sub, depth + 1);
  };
  for (const d of defs) {
    walk(d, 0);
    if (d.type === "static") seen.add("type:static");
    if (d.not === true) seen.add("segment:not");
  }
  const negated = new Set(defs.filter((d) => d.not === true).map((d) => d.code));
  const inactive = new Set(defs.filter((d) => d.active === false).map((d) => d.code));
  const refs = (g: GroupDef): string[] => [
    ...(g.filters ?? []).filter((f) => f.field === "segment").flatMap((f) => (f.in ?? f.not_in) as string[]),
    ...(g.groups ?? []).flatMap(refs),
  ];
  if (defs.some((d) => d.active !== false && refs(d).some((c) => inactive.has(c)))) seen.add("segment:inactive-referenced");
  if (defs.some((d) => refs(d).some((c) => negated.has(c)))) seen.add("segment:references-not");
  if (sc) for (const c of timeCoverage(data, sc)) seen.add(c);
  return seen;
}

/**
 * Where the fact timestamps of a shop fall around the as-of day, per export: `after-as-of`
 * (left out), `after-as-of:first-hour` (00:00-00:59 local on the next day), `after-as-of:later`
 * (a later day), `as-of:last-hour` (23:00-23:59 local on the as-of day, kept); and
 * `after-as-of:order-with-items` when a left-out order has items.
 */
export function timeCoverage(data: ShopData, sc: Scenario): Set<string> {
  const seen = new Set<string>();
  const asOfDay = parseDay(sc.asOf)!;
  const leftOutOrders = new Set<string>();
  for (const spec of Object.values(FACTS)) {
    for (const r of data[spec.export]) {
      const cellText = r[spec.timestamp];
      if (cellText === null || cellText === undefined || cellText.trim() === "") continue;
      const ms = parseInstantSafe(cellText);
      const w = wallFields(ms, sc.timezone);
      const day = dayOf(w.y, w.m, w.d);
      if (day > asOfDay) {
        seen.add(`facts:${spec.export}:after-as-of`);
        seen.add(day === asOfDay + 1 && w.h === 0 ? `facts:${spec.export}:after-as-of:first-hour` : `facts:${spec.export}:after-as-of:later`);
        if (spec.export === "orders" && r.id) leftOutOrders.add(r.id.trim());
      } else if (day === asOfDay && w.h === 23) {
        seen.add(`facts:${spec.export}:as-of:last-hour`);
      }
    }
  }
  if (data.order_items.some((it) => leftOutOrders.has((it.order_id ?? "").trim()))) seen.add("facts:after-as-of:order-with-items");
  return seen;
}

/** Field resolution only needs the custom field types. */
class ShopIndexLite {
  constructor(readonly data: ShopData) {}
  customKind(name: string): Kind | undefined {
    const f = this.data.customFields.find((c) => c.name === name);
    if (!f) return undefined;
    return f.type === "integer" || f.type === "decimal" ? "number" : f.type;
  }
}
