/**
 * `segment export CODE|--all`: a segment's members (or the last run's entered or left) as
 * csv, xlsx (xls), xml, json or ndjson, one row per customer with the chosen fields.
 * From the last snapshot, or `--fresh` evaluated now; never touches the state.
 *
 * Cost: reads the customers, then one streaming pass per fact export the fields need
 * (one per export the segments need too, with --fresh). Writing streams: memory does not
 * grow with the rows.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { EXPORT_WHAT, prepareExport, writeExport, type ExportWhat } from "../../engine/export.js";
import { UsageError } from "../../errors.js";
import { PRIVATE_DIR } from "../../export/files.js";
import { stagedFileSink, streamSink, type Sink } from "../../export/sink.js";
import { extensionOf, FORMATS, openWriter, reportWarnings, type WriteReport } from "../../export/writer.js";
import { moveIntoPlace } from "../../fs-atomic.js";
import { shownPath } from "../../ingest/sources.js";
import type { Io } from "../io.js";
import { threadsOf } from "../io.js";
import { withProgress } from "../progress.js";
import { reportIngest } from "../report-ingest.js";
import { dataConfigFrom, fileFormat, splitList, type GlobalOptions } from "../shared-options.js";

/** Help text shown after the options. */
export const HELP = `
Without --out the file goes to the config's out folder: out/<code>.<ext> (out/segments.<ext>
with --all; -entered or -left added with --what). --out - writes to stdout. Without
--format, the --out file's extension picks it (csv otherwise). xls writes an .xlsx
workbook: no maintained library writes legacy .xls, and Excel opens .xlsx at once.
Files are created 0600 (they hold personal data) unless --mode says otherwise.

Examples:
  $ segment export tea-repeat-offer                          # out/tea-repeat-offer.csv
  $ segment export tea-repeat-offer --out report.xlsx        # a workbook with typed cells
  $ segment export --all --format xlsx --out segments.xlsx   # a summary sheet and one sheet each
  $ segment export vip --fields id,email,orders.count,orders.avg_check --out - | head
  $ segment export vip --what entered --format ndjson --out -
  $ segment export vip --fresh --as-of 2026-11-23 --format json --out vip.json
`;

interface ExportOptions extends GlobalOptions {
  all?: boolean;
  format?: string;
  fields?: string;
  what?: string;
  fresh?: boolean;
  raw?: boolean;
  bom?: boolean;
  delimiter?: string;
  mode?: string;
}

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("export")
    .argument("[code]", "the segment to export (or --all)")
    .description("write a segment's members with their fields as csv, xlsx, xml, json or ndjson")
    .option("--all", "every segment of the last snapshot (xlsx: one sheet each and a summary; others: a `segment` column)")
    .option("--format <format>", `${FORMATS.join(", ")} (default: from the --out extension, else csv)`)
    .option("--out <file>", "the file to write, or - for stdout (default: out/<code>.<ext>)")
    .option("--fields <list>", "fields to write, comma-separated (default: the customer columns, orders.count, orders.revenue, orders.last_at)")
    .option("--what <which>", `${EXPORT_WHAT.join(", ")}: the members, or who entered or left at the last run`, "members")
    .option("--fresh", "evaluate the segment now instead of reading the last snapshot (changes no state)")
    .option("--raw", "csv: write cells starting with = + - @ as they are (default: prefixed with ' so spreadsheets do not run them)")
    .option("--bom", "csv: start with a UTF-8 byte order mark, so Excel reads the file as UTF-8")
    .option("--delimiter <char>", "csv: the field delimiter, e.g. ';' for Excel in many European locales", ",")
    .option("--mode <octal>", "file mode of the written file", "600")
    .addHelpText("after", HELP)
    .action(async (code: string | undefined, _opts, cmd: Command) => {
      await run(code, cmd.optsWithGlobals() as ExportOptions, io());
    });
}

