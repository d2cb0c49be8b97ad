/**
 * Per-phase timings, for `--timings` and the bench. Library code marks its phases with the
 * standard `performance.measure` (names start with `segment:`, the detail says what was
 * read), which costs nothing worth counting when nobody asks; the CLI reads them back at the
 * end of a command. Nothing here reads the clock for data: these are durations only.
 */
import { performance, type PerformanceEntry } from "node:perf_hooks";

/** What a phase did, where that is known: rows and bytes read, time inside the reader. */
export interface PhaseDetail {
  rows?: number;
  bytes?: number;
  /** Time spent reading and typing, without the consumer's work between batches. */
  readMs?: number;
}

/** One measured phase. */
export interface Phase extends PhaseDetail {
  name: string;
  startMs: number;
  ms: number;
}

const PREFIX = "segment:";

/** Records a phase that began at `start` (a `performance.now()`) and ends now. */
export function endPhase(name: string, start: number, detail: PhaseDetail = {}): void {
  performance.measure(PREFIX + name, { start, end: performance.now(), detail });
}

/** Times `fn` as the phase `name`. */
export async function phase<T>(name: string, fn: () => Promise<T>, detail?: () => PhaseDetail): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    endPhase(name, start, detail?.());
  }
}

/** The phases recorded so far in this process, in the order they began. */
export function phases(): Phase[] {
  return performance.getEntriesByType("measure")
    .filter((e) => e.name.startsWith(PREFIX))
    .map((e) => ({ name: e.name.slice(PREFIX.length), startMs: e.startTime, ms: e.duration, ...((e as PerformanceEntry & { detail?: PhaseDetail }).detail ?? {}) }))
    .sort((a, b) => a.startMs - b.startMs);
}

/** The phases as a table for stderr: phase, seconds, rows, MB, MB/s of the reader. */
export function phaseTable(list: Phase[]): string {
  const rows = list.map((p) => {
    const readMs = p.readMs ?? p.ms;
    return [
      p.name,
      (p.ms / 1000).toFixed(2),
      p.readMs === undefined ? "" : (p.readMs / 1000).toFixed(2),
      p.rows === undefined ? "" : p.rows.toLocaleString("en-US"),
      p.bytes === undefined ? "" : (p.bytes / 1e6).toFixed(1),
      p.bytes === undefined || readMs <= 0 ? "" : (p.bytes / 1e6 / (readMs / 1000)).toFixed(0),
    ];
  });
  const head = ["phase", "s", "read s", "rows", "MB", "MB/s"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}
