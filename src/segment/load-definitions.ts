/**
 * Reads segment definition files and validates them into the AST, collecting every problem
 * of every file (with file, line, column, path and a suggestion) before throwing once.
 */
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { DefinitionError, shownValue, type Problem } from "../errors.js";
import { choiceHint } from "../suggest.js";
import { formatPath, parseYaml, type YamlSource } from "../yaml-source.js";
import { fsProblem, readTextFile } from "../text-bytes.js";
import { parseShare, SHARE_EXPECTATION } from "../schema/parse-value.js";
import { OPERATORS, type Condition, type Scalar, type FilterNode, type GroupNode, type Op, type Pos, type SegmentDef, type SegmentGuard } from "./ast.js";
import { allFieldNames, factColumns, isCustomFactName, resolveField, type FactTable, type FieldRef } from "./fields.js";
import { checkOperand, classOf, isOperandError, OPS_BY_CLASS } from "./operands.js";
import type { TypeClass } from "./plan.js";

/** A definition file's name (as shown) and text. */
export interface DefinitionFile {
  file: string;
  text: string;
  /** Why the file (or the folder) could not be read; its text is then empty. */
  problems?: Problem[];
}

export const CODE_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const SEGMENT_KEYS = ["code", "name", "description", "type", "active", "analytics", "guard", "match", "not", "filters", "groups"];
export const SEGMENT_GUARD_KEYS = ["max_change", "min_members"];
export const GROUP_KEYS = ["match", "not", "filters", "groups"];
export const FILTER_KEYS = ["field", "where", "ignore_year", ...OPERATORS];

/** Operator names people write from other tools, and what they mean here. */
const OPERATOR_ALIASES: Record<string, Op> = {
  equals: "eq", equal: "eq", is: "eq", "==": "eq", "=": "eq",
  not_equals: "ne", not_equal: "ne", is_not: "ne", neq: "ne", "!=": "ne",
  greater_than: "gt", ">": "gt", ">=": "gte", less_than: "lt", "<": "lt", "<=": "lte",
  has: "contains", contain: "contains", regex: "matches", match: "matches", range: "between",
  is_empty: "empty", null: "empty", any: "in", one_of: "in", none: "not_in", nin: "not_in", has_all: "all",
};

/** Deepest nesting of groups in a definition (docs/reliability.md). */
export const MAX_GROUP_DEPTH = 32;

const MSG_EMPTY_GROUP = "a group needs at least one filter or group";
const MSG_ONE_OP = "a filter needs exactly one operator";

/**
 * Lists the definition files of a folder (`*.yaml`, `*.yml`, sorted), read as text. A
 * folder that is missing is a problem unless `optional` (a definition file named on the
 * command line needs no folder); one that is a file, or cannot be listed, always is.
 */
export function readDefinitionFolder(dir: string, cwd: string, optional = false): DefinitionFile[] {
  // A folder is shown with its slash: `segments/`.
  const shown = path.join(path.relative(cwd, dir) || dir, "/");
  const folderProblem = (message: string, hint: string, at = shown): DefinitionFile[] => [{ file: at, text: "", problems: [{ file: at, message, hint }] }];
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return folderProblem("the segments folder is a file, not a folder", "set `segments` in segment.config.yaml to the folder of segment files", path.relative(cwd, dir) || dir);
    names = readdirSync(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT" && optional) return [];
    if (err.code === "ENOENT") return folderProblem("the segments folder does not exist", "create it and put segment files (*.yaml) in it, or set `segments` in segment.config.yaml");
    return folderProblem(...fsProblem(err, "segments folder"));
  }
  return names
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => readDefinitionFile(path.join(dir, f), cwd));
}

/** Reads one definition file; what keeps it from being read is in `problems`. */
export function readDefinitionFile(full: string, cwd: string): DefinitionFile {
  const file = path.relative(cwd, full) || full;
  const read = readTextFile(full, file, "segment file");
  return { file, text: read.text ?? "", problems: read.problems };
}

/** Parses and validates definition files; throws a DefinitionError with every problem found. */
export function parseDefinitions(files: DefinitionFile[]): SegmentDef[] {
  const { defs, problems } = checkDefinitions(files);
  if (problems.length) throw new DefinitionError(problems);
  return defs;
}

