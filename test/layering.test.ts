/** src/ keeps to the layering in test/layering.ts, and the check does fail on an import against it. */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkLayering,
  formatViolation,
  importsOf,
  LAYERS,
  MODULES,
  sourceFiles,
  unplacedEntries,
  type ModuleName,
  type Violation,
} from "./layering.js";

/** The repository's src/ (this file lives in test/). */
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "src");

/** Temp folders made by a test, removed after it. */
const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "segment-layering-"));
  temps.push(dir);
  return dir;
}

/** Writes `files` (path relative to `dir` -> lines) into `dir`. */
function writeTree(dir: string, files: Record<string, string[]>): void {
  for (const [rel, lines] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, lines.join("\n") + "\n");
  }
}

/** Fails with one readable line per violation. */
function expectNone(violations: Violation[]): void {
  const lines = violations.map(formatViolation);
  expect(lines, `imports against the layering (see LAYERS in test/layering.ts):\n  ${lines.join("\n  ")}\n`).toEqual([]);
}

describe("the layering of src/", () => {
  it("has no import against the direction of the layers", () => {
    expect(sourceFiles(SRC).length).toBeGreaterThan(20);
    expectNone(checkLayering(SRC));
  });

  it("places every top-level folder and loose file of src/ in a layer", () => {
    expect(unplacedEntries(SRC), "add these to MODULES/LAYERS or BASE_FILES in test/layering.ts").toEqual([]);
  });

  it("has a rule table that only names known modules and has no cycle", () => {
    const known = new Set<string>(MODULES);
    for (const m of MODULES) {
      for (const dep of LAYERS[m]) {
        expect(known.has(dep), `${m} lists unknown ${dep}`).toBe(true);
        expect(dep, `${m} lists itself`).not.toBe(m);
      }
    }
    // Every module may import only modules placed before it in MODULES, so no two can import each other.
    for (const [i, m] of MODULES.entries()) {
      for (const dep of LAYERS[m]) expect(MODULES.indexOf(dep), `${m} -> ${dep}`).toBeLessThan(i);
    }
    const lower = (m: ModuleName): ModuleName[] => MODULES.filter((x) => x !== m && LAYERS[m].includes(x));
    expect(lower("segment")).not.toContain("ingest");
    expect(LAYERS.engine).not.toContain("cli");
    expect(LAYERS.cli).toEqual(MODULES.filter((m) => m !== "cli"));
  });
});

describe("importsOf", () => {
  it("reads every form of import with its line, and nothing in comments or strings", () => {
    const text = [
      'import a from "./a.js";', // 1
      'import "./side-effect.js";', // 2
      "import type { T } from './t.js';", // 3
      "import {", // 4
      "  b,", // 5
      '} from "./b.js";', // 6
      'export * from "./c.js";', // 7
      'export { d } from "./d.js";', // 8
      'export type { E } from "./e.js";', // 9
      'const f = await import("./f.js");', // 10
      'type G = import("./g.js").G;', // 11 (type position)
      'import h = require("./h.js");', // 12
      '// import "./comment.js";', // 13
      "const s = 'import(\"./string.js\")';", // 14
      "const n = await import(name);", // 15
      'import { readFileSync } from "node:fs";', // 16
    ].join("\n");
    expect(importsOf(text)).toEqual([
      { specifier: "./a.js", line: 1, literal: true },
      { specifier: "./side-effect.js", line: 2, literal: true },
      { specifier: "./t.js", line: 3, literal: true },
      { specifier: "./b.js", line: 6, literal: true },
      { specifier: "./c.js", line: 7, literal: true },
      { specifier: "./d.js", line: 8, literal: true },
      { specifier: "./e.js", line: 9, literal: true },
      { specifier: "./f.js", line: 10, literal: true },
      { specifier: "./g.js", line: 11, literal: true },
      { specifier: "./h.js", line: 12, literal: true },
      { specifier: "name", line: 15, literal: false },
      { specifier: "node:fs", line: 16, literal: true },
    ]);
  });
});

