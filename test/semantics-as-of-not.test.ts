/**
 * Two rules of SEGMENTS.md on a three-customer shop worked out by hand: facts dated after
 * the as-of day (its calendar day in the configured zone) are left out of every aggregate,
 * and the segment itself takes `not: true` like any group.
 *
 * Orders, with their local time in Moscow (UTC+3) and New York (UTC-5 in November):
 *   x1 a1 2026-11-23T20:30Z  Moscow 23-Nov 23:30   New York 23-Nov 15:30   complete
 *   x2 a2 2026-11-23T21:30Z  Moscow 24-Nov 00:30   New York 23-Nov 16:30   complete, one "Tea" item
 *   x3 a3 2026-11-24T04:30Z  Moscow 24-Nov 07:30   New York 23-Nov 23:30   complete
 *   x4 a3 2026-11-24T05:30Z  Moscow 24-Nov 08:30   New York 24-Nov 00:30   cancelled
 * As of 2026-11-23: Moscow keeps x1 (leaves out 3), New York keeps x1-x3 (leaves out 1),
 * UTC keeps x1 and x2 (leaves out 2).
 * Email e1 a1 at 2026-11-24T00:30+03:00 (= 23-Nov 21:30Z): left out in Moscow only.
 * Customers: a1 Moscow, a2 no city, a3 Paris.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load-config.js";
import { DefinitionError } from "../src/errors.js";
import { evaluateAll } from "../src/engine/engine.js";
import { segment, tempDir } from "./helpers.js";

const dir = tempDir("segment-as-of-");

beforeAll(() => {
  mkdirSync(path.join(dir, "data"));
  const w = (f: string, text: string) => writeFileSync(path.join(dir, "data", f), text);
  w("customers.csv", "id,city\na1,Moscow\na2,\na3,Paris\n");
  w("orders.csv", [
    "id,customer_id,created_at,status,total",
    "x1,a1,2026-11-23T20:30:00Z,complete,10",
    "x2,a2,2026-11-23T21:30:00Z,complete,20",
    "x3,a3,2026-11-24T04:30:00Z,complete,30",
    "x4,a3,2026-11-24T05:30:00Z,cancelled,40",
  ].join("\n") + "\n");
  w("order_items.csv", "order_id,category,quantity,price\nx2,Tea,2,10\n");
  w("email_events.csv", "customer_id,type,at\na1,open,2026-11-24T00:30:00+03:00\n");
});

let n = 0;
/** Members of segment `t` (plus `extra` segments) as of 2026-11-23 in `timezone`. */
async function members(body: Record<string, unknown>, timezone: string, extra: unknown[] = []): Promise<string[]> {
  const seg = `segs-${n++}`;
  mkdirSync(path.join(dir, seg));
  writeFileSync(path.join(dir, seg, "t.yaml"), stringify([{ code: "t", name: "test", ...body }, ...extra]));
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: data\nsegments: ${seg}\ntimezone: ${timezone}\n`);
  const result = await evaluateAll(loadConfig({}, dir), { cwd: dir, now: 0 }, { asOf: "2026-11-23" });
  return [...result.get("t")!];
}
const filters = (...f: unknown[]) => ({ filters: f });

describe("facts dated after the as-of day are left out", () => {
  it.each([
    ["Europe/Moscow", ["a1"]],
    ["America/New_York", ["a1", "a2", "a3"]],
    ["UTC", ["a1", "a2"]],
  ])("counts orders up to the end of the as-of day in %s", async (zone, want) => {
    expect(await members(filters({ field: "orders.count", gte: 1 }), zone)).toEqual(want);
  });

  it("leaves out 23:30 local the next day but keeps 23:30 local on the day, east and west of UTC", async () => {
    // x1 at 23:30 Moscow time on the as-of day counts there; x2 at 00:30 the next day does not.
    expect(await members(filters({ field: "orders.last_at", eq: "today" }), "Europe/Moscow")).toEqual(["a1"]);
    // x3 at 23:30 New York time counts there; x4 at 00:30 the next day does not, so a3's total is 30, not 70.
    expect(await members(filters({ field: "orders.revenue", eq: 30 }), "America/New_York")).toEqual(["a3"]);
  });

  it("leaves out the items of a left-out order", async () => {
    // x2's only item is Tea; x2 is 24 Nov in Moscow, 23 Nov in New York.
    expect(await members(filters({ field: "orders.count", where: { category: ["tea"] }, gte: 1 }), "Europe/Moscow")).toEqual([]);
    expect(await members(filters({ field: "orders.count", where: { category: ["tea"] }, gte: 1 }), "America/New_York")).toEqual(["a2"]);
    expect(await members(filters({ field: "orders.quantity", eq: 2 }), "America/New_York")).toEqual(["a2"]);
  });

  it("hides left-out facts from negative filters and zero counts", async () => {
    // a3's only cancelled order, x4, is after the as-of day in both zones: nobody has a cancelled order.
    expect(await members(filters({ field: "orders.status", ne: "cancelled" }), "America/New_York")).toEqual(["a1", "a2", "a3"]);
    // e1 is 24 Nov in Moscow, 23 Nov in UTC.
    expect(await members(filters({ field: "emails.count", eq: 0 }), "Europe/Moscow")).toEqual(["a1", "a2", "a3"]);
    expect(await members(filters({ field: "emails.count", eq: 0 }), "UTC")).toEqual(["a2", "a3"]);
  });

  it("reports how many facts it left out", () => {
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: none\ntimezone: Europe/Moscow\n");
    writeFileSync(path.join(dir, "buyers.yaml"), stringify({ code: "buyers", name: "b", filters: [{ field: "orders.count", gte: 1 }, { field: "emails.count", gte: 0 }] }));
    const r = segment(["preview", "buyers.yaml", "--as-of", "2026-11-23"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("1 of 3 customers");
    expect(r.stderr).toContain("left out, dated after the as-of day 2026-11-23 (Europe/Moscow): 3 orders, 1 emails");
  });
});

describe("the segment takes not: true like any group", () => {
  it("negates the whole segment, keeping customers with null values", async () => {
    // a2 has no city: `city eq moscow` is false on null, so NOT keeps a2 (like `ne`).
    expect(await members({ not: true, filters: [{ field: "city", eq: "moscow" }] }, "UTC")).toEqual(["a2", "a3"]);
  });

  it("negates an any of filters, with facts cut at the as-of day", async () => {
    const body = { not: true, match: "any", filters: [{ field: "city", eq: "moscow" }, { field: "orders.count", gte: 1 }] };
    // Moscow: a1 matches both; a2's and a3's orders are all after the as-of day.
    expect(await members(body, "Europe/Moscow")).toEqual(["a2", "a3"]);
    // New York: everyone has an order by the end of 23 Nov.
    expect(await members(body, "America/New_York")).toEqual([]);
  });

  it("is seen through references", async () => {
    const extra = [{ code: "not-moscow", name: "n", not: true, filters: [{ field: "city", eq: "moscow" }] }];
    // not-moscow = a2, a3; with an order by 23 Nov in UTC (a1, a2): a2.
    expect(await members(filters({ field: "segment", in: ["not-moscow"] }, { field: "orders.count", gte: 1 }), "UTC", extra)).toEqual(["a2"]);
    // A double negation is the plain segment.
    expect(await members({ not: true, filters: [{ field: "segment", in: ["not-moscow"] }] }, "UTC", extra)).toEqual(["a1"]);
  });

  it("refuses a `not` that is not true or false", async () => {
    const err = await members({ not: "yes", filters: [{ field: "city", eq: "moscow" }] }, "UTC").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).problems[0]).toMatchObject({ path: "[0].not", message: "expected true or false" });
  });
});
