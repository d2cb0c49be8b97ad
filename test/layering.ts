/**
 * The layering of src/: which module may import which, and a checker that finds imports against it.
 *
 * A module is a top-level folder of the root (src/table/, src/segment/, ...); the loose files listed in
 * BASE_FILES form the module "base". A module may import from itself and from the modules LAYERS lists
 * for it, nothing else. `node:` built-ins and npm packages are always allowed. Type-only imports count
 * the same as value imports: the direction is about the layout, not the runtime.
 *
 * Test files (`*.test.ts`) under the root keep to their module's rules; the one extra they get is
 * importing helpers from the repository's test/ folder (vitest, being an npm package, is allowed anyway).
 *
 * Specifiers are read with the TypeScript parser (already a devDependency), so imports in comments and
 * strings are not counted, and every form is seen: `import ... from`, `import "x"`, `export ... from`,
 * `import("x")`, the type-position `import("x").T`, and `import x = require("x")` / `require("x")`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/** The modules, lowest layer first. */
export const MODULES = [
  "base",
  "table",
  "schema",
  "config",
  "ingest",
  "segment",
  "rules",
  "facts",
  "cache",
  "evaluate",
  "state",
  "export",
  "engine",
  "api",
  "cli",
] as const;

export type ModuleName = (typeof MODULES)[number];

/** The loose files directly under the root that make up the module "base". */
export const BASE_FILES: readonly string[] = ["errors.ts", "suggest.ts", "yaml-source.ts", "fs-atomic.ts", "text-bytes.ts", "safe-regex.ts", "timings.ts"];

/** What each module may import besides itself. */
export const LAYERS: Readonly<Record<ModuleName, readonly ModuleName[]>> = {
  base: [],
  table: [],
  schema: ["table", "base"],
  config: ["schema", "table", "base"],
  ingest: ["config", "schema", "table", "base"],
  segment: ["schema", "table", "base"],
  rules: ["segment", "table", "base"],
  facts: ["rules", "segment", "ingest", "schema", "table", "base"],
  // The preview cache: customer columns and aggregates in binary files, never the plan's meaning.
  cache: ["facts", "ingest", "table", "base"],
  evaluate: ["rules", "facts", "segment", "schema", "table", "base"],
  // Snapshots, history and the lock: memberships by id, never the data.
  state: ["table", "base"],
  // Writers of outputs: fed values and their text, never the plan.
  export: ["table", "base"],
  engine: MODULES.filter((m) => m !== "engine" && m !== "api" && m !== "cli"),
  // The library API: an entry like the CLI (it may read the working folder and the clock), for scripts.
  api: MODULES.filter((m) => m !== "api" && m !== "cli"),
  cli: MODULES.filter((m) => m !== "cli"),
};

/** Why an import was reported. */
export type ViolationReason =
  /** Both modules are in LAYERS, and the importer's row does not list the target. */
  | "not-allowed"
  /** The importer or the target is in a folder (or a loose file) that LAYERS does not place. */
  | "unknown-module"
  /** A relative import leaving the root (test files may still reach the test/ helpers). */
  | "outside-root"
  /** `import(expr)` / `require(expr)` with a computed specifier, which cannot be checked. */
  | "non-literal";

export interface Violation {
  /** The importing file, relative to the root's parent with `/` separators, e.g. "src/segment/bind.ts". */
  file: string;
  /** 1-based line of the specifier. */
  line: number;
  /** The specifier as written (the expression's text for a non-literal one). */
  specifier: string;
  /** The importing file's module. */
  from: string;
  /** The imported file's module ("outside:<path>" for a path outside the root, "?" when unknowable). */
  to: string;
  reason: ViolationReason;
}

export interface CheckOptions {
  /** Folders outside the root that test files may import from; default: the root's sibling test/. */
  testHelperDirs?: readonly string[];
}

/** One specifier found in a source file. */
export interface ImportRef {
  specifier: string;
  line: number;
  /** False for `import(expr)` with a computed argument. */
  literal: boolean;
}

function isKnown(name: string): name is ModuleName {
  return (MODULES as readonly string[]).includes(name);
}

/** True when `from` may import `to` under LAYERS (itself always). */
export function mayImport(from: ModuleName, to: ModuleName): boolean {
  return from === to || LAYERS[from].includes(to);
}

const SOURCE_EXT = /\.(ts|mts|cts)$/;

/** The .ts files under `root`, sorted, skipping node_modules and dot-folders. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && SOURCE_EXT.test(entry.name)) out.push(full);
    }
  };
  walk(root);
  return out.sort();
}

/**
 * The module a path under `root` belongs to: its top-level folder, "base" for a BASE_FILES file, and
 * otherwise the loose file's own name (which LAYERS does not know, so imports of it are reported).
 */
