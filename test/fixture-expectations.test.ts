/**
 * The fixtures' generator knows by construction which customers each classic question must
 * find (fixtures/expected.json, made with the data, not by this product). Each question is
 * asked here through the binary and must give exactly that list.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { expectExit, ROOT, segment, tempDir, previewed } from "./helpers.js";

interface Expected {
  as_of: string;
  segments: Record<string, { description: string; definition: Record<string, unknown>; count: number; members: string[] }>;
}

const expected = (JSON.parse(readFileSync(path.join(ROOT, "fixtures", "expected.json"), "utf8")) as { shop: Expected }).shop;

describe("fixtures/expected.json answers, through segment preview", () => {
  // Made outside any test: helpers.ts removes it once the file's tests are done.
  const dir = tempDir();
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: ${path.join(ROOT, "fixtures", "shop")}\nsegments: segments\n`);
  for (const [code, seg] of Object.entries(expected.segments)) {
    writeFileSync(path.join(dir, "segments", `${code}.yaml`), stringify({ code, name: seg.description, ...seg.definition }));
  }
  it("has the sixteen questions of fixtures/README.md, each with members", () => {
    const questions = Object.values(expected.segments);
    expect(questions).toHaveLength(16);
    for (const seg of questions) expect(seg.members.length, seg.description).toBeGreaterThanOrEqual(2);
  });
  for (const [code, seg] of Object.entries(expected.segments)) {
    it(`${code}: ${seg.description}`, () => {
      const r = segment(["preview", code, "--json", "--limit", "0", "--as-of", expected.as_of], dir);
      expectExit(r, 0);
      expect(r.stderr).not.toMatch(/error|warning|bug/);
      const got = previewed(r);
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
    return previewed(r).members;
  };

  it("crm-ru (windows-1251, DD.MM.YYYY, Europe/Moscow): birthdays and November registrations", () => {
    const config = "fixtures/crm-ru/segment.config.yaml";
    expect(all["crm-ru"].birthday_next_3_days).toHaveLength(1);
    expect(all["crm-ru"].registered_nov_2026_moscow).toHaveLength(2);
    expect(preview(config, "birthday-soon")).toEqual(all["crm-ru"].birthday_next_3_days);
    expect(preview(config, "new-this-month")).toEqual(all["crm-ru"].registered_nov_2026_moscow);
  });

  it("shopify (orders from line items): customers without orders", () => {
    expect(all.shopify.customers_without_orders).toHaveLength(3);
    const dir = tempDir();
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    writeFileSync(path.join(dir, "segments", "none.yaml"), "code: none\nname: No orders\nfilters: [{ field: orders.count, eq: 0 }]\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), readFileSync(path.join(ROOT, "fixtures", "shopify", "segment.config.yaml"), "utf8")
      .replace(/^data: .*$/m, `data: ${path.join(ROOT, "fixtures", "shopify")}`).replace(/^segments: .*$/m, "segments: segments"));
    expect(preview(path.join(dir, "segment.config.yaml"), "none")).toEqual(all.shopify.customers_without_orders);
  });
});
