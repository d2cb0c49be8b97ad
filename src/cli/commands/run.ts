/**
 * `segment run [CODE...]`: the cron job. Evaluates the active segments (or the named ones
 * and what they depend on) in one pass over the data, records every enter and leave
 * against the previous snapshot, and writes `out/<code>/members|entered|left.<ext>`.
 * Atomic: under a lock, the new snapshot and history are written aside and committed by one
 * rename; a failed or killed run leaves the state as it was.
 *
 * Cost: reads the customers, then one streaming pass per fact export the segments need;
 * state and outputs grow with members, not with facts.
 */
import type { EventEmitter } from "node:events";
import type { Command } from "commander";
import { HookError } from "../../errors.js";
import { FORMATS } from "../../export/writer.js";
import { runSegments, summaryLine, type RunStep } from "../../engine/run.js";
import type { Io } from "../io.js";
import { threadsOf } from "../io.js";
import { Progress } from "../progress.js";
import { orphanFindings, orphanWarning } from "../report-ingest.js";
import { dataConfigFrom, parseFormats, splitList, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
Dynamic segments are recomputed every run; static ones on their first run and when their
definition changes (not for a name or description edit); inactive ones are skipped and
keep their last members. Prints one summary line on stderr (or the summary as JSON with
--json). Guards (docs/run.md) stop a run whose segments or inputs change too much: exit 3,
nothing changed, unless --force. The config's hooks.after_run gets the summary on stdin.
A day earlier than the last committed run's as-of is refused unless --allow-backdate.
Exit codes: 0 ok; 2 definition or config error, a state or out folder that cannot be used
(newer version, writable by everyone) or written (a full disk, an I/O error, a permission:
the message names the file and says whether the run committed); 3 data error or a guard;
4 another run holds the lock; 5 the run committed but its after_run hook failed.

Examples:
  $ segment run --as-of 2026-11-23
  $ segment run tea-repeat-offer          # this segment and what it references
  $ segment run --dry-run --json          # evaluate and show the summary; change nothing
  $ segment run --format csv,ndjson
  $ segment run --format xlsx --fields email,first_name   # workbooks with contact columns
`;

interface RunOptions extends GlobalOptions {
  dryRun?: boolean;
  format?: string;
  fields?: string;
  force?: boolean;
  allowBackdate?: boolean;
}

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("run")
    .argument("[codes...]", "segments to compute (default: every active one)")
    .description("evaluate the segments, record who entered and left, write members and diffs to out/")
    .option("--dry-run", "evaluate and print the summary; change no state and write no files")
    .option("--format <list>", `output formats, comma-separated: ${FORMATS.join(", ")} (xls writes an .xlsx workbook)`, "csv")
    .option("--fields <list>", "columns of the output files besides id, comma-separated (any field `export --fields` takes)")
    .option("--force", "commit even when a guard trips (max_change, min_members, max_input_drop)")
    .option("--allow-backdate", "run for an as-of day earlier than the last committed run's (a clock set back, a replay)")
    .addHelpText("after", HELP)
    .action(async (codes: string[], _opts, cmd: Command) => {
      await run(codes, cmd.optsWithGlobals() as RunOptions, io());
    });
}

/** Runs the command. */
export async function run(codes: string[], opts: RunOptions, io: Io): Promise<void> {
  const formats = parseFormats(opts.format ?? "csv");
  const config = dataConfigFrom(opts, io.cwd);
  const start = io.now();
  const abortAt = io.env.SEGMENT_TEST_ABORT_AT;
  const progress = new Progress(io, "starting");
  const checkpoint = (step: RunStep) => {
    // Test-only: die here as a crash or `kill -9` would, with no cleanup at all.
    if (abortAt && step === abortAt) process.kill(process.pid, "SIGKILL");
    // Test-only, free when nobody listens: the fault shim (test/faults/shim.mjs) counts file operations per step.
    (process as EventEmitter).emit("segment:run-step", step);
    const text = PHASES[step];
    if (text) progress.say(text);
  };
  const { summary, engine, hook } = await runSegments(config, {
    cwd: io.cwd, now: start, ...threadsOf(io), pid: process.pid, clock: () => performance.now(), warn: (m) => io.warn(m), checkpoint,
    hookOutput: (chunk) => io.stderr.write(chunk),
  }, { codes: codes.length ? codes : undefined, asOf: opts.asOf, dryRun: opts.dryRun, force: opts.force, allowBackdate: opts.allowBackdate, formats, fields: opts.fields === undefined ? undefined : splitList(opts.fields) }).finally(() => progress.stop());
  if (!opts.dryRun) {
    for (const { name, file } of engine.commitRejected()) io.warn(`skipped ${engine.project.report.skipped[name] ?? 0} unreadable ${name} rows (--max-bad-rows): see ${file}`);
  }
  // Orphans are in the summary line; an export whose facts mostly join no customer is said aloud.
  for (const r of orphanFindings(engine).tooMany) io.warn(orphanWarning(r, config.maxOrphanShare));
  for (const g of summary.guards_tripped) io.warn(`${opts.dryRun ? "guard would trip" : "guard overridden with --force"}: ${g}`);
  // A failed hook is in the JSON summary (the run is committed), and no error object follows it.
  if (opts.json) io.out(JSON.stringify(hook ? { ...summary, hook_error: hook } : summary, null, 2) + "\n");
  else io.info(summaryLine(summary));
  if (hook) {
    const err = new HookError(hook);
    err.printedAsJson = opts.json === true;
    throw err;
  }
}

const PHASES: Partial<Record<RunStep, string>> = {
  locked: "reading the exports and evaluating the segments",
  evaluated: "writing the members, the diffs, the snapshot and the history",
  "outputs-staged": "committing the snapshot",
  committed: "moving the files into place",
};

