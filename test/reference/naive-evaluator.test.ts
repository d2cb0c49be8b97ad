/** Hand-computed sanity checks of the reference evaluator and of the generator. */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { coverage, generateShop, scenario, SegmentGenerator, segmentYaml } from "./generate.js";
import {
  addMonths, ageAt, dayOf, dayText, evaluateNaive, isAfterAsOf, leftOutNaive, NaiveEvaluator, parseDay, parseInstant,
  resolveDateOperand, resolveMonthDayOperand, zoneDay, type FilterDef, type SegmentDef, type ShopData,
} from "./naive-evaluator.js";

const d = (t: string) => parseDay(t)!;

const base = (): ShopData => ({
  customers: [
    {
      id: "C1", city: " Moscow ", tags: "vip; Black Friday", birthday: "1992-02-29", created_at: "2026-03-01T23:30:00Z",
      email_marketing: "yes", channels: "telegram", points: "120", phone: "+7 999 123-45-42",
    },
    {
      id: "C2", city: null, tags: ";", birthday: "1990-03-01", created_at: "2026-03-02T00:30:00+03:00",
      email_marketing: "0", channels: null, points: null, phone: null,
    },
    {
      id: "C3", city: "saint petersburg", tags: null, birthday: "2000-12-31", created_at: "2025-12-31 23:59:59 -0500",
      email_marketing: null, channels: "Viber;WhatsApp", points: "-3", phone: "8 (912) 000 00 00",
    },
  ],
  orders: [
    { id: "O1", customer_id: "C1", created_at: "2026-03-31T23:59:00Z", status: "complete", total: "100.00", store: "Web", channel: "web" },
    { id: "O2", customer_id: "C1", created_at: "2026-01-01T00:00:00+03:00", status: "Cancelled ", total: null, store: null, channel: null },
    { id: "O3", customer_id: "C3", created_at: "2025-12-01T10:00:00Z", status: null, total: "7.5", store: null, channel: null },
    { id: "O9", customer_id: "GHOST", created_at: "2026-03-01T10:00:00Z", status: "complete", total: "1000", store: null, channel: null },
  ],
  order_items: [
    { order_id: "O1", product_id: "P1", sku: "T-1", name: "Tea", category: "Chinese tea", quantity: "2", price: "10" },
    { order_id: "O1", product_id: "P2", sku: "C-1", name: "Cup", category: "Teaware", quantity: "1", price: "30" },
    { order_id: "O2", product_id: "P1", sku: "T-1", name: "Tea", category: " chinese TEA", quantity: null, price: "5" },
    { order_id: "O3", product_id: "P2", sku: "C-1", name: "Cup", category: "Teaware", quantity: "3", price: null },
  ],
  visits: [],
  carts: [],
  email_events: [
    { customer_id: "C2", type: "open", at: "2026-03-30T12:00:00Z", campaign: null },
  ],
  customFields: [{ name: "points", type: "integer" }],
});

/** Members of a one-filter segment. */
function members(filter: FilterDef, opts = { asOf: "2026-03-31", timezone: "UTC" }, data = base()): string[] {
  return evaluateNaive(data, [{ code: "t", name: "t", filters: [filter] }], opts).get("t")!;
}

describe("naive evaluator: dates", () => {
  it("does calendar arithmetic with month-end clamping", () => {
    expect(dayText(addMonths(d("2026-05-31"), -1))).toBe("2026-04-30");
    expect(dayText(addMonths(d("2026-03-31"), -1))).toBe("2026-02-28");
    expect(dayText(addMonths(d("2028-02-29"), -12))).toBe("2027-02-28");
    expect(dayText(addMonths(d("2026-01-31"), 1))).toBe("2026-02-28");
    expect(dayText(resolveDateOperand("-2w", d("2026-03-01"), "UTC"))).toBe("2026-02-15");
    expect(dayText(resolveDateOperand("+3d", d("2026-12-30"), "UTC"))).toBe("2027-01-02");
    expect(dayText(resolveDateOperand("-1y", d("2028-02-29"), "UTC"))).toBe("2027-02-28");
    expect(dayText(resolveDateOperand("today", d("2028-02-29"), "UTC"))).toBe("2028-02-29");
  });

  it("turns datetimes into their day in the zone", () => {
    expect(dayText(resolveDateOperand("2026-03-01T23:30:00Z", 0, "Europe/Moscow"))).toBe("2026-03-02");
    expect(dayText(resolveDateOperand("2026-03-01T23:30:00Z", 0, "UTC"))).toBe("2026-03-01");
    expect(dayText(resolveDateOperand("2026-03-01T02:30:00Z", 0, "America/New_York"))).toBe("2026-02-28");
    expect(dayText(zoneDay(parseInstant("2025-10-07 09:50:26 +0200")!, "UTC"))).toBe("2025-10-07");
    expect(parseInstant("2025-10-07T09:50:26+02:00")).toBe(Date.UTC(2025, 9, 7, 7, 50, 26));
    expect(parseInstant("2025-10-07T09:50:26.5Z")).toBe(Date.UTC(2025, 9, 7, 9, 50, 26, 500));
    expect(parseInstant("2025-10-07T09:50+0530")).toBe(Date.UTC(2025, 9, 7, 4, 20));
  });

  it("computes ages, 29 February ageing on 1 March in common years", () => {
    expect(ageAt(d("1992-02-29"), d("2027-02-28"))).toBe(34);
    expect(ageAt(d("1992-02-29"), d("2027-03-01"))).toBe(35);
    expect(ageAt(d("1992-02-29"), d("2028-02-29"))).toBe(36);
    expect(ageAt(d("2000-12-31"), d("2026-12-30"))).toBe(25);
    expect(ageAt(d("2000-12-31"), d("2026-12-31"))).toBe(26);
  });

  it("reads MM-DD and relative ignore_year operands", () => {
    expect(resolveMonthDayOperand("02-29", 0, "UTC")).toBe(229);
    expect(resolveMonthDayOperand("+3d", d("2026-12-30"), "UTC")).toBe(102);
    expect(dayOf(1970, 1, 1)).toBe(0);
  });
});