describe("the check fails on imports against the layers", () => {
  it("reports exactly the illegal imports of a small tree laid out like src/, with their lines", () => {
    const dir = tempDir();
    writeTree(dir, {
      "test/helpers.ts": ["export const helper = 1;"],
      "src/errors.ts": [
        'import { x } from "./table/x.js";', // 1: base -> table
        "export class ConfigError extends Error {}",
        "export const n = x;",
      ],
      "src/suggest.ts": ['import { ConfigError } from "./errors.js";', "export const e = ConfigError;"],
      "src/stray.ts": ["export const stray = 1;"],
      "src/table/bits.ts": [
        'import { helper } from "../../test/helpers.js";', // 1: only test files may reach test/
        "export const bits = helper;",
      ],
      "src/table/x.ts": [
        'import { bits } from "./bits.js";',
        'import { y } from "../ingest/y.js";', // 2: table -> ingest
        'import { stray } from "../stray.js";', // 3: a loose file not in base
        "export const x = bits + y + stray;",
      ],
      "src/table/x.test.ts": [
        'import { expect, it } from "vitest";',
        'import { helper } from "../../test/helpers.js";',
        'import { x } from "./x.js";',
        'it("x", () => expect(x + helper).toBe(2));',
      ],
      "src/config/c.ts": ["export interface Conf { a: number }", "export const c = 1;"],
      "src/ingest/y.ts": [
        'import { readFileSync } from "node:fs";',
        'import { parse } from "yaml";',
        'import { ConfigError } from "../errors.js";',
        'import type { Conf } from "../config/c.js";',
        "export const y: Conf['a'] = 1;",
        "export const used = [readFileSync, parse, ConfigError];",
      ],
      "src/segment/alpha.ts": ["export type Alpha = string;"],
      "src/segment/a.ts": [
        "/**",
        ' * import "../cli/c.js" in a comment does not count',
        " */",
        "import {",
        "  type Alpha,",
        '} from "./alpha.js";',
        "import type {",
        "  B,",
        '} from "../evaluate/b.js";', // 9: segment -> evaluate, type-only
        "const text = 'import(\"../engine/e.js\")';",
        "export type A = B | Alpha | typeof text;",
      ],
      "src/evaluate/b.ts": ['import type { A } from "../segment/a.js";', "export type B = number | A;"],
      "src/rules/dyn.ts": [
        'import type { Alpha } from "../segment/alpha.js";',
        "export type R = Alpha;",
        "export async function load(): Promise<unknown> {",
        '  return import("../engine/e.js");', // 4: rules -> engine, dynamic
        "}",
        "",
        'export type Cli = typeof import("../cli/c.js");', // 7: rules -> cli, type position
        "export async function computed(name: string): Promise<unknown> {",
        "  return import(name);", // 9: not checkable
        "}",
      ],
      "src/schema/index.ts": [
        'export { x } from "../table/x.js";',
        'export * from "../config/c.js";', // 2: schema -> config
      ],
      "src/facts/f.ts": [
        'import { y } from "../ingest/y.js";',
        'import type { Alpha } from "../segment/alpha.js";',
        'export { load } from "../rules/dyn.js";',
        "export const f: Alpha = String(y);",
      ],
      "src/engine/e.ts": ['export * from "../facts/f.js";', 'export * from "../evaluate/b.js";'],
      "src/cli/c.ts": [
        'import { f } from "../engine/e.js";',
        'import { w } from "../widgets/w.js";', // 2: a folder not in the table
        "export const c = f + w;",
      ],
      "src/widgets/w.ts": ['import { x } from "../table/x.js";', "export const w = x;"], // 1: from an unplaced folder
    });

    const found = checkLayering(path.join(dir, "src"));
    const v = (file: string, line: number, specifier: string, from: string, to: string, reason: Violation["reason"]) =>
      ({ file, line, specifier, from, to, reason }) satisfies Violation;
    expect(found).toEqual([
      v("src/cli/c.ts", 2, "../widgets/w.js", "cli", "widgets", "unknown-module"),
      v("src/errors.ts", 1, "./table/x.js", "base", "table", "not-allowed"),
      v("src/rules/dyn.ts", 4, "../engine/e.js", "rules", "engine", "not-allowed"),
      v("src/rules/dyn.ts", 7, "../cli/c.js", "rules", "cli", "not-allowed"),
      v("src/rules/dyn.ts", 9, "name", "rules", "?", "non-literal"),
      v("src/schema/index.ts", 2, "../config/c.js", "schema", "config", "not-allowed"),
      v("src/segment/a.ts", 9, "../evaluate/b.js", "segment", "evaluate", "not-allowed"),
      v("src/table/bits.ts", 1, "../../test/helpers.js", "table", "outside:test/helpers.js", "outside-root"),
      v("src/table/x.ts", 2, "../ingest/y.js", "table", "ingest", "not-allowed"),
      v("src/table/x.ts", 3, "../stray.js", "table", "stray.ts", "unknown-module"),
      v("src/widgets/w.ts", 1, "../table/x.js", "widgets", "table", "unknown-module"),
    ]);
    expect(unplacedEntries(path.join(dir, "src"))).toEqual(["stray.ts", "widgets/"]);
    expect(formatViolation(found[8])).toBe(
      'src/table/x.ts:2  table -> ingest  "../ingest/y.js"  (table may import only itself)',
    );
    expect(formatViolation(found[6])).toBe(
      'src/segment/a.ts:9  segment -> evaluate  "../evaluate/b.js"  (segment may import itself, schema, table, base)',
    );
  });

  it("reports a wrong import added to a copy of the real src/", () => {
    const baseline = checkLayering(SRC);
    const dir = tempDir();
    const copy = path.join(dir, "src");
    cpSync(SRC, copy, { recursive: true });

    /** Appends an import statement to `rel` under the copy; returns the line it lands on. */
    const append = (rel: string, statement: string): number => {
      const file = path.join(copy, rel);
      if (!existsSync(file)) throw new Error(`src/${rel} is gone; pick another real file for this test`);
      const text = readFileSync(file, "utf8");
      const head = text.endsWith("\n") ? text : text + "\n";
      writeFileSync(file, head + statement + "\n");
      return head.split("\n").length;
    };
    const bindLine = append("segment/bind.ts", 'import { Project } from "../ingest/project.js";');
    // Test files keep to their module's rules too, and type-only imports count.
    const testLine = append("table/bitset.test.ts", 'import type { Engine } from "../engine/engine.js";');

    const added: Violation[] = [
      {
        file: "src/segment/bind.ts",
        line: bindLine,
        specifier: "../ingest/project.js",
        from: "segment",
        to: "ingest",
        reason: "not-allowed",
      },
      {
        file: "src/table/bitset.test.ts",
        line: testLine,
        specifier: "../engine/engine.js",
        from: "table",
        to: "engine",
        reason: "not-allowed",
      },
    ];
    const found = checkLayering(copy);
    expect(found).toEqual(expect.arrayContaining(added));
    // Nothing else changed: the copy reports what the real src/ does, plus the two added imports.
    const key = (x: Violation) => `${x.file}:${x.line}:${x.specifier}`;
    expect(found.map(key).sort()).toEqual([...baseline, ...added].map(key).sort());
  });
});
