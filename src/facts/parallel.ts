/**
 * The fact pass on several cores: the fact tables are independent until their aggregates
 * are evaluated, so each lane of threads reads and aggregates its own tables. The main
 * thread takes orders (and the item join); worker threads (pass-worker.ts) take the rest,
 * each with its own Project over the same config, joined to the customers by their ids.
 * Workers send back typed arrays (moved, not copied), what their reads reported, and their
 * phase timings. A worker's error is thrown again here as the same kind of error.
 *
 * It stays on one thread when there is one core or one table, when the compiled worker is
 * not there (the tests run the sources), or when bad rows may be skipped: --max-bad-rows
 * counts bad rows across every export, in the order they are read.
 */
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { DataError, SegmentError, shownWholeValues, type Problem } from "../errors.js";
import { bytesOf, inExportOrder, type AdoptedCustomers, type Project } from "../ingest/project.js";
import { idIndexParts } from "../table/id-index.js";
import type { ExportName } from "../schema/exports.js";
import { EXPORTS_OF, FACT_EXPORT, FACT_TABLES, type FactTable } from "../segment/fields.js";
import type { Plan } from "../segment/plan.js";
import type { ValueType } from "../table/value-type.js";
import { emptyResult, type AggResult } from "./aggregates.js";
import { computeFacts, type FactResults } from "./compute-facts.js";

const WORKER = new URL("./pass-worker.js", import.meta.url);
/** Below this many bytes of exports for the workers, one thread does it all. */
export const MIN_PARALLEL_BYTES = 32 << 20;

/** What a worker is given (structured-cloned). */
export interface WorkerInput {
  config: Project["config"];
  cwd: string;
  taken: Partial<Record<string, string[]>>;
  types: Partial<Record<ExportName, Record<string, ValueType>>>;
  customers: AdoptedCustomers;
  plan: Plan;
  tables: FactTable[];
  wholeValues: boolean;
}

/** What a worker sends back. */
export type WorkerOutput =
  | {
    ok: true;
    results: Array<[number, AggResult]>;
    leftOut: FactResults["leftOut"];
    unmatchedItems: number;
    warnings: string[];
    report: Project["report"];
    phases: Array<{ name: string; start: number; end: number; detail: unknown }>;
    timeOrigin: number;
  }
  | { ok: false; kind: string; exitCode: number; message: string; problems: Problem[]; stack?: string };

/** A class for an error a worker reported, with its kind and exit code. */
class WorkerSegmentError extends SegmentError {
  constructor(readonly kind: string, exitCode: number, message: string, problems: Problem[]) {
    super(exitCode, message, problems);
  }
}

/** The fact pass of `plan` on up to `threads` threads (see the file comment). */
export async function computeFactsParallel(project: Project, plan: Plan, threads: number, minBytes = MIN_PARALLEL_BYTES): Promise<FactResults> {
  const customers = project.loadedCustomers!;
  const needed = FACT_TABLES.filter((t) => plan.aggregates.some((a) => a.table === t) && project.hasFacts(FACT_EXPORT[t]));
  const serial = threads < 2 || needed.length < 2 || !existsSync(fileURLToPath(WORKER)) || project.bad.policy.maxBadRows > 0 || project.bad.policy.collectAll === true;
  if (serial) return computeFacts(project, plan, customers.length);
  const lanes = planLanes(project, needed, threads);
  // Starting a worker costs about 0.1 s: not worth it for small exports.
  if (lanes.length < 2 || lanes.slice(1).flat().reduce((n, t) => n + tableBytes(project, t), 0) < minBytes) return computeFacts(project, plan, customers.length);
  const mine = lanes[0];
  // Numbered ids go as their index's typed arrays: a million ids cost about a second to clone and index again.
  const parts = idIndexParts(customers.index);
  const adopted: AdoptedCustomers = parts ? { length: customers.length, parts } : { length: customers.length, ids: customers.ids };
  const input = (tables: FactTable[]): WorkerInput => ({
    config: project.config, cwd: project.cwd, taken: Object.fromEntries(Object.entries(project.taken).map(([k, v]) => [k, [...(v ?? [])]])),
    types: project.inferredTypes, customers: adopted, plan, tables, wholeValues: shownWholeValues(),
  });
  const workers = lanes.slice(1).map((tables) => runWorker(input(tables)));
  // Every worker is awaited even when one fails, so none is left running.
  const [main, ...others] = await Promise.allSettled([computeFacts(project, plan, customers.length, mine), ...workers]);
  const failed = [main, ...others].find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const out = (main as PromiseFulfilledResult<FactResults>).value;
  others.forEach((r, k) => merge(project, out, (r as PromiseFulfilledResult<Extract<WorkerOutput, { ok: true }>>).value, k + 1));
  // Aggregates of tables with no export: empty, as the serial pass has them.
  for (const a of plan.aggregates) if (!out.results.has(a.id)) out.results.set(a.id, emptyResult(customers.length, a.measures));
  return out;
}

/**
 * Tables per lane: orders (the item join's reads are the largest) in the main thread, the
 * others to the lanes with the fewest bytes so far, largest first.
 */
function planLanes(project: Project, tables: FactTable[], threads: number): FactTable[][] {
  const bytes = (t: FactTable) => tableBytes(project, t);
  const lanes: FactTable[][] = Array.from({ length: Math.min(threads, tables.length) }, () => []);
  const load = lanes.map(() => 0);
  const sorted = [...tables].sort((a, b) => (a === "orders" ? -1 : b === "orders" ? 1 : bytes(b) - bytes(a)));
  for (const t of sorted) {
    const k = load.indexOf(Math.min(...load));
    lanes[k].push(t);
    load[k] += bytes(t);
  }
  return lanes.filter((l) => l.length > 0);
}

/** The bytes on disk of the exports a fact table reads. */
function tableBytes(project: Project, t: FactTable): number {
  return EXPORTS_OF[t].reduce((n, [e]) => n + (project.sources[e] ? bytesOf(project.sources[e]) : 0), 0);
}

function runWorker(input: WorkerInput): Promise<Extract<WorkerOutput, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: input });
    let settled = false;
    worker.once("message", (msg: WorkerOutput) => {
      settled = true;
      if (msg.ok) resolve(msg);
      else if (msg.kind === "bug") reject(Object.assign(new Error(msg.message), { stack: msg.stack }));
      else if (msg.kind === "data") reject(new DataError(msg.problems));
      else reject(new WorkerSegmentError(msg.kind, msg.exitCode, msg.message, msg.problems));
    });
    worker.once("error", (e) => {
      settled = true;
      reject(e);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`the fact pass worker stopped with exit code ${code} before it answered`));
    });
  });
}

/** Adds a worker's results and what its reads reported to the main thread's. */
function merge(project: Project, out: FactResults, w: Extract<WorkerOutput, { ok: true }>, worker: number): void {
  for (const [id, res] of w.results) out.results.set(id, res);
  Object.assign(out.leftOut, w.leftOut);
  out.unmatchedItems += w.unmatchedItems;
  out.warnings.push(...w.warnings);
  const r = project.report;
  for (const key of ["rows", "skipped", "orphans", "orphanExamples", "ignored", "extra"] as const) {
    Object.assign(r[key], w.report[key]);
    inExportOrder(r[key] as Record<string, unknown>);
  }
  // The worker's phases, on this thread's clock.
  const shift = w.timeOrigin - performance.timeOrigin;
  for (const p of w.phases) performance.measure(`${p.name} [worker ${worker}]`, { start: p.start + shift, end: p.end + shift, detail: p.detail });
}

