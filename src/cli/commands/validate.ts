/**
 * `segment validate [--exports]`: checks the config and, with `--exports`, reads every
 * export through and reports every problem against DATA.md and the mapping.
 *
 * Cost: with --exports, one streaming pass over every export; memory grows with customers.
 */
import type { Command } from "commander";
import { DataError, type Problem } from "../../errors.js";
import { Project } from "../../ingest/project.js";
import { EXPORT_NAMES, type FactExportName } from "../../ingest/schema.js";
import type { Io } from "../io.js";
import { configFrom, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
Exit codes: 0 all good; 2 a config problem; 3 a data problem (every one is listed).

Examples:
  $ segment validate
  $ segment validate --exports
  $ segment validate --exports --json
`;

interface ValidateOptions extends GlobalOptions {
  exports?: boolean;
}

/** What validate found. */
export interface ValidateResult {
  ok: boolean;
  rows: Record<string, number>;
  orphans: Record<string, number>;
  problems: Problem[];
}

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("validate")
    .description("check the config, and with --exports every export against DATA.md and the mapping")
    .option("--exports", "also read every export through and check each row")
    .addHelpText("after", HELP)
    .action(async (_opts, cmd: Command) => {
      await run(cmd.optsWithGlobals() as ValidateOptions, io());
    });
}

/** Runs the command; throws a DataError listing every problem when the exports have any. */
export async function run(opts: ValidateOptions, io: Io): Promise<ValidateResult> {
  const config = configFrom(opts);
  const result: ValidateResult = { ok: true, rows: {}, orphans: {}, problems: [] };
  if (opts.exports) {
    const project = new Project(config, { maxBadRows: 0, collectAll: true });
    try {
      await project.customers();
      for (const name of EXPORT_NAMES) {
        if (name === "customers") continue;
        if (!project.hasFacts(name)) continue;
        for await (const _batch of project.facts(name as FactExportName)) { /* reading is the check */ }
      }
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      result.problems.push(...e.problems);
    }
    result.problems.push(...project.bad.problems);
    if (project.bad.count > project.bad.problems.length) result.problems.push({ message: `... and ${project.bad.count - project.bad.problems.length} more bad rows` });
    result.rows = { ...project.report.rows } as Record<string, number>;
    result.orphans = { ...project.report.orphans } as Record<string, number>;
  }
  result.ok = result.problems.length === 0;
  if (opts.json) io.out(JSON.stringify(result, null, 2) + "\n");
  else {
    const checked = opts.exports ? Object.entries(result.rows).map(([k, n]) => `${k} ${n} rows`).join(", ") : "";
    if (result.ok) io.info(`${io.style.green("ok")}: config ${config.file ?? "(defaults)"}${checked ? `; ${checked}` : ""}`);
    const orphans = Object.entries(result.orphans).filter(([, n]) => n > 0);
    if (orphans.length) io.info(`orphans (facts of unknown customers, not an error): ${orphans.map(([k, n]) => `${k} ${n}`).join(", ")}`);
  }
  if (!result.ok) {
    // The problems are printed by the exit point, once, whether --json or not.
    throw new DataError(result.problems);
  }
  return result;
}
