/**
 * `segment rfm`: one row per customer with a counted order (id, recency, frequency,
 * monetary, r, f, m, score, segment) through the export writers, to stdout or `--out FILE`;
 * on stderr the cut points each score used, every named segment's customers, share,
 * orders, revenue and average check, and `--grid`, the R x F grid of customer counts.
 *
 * Cost: reads the customers and one streaming pass over the orders (docs/rfm.md).
 */
import type { Command } from "commander";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { Engine } from "../../engine/engine.js";
import { UsageError } from "../../errors.js";
import { stageTable } from "../../export/files.js";
import { streamSink } from "../../export/sink.js";
import { FORMATS, openWriter, writeTable, type TableSpec } from "../../export/writer.js";
import { RFM_MEASURES, type RfmCut } from "../../facts/rfm.js";
import { AS_OF_COLUMN, RFM_COLUMNS, rfmReport, type RfmGridCell, type RfmJson } from "../../engine/rfm-report.js";
import { parseDate } from "../../schema/parse-value.js";
import { addMonths, formatDay } from "../../table/time.js";
import { moveIntoPlace } from "../../fs-atomic.js";
import { shownPath } from "../../ingest/sources.js";
import type { CellValue } from "../../table/column.js";
import type { Io } from "../io.js";
import { threadsOf } from "../io.js";
import { withProgress } from "../progress.js";
import { reportIngest } from "../report-ingest.js";
import { dataConfigFrom, fileFormat, type GlobalOptions } from "../shared-options.js";
import { renderTable } from "../table.js";

/** Help text shown after the options. */
export const HELP = `
Scores every customer with a counted order (orders whose status is not in
rfm.exclude_statuses) by recency, frequency and monetary value, 1..bins each, and names
the RFM segment of each (rfm.segments, or the default set). docs/rfm.md has the methods.

Examples:
  $ segment rfm --as-of 2026-11-23 > rfm.csv
  $ segment rfm --out rfm.xlsx --grid
  $ segment rfm --method quantile --bins 5 --json     # cut points and the summary as JSON
  $ segment rfm --as-of 2024-01-31..2024-12-31/1m > monthly.csv   # every month end, one pass, an as_of column

--as-of takes several days here: comma-separated, each a day or FROM..TO/STEP (Nd, Nw, Nm, Ny).
`;

interface RfmOptions extends GlobalOptions {
  format?: string;
  method?: string;
  bins?: string;
  grid?: boolean;
}

const METHODS = ["rank", "quantile", "thresholds"] as const;

/** Registers the command. */
export function register(program: Command, io: () => Io): void {
  program
    .command("rfm")
    .description("score every customer by recency, frequency and monetary value, with named RFM segments")
    .option("--out <file>", "write the table to FILE (its extension gives the format), or - for stdout (default)")
    .option("--format <format>", `the table's format: ${FORMATS.join(", ")} (default: from --out, else csv)`)
    .option("--method <method>", `how scores are made: ${METHODS.join(", ")} (default: the config's rfm.method)`)
    .option("--bins <n>", "scores per measure, 2..9 (default: the config's rfm.bins)")
    .option("--grid", "also draw the R x F grid of customer counts and mean monetary on stderr")
    .addHelpText("after", HELP)
    .action(async (_opts, cmd: Command) => {
      await run(cmd.optsWithGlobals() as RfmOptions, io());
    });
}

/** Runs the command. */
export async function run(opts: RfmOptions, io: Io): Promise<RfmJson> {
  const method = opts.method;
  if (method !== undefined && !(METHODS as readonly string[]).includes(method)) throw new UsageError(`--method takes ${METHODS.join(", ")}, not "${method}"`);
  const bins = opts.bins === undefined ? undefined : Number(opts.bins);
  if (bins !== undefined && (!Number.isInteger(bins) || bins < 2 || bins > 9)) throw new UsageError(`--bins takes a whole number from 2 to 9, not "${opts.bins}"`);
  // Here --out is the file, not the out folder, as for export.
  const target = opts.out ?? "-";
  const format = fileFormat(opts.format, target, "rfm");
  const config = dataConfigFrom({ ...opts, out: undefined }, io.cwd);
  const rfm = { ...(method ? { method: method as (typeof METHODS)[number] } : {}), ...(bins ? { bins } : {}) };
  if ((rfm.method ?? config.rfm.method) === "thresholds" && bins !== undefined && bins !== config.rfm.bins) {
    throw new UsageError(`--bins ${bins} with method thresholds: rfm.thresholds has ${config.rfm.bins - 1} cut points each, for ${config.rfm.bins} bins`);
  }
  if (rfm.method === "thresholds" && !config.rfm.thresholds?.recency) throw new UsageError("--method thresholds needs rfm.thresholds in the config (recency, frequency and monetary cut points)");
  if (target !== "-" && !existsSync(path.dirname(path.resolve(io.cwd, target)))) throw new UsageError(`no such folder: ${path.dirname(target)}`);

  const dates = opts.asOf === undefined ? undefined : asOfDates(opts.asOf);
  const engine = new Engine(config, { cwd: io.cwd, now: io.now(), ...threadsOf(io) });
  const report = { ...(dates && dates.length > 1 ? { dates } : { asOf: opts.asOf }), rfm, grid: opts.grid };
  const { evaluation: ev, summary: result, rows } = await withProgress(io, "reading the orders", () => rfmReport(engine, report));
  reportIngest(engine, io, ev.facts, ev.plan.asOf);
  for (const w of ev.warnings) io.warn(w);
  // Several days make one long table, the day first.
  const several = (result.dates?.length ?? 1) > 1;
  const spec: TableSpec = { name: "rfm", rowElement: "customer", columns: several ? [AS_OF_COLUMN, ...RFM_COLUMNS] : RFM_COLUMNS };
  const cells = function* (): Generator<CellValue[]> {
    for (const r of rows) {
      const values: CellValue[] = [r.id, r.recency, r.frequency, r.monetary, r.r, r.f, r.m, r.score, r.segment];
      yield several ? [parseDate(r.as_of!)!, ...values] : values;
    }
  };
  const options = { timezone: config.timezone };
  const tableToStdout = target === "-" && !opts.json;
  if (tableToStdout) await writeTable(openWriter(format, streamSink(io.stdout as Writable), options), spec, cells());
  else if (target !== "-") {
    const file = path.resolve(io.cwd, target);
    const { staged } = await stageTable(file, format, options, spec, cells());
    moveIntoPlace([staged]);
    io.info(`wrote ${rows.length} customer${rows.length === 1 ? "" : "s"} to ${shownPath(io.cwd, file)}`);
  }

  const days = result.dates ?? [result];
  for (const d of days) {
    for (const m of d.collapsed) io.warn(`rfm${several ? ` as of ${d.as_of}` : ""}: the ${m} scores collapsed: ${d.cuts[m].filter((c) => c.customers > 0).length} distinct scores for ${d.bins} bins (many equal values; see docs/rfm.md)`);
  }
  if (opts.json) io.out(JSON.stringify(result, null, 2) + "\n");
  else {
    for (const d of days) {
      io.info(`rfm as of ${d.as_of}, method ${d.method}, ${d.bins} bins: ${d.scored} of ${d.customers} customers have a counted order`);
      io.info(cutsText(d.cuts, d.method));
      io.info(renderTable(["SEGMENT", "CUSTOMERS", "SHARE", "ORDERS", "REVENUE", "AVG CHECK"], d.segments.map((s) => [
        s.code, String(s.customers), `${(s.share * 100).toFixed(1)}%`, String(s.orders), money(s.revenue), s.aov === null ? "-" : money(s.aov),
      ]), { width: io.width, shrink: [0] }).join("\n"));
      if (d.grid) io.info(gridText(d.grid, d.bins, io));
    }
  }
  return result;
}