/**
 * What the data tells the definitions' checks, when it is known: each fact table's custom
 * columns (from the exports' headers). Without it, a name that could be a custom fact column
 * is left to bind.
 */
export interface DataColumns {
  factCustom: Partial<Record<FactTable, readonly string[]>>;
}

/**
 * Parses and validates definition files, collecting every problem: the definitions that
 * passed (for checks that come after, such as against the data) and the problems.
 */
export function checkDefinitions(files: DefinitionFile[], data?: DataColumns): { defs: SegmentDef[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const defs: SegmentDef[] = [];
  const refs: Array<{ code: string; pos: Pos }> = [];
  for (const { file, text, problems: unread } of files) {
    if (unread?.length) {
      problems.push(...unread);
      continue;
    }
    const src = parseYaml(text, file);
    if (src.problems.length) {
      problems.push(...src.problems);
      continue;
    }
    const value = src.value;
    if (value === null || value === undefined) continue;
    const items = Array.isArray(value) ? value.map((v, i) => [v, [i]] as const) : [[value, []] as const];
    for (const [raw, at] of items) {
      const v = new Validator(src, problems, data);
      const def = v.segment(raw, [...at]);
      if (def) defs.push(def);
      // References are checked even in a definition with other problems: every problem at once.
      for (const r of v.references) refs.push(r);
    }
  }
  const byCode = new Map<string, SegmentDef>();
  for (const def of defs) {
    const prev = byCode.get(def.code);
    if (prev) {
      problems.push({ ...posOf(def.pos), path: "code", value: def.code, message: `duplicate segment code (also in ${prev.file}:${prev.pos.line})`, hint: "codes are unique across files: rename one" });
    } else byCode.set(def.code, def);
  }
  const codes = [...byCode.keys()];
  for (const r of refs) {
    if (!byCode.has(r.code)) problems.push({ ...posOf(r.pos), value: r.code, message: `unknown segment \`${r.code}\``, hint: choiceHint(r.code, codes) });
  }
  problems.push(...findCycles(defs, byCode));
  return { defs: [...byCode.values()], problems };
}

/** Codes a definition references through `segment` filters. */
export function referencedCodes(def: SegmentDef): string[] {
  const out = new Set<string>();
  const walk = (g: GroupNode) => {
    for (const c of g.children) {
      if (c.kind === "group") walk(c);
      else if (c.field === "segment" && Array.isArray(c.operand)) for (const code of c.operand) out.add(String(code));
    }
  };
  walk(def.root);
  return [...out];
}

/** Orders definitions so that each comes after the segments it references. */
export function dependencyOrder(defs: SegmentDef[]): SegmentDef[] {
  const byCode = new Map(defs.map((d) => [d.code, d]));
  const out: SegmentDef[] = [];
  const done = new Set<string>();
  // Depth first without recursion: a chain of thousands of references cannot overflow the stack.
  for (const root of defs) {
    if (done.has(root.code)) continue;
    done.add(root.code);
    const stack: Array<{ def: SegmentDef; deps: string[]; next: number }> = [{ def: root, deps: referencedCodes(root), next: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next === top.deps.length) {
        out.push(top.def);
        stack.pop();
        continue;
      }
      const dep = byCode.get(top.deps[top.next++]);
      if (dep && !done.has(dep.code)) {
        done.add(dep.code);
        stack.push({ def: dep, deps: referencedCodes(dep), next: 0 });
      }
    }
  }
  return out;
}

/** A cycle as messages show it: whole when short, else its start and end. */
function cycleText(cycle: string[]): string {
  if (cycle.length <= 12) return cycle.join(" -> ");
  return `${cycle.slice(0, 6).join(" -> ")} -> ... -> ${cycle.slice(-3).join(" -> ")} (${cycle.length - 1} segments)`;
}

function findCycles(defs: SegmentDef[], byCode: Map<string, SegmentDef>): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<string, 1 | 2>();
  const reported = new Set<string>();
  for (const root of defs) {
    if (state.has(root.code)) continue;
    // The codes on the current path, and for each the references still to follow.
    const path: string[] = [root.code];
    const pending: string[][] = [referencedCodes(root)];
    state.set(root.code, 1);
    while (path.length) {
      const refs = pending[pending.length - 1];
      const next = refs.shift();
      if (next === undefined) {
        state.set(path.pop()!, 2);
        pending.pop();
        continue;
      }
      if (state.get(next) === 1) {
        const cycle = [...path.slice(path.indexOf(next)), next];
        const key = [...cycle].sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          const def = byCode.get(path[path.length - 1])!;
          problems.push({ ...posOf(def.pos), message: `segments reference each other in a cycle: ${cycleText(cycle)}`, hint: "a segment cannot depend on itself; remove one of the references" });
        }
      } else if (!state.has(next) && byCode.has(next)) {
        state.set(next, 1);
        path.push(next);
        pending.push(referencedCodes(byCode.get(next)!));
      }
    }
  }
  return problems;
}

