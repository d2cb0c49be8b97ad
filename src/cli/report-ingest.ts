/** What every data-reading command says about the read: skipped rows (and where they went), orphans, facts left out. */
import { leftOutText, type Engine } from "../engine/engine.js";
import type { FactResults } from "../facts/compute-facts.js";
import { orphanReports, orphanText, type OrphanReport } from "../ingest/orphans.js";
import type { Io } from "./io.js";
import type { FactExportName } from "../schema/exports.js";
import { TABLE_OF } from "../segment/fields.js";

/** Moves the rejected-rows files into place (the command succeeded) and tells stderr about them, orphans, left-out facts and items of no order. */
export function reportIngest(engine: Engine, io: Io, facts?: FactResults, asOf?: string): void {
  const project = engine.project;
  for (const { name, file } of engine.commitRejected()) {
    io.warn(`skipped ${project.report.skipped[name] ?? 0} unreadable ${name} rows (--max-bad-rows): see ${file}`);
  }
  reportOrphans(engine, io);
  const left = facts ? leftOutText(facts.leftOut) : "";
  if (left) io.info(io.style.dim(`left out, dated after the as-of day ${asOf} (${engine.config.timezone}): ${left}`));
  if (facts && facts.unmatchedItems > 0) io.info(io.style.dim(`items of no order (order_items rows whose order_id is empty or not in the orders export, ignored): ${facts.unmatchedItems}`));
}

/** The orphans of a read: every export's, and those past max_orphan_share (never when the customers come from the facts). */
export function orphanFindings(engine: Engine): { reports: OrphanReport[]; tooMany: OrphanReport[] } {
  const customers = engine.project.loadedCustomers;
  if (!customers) return { reports: [], tooMany: [] };
  const maxShare = engine.config.maxOrphanShare;
  const reports = orphanReports(engine.project.report, customers, customers.derived ? Infinity : maxShare);
  return { reports, tooMany: customers.derived ? [] : reports.filter((r) => r.share > maxShare) };
}

/** The orphans of a read: one dim line, and a loud warning for an export past max_orphan_share. */
export function reportOrphans(engine: Engine, io: Io, found = orphanFindings(engine), verb = "ignored"): void {
  if (found.reports.length) io.info(io.style.dim(`orphans (facts of unknown customers, ${verb}): ${found.reports.map(orphanText).join(", ")}`));
  for (const r of found.tooMany) io.warn(orphanWarning(r, engine.config.maxOrphanShare));
}

/** What is wrong with an export whose facts mostly name no known customer, and what to do. */
export function orphanProblem(r: OrphanReport, maxShare: number): { message: string; hint?: string } {
  const pct = Math.round(r.share * 1000) / 10;
  const message = `${pct}% of the ${r.name} name customers that are not in the customers export (more than max_orphan_share ${Math.round(maxShare * 1000) / 10}%)` + (r.cause ? `: ${r.cause}` : "");
  return { message, hint: r.hint };
}

/** The loud warning for such an export: the problem, and the hint on the next line. */
export function orphanWarning(r: OrphanReport, maxShare: number): string {
  const p = orphanProblem(r, maxShare);
  return p.hint ? `${p.message}\n  ${p.hint}` : p.message;
}

/** The fact columns read into nothing, for `fields` and `validate`: one line, or none. */
export function reportIgnored(engine: Engine, io: Io): Record<string, string[]> {
  const ignored = ignoredColumns(engine);
  const parts = Object.entries(ignored).map(([name, cols]) => `${name}: ${cols.map((c) => JSON.stringify(c)).join(", ")}`);
  if (parts.length) {
    io.info(`ignored columns (their name is a field's already, or a repeat): ${parts.join("; ")}`);
    io.info(io.style.dim("  map one in sources.<export>.columns to use it, or list it in sources.<export>.ignore to say it is not wanted"));
  }
  return ignored;
}

/** Source columns read into nothing, per export that has any. */
export function ignoredColumns(engine: Engine): Record<string, string[]> {
  return Object.fromEntries(Object.entries(engine.project.report.ignored).filter(([, cols]) => cols && cols.length)) as Record<string, string[]>;
}

/** The fact exports' own columns and the field each is (`Country` -> `orders.country`), per export that has any. */
export function customFactColumns(engine: Engine): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, cols] of Object.entries(engine.project.report.extra)) {
    if (cols && cols.length) out[name] = Object.fromEntries(cols.map((c) => [c.header, `${TABLE_OF[name as FactExportName]}.${c.name}`]));
  }
  return out;
}

/** The fact exports' own columns, as the fields they are: one line, or none. */
export function reportCustomColumns(engine: Engine, io: Io): void {
  const parts = Object.entries(customFactColumns(engine)).map(([name, cols]) => `${name}: ${Object.entries(cols).map(([h, f]) => `${JSON.stringify(h)} as ${f}`).join(", ")}`);
  if (parts.length) io.info(io.style.dim(`custom fact columns (usable in filters and where): ${parts.join("; ")}`));
}
