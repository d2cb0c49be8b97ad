/**
 * Derives the golden member lists in test/golden/segments/ independently of the product:
 * fixtures/shop read by ./load-fixture.ts (csv-parse, zlib, JSON.parse), the example
 * definitions in segments/ read with the `yaml` package, and the naive reference
 * evaluator (test/reference/naive-evaluator.ts, written from the spec) as of 2026-11-23 in
 * UTC. Nothing here imports from src/ or runs the binary.
 *
 * test/golden/golden-derivation.test.ts checks that the committed files equal this
 * derivation. To rewrite them (see test/golden/segments/README.md for the command):
 *   main(["--write"])
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse } from "yaml";
import { NaiveEvaluator, type SegmentDef } from "../reference/naive-evaluator.js";
import { loadShopFixture } from "./load-fixture.js";

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where the example definitions, the fixture and the golden files live. */
export const SEGMENTS_DIR = path.join(ROOT, "segments");
export const FIXTURE_DIR = path.join(ROOT, "fixtures", "shop");
export const GOLDEN_DIR = path.join(ROOT, "test", "golden", "segments");
/** The as-of day and time zone of the golden lists. */
export const AS_OF = "2026-11-23";
export const TIMEZONE = "UTC";

/** Every definition in the example segments folder (`*.yaml` / `*.yml`; a file holds one segment or a list), in file-name order. */
export function readExampleSegments(dir = SEGMENTS_DIR): SegmentDef[] {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const defs: SegmentDef[] = [];
  for (const file of files) {
    const doc = parse(readFileSync(path.join(dir, file), "utf8")) as SegmentDef | SegmentDef[];
    for (const def of Array.isArray(doc) ? doc : [doc]) {
      if (!def || typeof def.code !== "string") throw new Error(`${file}: a segment without a code`);
      if (defs.some((d) => d.code === def.code)) throw new Error(`${file}: duplicate code ${def.code}`);
      defs.push(def);
    }
  }
  return defs;
}

/** Member ids of every example segment on fixtures/shop as of 2026-11-23 (UTC), by code, in customer order of customers.csv. */
export function deriveGolden(): Map<string, string[]> {
  const data = loadShopFixture(FIXTURE_DIR);
  const defs = readExampleSegments();
  const evaluator = new NaiveEvaluator(data, defs, { asOf: AS_OF, timezone: TIMEZONE });
  const out = new Map<string, string[]>();
  for (const def of defs) {
    const members = evaluator.members(def.code);
    out.set(def.code, data.customers.map((c) => (c.id ?? "").trim()).filter((id) => members.has(id)));
  }
  return out;
}

/** The text of a golden file: one id per line, with a trailing newline. */
export function goldenText(ids: string[]): string {
  return ids.map((id) => `${id}\n`).join("");
}

/** The codes that have a golden file (`<code>.txt`) in test/golden/segments/. */
export function goldenCodes(dir = GOLDEN_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".txt")).map((f) => f.slice(0, -".txt".length)).sort();
}

/** Reads one committed golden file as its list of ids. */
export function readGolden(code: string, dir = GOLDEN_DIR): string[] {
  return readFileSync(path.join(dir, `${code}.txt`), "utf8").split("\n").filter((l) => l !== "");
}

/**
 * `--write`: rewrites every golden file from the derivation and removes stale ones,
 * printing what changed. Without it: prints the difference and returns 1 if any.
 */
export function main(argv: string[]): number {
  const write = argv.includes("--write");
  const derived = deriveGolden();
  let differences = 0;
  for (const [code, ids] of derived) {
    const file = path.join(GOLDEN_DIR, `${code}.txt`);
    let old: string[] | null = null;
    try {
      old = readGolden(code);
    } catch {
      old = null;
    }
    const added = ids.filter((id) => !old?.includes(id));
    const removed = (old ?? []).filter((id) => !ids.includes(id));
    const same = old !== null && readFileSync(file, "utf8") === goldenText(ids);
    if (ids.length === 0) console.warn(`warning: ${code} has no members`);
    if (same) {
      console.log(`${code}: ${ids.length} members, unchanged`);
      continue;
    }
    differences += 1;
    console.log(`${code}: ${ids.length} members${old === null ? " (new file)" : ""}; +[${added.join(", ")}] -[${removed.join(", ")}]`);
    if (write) writeFileSync(file, goldenText(ids));
  }
  for (const code of goldenCodes()) {
    if (derived.has(code)) continue;
    differences += 1;
    console.log(`${code}.txt: stale (no such example segment)${write ? ", removed" : ""}`);
    if (write) rmSync(path.join(GOLDEN_DIR, `${code}.txt`));
  }
  if (write) {
    console.log(differences === 0 ? "golden files already match the derivation" : `rewrote ${differences} golden file(s); check the difference by hand before committing`);
    return 0;
  }
  console.log(differences === 0 ? "golden files match the derivation" : `${differences} golden file(s) differ from the derivation (run with --write to rewrite)`);
  return differences === 0 ? 0 : 1;
}

// Run as a main script by a TypeScript runner: `<runner> test/golden/derive.ts [--write]`.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
