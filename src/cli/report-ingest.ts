/** What every data-reading command says about the read: skipped rows (and where they went), orphans, facts left out. */
import { leftOutText, type Engine } from "../engine/engine.js";
import type { FactResults } from "../facts/compute-facts.js";
import type { Io } from "./io.js";

/** Moves the rejected-rows files into place (the command succeeded) and tells stderr about them, orphans and left-out facts. */
export function reportIngest(engine: Engine, io: Io, facts?: FactResults, asOf?: string): void {
  const project = engine.project;
  for (const { name, file } of engine.commitRejected()) {
    io.warn(`skipped ${project.report.skipped[name] ?? 0} unreadable ${name} rows (--max-bad-rows): see ${file}`);
  }
  const orphans = Object.entries(project.report.orphans).filter(([, n]) => n && n > 0);
  if (orphans.length) io.info(io.style.dim(`orphans (facts of unknown customers, ignored): ${orphans.map(([k, n]) => `${k} ${n}`).join(", ")}`));
  const left = facts ? leftOutText(facts.leftOut) : "";
  if (left) io.info(io.style.dim(`left out, dated after the as-of day ${asOf} (${engine.config.timezone}): ${left}`));
}
