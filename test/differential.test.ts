/**
 * Differential test: the real evaluator (src/engine/engine.ts, from a plan sent through
 * JSON) against the naive
 * reference evaluator (test/reference/naive-evaluator.ts), on seeded random shops written
 * as canonical CSV exports and seeded random segment definitions written as YAML files.
 *
 * Every dataset is one test. On a mismatch the message gives the seed, the as-of day and
 * zone, the folder the case was written to (kept for debugging), each differing segment's
 * YAML, a few differing customers with the values the filters looked at, and the leaf
 * filters on which the two evaluators disagree when each is run as a segment of its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load-config.js";
import { Engine, evaluateAll } from "../src/engine/engine.js";
import type { Plan } from "../src/segment/plan.js";
import { generateShop, scenario, SegmentGenerator, segmentYaml, writeSegments, writeShopCsv, type Scenario } from "./reference/generate.js";
import { NaiveEvaluator, type FilterDef, type GroupDef, type SegmentDef, type ShopData } from "./reference/naive-evaluator.js";

/** Number of datasets, definitions per dataset, and the base seed: fixed, so the test is deterministic. */
const DATASETS = 48;
const DEFINITIONS_PER_DATASET = 10;
const BASE_SEED = 20_260_331;

interface Case {
  index: number;
  sc: Scenario;
  data: ShopData;
  defs: SegmentDef[];
  dir: string;
}

const keep: string[] = [];
/** Fact rows left out after the as-of day whose count both evaluators agreed on, over all datasets. */
let leftOutCompared = 0;
const created: string[] = [];
afterAll(() => {
  for (const dir of created) if (!keep.includes(dir)) rmSync(dir, { recursive: true, force: true });
});

function writeConfig(dir: string, segmentsFolder: string, timezone: string): string {
  const file = path.join(dir, segmentsFolder === "segments" ? "segment.config.yaml" : `${segmentsFolder}.config.yaml`);
  writeFileSync(file, `data: data\nsegments: ${segmentsFolder}\nstate: .segment\nout: out\ntimezone: ${timezone}\n`);
  return file;
}

function buildCase(index: number): Case {
  const seed = BASE_SEED + index * 7919;
  const sc = scenario(index, seed);
  const data = generateShop(seed, sc);
  const defs = new SegmentGenerator(seed + 1, data, sc).generate(DEFINITIONS_PER_DATASET, `s${index}`);
  const dir = mkdtempSync(path.join(tmpdir(), `segment-diff-${index}-`));
  created.push(dir);
  writeShopCsv(data, path.join(dir, "data"), seed);
  writeSegments(defs, path.join(dir, "segments"), seed);
  return { index, sc, data, defs, dir };
}

/**
 * Runs the real evaluator on the segments written to `folder` under the case's directory:
 * binds the plan, sends it through JSON, and evaluates the copy on a fresh engine (the way
 * another process or backend would receive it). The copy must equal the plan, and its
 * members must equal those of evaluating the definitions directly.
 */
async function runReal(c: Case, folder: string, leftOut?: Partial<Record<string, number>>): Promise<Map<string, string[]>> {
  const config = loadConfig({ config: writeConfig(c.dir, folder, c.sc.timezone) }, c.dir);
  const ctx = { cwd: c.dir, now: 0 };
  const definitions = Engine.definitions(config, c.dir);
  const plan = await new Engine(config, ctx).plan({ definitions, asOf: c.sc.asOf });
  const copy = JSON.parse(JSON.stringify(plan)) as Plan;
  expect(copy).toEqual(plan);
  const fromJson = await new Engine(config, ctx).evaluatePlan(copy);
  const direct = await evaluateAll(config, ctx, { asOf: c.sc.asOf });
  expect(new Map(fromJson.members)).toEqual(direct);
  if (leftOut) Object.assign(leftOut, fromJson.facts.leftOut);
  return new Map([...fromJson.members].map(([code, ids]) => [code, [...ids].sort()]));
}