describe("naive evaluator: customer fields", () => {
  it("compares strings trimmed and case-folded, null passing only the negative operators", () => {
    expect(members({ field: "city", eq: "moscow" })).toEqual(["C1"]);
    expect(members({ field: "city", ne: "Moscow" })).toEqual(["C2", "C3"]);
    expect(members({ field: "city", in: ["MOSCOW ", "Saint Petersburg"] })).toEqual(["C1", "C3"]);
    expect(members({ field: "city", not_in: ["moscow"] })).toEqual(["C2", "C3"]);
    expect(members({ field: "city", contains: "PETER" })).toEqual(["C3"]);
    expect(members({ field: "city", not_contains: "peter" })).toEqual(["C1", "C2"]);
    expect(members({ field: "city", starts_with: "mos" })).toEqual(["C1"]);
    expect(members({ field: "city", ends_with: "burg" })).toEqual(["C3"]);
    expect(members({ field: "city", empty: true })).toEqual(["C2"]);
    expect(members({ field: "city", empty: false })).toEqual(["C1", "C3"]);
    expect(members({ field: "phone", ends_with: 42 })).toEqual(["C1"]);
  });

  it("applies regular expressions to the trimmed, unfolded value", () => {
    expect(members({ field: "city", matches: "/^mos/i" })).toEqual(["C1"]);
    expect(members({ field: "city", matches: "^mos" })).toEqual([]);
    expect(members({ field: "city", matches: "^Mos" })).toEqual(["C1"]);
    expect(members({ field: "city", matches: "/G$/gi" })).toEqual(["C3"]);
  });

  it("treats lists as has-any / has-none / has-all, an empty list like null", () => {
    expect(members({ field: "tags", in: ["VIP"] })).toEqual(["C1"]);
    expect(members({ field: "tags", eq: "black friday" })).toEqual(["C1"]);
    expect(members({ field: "tags", not_in: ["vip"] })).toEqual(["C2", "C3"]);
    expect(members({ field: "tags", ne: "vip" })).toEqual(["C2", "C3"]);
    expect(members({ field: "tags", all: ["vip", "Black Friday"] })).toEqual(["C1"]);
    expect(members({ field: "tags", all: ["vip", "b2b"] })).toEqual([]);
    expect(members({ field: "tags", empty: true })).toEqual(["C2", "C3"]);
    expect(members({ field: "channels", starts_with: "what" })).toEqual(["C3"]);
    expect(members({ field: "channels", matches: "^V" })).toEqual(["C3"]);
    expect(members({ field: "channels", not_contains: "app" })).toEqual(["C1", "C2"]);
  });

  it("compares bools and numbers", () => {
    expect(members({ field: "email_marketing", eq: true })).toEqual(["C1"]);
    expect(members({ field: "email_marketing", ne: true })).toEqual(["C2", "C3"]);
    expect(members({ field: "email_marketing", in: [false] })).toEqual(["C2"]);
    expect(members({ field: "custom.points", lt: 0 })).toEqual(["C3"]);
    expect(members({ field: "custom.points", between: [-3, null] })).toEqual(["C1", "C3"]);
    expect(members({ field: "custom.points", not_in: [120] })).toEqual(["C2", "C3"]);
    expect(members({ field: "age", gte: 35 }, { asOf: "2027-02-28", timezone: "UTC" })).toEqual(["C2"]);
    expect(members({ field: "age", gte: 35 }, { asOf: "2027-03-01", timezone: "UTC" })).toEqual(["C1", "C2"]);
  });

  it("compares dates as calendar days in the zone", () => {
    expect(members({ field: "created_at", eq: "2026-03-01" })).toEqual(["C1", "C2"]);
    expect(members({ field: "created_at", eq: "2026-03-01" }, { asOf: "2026-03-31", timezone: "Europe/Moscow" })).toEqual([]);
    expect(members({ field: "created_at", eq: "2026-03-02" }, { asOf: "2026-03-31", timezone: "Europe/Moscow" })).toEqual(["C1", "C2"]);
    expect(members({ field: "created_at", eq: "2026-01-01" })).toEqual(["C3"]);
    expect(members({ field: "created_at", eq: "2025-12-31" }, { asOf: "2026-03-31", timezone: "America/New_York" })).toEqual(["C3"]);
    expect(members({ field: "created_at", between: ["-30d", "today"] })).toEqual(["C1", "C2"]);
    expect(members({ field: "created_at", between: ["-29d", "today"] })).toEqual([]);
    expect(members({ field: "created_at", eq: "2026-03-01T23:30:00Z" }, { asOf: "2026-03-31", timezone: "Europe/Moscow" })).toEqual(["C1", "C2"]);
    expect(members({ field: "birthday", lte: "-30y" })).toEqual(["C1", "C2"]);
  });

  it("compares month and day with ignore_year, wrapping the new year, 29 February its own day", () => {
    expect(members({ field: "birthday", ignore_year: true, between: ["12-30", "01-02"] })).toEqual(["C3"]);
    expect(members({ field: "birthday", ignore_year: true, between: ["02-28", "03-01"] })).toEqual(["C1", "C2"]);
    expect(members({ field: "birthday", ignore_year: true, eq: "02-28" })).toEqual([]);
    expect(members({ field: "birthday", ignore_year: true, eq: "02-29" })).toEqual(["C1"]);
    expect(members({ field: "birthday", ignore_year: true, between: ["today", "+3d"] }, { asOf: "2026-12-30", timezone: "UTC" })).toEqual(["C3"]);
    expect(members({ field: "birthday", ignore_year: true, between: ["today", "+3d"] }, { asOf: "2027-02-27", timezone: "UTC" })).toEqual(["C1", "C2"]);
    expect(members({ field: "birthday", ignore_year: true, gt: "06-01" })).toEqual(["C3"]);
  });
});

