/**
 * Orphans (facts whose customer id is not among the customers) as the user should hear of
 * them: how many of how many, a few example ids, and, when most of an export's facts are
 * orphans, the likely cause, found by trying the usual ways ids go wrong on the examples.
 */
import type { FactExportName } from "../schema/exports.js";
import type { CustomerTable, IngestReport } from "./project.js";
import { dropDecimalZeros } from "./typed-batch.js";

/** The orphans of one export. */
export interface OrphanReport {
  name: FactExportName;
  orphans: number;
  /** Facts read (orders, when orders come from line items). */
  rows: number;
  /** orphans / rows. */
  share: number;
  examples: string[];
  /** Why the ids do not join, when the examples show it. */
  cause?: string;
  /** What to do about it. */
  hint?: string;
}

/**
 * One report per fact export with orphans; with the likely cause, where the examples tell
 * it, for those whose share is past `explainPast` (the others are not warned of, and
 * looking builds the customer id index).
 */
export function orphanReports(report: IngestReport, customers: CustomerTable, explainPast = -1): OrphanReport[] {
  const out: OrphanReport[] = [];
  for (const [name, orphans] of Object.entries(report.orphans) as Array<[FactExportName, number]>) {
    if (!orphans) continue;
    const rows = report.rows[name] ?? orphans;
    const examples = report.orphanExamples[name] ?? [];
    const share = rows ? orphans / rows : 0;
    out.push({ name, orphans, rows, share, examples, ...(share > explainPast ? likelyCause(name, examples, customers) : {}) });
  }
  return out;
}

/** Tries the usual ways ids go wrong between two exports on the examples. */
function likelyCause(name: string, examples: string[], customers: CustomerTable): { cause?: string; hint?: string } {
  const known = (id: string) => customers.index.has(id);
  const first = (test: (id: string) => string | undefined) => {
    for (const id of examples) {
      const other = test(id);
      if (other !== undefined && known(other)) return { id, other };
    }
    return undefined;
  };
  const float = first((id) => (dropDecimalZeros(id) !== id ? dropDecimalZeros(id) : undefined));
  if (float) {
    return {
      cause: `the ${name} export writes customer ids as decimals ("${float.id}") where the customers export has "${float.other}": a spreadsheet turned them into numbers`,
      hint: "set `ids: { drop_decimal_zeros: true }` in the config (docs/data.md), or export the ids as text",
    };
  }
  const zeros = first((id) => (/^0+\d/.test(id) ? id.replace(/^0+(?=\d)/, "") : undefined)) ?? first((id) => {
    for (const width of [5, 6, 8, 10]) if (/^\d+$/.test(id) && id.length < width && known(id.padStart(width, "0"))) return id.padStart(width, "0");
    return undefined;
  });
  if (zeros) {
    return {
      cause: `the ids differ in leading zeros ("${zeros.id}" in ${name}, "${zeros.other}" in customers): a spreadsheet dropped them in one of the exports`,
      hint: "export both with the ids as text, keeping the zeros",
    };
  }
  const folded = first((id) => {
    const t = id.trim().toLowerCase();
    for (const c of customers.ids.slice(0, 100_000)) if (c.trim().toLowerCase() === t && c !== id) return c;
    return undefined;
  });
  if (folded) {
    return { cause: `the ids differ in case or spaces ("${folded.id}" in ${name}, "${folded.other}" in customers)`, hint: "export the ids alike from both systems" };
  }
  return { cause: customers.derived ? undefined : `none of the examples is a customer id: the exports may come from different systems, or the customers export is older than the ${name}`, hint: "compare the ids of the two exports; map the right column with sources.<export>.columns.customer_id" };
}

/** `orders 2 of 10 (20%; e.g. "17850.0", "13047.0")`. */
export function orphanText(r: OrphanReport): string {
  const pct = Math.round(r.share * 1000) / 10;
  const eg = r.examples.length ? `; e.g. ${r.examples.slice(0, 3).map((e) => JSON.stringify(e)).join(", ")}` : "";
  return `${r.name} ${r.orphans} of ${r.rows} (${pct}%${eg})`;
}
