/** Run ids stay unique when two runs fall in one second and draw the same random part. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { loadConfig } from "../config/load-config.js";
import { runSegments } from "./run.js";

describe("run ids", () => {
  it("a second run in the same second with the same random part gets another id, and commits", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "data"));
    mkdirSync(path.join(dir, "segments"));
    writeFileSync(path.join(dir, "data", "customers.csv"), "id,city\nA,Moscow\nB,Kazan\n");
    writeFileSync(path.join(dir, "segments", "m.yaml"), "code: m\nname: M\nfilters:\n  - { field: city, eq: Moscow }\n");
    writeFileSync(path.join(dir, "segment.config.yaml"), "data: data\nsegments: segments\n");
    const config = loadConfig({}, dir);
    // The random part repeats "aaaa" twice, then "bbbb".
    const draws = ["aaaa", "aaaa", "bbbb"];
    const ctx = { cwd: dir, now: Date.UTC(2026, 11, 1, 10, 0, 0), pid: process.pid, clock: () => 0, warn: () => {}, idSuffix: () => draws.shift() ?? "cccc" };
    const first = await runSegments(config, ctx, { formats: ["csv"], asOf: "2026-12-01" });
    const second = await runSegments(config, ctx, { formats: ["csv"], asOf: "2026-12-01" });
    expect(first.summary.run_id).toBe("20261201T100000Z-aaaa");
    expect(second.summary.run_id).toBe("20261201T100000Z-bbbb");
  });
});
