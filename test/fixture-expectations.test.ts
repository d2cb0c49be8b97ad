/**
 * The fixtures' generator knows by construction which customers each classic question must
 * find (fixtures/expected.json, made with the data, not by this product). Each question is
 * asked here through the binary and must give exactly that list.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT, segment, tempDir } from "./helpers.js";

interface Expected {
  as_of: string;
  segments: Record<string, { description: string; definition: Record<string, unknown>; count: number; members: string[] }>;
}

const expected = (JSON.parse(readFileSync(path.join(ROOT, "fixtures", "expected.json"), "utf8")) as { shop: Expected }).shop;

describe("fixtures/expected.json answers, through segment preview", () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, "segments"));
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: ${path.join(ROOT, "fixtures", "shop")}\nsegments: segments\n`);
  for (const [code, seg] of Object.entries(expected.segments)) {
    writeFileSync(path.join(dir, "segments", `${code}.yaml`), stringify({ code, name: seg.description, ...seg.definition }));
  }
  for (const [code, seg] of Object.entries(expected.segments)) {
    it(`${code}: ${seg.description}`, () => {
      const r = segment(["preview", code, "--json", "--limit", "0", "--as-of", expected.as_of], dir);
      expect(r.stderr).not.toMatch(/error|warning|bug/);
      expect(r.code).toBe(0);
      const got = JSON.parse(r.stdout) as { code: string; count: number; members: string[] };
      expect(got.members).toEqual(seg.members);
      expect(got.count).toBe(seg.count);
    });
  }
});

describe("the other fixtures, through their mapping configs", () => {
  const all = JSON.parse(readFileSync(path.join(ROOT, "fixtures", "expected.json"), "utf8")) as {
    "crm-ru": { birthday_next_3_days: string[]; registered_nov_2026_moscow: string[]; clients_without_orders: string[] };
    shopify: { customers_without_orders: string[] };
  };
  const preview = (config: string, code: string) => {
    const r = segment(["preview", code, "--json", "--limit", "0", "--as-of", "2026-11-23", "--config", config]);
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { members: string[] }).members;
  };

  it("crm-ru (windows-1251, DD.MM.YYYY, Europe/Moscow): birthdays and November registrations", () => {
    const config = "fixtures/crm-ru/segment.config.yaml";
    expect(preview(config, "birthday-soon")).toEqual(all["crm-ru"].birthday_next_3_days);
    expect(preview(config, "new-this-month")).toEqual(all["crm-ru"].registered_nov_2026_moscow);
  });

  it("shopify (orders from line items): customers without orders", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "segments"));
    writeFileSync(path.join(dir, "segments", "none.yaml"), "code: none\nname: No orders\nfilters: [{ field: orders.count, eq: 0 }]\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), readFileSync(path.join(ROOT, "fixtures", "shopify", "segment.config.yaml"), "utf8")
      .replace(/^data: .*$/m, `data: ${path.join(ROOT, "fixtures", "shopify")}`).replace(/^segments: .*$/m, "segments: segments"));
    expect(preview(path.join(dir, "segment.config.yaml"), "none")).toEqual(all.shopify.customers_without_orders);
  });
});