describe("naive evaluator: facts", () => {
  it("counts and sums orders, with and without where", () => {
    expect(members({ field: "orders.count", eq: 2 })).toEqual(["C1"]);
    expect(members({ field: "orders.count", eq: 0 })).toEqual(["C2"]);
    expect(members({ field: "orders.revenue", eq: 100 })).toEqual(["C1"]);
    expect(members({ field: "orders.revenue", eq: 0 })).toEqual(["C2"]);
    expect(members({ field: "orders.avg_check", eq: 50 })).toEqual(["C1"]);
    expect(members({ field: "orders.avg_check", empty: true })).toEqual(["C2"]);
    expect(members({ field: "orders.quantity", eq: 4 })).toEqual(["C1"]); // 2 + 1 + 1 (no quantity: one unit)
    expect(members({ field: "orders.quantity", eq: 3 })).toEqual(["C3"]);
    // Item-column where: orders with a passing item; revenue from passing items' price * quantity.
    expect(members({ field: "orders.count", where: { category: ["chinese tea"] }, eq: 2 })).toEqual(["C1"]);
    expect(members({ field: "orders.revenue", where: { category: ["chinese tea"] }, eq: 25 })).toEqual(["C1"]);
    expect(members({ field: "orders.quantity", where: { category: ["chinese tea"] }, eq: 3 })).toEqual(["C1"]);
    expect(members({ field: "orders.revenue", where: { category: ["teaware"] }, eq: 0 })).toEqual(["C2", "C3"]); // no price adds nothing
    expect(members({ field: "orders.avg_check", where: { category: ["teaware"] }, eq: 30 })).toEqual(["C1"]);
    // Order-column where, null status kept by `ne`.
    expect(members({ field: "orders.count", where: { status: { ne: "cancelled" } }, eq: 1 })).toEqual(["C1", "C3"]);
    expect(members({ field: "orders.revenue", where: { status: ["complete"] }, eq: 100 })).toEqual(["C1"]);
    expect(members({ field: "orders.count", where: { created_at: { between: ["-3m", "-1m"] } }, eq: 1 })).toEqual(["C1"]);
  });

  it("uses the first and last timestamps as days in the zone", () => {
    expect(members({ field: "orders.last_at", eq: "today" })).toEqual(["C1"]);
    expect(members({ field: "orders.last_at", eq: "today" }, { asOf: "2026-03-31", timezone: "Europe/Moscow" })).toEqual([]);
    expect(members({ field: "orders.first_at", eq: "2025-12-31" })).toEqual(["C1"]);
    expect(members({ field: "orders.first_at", empty: true })).toEqual(["C2"]);
    expect(members({ field: "emails.last_at", gte: "-1d" })).toEqual(["C2"]);
  });

  it("matches fact columns on some passing row, negatives on none", () => {
    expect(members({ field: "orders.category", eq: "teaware" })).toEqual(["C1", "C3"]);
    expect(members({ field: "orders.category", ne: "teaware" })).toEqual(["C2"]);
    expect(members({ field: "orders.category", all: ["Chinese tea", "Teaware"] })).toEqual(["C1"]);
    expect(members({ field: "orders.status", ne: "cancelled" })).toEqual(["C2", "C3"]);
    expect(members({ field: "orders.status", empty: true })).toEqual(["C3"]);
    expect(members({ field: "orders.status", not_in: ["complete"], where: { total: { gte: 50 } } })).toEqual(["C2", "C3"]);
    expect(members({ field: "orders.sku", eq: "c-1", where: { category: ["chinese tea"] } })).toEqual([]);
    expect(members({ field: "orders.price", gte: 30 })).toEqual(["C1"]);
    expect(members({ field: "emails.type", in: ["OPEN"] })).toEqual(["C2"]);
    expect(members({ field: "visits.page", not_contains: "x" })).toEqual(["C1", "C2", "C3"]);
  });
});

