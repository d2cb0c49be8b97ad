/**
 * The committed golden member lists (test/golden/segments/*.txt) are exactly what the
 * naive reference evaluator derives from fixtures/shop's raw files (./derive.ts), never the
 * product's output. test/cli-segments.test.ts compares the product's output against the
 * same files, so the two tests together show product == independent derivation.
 *
 * Besides that, the derivation is cross-checked against the fixture generator's own answers
 * (fixtures/expected.json) where it asks the same question, and, for the three examples it
 * does not ask, against a direct computation over the rows written here.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CUSTOMER_COLUMNS, FACTS, ITEM_COLUMNS, parseCell, parseDay, parseInstant, zoneDay, type Kind, type Row } from "../reference/naive-evaluator.js";
import { AS_OF, deriveGolden, FIXTURE_DIR, GOLDEN_DIR, goldenCodes, goldenText, readExampleSegments, readGolden, ROOT, TIMEZONE } from "./derive.js";
import { loadShopFixture, SHOP_CUSTOM_FIELDS } from "./load-fixture.js";

const data = loadShopFixture(FIXTURE_DIR);
const derived = deriveGolden();
const codes = readExampleSegments().map((d) => d.code);

describe("the fixture loader reads fixtures/shop's raw cells", () => {
  it("reads every row of every export (counts of fixtures/README.md)", () => {
    expect(data.customers).toHaveLength(200);
    expect(data.orders).toHaveLength(808);
    expect(data.order_items).toHaveLength(1446);
    expect(data.visits).toHaveLength(1527);
    expect(data.carts).toHaveLength(150);
    expect(data.email_events).toHaveLength(2457);
    expect(data.customers.map((c) => c.id)).toEqual(Array.from({ length: 200 }, (_, i) => `C${String(i + 1).padStart(4, "0")}`));
  });

  it("keeps cells exactly as written: quotes, spaces, Cyrillic; empty is null; the BOM is gone", () => {
    const byId = new Map(data.customers.map((c) => [c.id, c]));
    expect(Object.keys(data.customers[0])[0]).toBe("id");
    expect(byId.get("C0002")!.first_name).toBe('Alexander "Sasha"');
    expect(byId.get("C0003")!.last_name).toBe('O\'Brien, "Jr."');
    expect(byId.get("C0004")!.city).toBe("Москва");
    expect(byId.get("C0009")!.city).toBe("moscow ");
    expect(byId.get("C0010")!.city).toBe("MOSCOW");
    expect(byId.get("C0019")!.city).toBeNull();
    expect(byId.get("C0019")!.email).toBeNull();
    expect(data.customers.filter((c) => c.city === null)).toHaveLength(14);
    expect(data.order_items.find((it) => it.order_id === "100001")!.name).toBe("Krasnodar black tea, 100 g");
    expect(data.visits[0].campaign).toBe("ig-influencer-2026-09");
    expect(data.visits[1].campaign).toBeNull();
    expect(data.carts.some((c) => c.total === "990")).toBe(true);
    expect(data.carts.every((c) => c.total !== null && /^\d+(\.\d+)?$/.test(c.total))).toBe(true);
    expect(data.email_events[0]).toEqual({ customer_id: "C0022", type: "sent", at: "2024-11-14T09:05:27Z", campaign: "digest-2024-11-14" });
  });

  it("every cell parses with the naive evaluator's parsers for its kind", () => {
    const customKinds: Record<string, Kind> = Object.fromEntries(SHOP_CUSTOM_FIELDS.map((f) => [f.name, f.type === "integer" || f.type === "decimal" ? "number" : f.type]));
    const bad: string[] = [];
    const check = (rows: Row[], columns: Record<string, Kind>) => {
      for (const r of rows) {
        for (const [col, kind] of Object.entries(columns)) {
          try {
            parseCell(r[col], kind, TIMEZONE);
          } catch (e) {
            bad.push(`${col} ${JSON.stringify(r[col])}: ${(e as Error).message}`);
          }
        }
      }
    };
    check(data.customers, { ...CUSTOMER_COLUMNS, ...customKinds });
    for (const spec of Object.values(FACTS)) check(data[spec.export], spec.columns);
    check(data.order_items, ITEM_COLUMNS);
    expect(bad).toEqual([]);
  });

  it("no fact is dated after the as-of day, so cutting facts at it changes nothing here", () => {
    const asOf = parseDay(AS_OF)!;
    for (const spec of Object.values(FACTS)) {
      for (const r of data[spec.export]) expect(zoneDay(parseInstant(r[spec.timestamp]!)!, TIMEZONE), r[spec.timestamp]!).toBeLessThanOrEqual(asOf);
    }
  });
});

describe("golden member lists equal the naive derivation", () => {
  it("has a golden file for every example segment and no stale one", () => {
    expect(codes.length).toBeGreaterThanOrEqual(13);
    expect(goldenCodes()).toEqual([...codes].sort());
  });

  for (const code of codes) {
    it(code, () => {
      const ids = derived.get(code)!;
      expect(ids.length).toBeGreaterThan(0);
      expect(readGolden(code)).toEqual(ids);
      expect(readFileSync(path.join(GOLDEN_DIR, `${code}.txt`), "utf8")).toBe(goldenText(ids));
    });
  }

  it("lists members in customer order of customers.csv", () => {
    const order = new Map(data.customers.map((c, i) => [c.id!, i]));
    for (const ids of derived.values()) expect(ids).toEqual([...ids].sort((a, b) => order.get(a)! - order.get(b)!));
  });

  it("win-back-not-moscow is lapsed-valuable and not-moscow, less birthday-soon", () => {
    const notMoscow = new Set(derived.get("not-moscow"));
    const birthday = new Set(derived.get("birthday-soon"));
    const lapsed = derived.get("lapsed-valuable")!;
    expect(derived.get("win-back-not-moscow")).toEqual(lapsed.filter((id) => notMoscow.has(id) && !birthday.has(id)));
    // On this fixture the not-moscow reference removes 16 of the 41 lapsed-valuable
    // customers; the birthday-soon one removes nobody (no birthday-soon customer is lapsed-valuable).
    expect(lapsed.filter((id) => !notMoscow.has(id))).toHaveLength(16);
    expect(lapsed.filter((id) => birthday.has(id))).toEqual([]);
  });
});

describe("cross-checks of the derivation", () => {
  const expected = (JSON.parse(readFileSync(path.join(ROOT, "fixtures", "expected.json"), "utf8")) as {
    shop: { as_of: string; timezone: string; segments: Record<string, { members: string[] }> };
  }).shop;

  it("expected.json is for the same day and zone", () => {
    expect(expected.as_of).toBe(AS_OF);
    expect(expected.timezone).toBe(TIMEZONE);
  });

  // Example code -> expected.json question with the same answer by definition. Where the
  // wording differs it is equivalent on this fixture (no fact after the as-of day):
  // call-back's `last_at lt -6m` with count >= 10 is "no order in [-6m, today]";
  // email-unopened's `gte -30d` is `between [-30d, today]`; tea-and-teaware's `all` is two `in`.
  const SAME_QUESTION: Record<string, string> = {
    "abandoned-cart": "abandoned-cart-7d",
    "birthday-soon": "birthday-next-3-days",
    "call-back": "lapsed-frequent",
    "email-engaged": "opened-and-clicked-2w",
    "email-unopened": "emails-not-opened-30d",
    "lapsed-valuable": "lapsed-high-value",
    "new-this-month": "registered-nov-2026",
    "tea-and-teaware": "chinese-tea-and-teaware",
    "tea-repeat-offer": "chinese-tea-90-120",
    "telegram-buyers": "telegram-buyers",
  };
  for (const [code, question] of Object.entries(SAME_QUESTION)) {
    it(`${code} = expected.json ${question}`, () => {
      expect(derived.get(code)).toEqual(expected.segments[question].members);
    });
  }

  const fold = (s: string) => s.trim().toLowerCase();
  const byCustomer = (rows: Row[]) => {
    const m = new Map<string, Row[]>();
    for (const r of rows) m.set(r.customer_id!, [...(m.get(r.customer_id!) ?? []), r]);
    return m;
  };
  const orders = byCustomer(data.orders);

  it("not-moscow = expected.json city-not-moscow less the Москва rows, and = a direct reading of the city cells", () => {
    const moskva = new Set(data.customers.filter((c) => c.city !== null && fold(c.city) === "москва").map((c) => c.id));
    expect(derived.get("not-moscow")).toEqual(expected.segments["city-not-moscow"].members.filter((id) => !moskva.has(id)));
    const direct = data.customers.filter((c) => c.city === null || !["moscow", "москва"].includes(fold(c.city))).map((c) => c.id);
    expect(derived.get("not-moscow")).toEqual(direct);
  });

  it("big-spenders = a direct average (in kopecks) of total over complete and paid orders", () => {
    const direct = data.customers.filter((c) => {
      const os = (orders.get(c.id!) ?? []).filter((o) => o.status !== null && ["complete", "paid"].includes(fold(o.status)));
      const kopecks = os.reduce((sum, o) => sum + Math.round(Number(o.total) * 100), 0);
      return os.length > 0 && kopecks > 300_000 * os.length;
    }).map((c) => c.id);
    expect(derived.get("big-spenders")).toEqual(direct);
  });

  it("messenger-buyers = a direct reading of channels and of non-cancelled orders", () => {
    const messengers = ["telegram", "viber", "whatsapp", "messenger"];
    const direct = data.customers.filter((c) => {
      const channels = (c.channels ?? "").split(";").map(fold);
      const bought = (orders.get(c.id!) ?? []).some((o) => o.status === null || fold(o.status) !== "cancelled");
      return channels.some((ch) => messengers.includes(ch)) && bought;
    }).map((c) => c.id);
    expect(derived.get("messenger-buyers")).toEqual(direct);
  });
});