function posOf(pos: Pos): Problem {
  return { file: pos.file, line: pos.line, col: pos.col, path: pos.path || undefined, message: "" };
}

type Path = Array<string | number>;

class Validator {
  readonly references: Array<{ code: string; pos: Pos }> = [];
  private filterCount = 0;

  constructor(private readonly src: YamlSource, private readonly problems: Problem[], private readonly data?: DataColumns) {}

  /** True when a custom fact column name may be in the data: always, unless the data is known and lacks it. */
  private mayBeCustom(table: FactTable, column: string): boolean {
    return isCustomFactName(table, column) && (!this.data || (this.data.factCustom[table] ?? []).includes(column));
  }

  private pos(at: Path, key = false): Pos {
    const { line, col } = this.src.locate(at, { key });
    return { file: this.src.file, line, col, path: formatPath(at) };
  }

  private report(at: Path, message: string, hint?: string, key = false, value?: unknown): void {
    const p = this.pos(at, key);
    this.problems.push({
      file: p.file, line: p.line, col: p.col, path: p.path || undefined, message, hint,
      value: value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value),
    });
  }

  /** Reports unknown keys; returns how many there were. */
  private keys(obj: Record<string, unknown>, allowed: readonly string[], at: Path, what: string): number {
    let unknown = 0;
    for (const k of Object.keys(obj)) {
      if (allowed.includes(k)) continue;
      unknown++;
      const alias = what === "filter" ? OPERATOR_ALIASES[k.toLowerCase()] : undefined;
      this.report([...at, k], `unknown key \`${k}\` in a ${what}`, alias ? `did you mean \`${alias}\`?` : choiceHint(k, allowed, 20), true);
    }
    return unknown;
  }

  segment(raw: unknown, at: Path): SegmentDef | undefined {
    if (!isMap(raw)) {
      this.report(at, "expected a segment: a mapping with code, name and filters or groups");
      return undefined;
    }
    const before = this.problems.length;
    this.keys(raw, SEGMENT_KEYS, at, "segment");
    const code = raw.code;
    if (typeof code !== "string" || !CODE_RE.test(code)) {
      this.report(code === undefined ? at : [...at, "code"], code === undefined ? "the segment has no `code`" : "a code is 1-64 characters: lower-case letters, digits, `_` and `-`, starting with a letter or digit", "e.g. code: tea-repeat-offer", false, code);
    }
    if (typeof raw.name !== "string" || raw.name.trim() === "") this.report(raw.name === undefined ? at : [...at, "name"], "the segment needs a `name` (free text)");
    if (raw.description !== undefined && typeof raw.description !== "string") this.report([...at, "description"], "expected text");
    if (raw.type !== undefined && raw.type !== "dynamic" && raw.type !== "static") this.report([...at, "type"], "expected dynamic or static", undefined, false, raw.type);
    for (const k of ["active", "analytics"] as const) if (raw[k] !== undefined && typeof raw[k] !== "boolean") this.report([...at, k], "expected true or false", undefined, false, raw[k]);
    const guard = raw.guard === undefined ? undefined : this.guard(raw.guard, [...at, "guard"]);
    this.filterCount = 0;
    const root = this.groupBody(raw, at, false);
    if (root && this.filterCount === 0 && this.problems.length === before) this.report(at, "the segment has no filters", "add `filters:` or `groups:` with at least one filter");
    if (this.problems.length !== before || !root) return undefined;
    const { line, col } = this.src.locate(at);
    return {
      code: code as string,
      name: raw.name as string,
      description: raw.description as string | undefined,
      type: (raw.type as "dynamic" | "static" | undefined) ?? "dynamic",
      active: (raw.active as boolean | undefined) ?? true,
      analytics: (raw.analytics as boolean | undefined) ?? false,
      guard,
      root,
      file: this.src.file,
      pos: { file: this.src.file, line, col, path: formatPath(at) },
      hash: hashOf(raw),
    };
  }

  private guard(raw: unknown, at: Path): SegmentGuard | undefined {
    if (!isMap(raw)) {
      this.report(at, "expected a guard: { max_change: 30%, min_members: 1 }");
      return undefined;
    }
    this.keys(raw, SEGMENT_GUARD_KEYS, at, "guard");
    const out: SegmentGuard = {};
    if (raw.max_change !== undefined) {
      const share = parseShare(raw.max_change);
      if (share === undefined) this.report([...at, "max_change"], `expected ${SHARE_EXPECTATION}`, undefined, false, raw.max_change);
      else out.maxChange = share;
    }
    if (raw.min_members !== undefined) {
      const v = raw.min_members;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) this.report([...at, "min_members"], "expected a whole number >= 0", undefined, false, v);
      else out.minMembers = v;
    }
    return out;
  }

  private groupBody(raw: Record<string, unknown>, at: Path, isGroup: boolean): GroupNode | undefined {
    const match = raw.match ?? "all";
    if (match !== "all" && match !== "any") this.report([...at, "match"], "expected all or any", undefined, false, match);
    // The segment is the outermost group: it takes `not` like any group.
    if (raw.not !== undefined && typeof raw.not !== "boolean") this.report([...at, "not"], "expected true or false", undefined, false, raw.not);
    const children: GroupNode["children"] = [];
    if (raw.filters !== undefined) {
      if (!Array.isArray(raw.filters)) this.report([...at, "filters"], "expected a list of filters");
      else raw.filters.forEach((f, i) => {
        const node = this.filter(f, [...at, "filters", i]);
        if (node) children.push(node);
      });
    }
    if (raw.groups !== undefined) {
      if (!Array.isArray(raw.groups)) this.report([...at, "groups"], "expected a list of groups");
      else raw.groups.forEach((g, i) => {
        const gat = [...at, "groups", i];
        if (!isMap(g)) {
          this.report(gat, "expected a group: a mapping with filters and/or groups");
          return;
        }
        this.keys(g, GROUP_KEYS, gat, "group");
        // Each level is a step of every walk over the definition (validation, binding, evaluation).
        if (gat.filter((p) => p === "groups").length > MAX_GROUP_DEPTH) {
          this.report(gat, `groups nested more than ${MAX_GROUP_DEPTH} levels deep`, "flatten them: `all` inside `all` is one `all`");
          return;
        }
        const node = this.groupBody(g, gat, true);
        if (node) children.push(node);
      });
    }
    const empty = (!Array.isArray(raw.filters) || raw.filters.length === 0) && (!Array.isArray(raw.groups) || raw.groups.length === 0);
    if (empty && isGroup) this.report(at, MSG_EMPTY_GROUP);
    const { line, col } = this.src.locate(at);
    return {
      kind: "group", match: match === "any" ? "any" : "all", not: raw.not === true, children,
      pos: { file: this.src.file, line, col, path: formatPath(at) },
    };
  }

  private filter(raw: unknown, at: Path): FilterNode | undefined {
    this.filterCount++;
    if (!isMap(raw)) {
      this.report(at, "expected a filter: { field: ..., <operator>: ... }");
      return undefined;
    }
    const before = this.problems.length;
    const unknownKeys = this.keys(raw, FILTER_KEYS, at, "filter");
    const field = raw.field;
    if (typeof field !== "string") {
      this.report(at, "the filter has no `field`", "e.g. { field: city, ne: Moscow }");
      return undefined;
    }
    let ref = resolveField(field);
    if (ref?.kind === "fact-custom" && !this.mayBeCustom(ref.table, ref.column)) ref = undefined;
    if (!ref) {
      this.report([...at, "field"], `unknown field \`${shownValue(field)}\``, choiceHint(field, [...allFieldNames(), ...customFactFields(this.data)], 0) ?? "run `segment fields` for the list", false);
      return undefined;
    }
    const ops = OPERATORS.filter((o) => o in raw);
    if (ops.length === 0 && unknownKeys > 0) return undefined;
    if (ops.length !== 1) {
      this.report(at, ops.length === 0 ? MSG_ONE_OP : `${MSG_ONE_OP}, found ${ops.join(" and ")}`, ops.length === 0 ? `operators: ${OPERATORS.join(", ")}` : "split it into two filters in an `all` group");
      return undefined;
    }
    const op = ops[0];
    const ignoreYear = raw.ignore_year === true;
    if (raw.ignore_year !== undefined && typeof raw.ignore_year !== "boolean") this.report([...at, "ignore_year"], "expected true or false");
    const cls = fieldClass(ref);
    if (ignoreYear && cls !== undefined && cls !== "date") this.report([...at, "ignore_year"], `\`ignore_year\` applies to date fields, and \`${field}\` is not one`);
    if (ref.kind === "segment") {
      if (op !== "in" && op !== "not_in") this.report([...at, op], "`segment` takes `in` or `not_in` with a list of segment codes", undefined, true);
      else if (!Array.isArray(raw[op]) || raw[op].length === 0 || raw[op].some((c: unknown) => typeof c !== "string")) this.report([...at, op], "expected a list of segment codes");
      else raw[op].forEach((c: string, i: number) => this.references.push({ code: c, pos: this.pos([...at, op, i]) }));
    } else if (cls !== undefined) {
      const allowed = ref.kind === "fact-column" ? [...OPS_BY_CLASS[cls], ...(cls === "list" ? [] : ["all" as const])] : OPS_BY_CLASS[cls];
      if (!allowed.includes(op)) {
        this.report([...at, op], `\`${op}\` does not apply to \`${field}\` (${describeClass(cls)})`, `operators for it: ${allowed.join(", ")}`, true);
      } else {
        const checked = checkOperand(op, raw[op], cls, ignoreYear);
        if (isOperandError(checked)) this.report([...at, op], checked.message, checked.hint, false, raw[op]);
        else if (checked.shape === "range" && !ignoreYear) this.checkRangeOrder(checked.low, checked.high, [...at, op]);
      }
    } else {
      // A custom field: its type is known only once the data is read (bind checks the
      // operand then). The shape of operands that do not depend on it is checked now.
      this.typeFreeOperand(op === "all" ? "in" : op, raw[op], [...at, op], ignoreYear);
    }
    const where: Condition[] = [];
    if (raw.where !== undefined) {
      if (ref.kind !== "metric" && ref.kind !== "fact-column" && ref.kind !== "fact-custom") {
        this.report([...at, "where"], "`where` qualifies fact fields only (orders.*, visits.*, carts.*, emails.*)", undefined, true);
      } else this.where(raw.where, ref.table, [...at, "where"], where);
    }
    if (this.problems.length !== before) return undefined;
    return { kind: "filter", field, op, operand: raw[op], where, ignoreYear, pos: this.pos(at) };
  }

  /** Checks the shape of an operand whose field's type is not known yet; false when it is wrong. */
  private typeFreeOperand(op: Op, operand: unknown, at: Path, ignoreYear = false): boolean {
    const typeDependent = op === "gt" || op === "gte" || op === "lt" || op === "lte" || op === "between";
    const checked = typeDependent ? undefined : checkOperand(op, operand, "string", ignoreYear);
    if (!checked || !isOperandError(checked)) return true;
    this.report(at, checked.message, checked.hint, false, operand);
    return false;
  }

  private checkRangeOrder(low: Scalar, high: Scalar, at: Path): void {
    // Only ends whose order does not depend on the as-of day are checked here: numbers,
    // absolute days, and offsets in days or weeks (months and years vary in length).
    const key = (v: Scalar): number | undefined => {
      if (typeof v === "number") return v;
      if (typeof v !== "object" || v === null) return undefined;
      if (v.kind === "day") return v.day;
      if (v.kind === "relative" && (v.unit === "d" || v.unit === "w")) return 1e9 + v.n * (v.unit === "w" ? 7 : 1);
      return undefined;
    };
    const l = key(low), h = key(high);
    const comparable = l !== undefined && h !== undefined && (l >= 1e8) === (h >= 1e8);
    if (comparable && l > h) this.report(at, "`between` low is after high, so nothing could match", "write [low, high] with the earlier or smaller end first");
  }

  private where(raw: unknown, table: FactTable, at: Path, out: Condition[]): void {
    if (!isMap(raw)) {
      this.report(at, "`where` maps column names to a list of values or to { operator: value }");
      return;
    }
    const columns = factColumns(table);
    for (const [column, spec] of Object.entries(raw)) {
      const cat = [...at, column];
      const col = columns.get(column);
      // A name that could be a custom column of the export is checked at bind, against the data.
      if (!col && !this.mayBeCustom(table, column)) {
        this.report(cat, `\`${column}\` is not a column of ${table}`, choiceHint(column, [...columns.keys(), ...(this.data?.factCustom[table] ?? [])], 20), true);
        continue;
      }
      const cls = col ? classOf(col.type) : undefined;
      let op: Op;
      let operand: unknown;
      if (Array.isArray(spec) || !isMap(spec)) {
        op = "in";
        operand = Array.isArray(spec) ? spec : [spec];
      } else {
        const ops = OPERATORS.filter((o) => o in spec);
        const unknown = Object.keys(spec).filter((k) => !(OPERATORS as readonly string[]).includes(k));
        for (const k of unknown) this.report([...cat, k], `unknown operator \`${k}\``, choiceHint(k, OPERATORS, 0), true);
        if (ops.length !== 1) {
          if (unknown.length === 0) this.report(cat, "a `where` condition takes exactly one operator", `e.g. ${column}: { ne: x }`);
          continue;
        }
        op = ops[0];
        operand = spec[op];
      }
      if (cls === undefined) {
        if (!this.typeFreeOperand(op, operand, cat)) continue;
        out.push({ column, op, operand, pos: this.pos(cat) });
        continue;
      }
      const allowed = OPS_BY_CLASS[cls];
      if (!allowed.includes(op)) {
        this.report(cat, `\`${op}\` does not apply to \`${table}.${column}\` (${describeClass(cls)})`, `operators for it: ${allowed.join(", ")}`);
        continue;
      }
      const checked = checkOperand(op, operand, cls, false);
      if (isOperandError(checked)) {
        this.report(cat, checked.message, checked.hint, false, operand);
        continue;
      }
      if (checked.shape === "range") this.checkRangeOrder(checked.low, checked.high, cat);
      out.push({ column, op, operand, pos: this.pos(cat) });
    }
  }
}