describe("naive evaluator: structure", () => {
  it("combines groups with match, negates with not, follows segment references", () => {
    const defs: SegmentDef[] = [
      { code: "a", name: "a", filters: [{ field: "city", eq: "moscow" }] },
      {
        code: "b", name: "b", match: "any",
        filters: [{ field: "segment", in: ["a"] }],
        groups: [{ not: true, match: "all", filters: [{ field: "orders.count", gte: 1 }] }],
      },
      { code: "c", name: "c", filters: [{ field: "segment", not_in: ["a", "b"] }] },
      { code: "d", name: "d", groups: [{ match: "any", groups: [{ filters: [{ field: "tags", in: ["vip"] }] }, { filters: [{ field: "custom.points", lt: 0 }] }] }] },
    ];
    const m = evaluateNaive(base(), defs, { asOf: "2026-03-31", timezone: "UTC" });
    expect(m.get("a")).toEqual(["C1"]);
    expect(m.get("b")).toEqual(["C1", "C2"]);
    expect(m.get("c")).toEqual(["C3"]);
    expect(m.get("d")).toEqual(["C1", "C3"]);
  });
});

/**
 * A tiny shop around the as-of day 2026-03-31, for the rule that facts dated after the as-of
 * day (its calendar day in the zone) are left out. Europe/Moscow is UTC+3 all year;
 * America/New_York is on EDT (UTC-4) on 31 March 2026 (DST began on 8 March). Local times of
 * every timestamp, worked out by hand (in = on or before 2026-03-31 there, out = after):
 *
 *   row  customer  cell                          UTC            Moscow          New York
 *   O1   M1        2026-03-31T20:30:00Z          03-31 20:30 in 03-31 23:30 in  03-31 16:30 in
 *   O2   M1        2026-03-31T21:30:00Z          03-31 21:30 in 04-01 00:30 OUT 03-31 17:30 in
 *   O3   N1        2026-03-31T23:30:00-04:00     04-01 03:30 OUT 04-01 06:30 OUT 03-31 23:30 in
 *   O4   N1        2026-04-01 00:30:00 -0400     04-01 04:30 OUT 04-01 07:30 OUT 04-01 00:30 OUT
 *   O5   I1        2026-03-10T12:00:00Z          in             in              in
 *   O6   I1        2026-04-15T12:00:00+03:00     OUT            OUT             OUT
 *   O7   X1        2026-03-01T10:00:00Z          in             in              in
 *   O8   X1        2026-04-02T10:00:00Z          OUT            OUT             OUT
 *   O9   GHOST     2026-05-01T00:00:00Z          OUT            OUT             04-30 20:00 OUT
 *   O10  E1        (empty)                       kept           kept            kept
 *   V1   M1        2026-03-31T23:59:59+03:00     03-31 20:59 in 03-31 23:59 in  03-31 16:59 in
 *   V2   M1        2026-04-01T00:00:00+03:00     03-31 21:00 in 04-01 00:00 OUT 03-31 17:00 in
 *   V3   N1        2026-06-01T12:00:00Z          OUT            OUT             OUT
 *   K1   I1        2026-04-01T00:00:00Z          04-01 00:00 OUT 04-01 03:00 OUT 03-31 20:00 in
 *   K2   I1        (empty)                       kept           kept            kept
 *   E1   X1        2026-04-05T08:00:00Z          OUT            OUT             OUT
 *   E2   E1        (empty)                       kept           kept            kept
 *   E3   GHOST     2026-03-01T00:00:00Z          in             in              in
 *
 * Left out per export: UTC orders 5 (O3 O4 O6 O8 O9), visits 1 (V3), carts 1 (K1), emails 1
 * (E1); Moscow orders 6 (O2 too), visits 2 (V2 too), carts 1, emails 1; New York orders 4
 * (O4 O6 O8 O9), visits 1, carts 0, emails 1. The orphans (GHOST) count too.
 */
