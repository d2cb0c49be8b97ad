/**
 * The preview cache (src/cache/cache.ts) through the binary: a second preview over
 * unchanged exports reads customers and aggregates from `<state>/cache/` and finds the same
 * as a preview that reads the exports (--no-cache); an export that changes is read again;
 * a damaged entry is a miss; entries are 0600 in a 0700 folder.
 */
import { appendFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, segment, suiteProject } from "./helpers.js";

const AS_OF = ["--as-of", "2026-11-23"];

const preview = (dir: string, code: string, extra: string[] = []) => segment(["preview", code, "--json", "--limit", "0", ...AS_OF, ...extra], dir);

describe("the preview cache", () => {
  it("answers a second preview from the cache, the same as reading the exports", () => {
    const dir = suiteProject();
    const codes = readdirSync(path.join(dir, "segments")).map((f) => f.replace(/\.yaml$/, ""));
    for (const code of codes) {
      const first = preview(dir, code, ["--timings"]);
      expectExit(first, 0);
      const second = preview(dir, code, ["--timings"]);
      expectExit(second, 0);
      const direct = preview(dir, code, ["--no-cache"]);
      expect(parseJson(second), code).toEqual(parseJson(direct));
      expect(parseJson(first), code).toEqual(parseJson(direct));
      expect(second.stderr, code).toMatch(/^read customers from the cache /m);
      expect(second.stderr, code).not.toMatch(/^read customers +\d/m);
      // The same notes on stderr (orphans, facts left out) with or without the cache.
      const notes = (s: string) => s.split("\n").filter((l) => !/^(phase|read|aggregate|fact pass|evaluation)/.test(l) && !/^\s/.test(l)).join("\n");
      expect(notes(second.stderr), code).toBe(notes(direct.stderr));
    }
    const cache = path.join(dir, ".segment", "cache");
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(cache)) expect(statSync(path.join(cache, f)).mode & 0o777, f).toBe(0o600);
  }, 180_000);

  it("reads an export again when it changes, and takes a damaged entry for a miss", () => {
    const dir = suiteProject();
    const before = preview(dir, "call-back");
    expectExit(before, 0);
    // Ten more orders for C0002 long ago: call-back (10+ orders, none in six months) must see them.
    const lines = Array.from({ length: 10 }, (_, k) => `9${String(k).padStart(6, "0")},C0002,2025-01-0${(k % 9) + 1}T10:00:00Z,complete,100.00,,web`);
    appendFileSync(path.join(dir, "orders.csv"), lines.join("\n") + "\n");
    const after = preview(dir, "call-back", ["--timings"]);
    expectExit(after, 0);
    expect(after.stderr).toMatch(/^read orders /m);
    expect(parseJson(after)).toEqual(parseJson(preview(dir, "call-back", ["--no-cache"])));
    expect(parseJson(after)).not.toEqual(parseJson(before));
    // Every entry cut short: each is a miss, and the answer is still right.
    const cache = path.join(dir, ".segment", "cache");
    for (const f of readdirSync(cache)) writeFileSync(path.join(cache, f), "SEGCACHE");
    const damaged = preview(dir, "call-back", ["--timings"]);
    expectExit(damaged, 0);
    expect(damaged.stderr).toMatch(/^read customers +\d/m);
    expect(parseJson(damaged)).toEqual(parseJson(after));
  }, 60_000);
});
