/** What every data-reading command says about the read: skipped rows (and where they went) and orphans. */
import type { Project } from "../ingest/project.js";
import type { Io } from "./io.js";

/** Writes the rejected-rows files and tells stderr about them and about orphan facts. */
export function reportIngest(project: Project, io: Io): void {
  project.writeRejected().forEach(({ name, file }) => {
    io.warn(`skipped ${project.report.skipped[name] ?? 0} unreadable ${name} rows (--max-bad-rows): see ${file}`);
  });
  const orphans = Object.entries(project.report.orphans).filter(([, n]) => n && n > 0);
  if (orphans.length) io.info(io.style.dim(`orphans (facts of unknown customers, ignored): ${orphans.map(([k, n]) => `${k} ${n}`).join(", ")}`));
}