const asOfShop = (): ShopData => ({
  customers: [
    { id: "M1", city: "Moscow" },
    { id: "N1", city: null },
    { id: "I1", city: "Kazan" },
    { id: "X1", city: " moscow" },
    { id: "E1", city: "" },
  ],
  orders: [
    { id: "O1", customer_id: "M1", created_at: "2026-03-31T20:30:00Z", status: "complete", total: "10", store: null, channel: null },
    { id: "O2", customer_id: "M1", created_at: "2026-03-31T21:30:00Z", status: "complete", total: "20", store: null, channel: null },
    { id: "O3", customer_id: "N1", created_at: "2026-03-31T23:30:00-04:00", status: null, total: "30", store: null, channel: null },
    { id: "O4", customer_id: "N1", created_at: "2026-04-01 00:30:00 -0400", status: null, total: "40", store: null, channel: null },
    { id: "O5", customer_id: "I1", created_at: "2026-03-10T12:00:00Z", status: "paid", total: "10", store: null, channel: null },
    { id: "O6", customer_id: "I1", created_at: "2026-04-15T12:00:00+03:00", status: "paid", total: "70", store: null, channel: null },
    { id: "O7", customer_id: "X1", created_at: "2026-03-01T10:00:00Z", status: "complete", total: "5", store: null, channel: null },
    { id: "O8", customer_id: "X1", created_at: "2026-04-02T10:00:00Z", status: "Cancelled", total: "5", store: null, channel: null },
    { id: "O9", customer_id: "GHOST", created_at: "2026-05-01T00:00:00Z", status: "complete", total: "1000", store: null, channel: null },
    { id: "O10", customer_id: "E1", created_at: null, status: "cancelled ", total: "3", store: null, channel: null },
  ],
  order_items: [
    { order_id: "O1", product_id: "P3", sku: "W-1", name: "Cup", category: "Teaware", quantity: "1", price: "10" },
    { order_id: "O3", product_id: "P4", sku: "G-1", name: "Sencha", category: "Green tea", quantity: "1", price: "30" },
    { order_id: "O4", product_id: "P1", sku: "C-1", name: "Pu-erh", category: "Chinese tea", quantity: "4", price: "10" },
    { order_id: "O5", product_id: "P2", sku: "B-1", name: "Assam", category: "Black tea", quantity: "1", price: "10" },
    { order_id: "O6", product_id: "P1", sku: "C-1", name: "Pu-erh", category: "Chinese tea", quantity: "3", price: "20" },
    { order_id: "O6", product_id: "P2", sku: "B-1", name: "Assam", category: "Black tea", quantity: "2", price: "5" },
  ],
  visits: [
    { customer_id: "M1", visited_at: "2026-03-31T23:59:59+03:00", source: "google", medium: null, campaign: null, page: "/", category: null, product_id: null, goal: null },
    { customer_id: "M1", visited_at: "2026-04-01T00:00:00+03:00", source: "yandex", medium: null, campaign: null, page: "/", category: null, product_id: null, goal: null },
    { customer_id: "N1", visited_at: "2026-06-01T12:00:00Z", source: "google", medium: null, campaign: null, page: "/", category: null, product_id: null, goal: null },
  ],
  carts: [
    { customer_id: "I1", updated_at: "2026-04-01T00:00:00Z", status: "abandoned", total: "50" },
    { customer_id: "I1", updated_at: null, status: "converted", total: "20" },
  ],
  email_events: [
    { customer_id: "X1", type: "open", at: "2026-04-05T08:00:00Z", campaign: null },
    { customer_id: "E1", type: "sent", at: null, campaign: null },
    { customer_id: "GHOST", type: "sent", at: "2026-03-01T00:00:00Z", campaign: null },
  ],
  customFields: [],
});

const UTC = { asOf: "2026-03-31", timezone: "UTC" };
const MSK = { asOf: "2026-03-31", timezone: "Europe/Moscow" };
const NYC = { asOf: "2026-03-31", timezone: "America/New_York" };
/** Members of a one-filter segment over asOfShop(). */
const at = (filter: FilterDef, opts: { asOf: string; timezone: string }) => members(filter, opts, asOfShop());
/** Members of whole definitions over asOfShop(). */
const segs = (defs: SegmentDef[], opts: { asOf: string; timezone: string } = UTC) => evaluateNaive(asOfShop(), defs, opts);

