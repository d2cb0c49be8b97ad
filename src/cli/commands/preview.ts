/**
 * `segment preview FILE|CODE`: the count and first members of a segment, a funnel of how
 * many customers pass each filter and group, the compiled plan (`--explain`), and for one
 * customer each filter's value and verdict (`--customer ID`). Never touches the state.
 *
 * Cost: reads the customers, then one streaming pass per fact export the segment needs.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { cellText, funnel, traceCustomer } from "../../evaluate/evaluate-plan.js";
import type { SegmentDef } from "../../segment/ast.js";
import type { DefinitionFile } from "../../segment/load-definitions.js";
import { evaluateProject, loadDefinitions, type Evaluation } from "../../segment/evaluate-all.js";
import { explainPlans } from "../../segment/explain.js";
import { formatDay } from "../../table/time.js";
import type { Io } from "../io.js";
import { reportIngest } from "../report-ingest.js";
import { configFrom, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
TARGET is a segment code from the segments folder, or a YAML file (saved or not) holding
one or more segments; a file's segments may reference the folder's.

Examples:
  $ segment preview tea-repeat-offer --as-of 2026-11-23
  $ segment preview draft.yaml --limit 20
  $ segment preview tea-repeat-offer --json --limit 0     # every member id
  $ segment preview tea-repeat-offer --explain            # the compiled plan
  $ segment preview tea-repeat-offer --customer C0011     # why is C0011 in or out?
`;

interface PreviewOptions extends GlobalOptions {
  limit?: string;
  explain?: boolean;
  customer?: string;
}

/** What preview found for one segment. */
export interface PreviewResult {
  code: string;
  count: number;
  members: string[];
}

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("preview")
    .argument("<target>", "segment code, or a YAML file with segment definitions")
    .description("count and list a segment's members now, with a per-filter funnel; touches no state")
    .option("--limit <n>", "members to list (0 with --json: all)", "10")
    .option("--explain", "print the compiled plan: kernels and shared fact aggregates")
    .option("--customer <id>", "show each filter's value and verdict for one customer")
    .addHelpText("after", HELP)
    .action(async (target: string, _opts, cmd: Command) => {
      await run(target, cmd.optsWithGlobals() as PreviewOptions, io());
    });
}

/** Runs the command. */
export async function run(target: string, opts: PreviewOptions, io: Io): Promise<PreviewResult[]> {
  const limit = Number(opts.limit ?? "10");
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit takes a whole number >= 0, not "${opts.limit}"`);
  const config = configFrom(opts);
  let files: DefinitionFile[] = [];
  let definitions: SegmentDef[] | undefined;
  let codes: string[];
  if (/\.ya?ml$/i.test(target) || (existsSync(target) && statSync(target).isFile())) {
    if (!existsSync(target)) throw new UsageError(`no such file: ${target}`);
    const file = path.relative(process.cwd(), path.resolve(target)) || target;
    files = [{ file, text: readFileSync(target, "utf8") }];
    // Parsed with the folder, so the file's segments may reference saved ones.
    definitions = loadDefinitions(config, files);
    codes = definitions.filter((d) => d.file === file).map((d) => d.code);
    if (codes.length === 0) throw new UsageError(`${target} holds no segment definitions`);
  } else codes = [target];

  const ev = await evaluateProject(config, { asOf: opts.asOf, files, codes, definitions });
  const results: PreviewResult[] = codes.map((code) => {
    const set = ev.members.get(code)!;
    const rows = set.toArray();
    const shown = opts.json && limit === 0 ? rows : rows.slice(0, limit);
    return { code, count: rows.length, members: shown.map((i) => ev.customers.ids[i]) };
  });

  reportIngest(ev.project, io);
  for (const w of ev.warnings) io.warn(w);
  if (opts.json) {
    io.out(JSON.stringify(results.length === 1 ? results[0] : results) + "\n");
    return results;
  }
  if (opts.explain) io.out(explainPlans(ev.compiled, new Set(codes)));
  for (const r of results) io.out(renderPreview(r, ev, opts.customer));
  return results;
}

function renderPreview(r: PreviewResult, ev: Evaluation, customer: string | undefined): string {
  const plan = ev.compiled.plans.find((p) => p.def.code === r.code)!;
  const lines: string[] = [];
  const def = plan.def;
  lines.push(`${def.code}: ${def.name} (${def.type}${def.active ? "" : ", inactive"}), as of ${formatDay(ev.asOfDay)} ${ev.state.timezone}`);
  lines.push(`${r.count} of ${ev.customers.length} customers`);
  lines.push("");
  lines.push("funnel (customers passing each node alone; in `all` groups, those left after it):");
  const rows = funnel(plan.root, ev.state);
  const labelWidth = Math.min(90, Math.max(...rows.map((x) => x.depth * 2 + [...x.label].length)));
  for (const x of rows) {
    const label = "  ".repeat(x.depth) + x.label;
    const cut = [...label].length > labelWidth ? [...label].slice(0, labelWidth - 1).join("") + "…" : label;
    lines.push(`  ${cut.padEnd(labelWidth)}  ${String(x.alone).padStart(7)}${x.cumulative !== undefined ? `  ${String(x.cumulative).padStart(7)} left` : ""}`);
  }
  if (customer !== undefined) {
    const row = ev.customers.index.get(customer);
    lines.push("");
    if (row === undefined) lines.push(`customer ${customer}: not found in the customers`);
    else {
      lines.push(`customer ${customer}: ${ev.members.get(r.code)!.has(row) ? "IN" : "OUT"}`);
      for (const t of traceCustomer(plan.root, row, ev.state, (col, i) => cellText(col, i, ev.state.timezone))) {
        lines.push(`  ${"  ".repeat(t.depth)}${t.pass ? "pass" : "FAIL"}  ${t.label}${t.value !== undefined ? `  = ${t.value}` : ""}`);
      }
    }
  }
  if (r.members.length) {
    lines.push("");
    lines.push(`first ${r.members.length} members: ${r.members.join(", ")}`);
  }
  return lines.join("\n") + "\n";
}
