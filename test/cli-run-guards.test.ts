/**
 * Guards and the after_run hook of `segment run`, through the binary. Counts are worked out
 * by hand on four customers:
 *   run 1: c1, c2, c3, c4 in Moscow, orders o1..o4 (one each);
 *   run 2: c3 and c4 moved to Kazan (moscow: 4 -> 2, -50%), orders o3, o4 dropped (4 -> 2 rows).
 */
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, segment, tempDir } from "./helpers.js";

const AS_OF = ["--as-of", "2026-11-23"];

function project(config = "", guard = ""): string {
  const dir = tempDir("segment-guard-");
  mkdirSync(path.join(dir, "data"));
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  writeFileSync(path.join(dir, "data", "customers.csv"), "id,city\nc1,Moscow\nc2,Moscow\nc3,Moscow\nc4,Moscow\n");
  writeFileSync(path.join(dir, "data", "orders.csv"), "id,customer_id,created_at,total\no1,c1,2026-11-01T10:00:00Z,10\no2,c2,2026-11-01T10:00:00Z,10\no3,c3,2026-11-01T10:00:00Z,10\no4,c4,2026-11-01T10:00:00Z,10\n");
  writeFileSync(path.join(dir, "segments", "moscow.yaml"), `code: moscow\nname: m\n${guard}filters: [{ field: city, eq: Moscow }]\n`);
  writeFileSync(path.join(dir, "segments", "buyers.yaml"), "code: buyers\nname: b\nfilters: [{ field: orders.count, gte: 1 }]\n");
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: data\nsegments: segments\n${config}`);
  return dir;
}

function secondNight(dir: string, orders = true): void {
  writeFileSync(path.join(dir, "data", "customers.csv"), "id,city\nc1,Moscow\nc2,Moscow\nc3,Kazan\nc4,Kazan\n");
  if (orders) writeFileSync(path.join(dir, "data", "orders.csv"), "id,customer_id,created_at,total\no1,c1,2026-11-01T10:00:00Z,10\no2,c2,2026-11-01T10:00:00Z,10\n");
}

const read = (dir: string, ...p: string[]) => readFileSync(path.join(dir, ...p), "utf8");
const ids = (dir: string, code: string, file: string) => read(dir, "out", code, file).trim().split("\n").slice(1);

describe("guards", () => {
  it("a segment's max_change stops the run with exit 3, changing nothing, until --force", () => {
    const dir = project("", "guard: { max_change: 30% }\n");
    const first = segment(["run", ...AS_OF], dir);
    expect(first.code, first.stderr).toBe(0);
    const current = read(dir, ".segment", "current.json");
    secondNight(dir, false);
    const r = segment(["run", ...AS_OF], dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain("segment moscow would go from 4 to 2 members (-50%), more than its guard max_change 30%");
    expect(r.stderr).toContain("--force");
    expect(read(dir, ".segment", "current.json")).toBe(current);
    expect(ids(dir, "moscow", "members.csv")).toEqual(["c1", "c2", "c3", "c4"]);
    const forced = segment(["run", "--force", ...AS_OF], dir);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain("guard overridden with --force");
    expect(ids(dir, "moscow", "members.csv")).toEqual(["c1", "c2"]);
    expect(ids(dir, "moscow", "left.csv")).toEqual(["c3", "c4"]);
  });

  it("a change within max_change passes, and a segment without a guard is not held by another's", () => {
    const dir = project("", "guard: { max_change: 60% }\n");
    expect(segment(["run", ...AS_OF], dir).code).toBe(0);
    secondNight(dir);
    // moscow -50% is within 60%; buyers -50% has no guard.
    const r = segment(["run", ...AS_OF], dir);
    expect(r.code, r.stderr).toBe(0);
  });

  it("the config's min_members holds every dynamic segment", () => {
    const dir = project("guard: { min_members: 3 }\n");
    const r = segment(["run", ...AS_OF], dir);
    expect(r.code, r.stderr).toBe(0);
    secondNight(dir);
    const second = segment(["run", ...AS_OF], dir);
    expect(second.code, second.stderr).toBe(3);
    expect(second.stderr).toContain("segment moscow would have 2 members (it had 4), fewer than its guard min_members 3");
    expect(second.stderr).toContain("segment buyers would have 2 members (it had 4), fewer than its guard min_members 3");
  });

  it("the input guard stops a run on a truncated export", () => {
    const dir = project("guard: { max_input_drop: 40% }\n");
    expect(segment(["run", ...AS_OF], dir).code).toBe(0);
    secondNight(dir);
    const r = segment(["run", ...AS_OF], dir);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain("the orders export has 2 rows, -50% since the last run (4): more than the guard max_input_drop 40%");
    expect(segment(["run", "--force", ...AS_OF], dir).code).toBe(0);
  });

  it("a dry run reports a guard that would trip, and changes nothing", () => {
    const dir = project("guard: { max_change: 10% }\n");
    expect(segment(["run", ...AS_OF], dir).code).toBe(0);
    secondNight(dir);
    const r = segment(["run", "--dry-run", ...AS_OF], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("guard would trip: segment moscow would go from 4 to 2 members");
  });

  it("refuses a malformed guard with the file, line and path", () => {
    const cfg = segment(["run", ...AS_OF], project("guard: { max_change: lots }\n"));
    expect(cfg.code, cfg.stderr).toBe(2);
    expect(cfg.stderr).toMatch(/segment\.config\.yaml:3:\d+: guard\.max_change: expected a share such as 30%/);
    const def = segment(["run", ...AS_OF], project("", "guard: { min_members: -1 }\n"));
    expect(def.code, def.stderr).toBe(2);
    expect(def.stderr).toMatch(/moscow\.yaml:3:\d+: guard\.min_members: expected a whole number >= 0/);
  });
});

describe("the after_run hook", () => {
  const writeHook = (dir: string, body: string) => {
    writeFileSync(path.join(dir, "hook.mjs"), body);
  };

  it("gets the summary and the file paths on stdin, after the commit", () => {
    const dir = project("hooks:\n  after_run: [node, hook.mjs]\n");
    writeHook(dir, `import { readFileSync, writeFileSync, existsSync } from "node:fs";
const s = JSON.parse(readFileSync(0, "utf8"));
const committed = existsSync(".segment/current.json") && readFileSync(".segment/current.json", "utf8").includes(s.run_id);
writeFileSync("hook-saw.json", JSON.stringify({ s, committed }));
console.log("hook ran");
`);
    const r = segment(["run", ...AS_OF], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("hook ran");
    const { s, committed } = JSON.parse(read(dir, "hook-saw.json"));
    expect(committed).toBe(true);
    expect(s.segments.map((x: { code: string }) => x.code).sort()).toEqual(["buyers", "moscow"]);
    const entered = s.files.find((f: { segment: string; kind: string }) => f.segment === "moscow" && f.kind === "entered");
    expect(entered.format).toBe("csv");
    expect(readFileSync(entered.path, "utf8")).toBe("id\nc1\nc2\nc3\nc4\n");
  });

  it("a failing hook gives exit 5, and the run stays committed", () => {
    const dir = project("hooks:\n  after_run: [node, -e, \"process.exit(7)\"]\n");
    const r = segment(["run", "--json", ...AS_OF], dir);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain("failed (exit 7)");
    expect(r.stderr).toContain("the run itself is committed");
    // One object on stdout: the summary, with what failed.
    const summary = JSON.parse(r.stdout);
    expect(summary.hook_error).toContain("failed (exit 7)");
    expect(read(dir, ".segment", "current.json")).toContain(summary.run_id);
    const history = segment(["history", "--segment", "moscow", "--json"], dir);
    expect(JSON.parse(history.stdout).events).toHaveLength(4);
  });

  it("runs a shell line with shell: true, and stops a hook past its timeout", () => {
    const shell = project("hooks:\n  after_run: { command: \"echo shell-hook > shell.txt\", shell: true }\n");
    expect(segment(["run", ...AS_OF], shell).code).toBe(0);
    expect(read(shell, "shell.txt")).toBe("shell-hook\n");
    const slow = project("hooks:\n  after_run: { command: [node, -e, \"setTimeout(() => {}, 60000)\"], timeout: 0.5 }\n");
    const r = segment(["run", ...AS_OF], slow);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain("took longer than 0.5 s and was stopped");
    expect(existsSync(path.join(slow, "out", "moscow", "members.csv"))).toBe(true);
  });
});

describe("run's files", () => {
  it("creates output and state files 0600 and their folders 0700", () => {
    const dir = project();
    expect(segment(["run", ...AS_OF], dir).code).toBe(0);
    const mode = (...p: string[]) => statSync(path.join(dir, ...p)).mode & 0o777;
    expect(mode("out", "moscow")).toBe(0o700);
    expect(mode("out", "moscow", "members.csv")).toBe(0o600);
    expect(mode("out", "moscow", "entered.csv")).toBe(0o600);
    expect(mode(".segment")).toBe(0o700);
    expect(mode(".segment", "current.json")).toBe(0o600);
  });

  it("writes a first run's entered files with the members' bytes, in every format, and a later run's with the entered only", () => {
    const dir = project();
    expect(segment(["run", ...AS_OF, "--format", "csv,json"], dir).code).toBe(0);
    const bytes = (...p: string[]) => readFileSync(path.join(dir, "out", ...p));
    // A first run: all four Moscow customers enter (entered.* are copies of members.*, run.ts).
    for (const ext of ["csv", "json"]) expect(bytes("moscow", `entered.${ext}`).equals(bytes("moscow", `members.${ext}`))).toBe(true);
    expect(bytes("moscow", "entered.csv").toString()).toBe(bytes("moscow", "members.csv").toString());
    expect(bytes("moscow", "members.csv").toString().trim().split("\n").slice(1).map((l) => l.split(",")[0])).toEqual(["c1", "c2", "c3", "c4"]);
    expect(statSync(path.join(dir, "out", "moscow", "entered.json")).mode & 0o777).toBe(0o600);
    // Empty left files are not the entered ones: each holds its own (empty) rows.
    expect(bytes("moscow", "left.csv").toString().trim().split("\n")).toHaveLength(1);
    // A second run with one more Moscow customer: entered holds c5 only.
    writeFileSync(path.join(dir, "data", "customers.csv"), "id,city\nc1,Moscow\nc2,Moscow\nc3,Moscow\nc4,Moscow\nc5,Moscow\n");
    expect(segment(["run", "--as-of", "2026-11-24", "--format", "csv,json"], dir).code).toBe(0);
    expect(bytes("moscow", "entered.csv").toString().trim().split("\n").slice(1).map((l) => l.split(",")[0])).toEqual(["c5"]);
    expect(bytes("moscow", "members.csv").toString().trim().split("\n")).toHaveLength(6);
  });

  it("names in left files the members who are gone from the customers export, with or without --fields", () => {
    // c4 is deleted from the shop: it leaves both segments. Its id is all the run knows of it,
    // so an added column is empty for it (run.ts OutputRows: ids alone need no lookup).
    for (const fields of [[], ["--fields", "city"]]) {
      const dir = project();
      expect(segment(["run", ...AS_OF, ...fields], dir).code).toBe(0);
      writeFileSync(path.join(dir, "data", "customers.csv"), "id,city\nc1,Moscow\nc2,Moscow\nc3,Moscow\n");
      expect(segment(["run", "--as-of", "2026-11-24", ...fields], dir).code).toBe(0);
      const want = fields.length ? ["id,city", "c4,"] : ["id", "c4"];
      expect(read(dir, "out", "moscow", "left.csv").trim().split("\n")).toEqual(want);
      expect(read(dir, "out", "buyers", "left.csv").trim().split("\n")).toEqual(want);
      expect(ids(dir, "moscow", "members.csv")).toEqual(fields.length ? ["c1,Moscow", "c2,Moscow", "c3,Moscow"] : ["c1", "c2", "c3"]);
    }
  });

  it("runs the documented example hook, which appends each entered customer", () => {
    const dir = project(`hooks:\n  after_run: [node, ${JSON.stringify(path.join(ROOT, "docs", "hooks", "append-entered.mjs"))}, entered.log]\n`);
    const r = segment(["run", ...AS_OF], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = read(dir, "entered.log").trim().split("\n").map((l) => l.split("\t").slice(1));
    // Run 1: all four enter both segments.
    expect(lines.sort()).toEqual(["buyers", "moscow"].flatMap((seg) => ["c1", "c2", "c3", "c4"].map((id) => ["2026-11-23", seg, id])).sort());
    secondNight(dir);
    expect(segment(["run", "--as-of", "2026-11-24"], dir).code).toBe(0);
    // Run 2: nobody enters; the file grows by nothing.
    expect(read(dir, "entered.log").trim().split("\n")).toHaveLength(8);
  });

  it("history --since keeps the runs as of that day or later", () => {
    const dir = project();
    expect(segment(["run", "--as-of", "2026-11-20"], dir).code).toBe(0);
    secondNight(dir);
    expect(segment(["run", "--as-of", "2026-11-23"], dir).code).toBe(0);
    const all = (JSON.parse(segment(["history", "--segment", "moscow", "--json"], dir).stdout) as { events: Array<{ as_of: string; event: string }> }).events;
    // 4 enters on the 20th, then c3 and c4 leave on the 23rd; newest first.
    expect(all.map((e) => `${e.as_of} ${e.event}`)).toEqual(["2026-11-23 leave", "2026-11-23 leave", "2026-11-20 enter", "2026-11-20 enter", "2026-11-20 enter", "2026-11-20 enter"]);
    const since = (JSON.parse(segment(["history", "--segment", "moscow", "--since", "2026-11-21", "--json"], dir).stdout) as { events: unknown[] }).events;
    expect(since).toHaveLength(2);
  });
});