describe("naive evaluator: facts after the as-of day are left out", () => {
  it("cuts at local midnight: 23:30 on the as-of day counts, 00:30 the next day does not", () => {
    const t = (cell: string, zone: string) => isAfterAsOf(cell, { asOfDay: d("2026-03-31"), zone });
    expect(t("2026-03-31T20:30:00Z", "Europe/Moscow")).toBe(false); // 23:30 MSK on the 31st
    expect(t("2026-03-31T21:30:00Z", "Europe/Moscow")).toBe(true); // 00:30 MSK on the 1st
    expect(t("2026-03-31T23:30:00-04:00", "America/New_York")).toBe(false); // 23:30 EDT on the 31st
    expect(t("2026-04-01T00:30:00-04:00", "America/New_York")).toBe(true); // 00:30 EDT on the 1st
    expect(t("2026-03-31T23:59:59.999Z", "UTC")).toBe(false);
    expect(t("2026-04-01T00:00:00Z", "UTC")).toBe(true);
    expect(t("  ", "UTC")).toBe(false); // an empty timestamp cannot be shown to be after
  });

  it("counts an order at 23:30 local on the as-of day and not one at 00:30 the next day, east and west of UTC", () => {
    // Moscow: M1 keeps O1 (23:30) and loses O2 (00:30); N1 loses O3 and O4 (06:30, 07:30 on the 1st).
    expect(at({ field: "orders.count", eq: 1 }, MSK)).toEqual(["E1", "I1", "M1", "X1"]);
    expect(at({ field: "orders.count", eq: 0 }, MSK)).toEqual(["N1"]);
    expect(at({ field: "orders.revenue", eq: 10 }, MSK)).toEqual(["I1", "M1"]); // M1: O1 only (10), not 30
    expect(at({ field: "orders.last_at", eq: "today" }, MSK)).toEqual(["M1"]); // O1, 23:30 on the 31st
    // New York: M1 keeps O1 and O2 (16:30, 17:30); N1 keeps O3 (23:30) and loses O4 (00:30).
    expect(at({ field: "orders.count", eq: 2 }, NYC)).toEqual(["M1"]);
    expect(at({ field: "orders.count", eq: 1 }, NYC)).toEqual(["E1", "I1", "N1", "X1"]);
    expect(at({ field: "orders.revenue", eq: 30 }, NYC)).toEqual(["M1", "N1"]); // M1 10+20; N1 O3's 30, not 70
    expect(at({ field: "orders.last_at", eq: "today" }, NYC)).toEqual(["M1", "N1"]);
    expect(at({ field: "orders.first_at", eq: "today" }, NYC)).toEqual(["M1", "N1"]);
    // UTC: O1 and O2 are on the 31st; O3 and O4 on the 1st.
    expect(at({ field: "orders.count", eq: 2 }, UTC)).toEqual(["M1"]);
    expect(at({ field: "orders.count", eq: 0 }, UTC)).toEqual(["N1"]);
    // An order with no created_at (O10) is kept.
    expect(at({ field: "orders.revenue", eq: 3 }, UTC)).toEqual(["E1"]);
    // Visits at 23:59:59 MSK (kept) and 00:00:00 MSK the next day (left out); carts at 20:00 EDT (kept).
    expect(at({ field: "visits.count", eq: 1 }, MSK)).toEqual(["M1"]);
    expect(at({ field: "visits.count", eq: 2 }, UTC)).toEqual(["M1"]);
    expect(at({ field: "visits.count", eq: 0 }, NYC)).toEqual(["E1", "I1", "N1", "X1"]); // N1's V3 is in June
    expect(at({ field: "carts.count", eq: 1 }, UTC)).toEqual(["I1"]); // K2 (no updated_at) only
    expect(at({ field: "carts.count", eq: 2 }, NYC)).toEqual(["I1"]); // K1 and K2
    expect(at({ field: "carts.last_at", eq: "today" }, NYC)).toEqual(["I1"]); // K1, 20:00 on the 31st
    expect(at({ field: "carts.last_at", empty: true }, UTC)).toEqual(["E1", "I1", "M1", "N1", "X1"]); // I1: K2 has no day
  });

  it("leaves out the items of a left-out order", () => {
    // I1's only Chinese tea is in O6 (15 April, left out), N1's in O4 (left out everywhere).
    expect(at({ field: "orders.count", where: { category: ["chinese tea"] }, gte: 1 }, UTC)).toEqual([]);
    expect(at({ field: "orders.count", where: { category: ["chinese tea"] }, gte: 1 }, NYC)).toEqual([]);
    expect(at({ field: "orders.category", eq: "Chinese tea" }, UTC)).toEqual([]);
    expect(at({ field: "orders.category", ne: "Chinese tea" }, UTC)).toEqual(["E1", "I1", "M1", "N1", "X1"]);
    // I1's quantity is O5's 1 (not 1 + 3 + 2 = 6); with Black tea, 1 (not 1 + 2 = 3), revenue 10 (not 20).
    expect(at({ field: "orders.quantity", gte: 2 }, UTC)).toEqual([]);
    expect(at({ field: "orders.quantity", where: { category: ["black tea"] }, eq: 1 }, UTC)).toEqual(["I1"]);
    expect(at({ field: "orders.revenue", where: { category: ["black tea"] }, eq: 10 }, UTC)).toEqual(["I1"]);
    expect(at({ field: "orders.avg_check", where: { category: ["black tea"] }, eq: 10 }, UTC)).toEqual(["I1"]);
    // N1's Green tea (O3) counts in New York only, where O3 is at 23:30 on the 31st.
    expect(at({ field: "orders.category", eq: "green tea" }, NYC)).toEqual(["N1"]);
    expect(at({ field: "orders.category", eq: "green tea" }, UTC)).toEqual([]);
    expect(at({ field: "orders.quantity", eq: 1 }, NYC)).toEqual(["I1", "M1", "N1"]); // O5; O1; O3 (not O4's 4)
  });

  it("hides left-out facts from negative filters, where and emails.count", () => {
    // X1's only cancelled order (O8, 2 April) is after the as-of day: X1 passes. E1's cancelled
    // order has no created_at, so it is kept and E1 fails.
    expect(at({ field: "orders.status", ne: "cancelled" }, UTC)).toEqual(["I1", "M1", "N1", "X1"]);
    expect(at({ field: "orders.status", not_in: ["cancelled", "returned"] }, MSK)).toEqual(["I1", "M1", "N1", "X1"]);
    expect(at({ field: "orders.status", eq: "cancelled" }, UTC)).toEqual(["E1"]);
    expect(at({ field: "orders.count", where: { status: ["cancelled"] }, eq: 0 }, UTC)).toEqual(["I1", "M1", "N1", "X1"]);
    // A where on the timestamp cannot reach past the as-of day either.
    expect(at({ field: "orders.count", where: { created_at: { gt: "today" } }, gte: 1 }, UTC)).toEqual([]);
    expect(at({ field: "orders.created_at", gte: "+1d" }, NYC)).toEqual([]);
    // X1's only email (5 April) is left out: count 0. E1's (no timestamp) is kept: count 1, no last_at.
    expect(at({ field: "emails.count", eq: 0 }, UTC)).toEqual(["I1", "M1", "N1", "X1"]);
    expect(at({ field: "emails.count", eq: 1 }, NYC)).toEqual(["E1"]);
    expect(at({ field: "emails.type", ne: "open" }, UTC)).toEqual(["E1", "I1", "M1", "N1", "X1"]);
    expect(at({ field: "emails.last_at", empty: true }, UTC)).toEqual(["E1", "I1", "M1", "N1", "X1"]);
  });

  it("reports how many rows of each fact export were left out, orphans included", () => {
    expect(leftOutNaive(asOfShop(), UTC)).toEqual({ orders: 5, visits: 1, carts: 1, email_events: 1 });
    expect(leftOutNaive(asOfShop(), MSK)).toEqual({ orders: 6, visits: 2, carts: 1, email_events: 1 });
    expect(leftOutNaive(asOfShop(), NYC)).toEqual({ orders: 4, visits: 1, carts: 0, email_events: 1 });
    // A month later nothing is after the as-of day; the day before, every dated fact of the 31st is too.
    expect(new NaiveEvaluator(asOfShop(), [], { asOf: "2026-06-30", timezone: "UTC" }).leftOut).toEqual({ orders: 0, visits: 0, carts: 0, email_events: 0 });
    // As of 30 March (UTC): orders all but O5, O7, O10 (7); visits all 3; carts K1; emails E1.
    expect(leftOutNaive(asOfShop(), { asOf: "2026-03-30", timezone: "UTC" })).toEqual({ orders: 7, visits: 3, carts: 1, email_events: 1 });
    // Left-out rows stay visible to explain, by customer (GHOST's O9 too, though no customer has it).
    const shop = new NaiveEvaluator(asOfShop(), [], MSK).shop;
    expect(shop.leftOutRowsOf("orders", "M1").map((r) => r.id)).toEqual(["O2"]);
    expect(shop.leftOutRowsOf("orders", "GHOST").map((r) => r.id)).toEqual(["O9"]);
    expect(shop.rowsOf("orders", "M1").map((r) => r.id)).toEqual(["O1"]);
  });
});