/** Runs the command. */
export async function run(code: string | undefined, opts: ExportOptions, io: Io): Promise<WriteReport> {
  if (opts.all && code) throw new UsageError("give a segment code or --all, not both");
  if (!opts.all && !code) throw new UsageError("which segment? give its code, or --all for every segment", "`segment list` shows the codes");
  const what = (opts.what ?? "members") as ExportWhat;
  if (!EXPORT_WHAT.includes(what)) throw new UsageError(`--what takes ${EXPORT_WHAT.join(", ")}, not "${opts.what}"`);
  const target = opts.out;
  const format = fileFormat(opts.format, target, "export");
  const mode = modeOf(opts.mode ?? "600");
  const delimiter = opts.delimiter ?? ",";
  if ([...delimiter].length !== 1 || /["\r\n]/.test(delimiter)) throw new UsageError(`--delimiter takes one character other than a quote or a line break, not ${JSON.stringify(delimiter)}`);
  if (target === "-" && extensionOf(format) === "xlsx" && (io.stdout as NodeJS.WriteStream).isTTY) {
    throw new UsageError("an xlsx workbook is binary and stdout is a terminal", "give --out FILE, or pipe the output to a file or a program");
  }
  // Here --out is the file, not the out folder: the config's out folder stays as it is.
  const config = dataConfigFrom({ ...opts, out: undefined }, io.cwd);
  const fields = opts.fields === undefined ? undefined : splitList(opts.fields);
  const prepared = await withProgress(io, "reading the exports", () => prepareExport(config, { cwd: io.cwd, now: io.now(), ...threadsOf(io) }, {
    codes: opts.all ? "all" : [code!], what, fresh: opts.fresh === true, asOf: opts.asOf, fields,
  }));
  reportIngest(prepared.engine, io, prepared.evaluation.facts, prepared.evaluation.plan.asOf);
  for (const w of prepared.evaluation.warnings) io.warn(w);

  const ext = extensionOf(format);
  const file = target === undefined || target === "-" ? target : path.resolve(io.cwd, target);
  let defaultFile: string | undefined;
  if (file === undefined) {
    defaultFile = path.join(config.out, `${opts.all ? "segments" : code}${what === "members" ? "" : `-${what}`}.${ext}`);
    mkdirSync(config.out, { recursive: true, mode: PRIVATE_DIR });
  } else if (file !== "-" && !existsSync(path.dirname(file))) {
    throw new UsageError(`no such folder: ${path.dirname(target!)}`, "create it first, or give --out another path");
  } else if (file !== "-" && existsSync(file) && statSync(file).isDirectory()) {
    throw new UsageError(`--out ${target} is a folder`, "give a file name, e.g. --out " + path.join(target!, `${code ?? "segments"}.${ext}`));
  }
  const outFile = file ?? defaultFile!;
  const options = { timezone: config.timezone, raw: opts.raw, bom: opts.bom, delimiter };
  const multiTable = ext === "xlsx";
  let report: WriteReport;
  if (outFile === "-") {
    const sink: Sink = streamSink(io.stdout as Writable);
    report = await writeExport(prepared, openWriter(format, sink, options), { multiTable, all: opts.all === true });
  } else {
    const staged = stagedFileSink(outFile, mode);
    try {
      report = await writeExport(prepared, openWriter(format, staged.sink, options), { multiTable, all: opts.all === true });
    } catch (e) {
      staged.discard();
      throw e;
    }
    moveIntoPlace([staged.staged]);
  }

  const missing = prepared.rows.missing;
  if (missing) io.warn(`${missing} exported customer${missing === 1 ? " is" : "s are"} no longer in the customers export: only the id is filled`);
  const shown = outFile === "-" ? "stdout" : shownPath(io.cwd, outFile);
  for (const w of reportWarnings(report, shown)) io.warn(w);
  const source = prepared.runId ? `the last run (${prepared.runId})` : `evaluated now, as of ${prepared.evaluation.plan.asOf}`;
  const whose = opts.all ? `${prepared.segments.length} segments` : code!;
  if (outFile !== "-") {
    const noun = what === "members" ? (report.rows === 1 ? "member" : "members") : what;
    io.info(`exported ${report.rows} ${noun} of ${whose}, from ${source}, to ${shown}`);
  }
  return report;
}

/** `--mode`: an octal file mode such as 600 or 0640. */
function modeOf(text: string): number {
  if (!/^0?[0-7]{3}$/.test(text)) throw new UsageError(`--mode takes an octal file mode such as 600 or 640, not "${text}"`);
  const mode = parseInt(text, 8);
  if ((mode & 0o600) !== 0o600) throw new UsageError(`--mode ${text} would not let you read and write the file yourself`, "give at least 600");
  return mode;
}
