/**
 * The fact pass on two threads (src/facts/parallel.ts) against the same pass on one
 * (SEGMENT_THREADS=1), through the binary: the same members, counts, summaries and files,
 * and the same errors. The one-thread pass is the reference; its own results are checked
 * against hand-derived values by the semantics and fixture tests.
 */
import { readdirSync, readFileSync, appendFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, segment, suiteProject } from "./helpers.js";

const ONE = { SEGMENT_THREADS: "1" };
const TWO = { SEGMENT_THREADS: "2" };
const AS_OF = ["--as-of", "2026-11-23"];

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    try {
      out[f] = readFileSync(path.join(dir, f), "utf8");
    } catch {
      // a folder
    }
  }
  return out;
}

describe("the fact pass on two threads", () => {
  it("previews the same members as on one thread", () => {
    const dir = suiteProject();
    expectExit(segment(["validate"], dir), 0);
    const codes = readdirSync(path.join(dir, "segments")).map((f) => f.replace(/\.yaml$/, ""));
    expect(codes.length).toBeGreaterThanOrEqual(26);
    for (const code of codes) {
      // --no-cache: each preview reads the exports (the second would find the first's cache).
      const a = segment(["preview", code, "--json", ...AS_OF, "--limit", "0", "--no-cache"], dir, ONE);
      const b = segment(["preview", code, "--json", ...AS_OF, "--limit", "0", "--no-cache"], dir, TWO);
      expectExit(a, 0);
      expectExit(b, 0);
      expect(parseJson(b), code).toEqual(parseJson(a));
    }
  }, 120_000);

  it("reads the other exports in a worker while orders are read on the main thread (--timings says which)", () => {
    const dir = suiteProject();
    const two = segment(["preview", "visits-tea-browsers", ...AS_OF, "--timings", "--no-cache"], dir, TWO);
    expectExit(two, 0);
    expect(two.stderr).toMatch(/^read visits \[worker 1\] /m);
    expect(two.stderr).toMatch(/^read orders(?!.*worker)/m);
    const one = segment(["preview", "visits-tea-browsers", ...AS_OF, "--timings", "--no-cache"], dir, ONE);
    expect(one.stderr).toMatch(/^read visits /m);
    expect(one.stderr).not.toMatch(/worker/);
  }, 60_000);

  it("runs to the same summary, snapshot, history and out files", () => {
    const a = suiteProject();
    const b = suiteProject();
    const ra = segment(["run", "--json", ...AS_OF], a, ONE);
    const rb = segment(["run", "--json", ...AS_OF], b, TWO);
    expectExit(ra, 0);
    expectExit(rb, 0);
    // Run ids, times and elapsed milliseconds differ between any two runs; the rest must not.
    const strip = (text: string) => text.replace(/\d{8}T\d{6}Z-[0-9a-f]{4}/g, "RUN").replace(/"(started_at|finished_at|at)": ?"[^"]*"/g, '"$1":"T"').replace(/"elapsed_ms": ?\d+/g, '"elapsed_ms":0');
    expect(strip(rb.stdout).replaceAll(b, "DIR")).toBe(strip(ra.stdout).replaceAll(a, "DIR"));
    const ta = tree(path.join(a, "out"));
    const tb = tree(path.join(b, "out"));
    expect(Object.keys(tb).sort()).toEqual(Object.keys(ta).sort());
    for (const f of Object.keys(ta)) expect(tb[f], f).toBe(ta[f]);
    const ha = tree(path.join(a, ".segment", "history"));
    const hb = tree(path.join(b, ".segment", "history"));
    expect(Object.values(hb).map(strip)).toEqual(Object.values(ha).map(strip));
  }, 60_000);

  it("stops at a bad row in a worker's export with the same message, place and exit code", () => {
    const dir = suiteProject();
    // visits are read by the worker on two threads (orders stay on the main one): a datetime that is none.
    appendFileSync(path.join(dir, "visits.ndjson"), '{"customer_id":"C0001","visited_at":"yesterday-ish","source":"google"}\n');
    const a = segment(["preview", "visits-tea-browsers", "--json", ...AS_OF, "--no-cache"], dir, ONE);
    const b = segment(["preview", "visits-tea-browsers", "--json", ...AS_OF, "--no-cache"], dir, TWO);
    expectExit(a, 3);
    expectExit(b, 3);
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr).toBe(a.stderr);
    expect(a.stderr).toMatch(/visits\.ndjson:\d+/);
  }, 60_000);
});