describe("naive evaluator: the segment itself negated", () => {
  it("applies not: true at the top level, null values passing as with the negative operators", () => {
    // city eq Moscow holds for M1 and X1 (" moscow"); N1 and E1 have no city (""), I1 Kazan.
    const m = segs([
      { code: "not-moscow", name: "n", not: true, filters: [{ field: "city", eq: "Moscow" }] },
      { code: "ne-moscow", name: "n", filters: [{ field: "city", ne: "Moscow" }] },
      { code: "plain", name: "p", not: false, filters: [{ field: "city", eq: "Moscow" }] },
      // any of (Moscow, no orders): M1, X1, N1 -> negated: E1, I1.
      { code: "not-any", name: "a", not: true, match: "any", filters: [{ field: "city", eq: "moscow" }, { field: "orders.count", eq: 0 }] },
      // all of (an order, not no emails): only E1 (order O10, email E2) -> negated: the rest.
      {
        code: "not-groups", name: "g", not: true,
        groups: [{ filters: [{ field: "orders.count", gte: 1 }] }, { not: true, filters: [{ field: "emails.count", eq: 0 }] }],
      },
    ]);
    expect(m.get("not-moscow")).toEqual(["E1", "I1", "N1"]);
    expect(m.get("ne-moscow")).toEqual(["E1", "I1", "N1"]);
    expect(m.get("plain")).toEqual(["M1", "X1"]);
    expect(m.get("not-any")).toEqual(["E1", "I1"]);
    expect(m.get("not-groups")).toEqual(["I1", "M1", "N1", "X1"]);
  });

  it("negates after leaving out the facts after the as-of day", () => {
    const def: SegmentDef = { code: "no-orders", name: "n", not: true, filters: [{ field: "orders.count", gte: 1 }] };
    expect(segs([def], UTC).get("no-orders")).toEqual(["N1"]); // N1's O3, O4 are on 1 April in UTC
    expect(segs([def], MSK).get("no-orders")).toEqual(["N1"]);
    expect(segs([def], NYC).get("no-orders")).toEqual([]); // N1 keeps O3 (23:30 EDT on the 31st)
  });

  it("follows references to a negated segment", () => {
    const m = segs([
      { code: "a", name: "a", not: true, filters: [{ field: "city", eq: "Moscow" }] }, // E1, I1, N1
      { code: "in-a", name: "b", filters: [{ field: "segment", in: ["a"] }] }, // E1, I1, N1
      { code: "not-in-a", name: "c", filters: [{ field: "segment", not_in: ["a"] }] }, // M1, X1
      { code: "not-of-in-a", name: "d", not: true, filters: [{ field: "segment", in: ["a"] }] }, // M1, X1
      { code: "double", name: "e", not: true, filters: [{ field: "segment", not_in: ["a"] }] }, // E1, I1, N1
      // a or one with an email kept: E1, I1, N1 (E1 is in a anyway) -> not: M1, X1.
      { code: "not-any", name: "f", not: true, match: "any", filters: [{ field: "segment", in: ["a"] }, { field: "emails.count", gte: 1 }] },
    ]);
    expect(m.get("a")).toEqual(["E1", "I1", "N1"]);
    expect(m.get("in-a")).toEqual(["E1", "I1", "N1"]);
    expect(m.get("not-in-a")).toEqual(["M1", "X1"]);
    expect(m.get("not-of-in-a")).toEqual(["M1", "X1"]);
    expect(m.get("double")).toEqual(["E1", "I1", "N1"]);
    expect(m.get("not-any")).toEqual(["M1", "X1"]);
  });
});