/** The comparison class of a resolved field, undefined for custom fields (known after reading). */
export function fieldClass(ref: FieldRef): TypeClass | undefined {
  switch (ref.kind) {
    case "customer": case "metric": case "fact-column": case "rfm": return classOf(ref.type);
    case "age": return "number";
    default: return undefined;
  }
}

/** A few words on a class, for messages. */
export function describeClass(cls: TypeClass): string {
  return { string: "a text field", list: "a list field", number: "a number field", bool: "a true/false field", date: "a date field" }[cls];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isMap(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** Keys that do not change what a segment computes: editing them does not recompute a static segment. */
const COSMETIC_KEYS = new Set(["name", "description", "active", "analytics", "guard"]);

/** Values that are the defaults, so writing them out is no change: `match: all`, `not: false`, `type: dynamic`, `ignore_year: false`. */
const DEFAULTS: Record<string, unknown> = { match: "all", not: false, type: "dynamic", ignore_year: false };

/** The definition without cosmetic keys and default values, at every level. */
function normalised(v: unknown, top: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => normalised(x, false));
  if (!isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (top && COSMETIC_KEYS.has(k)) continue;
    if (k in DEFAULTS && DEFAULTS[k] === x) continue;
    out[k] = normalised(x, false);
  }
  return out;
}

/** sha256 of the definition's canonical JSON (keys sorted), cosmetic keys and defaults left out. */
function hashOf(raw: unknown): string {
  return createHash("sha256").update(canonicalJson(normalised(raw, true))).digest("hex");
}

/** The custom fact columns of known data as field names (`orders.country`). */
function customFactFields(data: DataColumns | undefined): string[] {
  return Object.entries(data?.factCustom ?? {}).flatMap(([table, cols]) => (cols ?? []).map((c) => `${table}.${c}`));
}
