/** The process entry: parses argv, runs the command, maps errors to exit codes. The only process.exit. */
import { CommanderError } from "commander";
import { EXIT, SegmentError, type Problem } from "../errors.js";
import { makeIo, wantsColour, type Io } from "./io.js";
import { buildProgram } from "./program.js";
import { phases, phaseTable } from "../timings.js";

/** Runs the CLI and exits with the code of CLI.md. */
export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`segment fields | head`) is a normal end, not a failure.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT.ok);
  });
  let io: Io | undefined;
  const getIo = (): Io => {
    if (!io) {
      const flags = program.opts<{ quiet?: boolean; color?: boolean }>();
      const quiet = flags.quiet === true;
      io = makeIo({ quiet, color: wantsColour(process.env, process.stderr.isTTY === true, flags.color === false, quiet) });
    }
    return io;
  };
  const program = buildProgram(getIo);
  let finished = false;
  // If the event loop empties while a command still awaits, a promise was left hanging:
  // that is a bug, and must not pass for success.
  process.on("beforeExit", () => {
    if (!finished) {
      process.stderr.write("bug: the command stopped without finishing (a stream was left waiting)\n");
      process.exit(EXIT.bug);
    }
  });
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // --json may come anywhere on the line, and before commander has parsed it.
    code = report(e, getIo(), program.opts<{ json?: boolean }>().json === true || argv.includes("--json"));
  }
  finished = true;
  if (program.opts<{ timings?: boolean }>().timings === true) getIo().stderr.write(phaseTable(phases()));
  process.exitCode = code;
}

/** Tells stderr what went wrong and, with --json, stdout too (docs/json.md); returns the exit code. */
function report(e: unknown, io: Io, json: boolean): number {
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT.ok;
    // Commander has told stderr already.
    if (json) printJsonError(io, "usage", EXIT.usage, e.message.replace(/^error: /, ""), []);
    return EXIT.usage;
  }
  if (e instanceof SegmentError) {
    io.stderr.write(`${io.style.red("error")}: ${e.message}\n`);
    if (json && !e.printedAsJson) printJsonError(io, e.kind, e.exitCode, e.message.split("\n")[0].replace(/:$/, ""), e.problems);
    return e.exitCode;
  }
  const err = e as Error;
  io.stderr.write(`${io.style.red("bug")}: ${err?.stack ?? String(e)}\nThis is a bug in segment: please report it with the command you ran.\n`);
  if (json) printJsonError(io, "bug", EXIT.bug, String(err?.message ?? e), []);
  return EXIT.bug;
}

/** The error object of docs/json.md, on one line of stdout. */
function printJsonError(io: Io, kind: string, exit: number, message: string, problems: Problem[]): void {
  io.stdout.write(JSON.stringify({ ok: false, error: { kind, exit_code: exit, message, problems } }) + "\n");
}
