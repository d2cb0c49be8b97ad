import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { loadConfig } from "./load-config.js";

function withConfig(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "segment-config-"));
  writeFileSync(path.join(dir, "segment.config.yaml"), text);
  return dir;
}

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("applies defaults and resolves paths against the config's folder", () => {
    const dir = withConfig("data: shop\n");
    const c = loadConfig({}, dir);
    expect(c.data).toBe(path.join(dir, "shop"));
    expect(c.segments).toBe(path.join(dir, "segments"));
    expect(c.state).toBe(path.join(dir, ".segment"));
    expect(c.out).toBe(path.join(dir, "out"));
    expect(c.timezone).toBe("UTC");
    expect(c.maxBadRows).toBe(0);
    expect(c.rfm).toEqual({ exclude_statuses: ["cancelled", "returned"], monetary: "sum", bins: 5, method: "rank" });
  });

  it("lets flags override the file, resolving them against the current folder", () => {
    const dir = withConfig("data: shop\ntimezone: Europe/Moscow\n");
    const c = loadConfig({ data: "other", timezone: "Asia/Tokyo", maxBadRows: 5 }, dir);
    expect(c.data).toBe(path.join(dir, "other"));
    expect(c.timezone).toBe("Asia/Tokyo");
    expect(c.maxBadRows).toBe(5);
  });

  it("reads sources with mappings, formats and dialects", () => {
    const dir = withConfig(`sources:
  customers:
    file: clients.csv
    delimiter: ";"
    encoding: windows-1251
    decimal: ","
    ignore: [Junk]
    columns:
      id: Код
      birthday: { from: "Дата рождения", format: DD.MM.YYYY }
      created_at: { format: "DD.MM.YYYY HH:mm", timezone: Europe/Moscow }
`);
    const s = loadConfig({}, dir).sources.customers!;
    expect(s).toMatchObject({ file: ["clients.csv"], delimiter: ";", encoding: "windows-1251", decimal: ",", ignore: ["Junk"] });
    expect(s.columns.id).toEqual({ from: "Код" });
    expect(s.columns.birthday).toEqual({ from: "Дата рождения", format: "DD.MM.YYYY" });
    expect(s.columns.created_at).toEqual({ from: "created_at", format: "DD.MM.YYYY HH:mm", timezone: "Europe/Moscow" });
  });

  it("reports every problem with line, column and a suggestion", () => {
    const dir = withConfig(`data: shop
timezon: UTC
sources:
  customer: {}
  orders:
    delimiter: ";;"
    columns:
      create_at: Date
      total: { from: Sum, format: nope }
rfm: { bins: 20 }
`);
    const problems = problemsOf(() => loadConfig({}, dir));
    const by = (p: string) => problems.find((x) => x.path === p);
    expect(by("timezon")).toMatchObject({ line: 2, col: 1, hint: "did you mean `timezone`?" });
    expect(by("sources.customer")).toMatchObject({ line: 4, col: 3, hint: "did you mean `customers`?" });
    expect(by("sources.orders.delimiter")).toMatchObject({ line: 6, col: 16 });
    expect(by("sources.orders.columns.create_at")).toMatchObject({ line: 8, col: 7, hint: "did you mean `created_at`?" });
    expect(by("sources.orders.columns.total.format")?.line).toBe(9);
    expect(by("rfm.bins")?.message).toMatch(/2 to 9/);
    expect(problems.every((p) => p.file === "segment.config.yaml" || p.file?.endsWith("segment.config.yaml"))).toBe(true);
  });

  it("rejects an unknown time zone and encoding", () => {
    const dir = withConfig("timezone: Mars/Olympus\nsources: { carts: { encoding: klingon } }\n");
    const problems = problemsOf(() => loadConfig({}, dir));
    expect(problems.map((p) => p.path)).toEqual(["timezone", "sources.carts.encoding"]);
  });

  it("reports YAML syntax errors with a position", () => {
    const dir = withConfig("data: [unclosed\n");
    const [p] = problemsOf(() => loadConfig({}, dir));
    expect(p.line).toBeGreaterThan(0);
    expect(p.message).toMatch(/YAML syntax/);
  });

  it("errors on a named config that does not exist, defaults when the default is absent", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "segment-config-"));
    expect(loadConfig({}, dir).data).toBe(dir);
    expect(() => loadConfig({ config: "nope.yaml" }, dir)).toThrow(ConfigError);
  });
});
