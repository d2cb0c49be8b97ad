/**
 * The language, operator by operator and field kind by field kind, on a tiny shop whose
 * answers are worked out by hand in the comments.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load-config.js";
import { DefinitionError } from "../src/errors.js";
import { evaluateAll } from "../src/engine/engine.js";
import { tempDir } from "./helpers.js";

const dir = tempDir("segment-semantics-");

beforeAll(() => {
  mkdirSync(path.join(dir, "data"));
  const w = (f: string, text: string) => writeFileSync(path.join(dir, "data", f), text);
  // c1 " Moscow " with tags vip;wholesale; c2 "moscow", born 29 Feb; c3 Paris, born 31 Dec;
  // c4 no city and an empty tag list; c5 São Paulo, born 2 Jan; c6 has no facts at all.
  w("customers.csv", [
    "id,city,tags,email_marketing,birthday,created_at,score,joined,vip,seen",
    'c1, Moscow ,vip;wholesale,true,1990-05-31,2026-11-22T22:30:00Z,10,2026-01-15,yes,2026-11-22 22:30:00',
    "c2,moscow,,false,2000-02-29,2026-11-23T10:00:00Z,2.5,,no,2026-11-22 20:00:00",
    "c3,Paris,VIP,,1985-12-31,2025-01-01T00:00:00Z,,2025-12-31,,",
    "c4,,;,yes,,2026-04-30T12:00:00Z,7,,no,",
    "c5,São Paulo,new,no,2001-01-02,2026-05-31T00:00:00Z,3,2026-02-28,yes,",
    "c6,Berlin,,,2010-11-24,2026-10-31T23:59:59Z,,,,",
  ].join("\n") + "\n");
  w("orders.csv", [
    "id,customer_id,created_at,status,total,store",
    "o1,c1,2026-11-20T10:00:00Z,complete,100,web",
    "o2,c1,2026-08-01T10:00:00Z,cancelled,50,",
    "o3,c2,2026-10-01T10:00:00Z,paid,,web",
    "o4,c3,2026-11-23T21:30:00Z,complete,30,shop",
    "o5,zz,2026-11-01T00:00:00Z,complete,999,web",
    "o6,c5,2026-05-31T12:00:00Z,Complete ,200,web",
  ].join("\n") + "\n");
  w("order_items.csv", [
    "order_id,product_id,sku,name,category,quantity,price",
    "o1,p1,S1,Tea A,Chinese tea,2,30",
    "o1,p2,S2,Cup,Teaware,1,40",
    "o2,p1,S1,Tea A,Chinese tea,1,50",
    "o3,p3,S3,Beans,Coffee,,20",
    "o4,p2,S2,Cup,Teaware,3,10",
    "o6,p1,S1,Tea A,chinese TEA ,4,50",
  ].join("\n") + "\n");
  w("visits.ndjson", [
    { customer_id: "c1", visited_at: "2026-11-23T08:00:00Z", source: "google", page: "/tea" },
    { customer_id: "c1", visited_at: "2026-09-01T08:00:00Z", source: "Yandex", page: "/cups" },
    { customer_id: "c2", visited_at: "2026-11-10T08:00:00Z", source: null, page: "/" },
  ].map((o) => JSON.stringify(o)).join("\n") + "\n");
  w("carts.json", JSON.stringify([
    { customer_id: "c4", updated_at: "2026-11-20T12:00:00Z", status: "abandoned", total: 45.5 },
    { customer_id: "c5", updated_at: "2026-11-21T12:00:00Z", status: "converted", total: 10 },
  ]));
  w("email_events.csv", [
    "customer_id,type,at,campaign",
    "c1,sent,2026-11-01T09:00:00Z,nov",
    "c1,open,2026-11-01T10:00:00Z,nov",
    "c2,sent,2026-11-01T09:00:00Z,nov",
    "c3,sent,2026-09-01T09:00:00Z,sep",
    "c3,click,2026-09-01T09:05:00Z,sep",
  ].join("\n") + "\n");
});

let n = 0;
/** Member ids of a segment made of the given filters, as of a day in a zone. */
async function members(filters: unknown[] | Record<string, unknown>, asOf = "2026-11-23", timezone = "UTC", extra: unknown[] = []): Promise<string[]> {
  const seg = path.join(dir, `segs-${n++}`);
  mkdirSync(seg);
  const body = Array.isArray(filters) ? { filters } : filters;
  writeFileSync(path.join(seg, "t.yaml"), stringify([{ code: "t", name: "test", ...body }, ...extra]));
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: data\nsegments: ${path.basename(seg)}\ntimezone: ${timezone}\n`);
  const config = loadConfig({}, dir);
  const result = await evaluateAll(config, { cwd: dir, now: 0 }, { asOf });
  rmSync(seg, { recursive: true });
  return [...result.get("t")!];
}
const one = (f: Record<string, unknown>, asOf?: string, tz?: string) => members([f], asOf, tz);

describe("strings: trimmed, case-folded, null semantics", () => {
  it.each([
    [{ field: "city", eq: "moscow" }, ["c1", "c2"]],
    [{ field: "city", eq: " MOSCOW " }, ["c1", "c2"]],
    [{ field: "city", ne: "Moscow" }, ["c3", "c4", "c5", "c6"]], // c4 has no city: ne is true on null
    [{ field: "city", in: ["paris", "berlin"] }, ["c3", "c6"]],
    [{ field: "city", not_in: ["Moscow"] }, ["c3", "c4", "c5", "c6"]],
    [{ field: "city", contains: "OS" }, ["c1", "c2"]],
    [{ field: "city", not_contains: "os" }, ["c3", "c4", "c5", "c6"]],
    [{ field: "city", starts_with: "s" }, ["c5"]],
    [{ field: "city", ends_with: "LO" }, ["c5"]],
    [{ field: "city", matches: "^Mos" }, ["c1"]], // bare: case-sensitive, on the trimmed value
    [{ field: "city", matches: "/^mos/i" }, ["c1", "c2"]],
    [{ field: "city", matches: "/ã/" }, ["c5"]],
    [{ field: "city", empty: true }, ["c4"]],
    [{ field: "city", empty: false }, ["c1", "c2", "c3", "c5", "c6"]],
    [{ field: "id", in: ["C1", "c3"] }, ["c1", "c3"]],
  ])("%j", async (f, want) => expect(await one(f)).toEqual(want));
});

describe("lists: any, none, all, empty lists and nulls", () => {
  it.each([
    [{ field: "tags", in: ["vip"] }, ["c1", "c3"]],
    [{ field: "tags", in: ["wholesale", "new"] }, ["c1", "c5"]],
    [{ field: "tags", not_in: ["vip"] }, ["c2", "c4", "c5", "c6"]],
    [{ field: "tags", all: ["vip", "wholesale"] }, ["c1"]],
    [{ field: "tags", eq: "NEW" }, ["c5"]],
    [{ field: "tags", ne: "vip" }, ["c2", "c4", "c5", "c6"]],
    [{ field: "tags", contains: "sale" }, ["c1"]],
    [{ field: "tags", not_contains: "i" }, ["c2", "c4", "c5", "c6"]],
    [{ field: "tags", empty: true }, ["c2", "c4", "c6"]], // null (c2, c6) or an empty list (c4: ";")
    [{ field: "tags", empty: false }, ["c1", "c3", "c5"]],
  ])("%j", async (f, want) => expect(await one(f)).toEqual(want));
});

describe("numbers, bools and custom fields (typed by inference)", () => {
  it.each([
    [{ field: "custom.score", gt: 3 }, ["c1", "c4"]],
    [{ field: "custom.score", gte: 3 }, ["c1", "c4", "c5"]],
    [{ field: "custom.score", lt: 3 }, ["c2"]],
    [{ field: "custom.score", lte: 2.5 }, ["c2"]],
    [{ field: "custom.score", between: [3, 7] }, ["c4", "c5"]],
    [{ field: "custom.score", between: [null, 3] }, ["c2", "c5"]],
    [{ field: "custom.score", between: [7, null] }, ["c1", "c4"]],
    [{ field: "custom.score", eq: 10 }, ["c1"]],
    [{ field: "custom.score", ne: 10 }, ["c2", "c3", "c4", "c5", "c6"]],
    [{ field: "custom.score", in: [3, 7] }, ["c4", "c5"]],
    [{ field: "custom.score", empty: true }, ["c3", "c6"]],
    [{ field: "email_marketing", eq: true }, ["c1", "c4"]],
    [{ field: "email_marketing", ne: true }, ["c2", "c3", "c5", "c6"]],
    [{ field: "email_marketing", empty: true }, ["c3", "c6"]],
    [{ field: "custom.vip", eq: false }, ["c2", "c4"]],
    [{ field: "custom.joined", lt: "2026-01-01" }, ["c3"]],
    [{ field: "custom.joined", between: ["2026-01-01", "2026-12-31"] }, ["c1", "c5"]],
    [{ field: "age", gte: 26 }, ["c1", "c2", "c3"]], // 36, 26 (born 2000-02-29), 40; c5 is 25, c6 15
    [{ field: "age", empty: true }, ["c4"]],
  ])("%j", async (f, want) => expect(await one(f)).toEqual(want));

  it("age turns over on the birthday, and on 1 March for 29 February", async () => {
    // c2 born 2000-02-29: on 2026-02-28 still 25, on 2026-03-01 26.
    expect(await one({ field: "age", eq: 25 }, "2026-02-28")).toEqual(["c2", "c5"]);
    expect(await one({ field: "age", eq: 26 }, "2026-03-01")).toEqual(["c2"]);
    // c1 born 1990-05-31: 35 on 2026-05-30, 36 on 2026-05-31.
    expect(await one({ field: "age", eq: 36 }, "2026-05-30")).toEqual([]);
    expect(await one({ field: "age", eq: 36 }, "2026-05-31")).toEqual(["c1"]);
  });
});

describe("dates: relative units, month-end clamping, time zones, ignore_year", () => {
  it("relative days, weeks, months and years", async () => {
    // created_at days (UTC): c1 11-22, c2 11-23, c3 2025-01-01, c4 04-30, c5 05-31, c6 10-31.
    expect(await one({ field: "created_at", eq: "today" })).toEqual(["c2"]);
    expect(await one({ field: "created_at", eq: "-1d" })).toEqual(["c1"]);
    expect(await one({ field: "created_at", gte: "-1w" })).toEqual(["c1", "c2"]);
    expect(await one({ field: "created_at", between: ["-2y", "-1y"] })).toEqual(["c3"]);
    expect(await one({ field: "created_at", lt: "-22m" })).toEqual(["c3"]); // 2025-01-23
    expect(await one({ field: "created_at", lt: "-23m" })).toEqual([]); // 2024-12-23
  });

  it("a month step past the month's end takes its last day", async () => {
    // As of 2026-05-31, -1m is 2026-04-30 (c4), not 05-01; as of 2026-03-31, -1m is 02-28.
    expect(await one({ field: "created_at", eq: "-1m" }, "2026-05-31")).toEqual(["c4"]);
    expect(await one({ field: "custom.joined", eq: "-1m" }, "2026-03-31")).toEqual(["c5"]);
    expect(await one({ field: "custom.joined", eq: "+1m" }, "2026-01-31")).toEqual(["c5"]);
    // 2024-02-29 +1y clamps to 2025-02-28... and 2026-02-28 -1y is 2025-02-28.
    expect(await one({ field: "custom.joined", eq: "+1y" }, "2025-02-28")).toEqual(["c5"]);
  });

  it("calendar days in the configured zone, around midnight", async () => {
    // c1 created 2026-11-22T22:30Z: 22 Nov in UTC, 23 Nov in Moscow (UTC+3), 22 Nov in New York.
    expect(await one({ field: "created_at", eq: "today" }, "2026-11-23", "UTC")).toEqual(["c2"]);
    expect(await one({ field: "created_at", eq: "today" }, "2026-11-23", "Europe/Moscow")).toEqual(["c1", "c2"]);
    expect(await one({ field: "created_at", eq: "2026-11-22" }, "2026-11-23", "America/New_York")).toEqual(["c1"]);
    // c6 created 2026-10-31T23:59:59Z is November in Moscow.
    expect(await one({ field: "created_at", between: ["2026-11-01", "2026-11-30"] }, "2026-11-23", "Europe/Moscow")).toEqual(["c1", "c2", "c6"]);
    // A zone-less datetime in an export is UTC (DATA.md), whatever the config's zone:
    // 2026-11-22 22:30 UTC is 23 Nov in Moscow, 20:00 UTC is still 22 Nov there.
    expect(await one({ field: "custom.seen", eq: "today" }, "2026-11-23", "Europe/Moscow")).toEqual(["c1"]);
    expect(await one({ field: "custom.seen", eq: "today" }, "2026-11-23", "UTC")).toEqual([]);
    // A datetime operand is turned into its day in the zone too.
    expect(await one({ field: "created_at", eq: "2026-11-22T22:00:00Z" }, "2026-11-23", "Europe/Moscow")).toEqual(["c1", "c2"]);
  });

  it("ignore_year: month and day, wrapping the new year, 29 February", async () => {
    // birthdays: c1 05-31, c2 02-29, c3 12-31, c5 01-02, c6 11-24.
    expect(await one({ field: "birthday", ignore_year: true, between: ["today", "+3d"] })).toEqual(["c6"]);
    expect(await one({ field: "birthday", ignore_year: true, between: ["12-30", "01-03"] })).toEqual(["c3", "c5"]);
    expect(await one({ field: "birthday", ignore_year: true, between: ["today", "+10d"] }, "2026-12-28")).toEqual(["c3", "c5"]);
    expect(await one({ field: "birthday", ignore_year: true, between: ["02-28", "03-01"] })).toEqual(["c2"]);
    expect(await one({ field: "birthday", ignore_year: true, eq: "02-28" })).toEqual([]);
    expect(await one({ field: "birthday", ignore_year: true, eq: "02-29" })).toEqual(["c2"]);
    // As of 2027-02-28 (a common year), +1d is 1 March: the range holds 28 Feb and 1 Mar, so 29 Feb too.
    expect(await one({ field: "birthday", ignore_year: true, between: ["today", "+1d"] }, "2027-02-28")).toEqual(["c2"]);
    expect(await one({ field: "birthday", ignore_year: true, gte: "12-01" })).toEqual(["c3"]);
    expect(await one({ field: "birthday", ignore_year: true, in: ["05-31", "01-02"] })).toEqual(["c1", "c5"]);
  });
});

describe("facts: counts, sums, times, where at order and item level", () => {
  it.each([
    // c1: o1 (11-20, complete, 100; items Chinese tea 2x30, Teaware 1x40), o2 (08-01, cancelled, 50; Chinese tea 1x50)
    // c2: o3 (10-01, paid, no total; Coffee, no quantity, 20); c3: o4 (11-23 21:30Z, complete, 30; Teaware 3x10)
    // c5: o6 (05-31, "Complete ", 200; "chinese TEA " 4x50). c4, c6: no orders. o5 is an orphan.
    [{ field: "orders.count", gte: 1 }, ["c1", "c2", "c3", "c5"]],
    [{ field: "orders.count", eq: 0 }, ["c4", "c6"]],
    [{ field: "orders.count", where: { status: ["complete"] }, gte: 1 }, ["c1", "c3", "c5"]],
    [{ field: "orders.count", where: { status: { ne: "cancelled" } }, eq: 1 }, ["c1", "c2", "c3", "c5"]],
    [{ field: "orders.count", where: { store: { empty: true } }, eq: 1 }, ["c1", "c5"].filter((c) => c === "c1")],
    [{ field: "orders.count", where: { category: ["Chinese tea"] }, gte: 1 }, ["c1", "c5"]],
    [{ field: "orders.count", where: { category: ["Chinese tea"] }, eq: 2 }, ["c1"]],
    [{ field: "orders.count", where: { category: ["Chinese tea"], status: ["complete"] }, eq: 1 }, ["c1", "c5"]],
    [{ field: "orders.count", where: { price: { gte: 40 }, quantity: { gte: 1 } }, gte: 1 }, ["c1", "c5"]],
    [{ field: "orders.revenue", gt: 100 }, ["c1", "c5"]], // c1 150, c5 200; c2's order has no total: 0
    [{ field: "orders.revenue", eq: 0 }, ["c2", "c4", "c6"]],
    [{ field: "orders.revenue", where: { category: ["Chinese tea"] }, eq: 110 }, ["c1"]], // 2x30 + 1x50
    [{ field: "orders.revenue", where: { category: ["Teaware"] }, eq: 30 }, ["c3"]],
    [{ field: "orders.avg_check", eq: 75 }, ["c1"]],
    [{ field: "orders.avg_check", empty: true }, ["c4", "c6"]],
    [{ field: "orders.avg_check", lt: 100 }, ["c1", "c2", "c3"]], // c2: 0/1 = 0
    [{ field: "orders.quantity", eq: 4 }, ["c1", "c5"]], // c1: 2 + 1 + 1
    [{ field: "orders.quantity", eq: 3 }, ["c3"]],
    [{ field: "orders.quantity", eq: 1 }, ["c2"]], // an item with no quantity is one unit
    [{ field: "orders.quantity", where: { category: ["Chinese tea"] }, eq: 3 }, ["c1"]],
    [{ field: "orders.last_at", gte: "-7d" }, ["c1", "c3"]],
    [{ field: "orders.first_at", lt: "2026-09-01" }, ["c1", "c5"]],
    [{ field: "orders.last_at", where: { category: ["Chinese tea"] }, between: ["-120d", "-90d"] }, []],
    [{ field: "orders.last_at", where: { category: ["Chinese tea"] }, eq: "2026-11-20" }, ["c1"]],
    [{ field: "orders.last_at", empty: true }, ["c4", "c6"]],
    [{ field: "visits.count", where: { source: ["yandex"] }, eq: 1 }, ["c1"]],
    [{ field: "visits.last_at", eq: "today" }, ["c1"]],
    [{ field: "carts.count", where: { status: ["abandoned"], updated_at: { between: ["-7d", "today"] } }, gte: 1 }, ["c4"]],
    [{ field: "emails.count", where: { type: ["sent"], at: { gte: "-30d" } }, gte: 1 }, ["c1", "c2"]],
    [{ field: "emails.first_at", lt: "2026-10-01" }, ["c3"]],
  ])("%j", async (f, want) => expect(await one(f)).toEqual(want));

  it("where on a datetime column counts calendar days in the zone", async () => {
    // o4 at 2026-11-23T21:30Z is 23 Nov in UTC but 24 Nov in Moscow.
    expect(await one({ field: "orders.count", where: { created_at: { eq: "today" } }, eq: 1 }, "2026-11-23", "UTC")).toEqual(["c3"]);
    expect(await one({ field: "orders.count", where: { created_at: { eq: "today" } }, eq: 1 }, "2026-11-23", "Europe/Moscow")).toEqual([]);
  });
});

describe("fact columns: some row matches, or none does", () => {
  it.each([
    [{ field: "orders.category", eq: "teaware" }, ["c1", "c3"]],
    [{ field: "orders.category", in: ["Coffee", "Teaware"] }, ["c1", "c2", "c3"]],
    [{ field: "orders.category", ne: "Chinese tea" }, ["c2", "c3", "c4", "c6"]], // never bought it; no orders counts
    [{ field: "orders.category", not_in: ["Chinese tea", "Coffee"] }, ["c3", "c4", "c6"]],
    [{ field: "orders.name", not_contains: "tea" }, ["c2", "c3", "c4", "c6"]],
    [{ field: "orders.name", contains: "cup" }, ["c1", "c3"]],
    [{ field: "orders.category", all: ["Chinese tea", "Teaware"] }, ["c1"]],
    [{ field: "orders.category", where: { status: ["complete"] }, eq: "Chinese tea" }, ["c1", "c5"]],
    [{ field: "orders.category", where: { status: ["cancelled"] }, eq: "Teaware" }, []],
    [{ field: "orders.status", eq: "cancelled" }, ["c1"]],
    [{ field: "orders.status", where: { category: ["Chinese tea"] }, eq: "cancelled" }, ["c1"]],
    [{ field: "orders.status", where: { category: ["Teaware"] }, eq: "cancelled" }, []],
    [{ field: "orders.total", gte: 100 }, ["c1", "c5"]],
    [{ field: "orders.store", empty: true }, ["c1"]],
    [{ field: "orders.created_at", ignore_year: true, eq: "05-31" }, ["c5"]],
    [{ field: "visits.source", ne: "google" }, ["c2", "c3", "c4", "c5", "c6"]],
    [{ field: "visits.page", starts_with: "/c" }, ["c1"]],
    [{ field: "emails.type", all: ["sent", "open"] }, ["c1"]],
    [{ field: "emails.type", not_in: ["open", "click"] }, ["c2", "c4", "c5", "c6"]],
    [{ field: "carts.total", between: [40, 50] }, ["c4"]],
  ])("%j", async (f, want) => expect(await one(f)).toEqual(want));
});

describe("groups and references", () => {
  it("combines groups with all, any and not, nested", async () => {
    expect(await members({
      match: "any",
      groups: [
        { filters: [{ field: "city", eq: "moscow" }, { field: "orders.count", gte: 2 }] },
        { not: true, match: "any", filters: [{ field: "city", empty: true }, { field: "orders.count", gte: 1 }] },
      ],
    })).toEqual(["c1", "c6"]);
    expect(await members({ filters: [{ field: "tags", in: ["vip"] }], groups: [{ not: true, filters: [{ field: "city", eq: "paris" }] }] })).toEqual(["c1"]);
  });

  it("references other segments in dependency order", async () => {
    const extra = [
      { code: "moscow", name: "m", filters: [{ field: "city", eq: "moscow" }] },
      { code: "buyers", name: "b", filters: [{ field: "segment", in: ["moscow"] }, { field: "orders.count", gte: 1 }] },
    ];
    expect(await members([{ field: "segment", in: ["buyers"] }], "2026-11-23", "UTC", extra)).toEqual(["c1", "c2"]);
    expect(await members([{ field: "segment", not_in: ["moscow", "buyers"] }], "2026-11-23", "UTC", extra)).toEqual(["c3", "c4", "c5", "c6"]);
  });

  it("refuses a cycle, naming it", async () => {
    const extra = [{ code: "a", name: "a", filters: [{ field: "segment", in: ["t"] }] }];
    const err = await members([{ field: "segment", in: ["a"] }], "2026-11-23", "UTC", extra).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).message).toMatch(/cycle: (t -> a -> t|a -> t -> a)/);
  });

  it("reports a custom field the data does not have, with a suggestion", async () => {
    const err = await one({ field: "custom.scor", gt: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).problems[0]).toMatchObject({ path: "[0].filters[0].field", hint: "did you mean `custom.score`?" });
    const typed = await one({ field: "custom.score", contains: "1" }).catch((e: unknown) => e);
    expect((typed as DefinitionError).problems[0].message).toMatch(/`contains` does not apply to `custom.score` \(a number field, inferred from the data\)/);
  });
});
