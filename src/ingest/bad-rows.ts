/** Counts rows that cannot be read, and either stops the command or skips them per `--max-bad-rows`. */
import { DataError, type Problem } from "../errors.js";
import type { ExportName } from "../schema/exports.js";

/** One skipped row, for `out/rejected-<export>.csv`. */
export interface RejectedRow {
  line: number | undefined;
  column: string;
  reason: string;
  raw: string;
}

/** How bad rows are treated. */
export interface BadRowPolicy {
  /** Rows that may be skipped across all exports before the command stops. */
  maxBadRows: number;
  /** Collect every problem instead of stopping at the first one over the limit (validate). */
  collectAll?: boolean;
}

/** Problems listed at most in collect mode; the rest are only counted. */
const COLLECT_LIMIT = 1000;

/** The bad rows met while reading, by export. */
export class BadRows {
  readonly problems: Problem[] = [];
  readonly rejected = new Map<ExportName, RejectedRow[]>();
  count = 0;
  /** Rows taken, by export, file and line: an export read twice (customers derived from it) counts each once. */
  private readonly seen = new Set<string>();

  constructor(readonly policy: BadRowPolicy) {}

  /** Takes one bad row: throws a DataError unless it may be skipped. */
  take(exportName: ExportName, problem: Problem, raw: string): void {
    if (problem.line !== undefined) {
      const key = `${exportName}\u0000${problem.file ?? ""}\u0000${problem.line}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    this.count++;
    if (this.policy.collectAll) {
      if (this.problems.length < COLLECT_LIMIT) this.problems.push(problem);
      return;
    }
    if (this.count > this.policy.maxBadRows) {
      const hint = problem.hint ? `${problem.hint}; ` : "";
      throw new DataError([{ ...problem, hint: `${hint}fix the row, or pass --max-bad-rows N to skip up to N bad rows` }]);
    }
    let list = this.rejected.get(exportName);
    if (!list) this.rejected.set(exportName, (list = []));
    list.push({ line: problem.line, column: problem.path ?? "", reason: problem.message, raw });
  }

  /** Throws once with every collected problem, in collect mode. */
  throwIfAny(): void {
    if (this.problems.length === 0) return;
    const more = this.count - this.problems.length;
    const problems = more > 0 ? [...this.problems, { message: `... and ${more} more bad rows` }] : this.problems;
    throw new DataError(problems);
  }
}