export function moduleOf(root: string, file: string): string {
  const parts = path.relative(root, file).split(path.sep).filter((p) => p !== "" && p !== ".");
  if (parts.length === 0) return "(root)";
  if (parts.length > 1) return parts[0];
  // A loose file; the specifier may name it as x.js, x.ts or bare x.
  const script = /\.(d\.)?[mc]?[jt]s$/;
  const stem = parts[0].replace(script, "");
  if (BASE_FILES.some((b) => b.replace(/\.ts$/, "") === stem)) return "base";
  return script.test(parts[0]) ? `${stem}.ts` : parts[0];
}

/** The folders and loose .ts files directly under `root` that LAYERS does not place. */
export function unplacedEntries(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    if (entry.isDirectory() && !isKnown(entry.name)) out.push(`${entry.name}/`);
    if (entry.isFile() && SOURCE_EXT.test(entry.name) && !BASE_FILES.includes(entry.name)) out.push(entry.name);
  }
  return out.sort();
}

/** Every import/export-from/dynamic-import/require specifier in a TypeScript source text. */
export function importsOf(text: string, fileName = "file.ts"): ImportRef[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const lineOf = (node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const add = (node: ts.Expression | undefined): void => {
    if (!node) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      refs.push({ specifier: node.text, line: lineOf(node), literal: true });
    } else {
      refs.push({ specifier: node.getText(sf), line: lineOf(node), literal: false });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node)) {
      // `typeof import("x")`, `import("x").T`
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) add(arg.literal);
      else refs.push({ specifier: arg.getText(sf), line: lineOf(arg), literal: false });
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === "require" && node.arguments.length === 1;
      if (isDynamicImport || isRequire) add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/** Relative or absolute path specifiers point into the file system; anything else is a package. */
function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === ".." ||
    path.isAbsolute(specifier);
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

const posix = (p: string): string => p.split(path.sep).join("/");

/** Every import under `root` that goes against LAYERS, sorted by file and line. */
export function checkLayering(root: string, options: CheckOptions = {}): Violation[] {
  const absRoot = path.resolve(root);
  const base = path.dirname(absRoot);
  const helperDirs = (options.testHelperDirs ?? [path.join(base, "test")]).map((d) => path.resolve(d));
  const violations: Violation[] = [];

  for (const file of sourceFiles(absRoot)) {
    const from = moduleOf(absRoot, file);
    const isTest = /\.test\.[mc]?ts$/.test(file);
    const rel = posix(path.relative(base, file));
    for (const ref of importsOf(readFileSync(file, "utf8"), file)) {
      const at = { file: rel, line: ref.line, specifier: ref.specifier, from };
      if (!ref.literal) {
        violations.push({ ...at, to: "?", reason: "non-literal" });
        continue;
      }
      if (!isPathSpecifier(ref.specifier)) continue; // node: built-in or npm package
      const target = path.resolve(path.dirname(file), ref.specifier);
      if (!inside(absRoot, target)) {
        if (isTest && helperDirs.some((d) => inside(d, target))) continue;
        violations.push({ ...at, to: `outside:${posix(path.relative(base, target))}`, reason: "outside-root" });
        continue;
      }
      const to = moduleOf(absRoot, target);
      if (!isKnown(from) || !isKnown(to)) {
        violations.push({ ...at, to, reason: "unknown-module" });
      } else if (!mayImport(from, to)) {
        violations.push({ ...at, to, reason: "not-allowed" });
      }
    }
  }
  return violations.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

/** What a module may import, in words. */
export function allowedText(name: string): string {
  if (!isKnown(name)) return `"${name}" is not placed in LAYERS (test/layering.ts)`;
  const others = LAYERS[name];
  return others.length === 0 ? `${name} may import only itself` : `${name} may import itself, ${others.join(", ")}`;
}

/** One violation as a line a person can act on. */
export function formatViolation(v: Violation): string {
  const where = `${v.file}:${v.line}`;
  switch (v.reason) {
    case "not-allowed":
      return `${where}  ${v.from} -> ${v.to}  "${v.specifier}"  (${allowedText(v.from)})`;
    case "unknown-module": {
      const unknown = isKnown(v.from) ? v.to : v.from;
      return `${where}  ${v.from} -> ${v.to}  "${v.specifier}"  (module "${unknown}" is not placed in LAYERS; add it to a layer in test/layering.ts)`;
    }
    case "outside-root":
      return `${where}  ${v.from} -> ${v.to}  "${v.specifier}"  (a relative import leaving the root; only *.test.ts files may reach test/ helpers)`;
    case "non-literal":
      return `${where}  ${v.from} -> ?  ${v.specifier}  (a computed import specifier cannot be checked; use a string literal)`;
  }
}