/** Most days one `--as-of` may name. */
const MAX_DATES = 1000;

/**
 * `--as-of` for rfm: a day, or several, comma-separated, each a day or a range with a step
 * (`2024-01-01..2024-12-01/1m`: every month from the first day to the last; steps `Nd`,
 * `Nw`, `Nm`, `Ny`). Days in order, each once.
 */
export function asOfDates(text: string): string[] {
  const days = new Set<number>();
  const bad = (part: string, why: string) => new UsageError(`--as-of: ${why}: "${part}"`, "e.g. --as-of 2024-06-30, --as-of 2024-01-01,2024-07-01 or --as-of 2024-01-01..2024-12-01/1m");
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const range = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})\/(\d+)([dwmy])$/.exec(part);
    if (!range) {
      const day = parseDate(part);
      if (day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(part)) throw bad(part, "expected a day YYYY-MM-DD or a range FROM..TO/STEP");
      days.add(day);
      continue;
    }
    const from = parseDate(range[1]), to = parseDate(range[2]), n = Number(range[3]), unit = range[4];
    if (from === undefined || to === undefined) throw bad(part, "a range's ends are days YYYY-MM-DD");
    if (from > to) throw bad(part, "the range ends before it starts");
    if (n === 0) throw bad(part, "the step must be at least 1");
    for (let k = 0; ; k++) {
      const day = unit === "d" ? from + k * n : unit === "w" ? from + 7 * k * n : addMonths(from, (unit === "m" ? 1 : 12) * k * n);
      if (day > to) break;
      days.add(day);
      if (days.size > MAX_DATES) throw bad(part, `more than ${MAX_DATES} days`);
    }
  }
  if (days.size === 0) throw bad(text, "no day given");
  return [...days].sort((a, b) => a - b).map(formatDay);
}

function money(x: number): string {
  return x.toFixed(2);
}

/** The grid as text: a heat map on a terminal (background by count), plain numbers otherwise. */
function gridText(grid: RfmGridCell[], bins: number, io: Io): string {
  const max = Math.max(1, ...grid.map((c) => c.customers));
  const shades = [io.style.bgBlackBright, io.style.bgBlue, io.style.bgCyan, io.style.bgGreen, io.style.bgYellow, io.style.bgRed];
  const cell = (c: RfmGridCell) => {
    const text = `${String(c.customers).padStart(6)} ${c.mean_monetary === null ? "      -" : String(Math.round(c.mean_monetary)).padStart(7)}`;
    const shade = shades[Math.min(shades.length - 1, Math.floor((c.customers / max) * (shades.length - 1)))];
    return shade(text);
  };
  const lines = ["R x F grid: customers and mean monetary (rows r, columns f)", `     ${[...Array(bins).keys()].map((f) => `f=${f + 1}`.padStart(14)).join(" ")}`];
  for (let r = bins; r >= 1; r--) lines.push(`r=${r}  ${grid.filter((c) => c.r === r).map(cell).join(" ")}`);
  return lines.join("\n");
}

/** The cut points as lines: each score's range per measure. */
function cutsText(cuts: Record<string, RfmCut[]>, method: string): string {
  const show = (x: number) => (Number.isNaN(x) ? "-" : String(Math.round(x * 1e6) / 1e6));
  return RFM_MEASURES.map((m) => {
    const parts = cuts[m].map((c) => method === "rank" ? `${c.score}: ${show(c.lower)}..${show(c.upper)} (${c.customers})` : `${c.score}: [${show(c.lower)}, ${show(c.upper)}) (${c.customers})`);
    return `  ${m}: ${parts.join("  ")}`;
  }).join("\n");
}
