/** The commander program: one registry of commands, the shared flags added once. */
import { Command } from "commander";
import { createRequire } from "node:module";
import { addSharedOptions } from "./shared-options.js";
import type { Io } from "./io.js";
import * as fields from "./commands/fields.js";
import * as preview from "./commands/preview.js";
import * as validate from "./commands/validate.js";
import * as run from "./commands/run.js";
import * as list from "./commands/list.js";
import * as history from "./commands/history.js";
import * as exporter from "./commands/export.js";
import * as rfm from "./commands/rfm.js";

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };

/** Builds the program; `io` is created once the flags are known. */
export function buildProgram(io: () => Io): Command {
  const program = new Command("segment")
    .description("Offline customer segmentation for online shops: YAML segments over your shop's exports.")
    .version(pkg.version, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .enablePositionalOptions(false)
    .exitOverride()
    // Each command's --help lists the flags every command takes, too.
    .configureHelp({ showGlobalOptions: true });
  addSharedOptions(program);
  program.addHelpText("after", `
Examples:
  $ segment fields                      # what the bundled fixtures offer to filter on
  $ segment validate --exports          # read every export, report every problem
  $ segment preview tea-repeat-offer    # count and first members, with a funnel
  $ segment run                         # compute every active segment, record who entered and left
  $ segment list                        # every segment with its members and a sparkline
  $ segment export tea-repeat-offer --out report.xlsx   # members with their fields, typed
  $ segment rfm --grid > rfm.csv        # RFM scores and named segments of every buyer

Exit codes: 0 ok, 1 bug, 2 usage/config/definition error, 3 data error, 4 locked.
Docs: README.md and docs/ in the repository.`);
  fields.register(program, io);
  validate.register(program, io);
  preview.register(program, io);
  run.register(program, io);
  list.register(program, io);
  history.register(program, io);
  exporter.register(program, io);
  rfm.register(program, io);
  return program;
}
