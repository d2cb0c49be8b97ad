/**
 * The preview cache (src/cache/cache.ts) through the binary: a second preview over
 * unchanged exports reads customers and aggregates from `<state>/cache/` and finds the same
 * as a preview that reads the exports (--no-cache); an export that changes is read again;
 * a damaged entry is a miss; entries are 0600 in a 0700 folder. Each segment's result is
 * stored too, and read back only while its definition, the data it reads and the as-of day
 * are unchanged.
 */
import { appendFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, parseJson, segment, suiteProject, type RunResult } from "./helpers.js";

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
      const notes = (s: string) => s.split("\n").filter((l) => !/^(phase|read|aggregate|fact pass|evaluation|results)/.test(l) && !/^\s/.test(l)).join("\n");
      expect(notes(second.stderr), code).toBe(notes(direct.stderr));
    }
    const cache = path.join(dir, ".segment", "cache");
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(cache)) expect(statSync(path.join(cache, f)).mode & 0o777, f).toBe(0o600);
  }, 180_000);

  it("keeps a custom field's inferred type when another preview rewrote the customers entry", () => {
    // custom-loyalty reads two numeric custom fields, custom-puerh-fans a text one. The second
    // preview reads the customers again (its column is not cached) and rewrites their entry,
    // in which the fields it did not load are "string"; before cache.ts took each column's type
    // from the column's own entry, the third preview failed with "gte does not apply to a text field".
    const dir = suiteProject();
    const first = preview(dir, "custom-loyalty");
    expectExit(first, 0);
    expectExit(preview(dir, "custom-puerh-fans"), 0);
    const third = preview(dir, "custom-loyalty", ["--timings"]);
    expectExit(third, 0);
    expect(third.stderr).toMatch(/^read customers from the cache /m);
    expect(parseJson(third)).toEqual(parseJson(first));
  }, 60_000);

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

/** How many segment results a preview read back (its --timings row), 0 when none. */
const reused = (r: RunResult) => Number(/^results from the cache +[\d.]+ +(\d+)/m.exec(r.stderr)?.[1] ?? 0);

/**
 * Three segments in one file: one on a customer column, one on an orders metric, and one
 * that references the first. Which of them a preview may read back follows from what each
 * reads: the expected counts of `reused` below are worked out from that by hand.
 */
const DRAFT = (city: string) => `
- code: draft-city
  name: In one city
  filters:
    - { field: city, eq: ${city} }
- code: draft-orders
  name: Three orders or more
  filters:
    - { field: orders.count, gte: 3 }
- code: draft-city-orders
  name: Both
  filters:
    - { field: segment, in: [draft-city] }
    - { field: segment, in: [draft-orders] }
`;

describe("stored results", () => {
  it("reads back a segment only while its definition, its data and the day are unchanged", () => {
    const dir = suiteProject();
    const file = path.join(dir, "draft.yaml");
    writeFileSync(file, DRAFT("Moscow"));
    const run = (extra: string[] = []) => {
      const r = preview(dir, "draft.yaml", ["--timings", ...extra]);
      expectExit(r, 0);
      return r;
    };
    const direct = () => parseJson(preview(dir, "draft.yaml", ["--no-cache"]));

    expect(reused(run())).toBe(0);
    const again = run();
    expect(reused(again)).toBe(3);
    expect(parseJson(again)).toEqual(direct());
    // Nothing was evaluated: no customer column and no aggregate was read.
    expect(again.stderr).not.toMatch(/^(aggregates from the cache|fact pass|read orders|evaluation)/m);

    // Another city: draft-city and the segment referencing it change; draft-orders does not.
    writeFileSync(file, DRAFT("Kazan"));
    const edited = run();
    expect(reused(edited)).toBe(1);
    expect(parseJson(edited)).toEqual(direct());
    expect(reused(run())).toBe(3);

    // The same definitions moved down the file (their positions change, nothing else).
    writeFileSync(file, "\n\n# moved\n" + DRAFT("Kazan"));
    expect(reused(run())).toBe(3);

    // Another as-of day: every result is another.
    expect(reused(run(["--as-of", "2026-11-24"]))).toBe(0);

    // More orders: draft-orders and the segment referencing it again; draft-city reads no order.
    const lines = Array.from({ length: 3 }, (_, k) => `8${String(k).padStart(6, "0")},C0003,2025-02-0${k + 1}T10:00:00Z,complete,10.00,,web`);
    appendFileSync(path.join(dir, "orders.csv"), lines.join("\n") + "\n");
    const moreOrders = run();
    expect(reused(moreOrders)).toBe(1);
    expect(parseJson(moreOrders)).toEqual(direct());

    // A customer's trace evaluates, and --no-cache neither reads nor stores a result.
    const traced = run(["--customer", "C0003"]);
    expect(reused(traced)).toBe(0);
    expect(parseJson(traced)).toEqual(parseJson(preview(dir, "draft.yaml", ["--no-cache", "--customer", "C0003"])));
    expect(reused(run(["--no-cache"]))).toBe(0);
  }, 60_000);
});
