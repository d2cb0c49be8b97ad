/**
 * A worker thread of the parallel fact pass (parallel.ts): reads and aggregates the fact
 * tables it is given, joined to the main thread's customers by id, and sends back the
 * aggregates' typed arrays (moved), what its reads reported, and its phase timings.
 */
import { parentPort, workerData } from "node:worker_threads";
import { performance, type PerformanceEntry } from "node:perf_hooks";
import { EXIT, SegmentError, showWholeValues } from "../errors.js";
import { Project } from "../ingest/project.js";
import type { FactExportName } from "../schema/exports.js";
import { computeFacts } from "./compute-facts.js";
import type { WorkerInput, WorkerOutput } from "./parallel.js";

const input = workerData as WorkerInput;

async function work(): Promise<WorkerOutput> {
  // Messages cut values in the main thread, as its --verbose says.
  showWholeValues(true);
  const taken = Object.fromEntries(Object.entries(input.taken).map(([k, v]) => [k, new Set(v)])) as Partial<Record<FactExportName, ReadonlySet<string>>>;
  const project = new Project(input.config, input.cwd, undefined, taken);
  project.adoptCustomers(input.customers, input.types);
  const facts = await computeFacts(project, input.plan, input.customers.length, input.tables);
  const phases = performance.getEntriesByType("measure").filter((e) => e.name.startsWith("segment:"))
    .map((e) => ({ name: e.name, start: e.startTime, end: e.startTime + e.duration, detail: (e as PerformanceEntry & { detail?: unknown }).detail }));
  return {
    ok: true, results: [...facts.results], leftOut: facts.leftOut, unmatchedItems: facts.unmatchedItems, warnings: facts.warnings,
    report: project.report, phases, timeOrigin: performance.timeOrigin,
  };
}

work().then(
  (out) => {
    const buffers = out.ok ? out.results.flatMap(([, r]) => [r.count.buffer, r.first.buffer, r.last.buffer, r.revenue.buffer, r.quantity.buffer]) : [];
    parentPort!.postMessage(out, buffers as ArrayBuffer[]);
  },
  (e: unknown) => {
    const msg: WorkerOutput = e instanceof SegmentError
      ? { ok: false, kind: e.kind, exitCode: e.exitCode, message: e.message, problems: e.problems }
      : { ok: false, kind: "bug", exitCode: EXIT.bug, message: String((e as Error)?.message ?? e), problems: [], stack: (e as Error)?.stack };
    parentPort!.postMessage(msg);
  },
);