describe("generator", () => {
  it("is deterministic and round-trips its definitions through YAML", () => {
    const sc = scenario(3, 4242);
    const a = generateShop(sc.seed, sc), b = generateShop(sc.seed, sc);
    expect(a).toEqual(b);
    const defs = new SegmentGenerator(7, a, sc).generate(8, "x");
    expect(new SegmentGenerator(7, b, sc).generate(8, "x")).toEqual(defs);
    for (const def of defs) expect(parse(segmentYaml(def))).toEqual(def);
  });

  it("covers every operator, field kind and structure over a few datasets", () => {
    const seen = new Set<string>();
    let facts = 0, leftOut = 0, defs = 0, negated = 0;
    const zones = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const sc = scenario(i, 9000 + i);
      zones.add(sc.timezone);
      const data = generateShop(sc.seed, sc);
      const generated = new SegmentGenerator(sc.seed + 1, data, sc).generate(8, `s${i}`);
      for (const c of coverage(generated, data, sc)) seen.add(c);
      facts += data.orders.length + data.visits.length + data.carts.length + data.email_events.length;
      leftOut += Object.values(leftOutNaive(data, sc)).reduce((a, b) => a + b, 0);
      defs += generated.length;
      negated += generated.filter((g) => g.not === true).length;
    }
    // About 6.5% of the facts are after the as-of day, about 12% of the segments negated.
    expect(leftOut / facts).toBeGreaterThan(0.04);
    expect(leftOut / facts).toBeLessThan(0.09);
    expect(negated / defs).toBeGreaterThan(0.06);
    expect(negated / defs).toBeLessThan(0.2);
    // Zones east and west of UTC.
    expect([...zones]).toEqual(expect.arrayContaining(["UTC", "Europe/Moscow", "America/New_York"]));
    const expected = [
      "op:eq", "op:ne", "op:in", "op:not_in", "op:all", "op:gt", "op:gte", "op:lt", "op:lte", "op:between", "op:empty",
      "op:contains", "op:not_contains", "op:starts_with", "op:ends_with", "op:matches",
      "field:customer:string", "field:customer:list", "field:customer:bool", "field:customer:date", "field:customer:datetime",
      "field:age", "field:custom:integer", "field:custom:decimal", "field:custom:bool", "field:custom:date", "field:custom:string",
      "field:aggregate:orders.count", "field:aggregate:orders.first_at", "field:aggregate:orders.last_at",
      "field:aggregate:orders.revenue", "field:aggregate:orders.avg_check", "field:aggregate:orders.quantity",
      "field:aggregate:visits.count", "field:aggregate:emails.last_at", "field:aggregate:carts.count",
      "field:column:orders", "field:column:visits", "field:column:carts", "field:column:emails", "column:orders-item",
      "column-op:ne", "column-op:not_in", "column-op:not_contains", "column-op:all", "column-op:eq",
      "field:segment:in", "field:segment:not_in",
      "where:list", "where:item-column", "where:op:between", "where:op:ne",
      "type:static", "segment:inactive-referenced", "segment:not", "segment:references-not",
      ...["orders", "visits", "carts", "email_events"].flatMap((e) => [
        `facts:${e}:after-as-of`, `facts:${e}:after-as-of:first-hour`, `facts:${e}:after-as-of:later`, `facts:${e}:as-of:last-hour`,
      ]),
      "facts:after-as-of:order-with-items",
      "ignore_year", "ignore_year:wrap", "between:open", "match:any", "group:not", "group:nested", "group:filters+groups",
      "date:relative:today", "date:relative:d", "date:relative:w", "date:relative:m", "date:relative:y", "date:absolute", "date:datetime",
    ];
    expect(expected.filter((e) => !seen.has(e))).toEqual([]);
  });
});
