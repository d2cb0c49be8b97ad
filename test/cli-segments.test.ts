/** The segment language through the binary: golden member lists, preview's outputs, definition errors. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeRun, expectExit, fixtureCopy, ROOT, segment, tempDir, previewed } from "./helpers.js";

const AS_OF = ["--as-of", "2026-11-23"];
const golden = (code: string) => readFileSync(path.join(ROOT, "test", "golden", "segments", `${code}.txt`), "utf8").trim().split("\n").filter(Boolean);

describe("example segments match their golden member lists", () => {
  const codes = readdirSync(path.join(ROOT, "segments")).filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, ""));
  it("has a golden file for every example, and at least the thirteen asked for", () => {
    expect(codes.length).toBeGreaterThanOrEqual(13);
    for (const code of codes) expect(golden(code).length).toBeGreaterThan(0);
  });
  for (const code of codes) {
    it(code, () => {
      const got = previewed(segment(["preview", code, "--json", "--limit", "0", ...AS_OF]));
      expect(got.code).toBe(code);
      expect(got.members).toEqual(golden(code));
      expect(got.count).toBe(golden(code).length);
    });
  }
  it("win-back-not-moscow is lapsed-valuable and not-moscow, less birthday-soon", () => {
    const notMoscow = new Set(golden("not-moscow"));
    const birthday = new Set(golden("birthday-soon"));
    expect(golden("win-back-not-moscow")).toEqual(golden("lapsed-valuable").filter((id) => notMoscow.has(id) && !birthday.has(id)));
  });
});

describe("segment preview", () => {
  it("prints the count, a funnel and the first members", () => {
    const r = segment(["preview", "tea-repeat-offer", ...AS_OF]);
    expectExit(r, 0);
    expect(r.stdout).toContain("tea-repeat-offer: Chinese tea, repeat offer (dynamic), as of 2026-11-23 UTC");
    expect(r.stdout).toContain("4 of 200 customers");
    expect(r.stdout).toMatch(/orders\.count where category in \["Chinese tea"\] >= 1\s+121\s+121 left/);
    expect(r.stdout).toMatch(/orders\.last_at where category in \["Chinese tea"\] between 2026-07-26 and 2026-08-25\s+4\s+4 left/);
    expect(r.stdout).toContain("first 4 members: C0011, C0012, C0013, C0017");
  });

  it("limits the members listed, and lists all with --json --limit 0", () => {
    const r = segment(["preview", "not-moscow", "--limit", "3", ...AS_OF]);
    expectExit(r, 0);
    expect(r.stdout).toContain("first 3 members: C0002, C0003, C0005");
    const j = previewed(segment(["preview", "not-moscow", "--json", "--limit", "3", ...AS_OF]));
    expect(j).toMatchObject({ code: "not-moscow", count: 116, members: ["C0002", "C0003", "C0005"] });
    expect(previewed(segment(["preview", "not-moscow", "--json", "--limit", "0", ...AS_OF])).members).toHaveLength(116);
  });

  it("explains the plan, computing an aggregate shared by two filters once", () => {
    const r = segment(["preview", "tea-repeat-offer", "--explain", ...AS_OF]);
    expectExit(r, 0);
    expect(r.stdout).toContain("segment tea-repeat-offer (dynamic): Chinese tea, repeat offer");
    expect(r.stdout).toContain("[#1.count]");
    expect(r.stdout).toContain("[#1.last_at]");
    expect(r.stdout).toContain('#1 orders where item category in ["chinese tea"]: count, last (joins order_items by order_id)');
    expect(r.stdout).not.toContain("#2 ");
  });

  it("shows why a customer is in or out", () => {
    const r = segment(["preview", "tea-repeat-offer", "--customer", "C0014", ...AS_OF]);
    expectExit(r, 0);
    expect(r.stdout).toContain("customer C0014: OUT");
    expect(r.stdout).toMatch(/pass {2}orders\.count where category in \["Chinese tea"\] >= 1 {2}= 1/);
    expect(r.stdout).toMatch(/FAIL {2}orders\.last_at .* = 2026-07-25T\d\d:\d\d:\d\d\.\d{3}Z \(UTC day 2026-07-25\)/);
    const inside = segment(["preview", "tea-repeat-offer", "--customer", "C0011", ...AS_OF]);
    expectExit(inside, 0);
    expect(inside.stdout).toContain("customer C0011: IN");
    const unknown = segment(["preview", "tea-repeat-offer", "--customer", "NOPE", ...AS_OF]);
    expect(unknown.stdout, describeRun(unknown)).toContain("customer NOPE: not found");
  });

  it("previews an unsaved file that references saved segments, touching no state", () => {
    const dir = tempDir();
    const draft = path.join(dir, "draft.yaml");
    writeFileSync(draft, "code: draft\nname: Draft\nfilters:\n  - { field: segment, in: [call-back] }\n  - { field: city, ne: Moscow }\n");
    // The state folder as it was, but for preview's cache (docs/segments.md): no snapshot, history or lock.
    const state = () => (existsSync(path.join(ROOT, ".segment")) ? readdirSync(path.join(ROOT, ".segment")).filter((f) => f !== "cache").sort() : []);
    const before = state();
    const j = previewed(segment(["preview", draft, "--json", "--limit", "0", ...AS_OF]));
    const callBack = golden("call-back");
    // call-back is C0021..C0024, and only C0021 (Saint Petersburg) lives outside Moscow.
    expect(callBack).toHaveLength(4);
    expect(j.members).toHaveLength(1);
    expect(j.members.every((id) => callBack.includes(id))).toBe(true);
    expect(state()).toEqual(before);
  });

  it("uses the time zone: a registration just after midnight in Moscow", () => {
    const utc = previewed(segment(["preview", "new-this-month", "--json", "--limit", "0", ...AS_OF])).members;
    const msk = previewed(segment(["preview", "new-this-month", "--json", "--limit", "0", "--timezone", "Europe/Moscow", ...AS_OF])).members;
    // C0190 registered 2026-11-01T01:30+03:00: October in UTC, November in Moscow.
    expect(utc).not.toContain("C0190");
    expect(msk).toContain("C0190");
  });

  it("warns when item conditions cannot match for want of an order_items export", () => {
    const dir = fixtureCopy("shop");
    rmSync(path.join(dir, "order_items.csv"));
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    writeFileSync(path.join(dir, "segments", "t.yaml"), readFileSync(path.join(ROOT, "segments", "tea-repeat-offer.yaml")));
    const r = segment(["preview", "tea-repeat-offer", "--json", ...AS_OF], dir);
    expectExit(r, 0);
    expect(previewed(r).count).toBe(0);
    expect(r.stderr).toMatch(/warning: conditions on order items .* no order_items export/);
    // With the items there, no such warning.
    const withItems = segment(["preview", "tea-repeat-offer", "--json", ...AS_OF]);
    expectExit(withItems, 0);
    expect(withItems.stderr).not.toMatch(/warning/);
  });

  it("an unknown code or a bad --as-of is a usage error", () => {
    const r = segment(["preview", "tea-repeat-ofer", ...AS_OF]);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/no segment with code `tea-repeat-ofer`/);
    expectExit(segment(["preview", "tea-repeat-offer", "--as-of", "23.11.2026"]), 2);
  });
});

describe("definition errors: exit 2, file:line:column, path, suggestion, all at once, before data", () => {
  function project(files: Record<string, string>): string {
    const dir = fixtureCopy("shop");
    mkdirSync(path.join(dir, "segments"), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, "segments", name), text);
    return dir;
  }

  it("reports every problem of every file together", () => {
    const dir = project({
      "a.yaml": [
        "code: tea",
        "name: Tea",
        "groups:",
        "  - match: all",
        "    filters:",
        "      - { field: orders.last, between: [-120d, -90d] }",
        "      - field: orders.count",
        "        where: { categry: [Chinese tea] }",
        "        gte: 1",
        "      - { field: city, equals: Moscow }",
        "",
      ].join("\n"),
      "b.yaml": "- code: x\n  name: X\n  filters:\n    - { field: birthday, between: [\"12-01\", \"12-31\"] }\n- code: y\n  name: Y\n  groups: []\n",
    });
    const r = segment(["validate"], dir);
    expectExit(r, 2);
    expect(r.stderr).toContain("segments/a.yaml:6:18: groups[0].filters[0].field: unknown field `orders.last`\n  did you mean `orders.last_at`?");
    expect(r.stderr).toContain("segments/a.yaml:8:18: groups[0].filters[1].where.categry: `categry` is not a column of orders\n  did you mean `category`?");
    expect(r.stderr).toContain("segments/a.yaml:10:24: groups[0].filters[2].equals: unknown key `equals` in a filter\n  did you mean `eq`?");
    expect(r.stderr).toMatch(/segments\/b\.yaml:4:35: \[0\]\.filters\[0\]\.between: expected a date: .*\n {2}MM-DD needs `ignore_year: true`/);
    expect(r.stderr).toContain("segments/b.yaml:5:3: [1]: the segment has no filters");
  });

  it("reports definition errors before reading any data (a broken export does not hide them)", () => {
    const dir = project({ "a.yaml": "code: a\nname: A\nfilters:\n  - { field: citty, eq: Moscow }\n" });
    writeFileSync(path.join(dir, "customers.csv"), "id,city\n\"broken\n");
    const r = segment(["preview", "a", ...AS_OF], dir);
    expectExit(r, 2);
    expect(r.stderr).toContain("segments/a.yaml:4:14: filters[0].field: unknown field `citty`\n  did you mean `city`?");
  });

  it("names a cycle and an unknown reference", () => {
    const dir = project({
      "loop.yaml": "- code: a\n  name: A\n  filters: [{ field: segment, in: [b] }]\n- code: b\n  name: B\n  filters: [{ field: segment, in: [a, c-missing] }]\n",
    });
    const r = segment(["validate"], dir);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/segments\/loop\.yaml:\d+:\d+: .*unknown segment `c-missing`/);
    expect(r.stderr).toMatch(/segments reference each other in a cycle: (a -> b -> a|b -> a -> b)/);
  });

  it("checks custom fields against the data, with a suggestion", () => {
    const dir = project({ "a.yaml": "code: a\nname: A\nfilters:\n  - { field: custom.bonus_pointz, gt: 100 }\n" });
    const r = segment(["preview", "a", ...AS_OF], dir);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/segments\/a\.yaml:4:5: filters\[0\]\.field: unknown custom field `custom\.bonus_pointz`.*\n {2}did you mean `custom\.bonus_points`\?/);
    expectExit(segment(["validate", "--exports"], dir), 2);
    // Without --exports too: the customers export is read for its columns (issue 9, item 7).
    const v = segment(["validate"], dir);
    expectExit(v, 2);
    expect(v.stderr).toContain("did you mean `custom.bonus_points`?");
  });

  it("validates a file given on the command line", () => {
    const dir = project({});
    writeFileSync(path.join(dir, "draft.yaml"), "code: Draft!\nname: D\nfilters: [{ field: city, eq: x }]\n");
    const r = segment(["validate", "draft.yaml"], dir);
    expectExit(r, 2);
    expect(r.stderr).toContain("draft.yaml:1:7: code: a code is 1-64 characters");
  });
});
