/**
 * `segment validate [FILE...] [--exports]`: checks the config and the segment definitions
 * (the folder's, plus any files named); with `--exports` also reads every export through,
 * reports every problem against DATA.md and the mapping, and checks the definitions against
 * the data (custom fields and their inferred types).
 *
 * Cost: without --exports, reads no data; with it, one streaming pass over every export.
 */
import type { Command } from "commander";
import path from "node:path";
import { DataError, DefinitionError, SegmentError, type Problem } from "../../errors.js";
import { Engine } from "../../engine/engine.js";
import { readDefinitionFile, type DataColumns } from "../../segment/load-definitions.js";
import { orphanText } from "../../ingest/orphans.js";
import { EXPORT_NAMES, type FactExportName } from "../../schema/exports.js";
import { customFactColumns, ignoredColumns, orphanFindings, orphanProblem, reportCustomColumns, reportIgnored } from "../report-ingest.js";
import type { Io } from "../io.js";
import { withProgress } from "../progress.js";
import { dataConfigFrom, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
Exit codes: 0 all good; 2 a config or definition problem; 3 a data problem (every one
is listed).

Examples:
  $ segment validate                      # config and every definition in the segments folder
  $ segment validate draft.yaml           # also a file not yet in the folder
  $ segment validate --exports            # and every row of every export
  $ segment validate --exports --json
`;

interface ValidateOptions extends GlobalOptions {
  exports?: boolean;
}

/** What validate found. */
export interface ValidateResult {
  ok: boolean;
  /** The definitions checked, valid ones: code, name and file. */
  segments: Array<{ code: string; name: string; file: string }>;
  rows: Record<string, number>;
  orphans: Record<string, number>;
  /** Bad rows past those listed in `problems` (only counted). */
  more_bad_rows?: number;
  /** Fact columns read into nothing (their name is taken, or repeated), per export. */
  ignored?: Record<string, string[]>;
  /** The fact exports' own columns and the field each is, per export: `{ "order_items": { "Country": "orders.country" } }`. */
  custom_columns?: Record<string, Record<string, string>>;
  /** A few customer ids of orphan facts, per export. */
  orphan_examples?: Record<string, string[]>;
  problems: Problem[];
}

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("validate")
    .argument("[files...]", "definition files to check besides the segments folder")
    .description("check the config and the definitions, and with --exports every export")
    .option("--exports", "also read every export through and check each row")
    .addHelpText("after", HELP)
    .action(async (files: string[], _opts, cmd: Command) => {
      await run(cmd.optsWithGlobals() as ValidateOptions, io(), files);
    });
}

/** Runs the command; throws a DataError listing every problem when the exports have any. */
export async function run(opts: ValidateOptions, io: Io, files: string[] = []): Promise<ValidateResult> {
  const config = dataConfigFrom(opts, io.cwd);
  const extra = files.map((f) => readDefinitionFile(path.resolve(io.cwd, f), io.cwd));
  // Every definition problem at once: those of the files, then those against the data's
  // schema (custom fields exist and take the operators used on them) whenever the data is
  // there; without --exports only the customers export is read for that.
  let engine: Engine | undefined;
  try {
    engine = new Engine(config, { cwd: io.cwd, now: io.now() }, opts.exports ? { maxBadRows: 0, collectAll: true } : undefined);
  } catch (e) {
    if (opts.exports || !(e instanceof SegmentError)) throw e;
    io.info(io.style.dim(`definitions not checked against the data: ${e.message.split("\n")[0]}`));
  }
  // The fact exports' headers tell which custom fact columns there are (a broken export leaves that to bind).
  let data: DataColumns | undefined;
  try {
    data = engine ? await engine.dataColumns() : undefined;
  } catch (e) {
    if (!(e instanceof SegmentError)) throw e;
  }
  const { defs, problems: defProblems } = Engine.checkDefinitions(config, io.cwd, extra, data);
  const result: ValidateResult = { ok: true, segments: defs.map((d) => ({ code: d.code, name: d.name, file: d.file })), rows: {}, orphans: {}, problems: [] };
  let found: ReturnType<typeof orphanFindings> = { reports: [], tooMany: [] };
  let customersFailed = false;
  if (engine) {
    try {
      if (defs.length) await engine.plan({ definitions: defs, asOf: opts.asOf });
    } catch (e) {
      if (e instanceof DefinitionError) defProblems.push(...e.problems);
      else if (!(e instanceof DataError)) throw e;
      else {
        customersFailed = true;
        if (opts.exports) result.problems.push(...e.problems);
        else io.info(io.style.dim("custom fields not checked against the data: the customers export has problems (validate --exports lists them)"));
      }
    }
  }
  if (defProblems.length) throw new DefinitionError(defProblems.sort(byPlace));
  if (opts.exports && engine) {
    const project = engine.project;
    if (!customersFailed) {
      try {
        // The checks against the schema were made above; reading every row is the rest.
        await withProgress(io, "reading the customers", async (progress) => {
          await project.customers();
          for (const name of EXPORT_NAMES) {
            if (name === "customers") continue;
            if (!project.hasFacts(name)) continue;
            progress.say(`reading ${name}`);
            for await (const _batch of project.facts(name as FactExportName)) { /* reading is the check */ }
          }
        });
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
        result.problems.push(...e.problems);
      }
    }
    result.problems.push(...project.bad.problems);
    // Past the first 1,000 bad rows the rest are counted, not listed.
    if (project.bad.count > project.bad.problems.length) result.more_bad_rows = project.bad.count - project.bad.problems.length;
    result.rows = { ...project.report.rows } as Record<string, number>;
    result.orphans = { ...project.report.orphans } as Record<string, number>;
    result.ignored = ignoredColumns(engine);
    result.custom_columns = customFactColumns(engine);
    found = orphanFindings(engine);
    if (project.loadedCustomers) result.orphan_examples = Object.fromEntries(found.reports.map((r) => [r.name, r.examples]));
    // Most facts of an export naming no known customer is a data problem: the join is broken.
    for (const r of found.tooMany) {
      result.problems.push({ file: project.sources[r.name === "orders" && project.report.ordersFromItems ? "order_items" : r.name]?.display, ...orphanProblem(r, config.maxOrphanShare) });
    }
  }
  result.ok = result.problems.length === 0;
  if (opts.json) io.out(JSON.stringify(result, null, 2) + "\n");
  else {
    const checked = opts.exports ? Object.entries(result.rows).map(([k, n]) => `${k} ${n} rows`).join(", ") : "";
    if (result.ok) io.info(`${io.style.green("ok")}: config ${config.file ?? "(defaults)"}; ${defs.length} segment${defs.length === 1 ? "" : "s"}${checked ? `; ${checked}` : ""}`);
    if (engine) reportIgnored(engine, io);
    if (engine && opts.exports) reportCustomColumns(engine, io);
    if (found.reports.length) io.info(`orphans (facts of unknown customers, not an error below max_orphan_share): ${found.reports.map(orphanText).join(", ")}`);
  }
  if (!result.ok) {
    // The problems are printed by the exit point, once, whether --json or not.
    const err = new DataError(result.more_bad_rows ? [...result.problems, { message: `... and ${result.more_bad_rows} more bad rows` }] : result.problems);
    err.printedAsJson = opts.json === true;
    throw err;
  }
  return result;
}

/** Problems in file and line order, so one file's are together. */
function byPlace(a: Problem, b: Problem): number {
  const fa = a.file ?? "", fb = b.file ?? "";
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
}
