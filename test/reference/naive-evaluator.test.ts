/** Hand-computed sanity checks of the reference evaluator and of the generator. */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { coverage, generateShop, scenario, SegmentGenerator, segmentYaml } from "./generate.js";
import {
  addMonths, ageAt, dayOf, dayText, evaluateNaive, parseDay, parseInstant, resolveDateOperand, resolveMonthDayOperand,
  zoneDay, type FilterDef, type SegmentDef, type ShopData,
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
    for (let i = 0; i < 20; i++) {
      const sc = scenario(i, 9000 + i);
      const data = generateShop(sc.seed, sc);
      for (const c of coverage(new SegmentGenerator(sc.seed + 1, data, sc).generate(8, `s${i}`), data)) seen.add(c);
    }
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
      "type:static", "segment:inactive-referenced",
      "ignore_year", "ignore_year:wrap", "between:open", "match:any", "group:not", "group:nested", "group:filters+groups",
      "date:relative:today", "date:relative:d", "date:relative:w", "date:relative:m", "date:relative:y", "date:absolute", "date:datetime",
    ];
    expect(expected.filter((e) => !seen.has(e))).toEqual([]);
  });
});
