/**
 * The short fuzz run of `npm test`: a seeded, bounded run of every case kind (data,
 * definitions, config, fs, the csv-diff differential) and every regression under
 * test/fuzz/regressions/, which must find nothing. `npm run fuzz -- --budget 15m` is the long run.
 */
import { describe, expect, it } from "vitest";
import { distinctFindings, KINDS, runFuzz } from "./fuzz/fuzz.mjs";

describe("fuzz (short seeded run)", () => {
  it("finds no crash, hang, signal, memory blow-up, silent acceptance, unplaced message or csv-diff mismatch", async () => {
    const r = await runFuzz({ seed: 20261201, cases: 150, parallel: 2, timeoutMs: 10_000, hostileEvery: 0, log: null });
    for (const kind of KINDS) expect(r.counts[kind]?.cases, `no ${kind} case ran`).toBeGreaterThan(0);
    const report = distinctFindings(r.findings).map((f) => `${f.class} (x${f.count}): segment ${f.args.join(" ")} -> ${f.exit ?? ""} ${f.detail}\n  case: ${f.label}\n  ${(f.excerpt ?? "").split("\n").slice(0, 3).join("\n  ")}\n  repro: ${f.repro}`);
    expect(report.join("\n\n"), `${r.findings.length} findings (cases kept under ${r.base})`).toBe("");
  }, 300_000);
});
