/**
 * The library API (docs/api.md): the package's export, as a script imports it, on a shop
 * written here (values by hand in the comments), and the runnable example over the R
 * package rfm's orders, checked against the package's own outputs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { DefinitionError, openProject } from "../src/api/index.js";
import { projectDir, ROOT } from "./helpers.js";

// As of 2026-02-01 in UTC. A (Tver): orders 2026-01-31 (100) and 2026-01-10 (20). B (Kazan): 2025-12-01 (10).
function shop(): string {
  return projectDir({
    "data/customers.csv": "id,city,birthday\nA,Tver,1990-05-01\nB,Kazan,\n",
    "data/orders.csv": "id,customer_id,created_at,total\n1,A,2026-01-31T10:00:00Z,100\n2,A,2026-01-10T10:00:00Z,20\n3,B,2025-12-01T10:00:00Z,10\n",
    "segments/buyers.yaml": "- code: tver\n  name: Tver\n  filters: [{ field: city, eq: Tver }]\n- code: buyers\n  name: Buyers\n  filters: [{ field: orders.count, gte: 1 }]\n",
    "segment.config.yaml": "data: data\nsegments: segments\ntimezone: UTC\n",
  });
}

describe("openProject", () => {
  it("evaluates the folder's segments with fields per member: dates as text, datetimes as Date", async () => {
    const project = openProject({ cwd: shop() });
    expect(project.segments().map((s) => s.code)).toEqual(["tver", "buyers"]);
    const r = await project.evaluate({ asOf: "2026-02-01", fields: ["birthday", "orders.count", "orders.last_at"] });
    expect(r.asOf).toBe("2026-02-01");
    expect(r.customers).toBe(2);
    const by = new Map(r.segments.map((s) => [s.code, s]));
    expect(by.get("tver")!.members).toEqual(["A"]);
    expect(by.get("buyers")!.members).toEqual(["A", "B"]);
    expect(by.get("buyers")!.rows).toEqual([
      { id: "A", birthday: "1990-05-01", "orders.count": 2, "orders.last_at": new Date("2026-01-31T10:00:00Z") },
      { id: "B", birthday: null, "orders.count": 1, "orders.last_at": new Date("2025-12-01T10:00:00Z") },
    ]);
  });

  it("scores RFM: rank with 2 bins, A scores 2 2 2 and B 1 1 1", async () => {
    // recency A 1, B 62; frequency A 2, B 1; monetary A 120, B 10: A is better on each, so
    // k = 1 for A (1 + floor(2/2) = 2) and 0 for B (1).
    const { summary, rows } = await openProject({ cwd: shop() }).rfm({ asOf: "2026-02-01", bins: 2 });
    expect(summary.scored).toBe(2);
    expect(rows.map((x) => [x.id, x.recency, x.frequency, x.monetary, x.score])).toEqual([["A", 1, 2, 120, "222"], ["B", 62, 1, 10, "111"]]);
  });

  it("throws the CLI's errors, with their problems", async () => {
    const dir = shop();
    writeFileSync(path.join(dir, "segments", "bad.yaml"), "code: bad\nname: Bad\nfilters:\n  - { field: citty, eq: Tver }\n");
    const e = await openProject({ cwd: dir }).evaluate().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DefinitionError);
    expect((e as DefinitionError).problems[0]).toMatchObject({ line: 4, hint: "did you mean `city`?" });
  });
});

const RFM = path.join(ROOT, "..", "shared", "data", "rfm");

describe.skipIf(!existsSync(RFM))("examples/api/rfm-batch.mjs", () => {
  it("runs as a script importing the package by name, and its champions are the R package's", () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, "examples", "api", "rfm-batch.mjs")], { cwd: ROOT, encoding: "utf8" });
    const champions = (parseCsv(readFileSync(path.join(RFM, "expected", "order_default_segment_summary_example_rules.csv")), { columns: true }) as Array<Record<string, string>>).find((e) => e.segment === "Champions")!;
    expect(out).toContain(`2006-12-31: 995 customers scored, ${champions.customers} champions`);
    expect(out).toMatch(/^loyal: \d+ members/m);
  });
});
