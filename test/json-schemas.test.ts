/**
 * The JSON Schemas for editors (schemas/*.json): the committed files are what the
 * generator builds from the validators' key lists, a JSON Schema validator (ajv, draft-07)
 * accepts every segment file and config in the repository, and it rejects misspelt keys
 * that the tool's own validators reject too.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { validateConfig } from "../src/config/load-config.js";
import { parseDefinitions } from "../src/segment/load-definitions.js";
import { configSchema, segmentFileSchema } from "../src/engine/json-schemas.js";
import { ROOT } from "./helpers.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const segmentSchema = ajv.compile(segmentFileSchema());
const config = ajv.compile(configSchema());

function yamlFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith(".yaml")).map((f) => path.join(dir, f));
}

const SEGMENT_FILES = ["segments", "examples/cdnow/segments", "examples/online-retail/segments", "examples/rfm/segments", "test/public-data"].flatMap(yamlFiles);
const CONFIG_FILES = ["segment.config.yaml", "fixtures/shopify/segment.config.yaml", "fixtures/crm-ru/segment.config.yaml", "examples/cdnow/segment.config.yaml", "examples/online-retail/segment.config.yaml", "examples/rfm/segment.config.yaml"];

describe("JSON Schemas", () => {
  it("the committed schemas are what the generator builds (npm run schemas)", () => {
    expect(JSON.parse(readFileSync(path.join(ROOT, "schemas", "segment.schema.json"), "utf8"))).toEqual(segmentFileSchema());
    expect(JSON.parse(readFileSync(path.join(ROOT, "schemas", "config.schema.json"), "utf8"))).toEqual(configSchema());
  });

  it.each(SEGMENT_FILES)("accepts %s", (file) => {
    const ok = segmentSchema(parse(readFileSync(path.join(ROOT, file), "utf8")));
    expect(segmentSchema.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(CONFIG_FILES)("accepts %s", (file) => {
    const ok = config(parse(readFileSync(path.join(ROOT, file), "utf8")));
    expect(config.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  it("accepts a file of several segments, with groups, not and where", () => {
    const doc = parse(`
- code: a
  name: A
  not: true
  groups:
    - match: any
      filters:
        - { field: city, in: [Moscow] }
        - { field: orders.count, where: { status: [complete], total: { gte: 100 } }, gte: 2 }
- code: b
  name: B
  filters:
    - { field: custom.loyalty_card, eq: true }
    - { field: birthday, ignore_year: true, between: [today, +3d] }
`);
    expect(segmentSchema(doc), JSON.stringify(segmentSchema.errors)).toBe(true);
  });

  it.each([
    ["a misspelt segment key", { code: "a", name: "A", filtres: [{ field: "city", eq: "x" }] }, "filtres"],
    ["a misspelt filter key", { code: "a", name: "A", filters: [{ feild: "city", eq: "x" }] }, "feild"],
    ["a misspelt operator", { code: "a", name: "A", filters: [{ field: "city", betwen: [1, 2] }] }, "betwen"],
    ["an unknown field", { code: "a", name: "A", filters: [{ field: "cty", eq: "x" }] }, "field"],
    ["a bad code", { code: "Bad Code", name: "A", filters: [{ field: "city", eq: "x" }] }, "code"],
  ])("rejects %s, as the validator does", (_what, doc, key) => {
    expect(segmentSchema(doc)).toBe(false);
    expect(JSON.stringify(segmentSchema.errors)).toContain(key);
    expect(() => parseDefinitions([{ file: "x.yaml", text: stringify(doc) }])).toThrow();
  });

  it.each([
    ["a misspelt top key", { timezon: "UTC" }, "timezon"],
    ["a misspelt source key", { sources: { orders: { delimeter: ";" } } }, "delimeter"],
    ["an unknown canonical column", { sources: { orders: { columns: { custmer_id: "Customer" } } } }, "custmer_id"],
    ["an unknown export", { sources: { order: { file: "x.csv" } } }, "order"],
    ["a misspelt mapping key", { sources: { customers: { columns: { birthday: { form: "Birth", format: "DD.MM.YYYY" } } } } }, "form"],
    ["a misspelt RFM threshold", { rfm: { thresholds: { recncy: [30, 90, 180, 365] } } }, "recncy"],
    ["a misspelt key of an RFM rule", { rfm: { segments: [{ code: "vip", r: [4, 5], f: 5, mm: [4, 5] }] } }, "mm"],
  ])("rejects %s in a config, as the validator does", (_what, doc, key) => {
    expect(config(doc)).toBe(false);
    expect(JSON.stringify(config.errors)).toContain(key);
    expect(() => validateConfig(doc, undefined, ROOT)).toThrow();
  });
});
