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
import { RFM_COLUMNS, rfmReport, type RfmGridCell, type RfmJson } from "../../engine/rfm-report.js";
import { moveIntoPlace } from "../../fs-atomic.js";
import { shownPath } from "../../ingest/sources.js";
import type { CellValue } from "../../table/column.js";
import type { Io } from "../io.js";
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

  const engine = new Engine(config, { cwd: io.cwd, now: io.now() });
  const { evaluation: ev, summary: result, rows } = await withProgress(io, "reading the orders", () => rfmReport(engine, { asOf: opts.asOf, rfm, grid: opts.grid }));
  reportIngest(engine, io, ev.facts, ev.plan.asOf);
  for (const w of ev.warnings) io.warn(w);
  const spec: TableSpec = { name: "rfm", rowElement: "customer", columns: RFM_COLUMNS };
  const cells = function* (): Generator<CellValue[]> {
    for (const r of rows) yield [r.id, r.recency, r.frequency, r.monetary, r.r, r.f, r.m, r.score, r.segment];
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

  for (const m of result.collapsed) io.warn(`rfm: the ${m} scores collapsed: ${result.cuts[m].filter((c) => c.customers > 0).length} distinct scores for ${result.bins} bins (many equal values; see docs/rfm.md)`);
  if (opts.json) io.out(JSON.stringify(result, null, 2) + "\n");
  else {
    io.info(`rfm as of ${result.as_of}, method ${result.method}, ${result.bins} bins: ${result.scored} of ${result.customers} customers have a counted order`);
    io.info(cutsText(result.cuts, result.method));
    io.info(renderTable(["SEGMENT", "CUSTOMERS", "SHARE", "ORDERS", "REVENUE", "AVG CHECK"], result.segments.map((s) => [
      s.code, String(s.customers), `${(s.share * 100).toFixed(1)}%`, String(s.orders), money(s.revenue), s.aov === null ? "-" : money(s.aov),
    ]), { width: io.width, shrink: [0] }).join("\n"));
    if (result.grid) io.info(gridText(result.grid, result.bins, io));
  }
  return result;
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