/** The definitions a segment references, transitively, itself included. */
function withDependencies(def: SegmentDef, all: SegmentDef[]): SegmentDef[] {
  const byCode = new Map(all.map((d) => [d.code, d]));
  const out = new Map<string, SegmentDef>();
  const visit = (d: SegmentDef) => {
    if (out.has(d.code)) return;
    out.set(d.code, d);
    const walk = (g: GroupDef) => {
      for (const f of g.filters ?? []) if (f.field === "segment") for (const code of (f.in ?? f.not_in) as string[]) visit(byCode.get(code)!);
      for (const sub of g.groups ?? []) walk(sub);
    };
    walk(d);
  };
  visit(def);
  return [...out.values()];
}

/** Every leaf filter of a definition with its path. */
function leafFilters(g: GroupDef, prefix = ""): Array<[string, FilterDef]> {
  const out: Array<[string, FilterDef]> = [];
  (g.filters ?? []).forEach((f, i) => out.push([`${prefix}filters[${i}]`, f]));
  (g.groups ?? []).forEach((sub, i) => out.push(...leafFilters(sub, `${prefix}groups[${i}].`)));
  return out;
}

function diff(real: string[] | undefined, naive: string[]): { onlyReal: string[]; onlyNaive: string[] } {
  const r = new Set(real ?? []), n = new Set(naive);
  return { onlyReal: [...r].filter((id) => !n.has(id)), onlyNaive: [...n].filter((id) => !r.has(id)) };
}

function indent(text: string, by = "    "): string {
  return text.trimEnd().split("\n").map((l) => by + l).join("\n");
}

/**
 * Runs each leaf filter of the differing segments as a segment of its own through both
 * evaluators, to point at the filters they disagree on.
 */
async function probe(c: Case, naive: NaiveEvaluator, codes: string[]): Promise<string[]> {
  const probes: Array<{ def: SegmentDef; origin: string }> = [];
  for (const code of codes) {
    const def = c.defs.find((d) => d.code === code)!;
    for (const [p, f] of leafFilters(def)) {
      probes.push({ def: { code: `probe-${probes.length}`, name: `probe of ${code} ${p}`, filters: [f] }, origin: `${code} ${p}` });
    }
  }
  const folder = "probe-segments";
  writeSegments([...c.defs, ...probes.map((p) => p.def)], path.join(c.dir, folder), c.sc.seed + 1);
  let real: Map<string, string[]>;
  try {
    real = await runReal(c, folder);
  } catch (e) {
    return [`  (probing failed: the real evaluator threw ${(e as Error).stack ?? e})`];
  }
  const probeNaive = new NaiveEvaluator(c.data, [...c.defs, ...probes.map((p) => p.def)], c.sc);
  const lines: string[] = [];
  for (const { def, origin } of probes) {
    const d = diff(real.get(def.code), [...probeNaive.members(def.code)].sort());
    if (d.onlyReal.length === 0 && d.onlyNaive.length === 0) continue;
    lines.push(`  leaf filter ${origin} disagrees on its own:`);
    lines.push(indent(segmentYaml(def), "      "));
    for (const [label, ids] of [["real only", d.onlyReal], ["naive only", d.onlyNaive]] as const) {
      if (ids.length === 0) continue;
      lines.push(`    ${label} (${ids.length}): ${ids.slice(0, 8).join(", ")}${ids.length > 8 ? ", ..." : ""}`);
      for (const id of ids.slice(0, 2)) {
        const customer = c.data.customers.find((x) => x.id === id)!;
        lines.push(`      customer ${id}:`);
        lines.push(...probeNaive.explain(def, customer).map((l) => `      ${l}`));
      }
    }
  }
  if (lines.length === 0) lines.push("  (every leaf filter agrees on its own: the difference is in how they combine, or in a referenced segment)");
  return lines;
}

/** When the real evaluator throws: which segments (with their dependencies) make it throw on their own. */
async function isolateThrow(c: Case): Promise<string[]> {
  const lines: string[] = [];
  for (const def of c.defs) {
    const folder = `alone-${def.code}`;
    writeSegments(withDependencies(def, c.defs), path.join(c.dir, folder), c.sc.seed);
    try {
      await runReal(c, folder);
    } catch (e) {
      lines.push(`  ${def.code} throws on its own: ${String((e as Error).message ?? e).split("\n").slice(0, 6).join(" | ")}`);
      lines.push(indent(segmentYaml(def), "      "));
    }
  }
  return lines;
}

