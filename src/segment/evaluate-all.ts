/**
 * Evaluates segments on a project's data end to end: definitions are read and validated
 * before any data, the customers loaded, the plans compiled, the fact aggregates computed in
 * one pass per export, then each segment evaluated in dependency order.
 */
import path from "node:path";
import type { Config } from "../config/load-config.js";
import { DefinitionError, UsageError } from "../errors.js";
import { Project, type CustomerTable } from "../ingest/project.js";
import { parseDate } from "../ingest/parse-value.js";
import { computeFacts } from "../facts/compute-facts.js";
import { BitSet } from "../table/bitset.js";
import { dayInZone } from "../table/time.js";
import { EvalState, evaluateNode } from "../evaluate/evaluate-plan.js";
import type { SegmentDef } from "./ast.js";
import { compileSegments, type CompiledPlans } from "./compile.js";
import { dependencyOrder, parseDefinitions, readDefinitionFolder, referencedCodes, type DefinitionFile } from "./load-definitions.js";

/** Everything an evaluation produced, for commands that show more than members. */
export interface Evaluation {
  project: Project;
  customers: CustomerTable;
  compiled: CompiledPlans;
  state: EvalState;
  asOfDay: number;
  /** Members by segment code, for the segments evaluated. */
  members: Map<string, BitSet>;
  /** Warnings from the fact pass, for the command to show. */
  warnings: string[];
}

/** Options of an evaluation. */
export interface EvaluateOptions {
  /** `YYYY-MM-DD`; default today in the configured zone. */
  asOf?: string;
  /** Extra definition files (a preview of an unsaved file); they replace same-path files of the folder. */
  files?: DefinitionFile[];
  /** Evaluate only these codes and what they depend on; default all. */
  codes?: string[];
  /** Reuse an opened project (and its loaded customers). */
  project?: Project;
  /** Definitions already read and validated (by the caller); otherwise they are read here. */
  definitions?: SegmentDef[];
}

/** Parses `--as-of`, or takes today in the zone. */
export function asOfDay(asOf: string | undefined, timezone: string): number {
  if (asOf === undefined) return dayInZone(timezone, Date.now());
  const day = parseDate(asOf);
  if (day === undefined) throw new UsageError(`--as-of takes a date YYYY-MM-DD, not "${asOf}"`);
  return day;
}

/** Reads and validates the definitions of the segments folder plus any extra files. */
export function loadDefinitions(config: Config, extra: DefinitionFile[] = []): SegmentDef[] {
  const cwd = process.cwd();
  const extraPaths = new Set(extra.map((f) => path.resolve(cwd, f.file)));
  const folder = readDefinitionFolder(config.segments, cwd).filter((f) => !extraPaths.has(path.resolve(cwd, f.file)));
  return parseDefinitions([...folder, ...extra]);
}

/** The definitions needed to evaluate `codes`: them and everything they reference, in dependency order. */
export function withDependencies(defs: SegmentDef[], codes: string[] | undefined): SegmentDef[] {
  if (!codes) return dependencyOrder(defs);
  const byCode = new Map(defs.map((d) => [d.code, d]));
  const need = new Set<string>();
  const add = (code: string) => {
    if (need.has(code)) return;
    const d = byCode.get(code);
    if (!d) return;
    need.add(code);
    referencedCodes(d).forEach(add);
  };
  codes.forEach(add);
  return dependencyOrder(defs.filter((d) => need.has(d.code)));
}

/** Evaluates segments and returns everything computed. */
export async function evaluateProject(config: Config, opts: EvaluateOptions = {}): Promise<Evaluation> {
  const day = asOfDay(opts.asOf, config.timezone);
  const all = opts.definitions ?? loadDefinitions(config, opts.files);
  if (opts.codes) {
    const known = new Set(all.map((d) => d.code));
    const missing = opts.codes.filter((c) => !known.has(c));
    if (missing.length) throw new DefinitionError(missing.map((c) => ({ message: `no segment with code \`${c}\``, hint: known.size ? `defined: ${[...known].sort().join(", ")}` : `no definitions in ${config.segments}` })));
  }
  const defs = withDependencies(all, opts.codes);
  const project = opts.project ?? new Project(config);
  const customers = await project.customers();
  const ctx = { asOfDay: day, timezone: config.timezone };
  const compiled = compileSegments(defs, customers, ctx);
  const facts = await computeFacts(project, compiled.specs, customers.length, config.timezone);
  const state = new EvalState(customers.length, config.timezone, facts.results);
  const members = new Map<string, BitSet>();
  for (const plan of compiled.plans) {
    const set = evaluateNode(plan.root, BitSet.full(customers.length), state);
    state.segments.set(plan.def.code, set);
    members.set(plan.def.code, set);
  }
  return { project, customers, compiled, state, asOfDay: day, members, warnings: facts.warnings };
}

/** Evaluates every defined segment; returns the member ids per code (in customer order). */
export async function evaluateAll(config: Config, opts: { asOf: string }): Promise<Map<string, string[]>> {
  const ev = await evaluateProject(config, { asOf: opts.asOf });
  const out = new Map<string, string[]>();
  for (const [code, set] of ev.members) out.set(code, set.toArray().map((i) => ev.customers.ids[i]));
  return out;
}
