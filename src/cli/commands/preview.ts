/**
 * `segment preview FILE|CODE`: the count and first members of a segment, a funnel of how
 * many customers pass each filter and group, the compiled plan (`--explain`), and for one
 * customer each filter's value and verdict (`--customer ID`). Never touches the state.
 *
 * Cost: reads the customers, then one streaming pass per fact export the segment needs.
 */
import { existsSync, readFileSync, statSync, watch as watchFolder } from "node:fs";
import { performance } from "node:perf_hooks";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { Engine, firstMembers, type Evaluation } from "../../engine/engine.js";
import { SegmentError, UsageError } from "../../errors.js";
import { streamSink } from "../../export/sink.js";
import { openWriter, writeTable } from "../../export/writer.js";
import { traceCustomer, type CustomerTrace, type FunnelRow } from "../../evaluate/inspect.js";
import type { Plan } from "../../segment/plan.js";
import type { SegmentDef } from "../../segment/ast.js";
import { readDefinitionFile } from "../../segment/load-definitions.js";
import { explainPlan } from "../../segment/explain.js";
import type { Io } from "../io.js";
import { threadsOf } from "../io.js";
import { withProgress } from "../progress.js";
import { fitText, textWidth, wrapText } from "../table.js";
import { reportIngest } from "../report-ingest.js";
import { dataConfigFrom, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
TARGET is a segment code from the segments folder, or a YAML file (saved or not) holding
one or more segments; a file's segments may reference the folder's.

Examples:
  $ segment preview tea-repeat-offer --as-of 2026-11-23
  $ segment preview draft.yaml --limit 20
  $ segment preview tea-repeat-offer --json --limit 0     # counts, funnel and every member id
  $ segment preview tea-repeat-offer --explain            # the bound plan, as text
  $ segment preview tea-repeat-offer --explain --json     # and the plan itself, as JSON (.plan)
  $ segment preview tea-repeat-offer --customer C0011     # why is C0011 in or out?
  $ segment preview tea-repeat-offer --format ids --limit 0 | wc -l   # every member id, one a line
  $ segment preview draft.yaml --watch                    # again on every save, from memory
`;

interface PreviewOptions extends GlobalOptions {
  watch?: boolean;
  cache?: boolean;
  limit?: string;
  explain?: boolean;
  customer?: string;
  format?: string;
}

/** Member lists for pipes: `--format`. */
const MEMBER_FORMATS = ["ids", "csv", "tsv", "json"] as const;

/** What preview found for one segment. */
export interface PreviewResult {
  code: string;
  count: number;
  members: string[];
}

/** preview --json (docs/json.md): the evaluation, one entry per segment previewed. */
export interface PreviewJson {
  as_of: string;
  timezone: string;
  /** Customers in the data. */
  customers: number;
  segments: Array<{
    code: string; name: string; type: "dynamic" | "static"; active: boolean;
    count: number;
    /** The first --limit members (all with --limit 0). */
    members: string[];
    funnel: FunnelRow[];
    /** With --customer: that customer's verdict and each node's value. */
    customer?: { id: string; found: boolean; member: boolean; trace: CustomerTrace[] };
  }>;
  /** With --explain: the bound plan. */
  plan?: Plan;
}

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("preview")
    .argument("<target>", "segment code, or a YAML file with segment definitions")
    .description("count and list a segment's members now, with a per-filter funnel; touches no state")
    .option("--limit <n>", "members to list (0 with --json: all)", "10")
    .option("--explain", "print the bound plan: each segment's tree and the shared fact aggregates (with --json: the plan as JSON)")
    .option("--customer <id>", "show each filter's value and verdict for one customer")
    .option("--format <format>", `print only the members, for a pipe: ${MEMBER_FORMATS.join(", ")} (ids: one a line; csv, tsv: with an id header; json: as --json); --limit 0 lists all`)
    .option("--watch", "with a YAML file: evaluate again on every save of it, from the data already read (Ctrl-C stops)")
    .option("--no-cache", "read the exports even when the cache (state/cache/) has what this preview needs, and write nothing there")
    .addHelpText("after", HELP)
    .action(async (target: string, _opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as PreviewOptions;
      if (opts.watch) await watch(target, opts, io());
      else await run(target, opts, io());
    });
}

/**
 * `--watch FILE`: previews the file, then again after each save of it, with one engine
 * that keeps the customers and every aggregate it has computed: a save that adds a
 * profile filter, or changes a value, is evaluated from memory; a new fact condition costs
 * one pass over that export. A definition error is shown and the watch goes on. Ends on
 * SIGINT or SIGTERM (exit 0).
 */
async function watch(target: string, opts: PreviewOptions, io: Io): Promise<void> {
  const file = path.resolve(io.cwd, target);
  if (!/\.ya?ml$/i.test(target) || !existsSync(file) || !statSync(file).isFile()) throw new UsageError(`--watch takes a YAML file of definitions, not ${JSON.stringify(target)}`, "save the segment in a file, e.g. draft.yaml, and watch that");
  if (opts.format !== undefined) throw new UsageError("--watch prints the preview report: it does not take --format");
  const config = dataConfigFrom(opts, io.cwd);
  const engine = new Engine(config, { cwd: io.cwd, now: io.now(), ...threadsOf(io) });
  engine.keepFacts();
  if (opts.cache !== false) engine.useCache();
  let last = "";
  const once = async (why: string) => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return; // between an editor's delete and its write: the next event reads it
    }
    if (text === last && why !== "start") return;
    last = text;
    const started = performance.now();
    try {
      await run(target, opts, io, engine);
      io.info(`${why}: evaluated in ${((performance.now() - started) / 1000).toFixed(2)} s; watching ${target} (Ctrl-C stops)`);
    } catch (e) {
      if (!(e instanceof SegmentError)) throw e;
      // A half-written definition is normal while editing: say what is wrong and wait for the next save.
      io.stderr.write(`${io.style.red("error")}: ${e.message}\n`);
      io.info(`watching ${target} (Ctrl-C stops)`);
    }
  };
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    // The folder is watched, not the file: editors that save by rename replace the file.
    // Watching starts before the first preview, so a save while it runs is not missed.
    const watcher = watchFolder(path.dirname(file), (_event, name) => {
      if (name !== null && name !== path.basename(file)) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        busy = busy.then(() => once(`saved ${new Date(io.now()).toISOString().slice(11, 19)}`)).catch((e) => stop(e));
      }, 100);
    });
    let busy = once("start").catch((e) => stop(e));
    const stop = (e?: unknown) => {
      clearTimeout(timer);
      watcher.close();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (e) reject(e);
      else resolve();
    };
    const onSignal = () => stop();
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** Runs the command (with `engine`: the watch's, which keeps what it has read). */
export async function run(target: string, opts: PreviewOptions, io: Io, kept?: Engine): Promise<PreviewResult[]> {
  const limit = Number(opts.limit ?? "10");
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit takes a whole number >= 0, not "${opts.limit}"`);
  const format = opts.format?.trim().toLowerCase();
  if (format !== undefined && !(MEMBER_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format takes ${MEMBER_FORMATS.join(", ")}, not "${opts.format}"`);
  if (format === "json") opts = { ...opts, json: true };
  const config = dataConfigFrom(opts, io.cwd);
  let definitions: SegmentDef[];
  let codes: string[];
  const targetPath = path.resolve(io.cwd, target);
  if (/\.ya?ml$/i.test(target) || (existsSync(targetPath) && statSync(targetPath).isFile())) {
    if (!existsSync(targetPath)) throw new UsageError(`no such file: ${target}`);
    const def = readDefinitionFile(targetPath, io.cwd);
    const file = def.file;
    // Parsed with the folder, so the file's segments may reference saved ones.
    definitions = Engine.definitions(config, io.cwd, [def]);
    codes = definitions.filter((d) => d.file === file).map((d) => d.code);
    if (codes.length === 0) throw new UsageError(`${target} holds no segment definitions`);
  } else {
    definitions = Engine.definitions(config, io.cwd);
    codes = [target];
  }

  let engine = kept;
  if (!engine) {
    engine = new Engine(config, { cwd: io.cwd, now: io.now(), ...threadsOf(io) });
    if (opts.cache !== false) engine.useCache();
  }
  // A trace evaluates the segment's filters for one customer, so it needs them evaluated, not read back.
  const reuse = opts.cache !== false && opts.customer === undefined;
  const ev = await withProgress(io, "reading the exports and evaluating", () => engine.evaluate({ definitions, codes, asOf: opts.asOf, preview: { codes, reuse } }));
  const all = limit === 0 && (opts.json || format !== undefined);
  const results: PreviewResult[] = codes.map((code) => {
    const rows = ev.state.segments.get(code)!;
    return { code, count: rows.count(), members: firstMembers(rows, ev.customers, all ? Infinity : limit) };
  });

  reportIngest(engine, io, ev.facts, ev.plan.asOf);
  for (const w of ev.warnings) io.warn(w);
  if (format === "ids" || format === "csv" || format === "tsv") {
    // Only the ids on stdout; the counts go to stderr.
    const ids = results.flatMap((r) => r.members);
    if (format === "ids") io.out(ids.map((id) => id + "\n").join(""));
    else {
      // The CSV writer of the exports, so quoting and formula neutralising are the same.
      const writer = openWriter("csv", streamSink(io.stdout as Writable), { timezone: config.timezone, delimiter: format === "csv" ? "," : "\t" });
      await writeTable(writer, { name: "members", columns: [{ name: "id", type: "id" }] }, ids.map((id) => [id]));
    }
    for (const r of results) io.info(`${r.code}: ${r.count} member${r.count === 1 ? "" : "s"}${r.members.length < r.count ? ` (${r.members.length} listed; --limit 0 lists all)` : ""}`);
    return results;
  }
  const found = previewJson(results, ev, opts.customer, opts.explain === true);
  if (opts.json) {
    io.out(JSON.stringify(found) + "\n");
    return results;
  }
  if (opts.explain) io.out(explainPlan(ev.plan, new Set(codes)));
  for (const seg of found.segments) io.out(renderPreview(seg, found, io.width));
  return results;
}

/** One previewed segment as JSON gives it, and as the text report is written from it. */
type PreviewedSegment = PreviewJson["segments"][number];

/** What preview found, per segment: counts, funnel and the customer's trace, computed once for either output. */
function previewJson(results: PreviewResult[], ev: Evaluation, customer: string | undefined, explain: boolean): PreviewJson {
  const out: PreviewJson = {
    as_of: ev.plan.asOf, timezone: ev.plan.timezone, customers: ev.customers.length,
    segments: results.map((r) => {
      const def = ev.plan.segments.find((p) => p.code === r.code)!;
      const root = ev.lowered.get(r.code)!;
      const seg: PreviewedSegment = { code: r.code, name: def.name, type: def.type, active: def.active, count: r.count, members: r.members, funnel: ev.funnels.get(r.code)! };
      if (customer !== undefined) {
        const row = ev.customers.index.get(customer);
        seg.customer = row === undefined
          ? { id: customer, found: false, member: false, trace: [] }
          : { id: customer, found: true, member: ev.state.segments.get(r.code)!.has(row), trace: traceCustomer(root, row, ev.state) };
      }
      return seg;
    }),
  };
  if (explain) out.plan = ev.plan;
  return out;
}

function renderPreview(seg: PreviewedSegment, p: PreviewJson, width: number | undefined): string {
  const lines: string[] = [];
  lines.push(...wrapText(`${seg.code}: ${seg.name} (${seg.type}${seg.active ? "" : ", inactive"}), as of ${p.as_of} ${p.timezone}`, width));
  lines.push(`${seg.count} of ${p.customers} customers`);
  lines.push("");
  lines.push(...wrapText("funnel (customers passing each node alone; in `all` groups, those left after it):", width));
  // A funnel line is the label and 25 characters of counts; on a terminal the label gives way.
  const natural = Math.max(...seg.funnel.map((x) => x.depth * 2 + textWidth(x.label)));
  const labelWidth = width === undefined ? natural : Math.max(20, Math.min(natural, width - 25));
  for (const x of seg.funnel) {
    const cut = fitText("  ".repeat(x.depth) + x.label, labelWidth);
    lines.push(`  ${cut}${" ".repeat(labelWidth - textWidth(cut))}  ${String(x.alone).padStart(7)}${x.cumulative !== undefined ? `  ${String(x.cumulative).padStart(7)} left` : ""}`);
  }
  const c = seg.customer;
  if (c) {
    lines.push("");
    if (!c.found) lines.push(`customer ${c.id}: not found in the customers`);
    else {
      lines.push(`customer ${c.id}: ${c.member ? "IN" : "OUT"}`);
      for (const t of c.trace) {
        lines.push(...wrapText(`  ${"  ".repeat(t.depth)}${t.pass ? "pass" : "FAIL"}  ${t.label}${t.value !== undefined ? `  = ${t.value}` : ""}`, width, t.depth * 2 + 8));
      }
    }
  }
  if (seg.members.length) {
    lines.push("");
    lines.push(...wrapText(seg.members.length === 1 ? `first member: ${seg.members[0]}` : `first ${seg.members.length} members: ${seg.members.join(", ")}`, width));
  }
  return lines.join("\n") + "\n";
}