async function check(index: number): Promise<void> {
  const c = buildCase(index);
  const header = `dataset ${index}: seed ${c.sc.seed}, as-of ${c.sc.asOf}, timezone ${c.sc.timezone}, ${c.data.customers.length} customers, folder ${c.dir}`;
  const naive = new NaiveEvaluator(c.data, c.defs, c.sc);
  const expected = naive.evaluateAll();
  let real: Map<string, string[]>;
  // Facts dated after the as-of day that the real fact pass left out, per table it read.
  const realLeftOut: Partial<Record<string, number>> = {};
  try {
    real = await runReal(c, "segments", realLeftOut);
  } catch (e) {
    keep.push(c.dir);
    const lines = [`${header}`, `the real evaluator threw: ${(e as Error).stack ?? e}`, ...(await isolateThrow(c))];
    throw new Error(lines.join("\n"), { cause: e });
  }

  const exportOf: Record<string, "orders" | "visits" | "carts" | "email_events"> = { orders: "orders", visits: "visits", carts: "carts", emails: "email_events" };
  for (const [table, n] of Object.entries(realLeftOut)) {
    expect(n, `${header}: ${table} left out after the as-of day`).toBe(naive.leftOut[exportOf[table]]);
    leftOutCompared += n ?? 0;
  }

  const bad: string[] = [];
  const lines: string[] = [header];
  for (const def of c.defs) {
    // An inactive segment is not computed (SEGMENTS.md); it is checked through the segments referencing it.
    if (def.active === false) continue;
    const naiveIds = expected.get(def.code)!;
    const realIds = real.get(def.code);
    const d = diff(realIds, naiveIds);
    if (realIds !== undefined && d.onlyReal.length === 0 && d.onlyNaive.length === 0) continue;
    bad.push(def.code);
    lines.push("");
    lines.push(`segment ${def.code}: real ${realIds === undefined ? "has no result" : `${realIds.length} members`}, naive ${naiveIds.length} members`);
    for (const dep of withDependencies(def, c.defs)) {
      lines.push(dep === def ? "  definition:" : `  referenced segment ${dep.code}${dep.active === false ? " (inactive)" : ""} (real ${real.get(dep.code)?.length ?? "-"}, naive ${expected.get(dep.code)!.length} members):`);
      lines.push(indent(segmentYaml(dep)));
    }
    for (const [label, ids] of [["in real only", d.onlyReal], ["in naive only", d.onlyNaive]] as const) {
      if (ids.length === 0) continue;
      lines.push(`  ${label} (${ids.length}): ${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", ..." : ""}`);
      for (const id of ids.slice(0, 3)) {
        const customer = c.data.customers.find((x) => x.id === id);
        if (!customer) {
          lines.push(`    ${id}: not a customer of the data`);
          continue;
        }
        lines.push(`    customer ${id} (naive evaluation of each filter):`);
        lines.push(...naive.explain(def, customer).map((l) => `  ${l}`));
        for (const dep of withDependencies(def, c.defs).slice(1)) {
          const realDep = real.get(dep.code);
          lines.push(`      referenced ${dep.code}: real ${realDep === undefined ? "not computed" : realDep.includes(id) ? "member" : "not member"}, naive ${naive.members(dep.code).has(id) ? "member" : "not member"}`);
        }
      }
    }
  }
  if (bad.length === 0) return;
  keep.push(c.dir);
  lines.push("", "probing each leaf filter of the differing segments on its own:", ...(await probe(c, naive, bad)));
  expect.fail(lines.join("\n"));
}

describe(`differential: real evaluator vs naive reference (${DATASETS} datasets x ${DEFINITIONS_PER_DATASET} definitions)`, () => {
  for (let i = 0; i < DATASETS; i++) {
    it(`dataset ${i}`, async () => {
      await check(i);
    });
  }
  it("compared the counts of facts left out after the as-of day", () => {
    expect(leftOutCompared).toBeGreaterThan(100);
  });
});
