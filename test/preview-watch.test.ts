/**
 * `preview FILE --watch` through the binary: the first report, a report after each save,
 * a definition error shown without stopping, and exit 0 on SIGINT. Counts are checked
 * against the customers file read with csv-parse (city), and against a one-shot preview
 * of the same file (which the semantics tests check on their own).
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { BIN, fixtureCopy, parseJson, segment } from "./helpers.js";

const AS_OF = ["--as-of", "2026-11-23"];

/** A watching child: its output so far, a wait for a pattern, and its end. */
function watchChild(dir: string, args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", SEGMENT_THREADS: "2" } });
  let stdout = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on("data", (b) => { stdout += b; poke(); });
  child.stderr.on("data", (b) => { stderr += b; poke(); });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => { poke(); resolve(code); }));
  return {
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    /** Waits until `count` matches of `re` are in stderr (or in stdout with `out`): the two pipes arrive apart. */
    async until(re: RegExp, count: number, out = false): Promise<void> {
      const deadline = Date.now() + 30_000;
      while (((out ? stdout : stderr).match(new RegExp(re.source, re.flags + "g")) ?? []).length < count) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${count} x ${re} in:\n${stderr}\n${stdout}`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 200); });
      }
    },
    stop: () => { child.kill("SIGINT"); return exited; },
  };
}

describe("preview --watch", () => {
  it("previews again on each save, from memory, shows errors and goes on, and ends with exit 0 on SIGINT", async () => {
    const dir = fixtureCopy("shop");
    const rows = parse(readFileSync(path.join(dir, "customers.csv")), { columns: true, bom: true }) as Array<Record<string, string>>;
    const moscow = rows.filter((r) => r.city.trim().toLowerCase() === "moscow").length;
    expect(moscow).toBeGreaterThan(0);
    const draft = path.join(dir, "draft.yaml");
    writeFileSync(draft, "code: draft\nname: Draft\nfilters:\n  - { field: city, eq: Moscow }\n");
    const w = watchChild(dir, ["preview", "draft.yaml", "--watch", ...AS_OF]);
    await w.until(/watching draft\.yaml/, 1);
    await w.until(/ customers$/m, 1, true);
    expect(w.stdout).toContain(`${moscow} of ${rows.length} customers`);

    // A fact filter added: one pass over the orders, then the same count as a one-shot preview.
    const second = "code: draft\nname: Draft\nfilters:\n  - { field: city, eq: Moscow }\n  - { field: orders.count, gte: 2 }\n";
    writeFileSync(draft, second);
    await w.until(/evaluated in/, 2);
    await w.until(/ customers$/m, 2, true);
    const oneShot = parseJson<{ segments: Array<{ count: number }> }>(segment(["preview", "draft.yaml", "--json", ...AS_OF], dir));
    expect(w.stdout).toContain(`${oneShot.segments[0].count} of ${rows.length} customers`);

    // A broken save is shown, and the watch goes on to the next one.
    writeFileSync(draft, "code: draft\nname: Draft\nfilters:\n  - { field: cty, eq: Moscow }\n");
    await w.until(/error: /, 1);
    expect(w.stderr).toMatch(/cty/);
    writeFileSync(draft, second.replace("gte: 2", "gte: 1"));
    await w.until(/evaluated in/, 3);
    await w.until(/ customers$/m, 3, true);
    const third = parseJson<{ segments: Array<{ count: number }> }>(segment(["preview", "draft.yaml", "--json", ...AS_OF], dir));
    expect(w.stdout.split("funnel").length - 1).toBe(3);
    expect(w.stdout.trimEnd().split("\n").filter((l) => / of \d+ customers$/.test(l)).at(-1)).toBe(`${third.segments[0].count} of ${rows.length} customers`);
    expect(await w.stop()).toBe(0);
  }, 90_000);

  it("takes a YAML file only", () => {
    const dir = fixtureCopy("shop");
    const r = segment(["preview", "tea-repeat-offer", "--watch"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--watch takes a YAML file/);
  });
});
