/** The flags every command shares, added by one helper and read into a config. */
import path from "node:path";
import { Option, type Command } from "commander";
import { loadConfig, type Config } from "../config/load-config.js";
import { showWholeValues, UsageError } from "../errors.js";
import { extensionOf, FORMATS, type Format } from "../export/writer.js";
import { spoolStdin } from "./stdin.js";

/** Values of the shared flags, as commander gives them. */
export interface GlobalOptions {
  config?: string;
  data?: string;
  segments?: string;
  state?: string;
  out?: string;
  asOf?: string;
  timezone?: string;
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  maxBadRows?: string;
  verbose?: boolean;
  timings?: boolean;
}

/** Adds the shared flags to the program (they apply to every command). */
export function addSharedOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--config <file>", "project config (default: ./segment.config.yaml)"))
    .addOption(new Option("--data <dir>", "folder with the exports (overrides `data`)"))
    .addOption(new Option("--segments <dir>", "folder of segment definitions (overrides `segments`)"))
    .addOption(new Option("--state <dir>", "state folder (overrides `state`)"))
    .addOption(new Option("--out <dir>", "output folder (overrides `out`)"))
    .addOption(new Option("--as-of <date>", "the day taken as today, YYYY-MM-DD (default: today in the time zone)"))
    .addOption(new Option("--timezone <zone>", "IANA time zone for day boundaries (overrides `timezone`)"))
    .addOption(new Option("--max-bad-rows <n>", "skip up to N unreadable rows instead of stopping (written to out/rejected-<export>.csv)"))
    .addOption(new Option("--json", "print the result as JSON on stdout"))
    .addOption(new Option("-q, --quiet", "print nothing but errors and warnings"))
    .addOption(new Option("--verbose", "show offending values whole in messages (they are cut to 100 characters)"))
    .addOption(new Option("--timings", "print how long each phase took (reading each export, the fact pass, evaluation, state, writing) on stderr"))
    .addOption(new Option("--no-color", "no colour even on a terminal"));
}

/** Loads the config with the shared flags applied. */
export function configFrom(opts: GlobalOptions, cwd: string): Config {
  showWholeValues(opts.verbose === true);
  let maxBadRows: number | undefined;
  if (opts.maxBadRows !== undefined) {
    maxBadRows = Number(opts.maxBadRows);
    if (!Number.isInteger(maxBadRows) || maxBadRows < 0) throw new UsageError(`--max-bad-rows takes a whole number >= 0, not "${opts.maxBadRows}"`);
  }
  return loadConfig({
    config: opts.config, data: opts.data, segments: opts.segments, state: opts.state,
    out: opts.out, timezone: opts.timezone, maxBadRows,
  }, cwd);
}

/** The config of a command that reads the exports: as `configFrom`, with an export named `-` copied from standard input. */
export function dataConfigFrom(opts: GlobalOptions, cwd: string): Config {
  return spoolStdin(configFrom(opts, cwd));
}

/** Parses a comma-separated `--format` list; formats writing the same file (xls, xlsx) count once. */
export function parseFormats(text: string): Format[] {
  const out: Format[] = [];
  for (const f of splitList(text).map((s) => s.toLowerCase())) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format takes ${FORMATS.join(", ")}, not "${f}"`);
    if (!out.some((o) => extensionOf(o) === extensionOf(f as Format))) out.push(f as Format);
  }
  if (out.length === 0) throw new UsageError("--format needs at least one format");
  return out;
}

/** The one format of a command writing a file: --format, or the --out file's extension, or csv. */
export function fileFormat(flag: string | undefined, target: string | undefined, command: string): Format {
  if (flag !== undefined) {
    const formats = parseFormats(flag);
    if (formats.length > 1) throw new UsageError(`--format takes one format for ${command}, not "${flag}"`);
    return formats[0];
  }
  const ext = target && target !== "-" ? path.extname(target).slice(1).toLowerCase() : "";
  return (FORMATS as readonly string[]).includes(ext) ? (ext as Format) : "csv";
}

/** The items of a comma-separated flag value, trimmed, empty ones dropped. */
export function splitList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}
