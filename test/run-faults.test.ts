/**
 * Failures of the file system under `segment run`, through the built binary, with the fault
 * shim test/faults/shim.mjs preloaded (`node --import`): it makes the Nth file operation on
 * the state or out folder fail with ENOSPC, EIO or EACCES (docs/run.md, "When the disk
 * fails"). First a seeded sample of the full suite (`npm run faults`, test/faults/run.mjs:
 * every operation index, each errno, once and persistent; kills at every step; a clock set
 * back; a newer state; eight concurrent runs), then the bugs it found, each as a test of its
 * own, and the privacy of what a run writes.
 *
 * SEGMENT_FAULT_SEED=N draws another sample (default 1); SEGMENT_FAULT_SAMPLE=N another size.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, ROOT, describeRun, segment, tempDir, type RunResult } from "./helpers.js";

const SHIM = path.join(ROOT, "test", "faults", "shim.mjs");
// The binary the shim runs: another build's (SEGMENT_FAULT_BIN=/path/bin/segment.js) shows which of these tests it fails.
const FAULT_BIN = process.env.SEGMENT_FAULT_BIN ?? BIN;
const SEED = Number(process.env.SEGMENT_FAULT_SEED ?? 1);
const SAMPLE = Number(process.env.SEGMENT_FAULT_SAMPLE ?? 16);
const AS_OF_1 = ["--as-of", "2026-11-23"];
const AS_OF_2 = ["--as-of", "2026-11-24"];

/** A shop of four customers and two segments (one reads orders), one committed run done. */
function project(config = ""): string {
  const dir = tempDir("segment-faults-");
  mkdirSync(path.join(dir, "data"));
  mkdirSync(path.join(dir, "segments"));
  writeFileSync(path.join(dir, "data", "customers.csv"), "id,city\nc1,Moscow\nc2,Moscow\nc3,Moscow\nc4,Kazan\n");
  writeFileSync(path.join(dir, "data", "orders.csv"), "id,customer_id,created_at,total\no1,c1,2026-11-01T10:00:00Z,10\no2,c4,2026-11-01T10:00:00Z,10\n");
  writeFileSync(path.join(dir, "segments", "moscow.yaml"), "code: moscow\nname: m\nfilters: [{ field: city, eq: Moscow }]\n");
  writeFileSync(path.join(dir, "segments", "buyers.yaml"), "code: buyers\nname: b\nfilters: [{ field: orders.count, gte: 1 }]\n");
  writeFileSync(path.join(dir, "segment.config.yaml"), `data: data\nsegments: segments\n${config}`);
  return dir;
}

/** The second night: c3 moves to Kazan, c2 orders. */
function secondNight(dir: string): void {
  writeFileSync(path.join(dir, "data", "customers.csv"), "id,city\nc1,Moscow\nc2,Moscow\nc3,Kazan\nc4,Kazan\n");
  writeFileSync(path.join(dir, "data", "orders.csv"), "id,customer_id,created_at,total\no1,c1,2026-11-01T10:00:00Z,10\no2,c4,2026-11-01T10:00:00Z,10\no3,c2,2026-11-20T10:00:00Z,10\n");
}

interface Op {
  n: number;
  op: string;
  path: string;
  after: string | null;
  faulted: string | false;
}

/** `segment args` with the shim: SEGMENT_FAULT = `spec` plus the folders and a log; the operations it saw. */
function faulted(dir: string, args: string[], spec: string): { r: RunResult; ops: Op[] } {
  const log = path.join(dir, `ops-${Date.now()}-${Math.random().toString(16).slice(2)}.ndjson`);
  const env = { ...process.env, NO_COLOR: "1", SEGMENT_FAULT: `under=${path.join(dir, ".segment")}:${path.join(dir, "out")},log=${log}${spec ? `,${spec}` : ""}` };
  const p = spawnSync(process.execPath, ["--import", SHIM, FAULT_BIN, ...args], { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
  const r: RunResult = { args, cwd: dir, code: p.status ?? -1, signal: p.signal, stdout: p.stdout, stderr: p.stderr };
  const ops = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Op) : [];
  return { r, ops };
}

/** Every file under `dir` with its bytes, folders marked. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) {
        out[`${r}/`] = "(folder)";
        walk(full, r);
      } else out[r] = readFileSync(full, "utf8");
    }
  };
  if (existsSync(dir)) walk(dir, "");
  return out;
}

/**
 * The number of the first operation of a counting run (on a copy of the same state) that
 * matches, among all operations or, with `among`, among those `among` keeps.
 */
function opIndex(dir: string, args: string[], match: (o: Op) => boolean, among: (o: Op) => boolean = () => true): { n: number; op: Op } {
  const copy = tempDir("segment-faults-count-");
  spawnSync("cp", ["-a", `${dir}/.`, copy]);
  const { r, ops } = faulted(copy, args, "");
  expect(r.code, describeRun(r)).toBe(0);
  const counted = ops.filter(among);
  const k = counted.findIndex(match);
  expect(k, `an operation to fault among ${counted.length}`).toBeGreaterThanOrEqual(0);
  return { n: k + 1, op: counted[k] };
}

const ok = (r: RunResult) => expect(r.code, describeRun(r)).toBe(0);

describe("the fault suite, a seeded sample (npm run faults runs it all)", () => {
  it(`${SAMPLE} injected faults, kills at four steps, a clock set back, a newer state, 8 concurrent runs (seed ${SEED}): no violation`, () => {
    const p = spawnSync(process.execPath, [path.join(ROOT, "test", "faults", "run.mjs"), "--sample", String(SAMPLE), "--seed", String(SEED), "--json"], { cwd: ROOT, encoding: "utf8", timeout: 170_000 });
    expect(p.status, p.stderr + p.stdout).toBe(0);
    const report = JSON.parse(p.stdout) as { violations: number; fault_cases_run: number; unreached: number; kills: number; ops_in_state: number; ops_in_out: number; concurrent_runs: number; refusals: number };
    console.log(`fault sample (seed ${SEED}): ${JSON.stringify({ ...report, rows: undefined })}`);
    expect(report.violations).toBe(0);
    // The shim does see the product's calls, in both folders.
    expect(report.ops_in_state).toBeGreaterThan(20);
    expect(report.ops_in_out).toBeGreaterThan(20);
    expect(report.fault_cases_run + report.unreached).toBe(SAMPLE);
    expect(report.kills).toBe(4);
    expect(report.refusals).toBe(2);
    expect(report.concurrent_runs).toBe(8);
  }, 180_000);
});

describe("bugs the fault suite found (each failed before its fix)", () => {
  it("an fsync error on a member file aborts the run with exit 2 and a message naming the file (was: exit 1 and a stack trace)", () => {
    const dir = project();
    ok(segment(["run", ...AS_OF_1], dir));
    secondNight(dir);
    const before = tree(path.join(dir, ".segment"));
    const outBefore = tree(path.join(dir, "out"));
    const { n, op } = opIndex(dir, ["run", ...AS_OF_2], (o) => (o.op === "fsyncSync" || o.op === "fsync") && o.path.includes("/members/"));
    const { r } = faulted(dir, ["run", "--json", ...AS_OF_2], `nth=${n},errno=EIO`);
    expect(r.code, describeRun(r)).toBe(2);
    expect(op.path).toMatch(/\/members\/\d+\.ids$/);
    expect(r.stderr).toMatch(new RegExp(`^error: cannot fsync ${dir}/\\.segment/snapshots/[^/]+/members/\\d+\\.ids: EIO \\(input/output error\\)$`, "m"));
    expect(r.stderr).toContain("nothing was committed");
    expect(r.stderr).not.toMatch(/\bbug\b|^\s+at /m);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: "storage", exit_code: 2 } });
    // Never retried, never ignored: nothing committed, the lock released.
    expect(tree(path.join(dir, ".segment"))).toMatchObject(before);
    expect(existsSync(path.join(dir, ".segment", "lock"))).toBe(false);
    expect(tree(path.join(dir, "out"))).toEqual(outBefore);
    // The next run diffs against the last committed run and removes the leftovers.
    const next = segment(["run", "--json", ...AS_OF_2], dir);
    ok(next);
    expect(readFileSync(path.join(dir, "out", "moscow", "left.csv"), "utf8")).toBe("id\nc3\n");
    expect(readdirSync(path.join(dir, ".segment", "snapshots"))).toEqual([JSON.parse(next.stdout).run_id]);
  });

  it("a short write (a disk filling up) is written to the end, not committed cut short (was: a truncated member file committed)", () => {
    const dir = project();
    ok(segment(["run", ...AS_OF_1], dir));
    secondNight(dir);
    // With short=1 the shim counts writes only: the number of the first member-file write among them.
    const { n } = opIndex(dir, ["run", ...AS_OF_2], (o) => (o.op === "writeSync" || o.op === "write") && o.path.includes("/members/"), (o) => o.op === "writeSync" || o.op === "write");
    const { r, ops } = faulted(dir, ["run", "--json", ...AS_OF_2], `nth=${n},errno=ENOSPC,short=1`);
    expect(ops.find((o) => o.faulted === "short")?.path, "the short write").toMatch(/\/members\/\d+\.ids$/);
    ok(r);
    const runId = (JSON.parse(r.stdout) as { run_id: string }).run_id;
    const members = path.join(dir, ".segment", "snapshots", runId, "members");
    expect(readdirSync(members).map((f) => readFileSync(path.join(members, f), "utf8")).sort()).toEqual(['"c1"\n"c2"\n', '"c1"\n"c2"\n"c4"\n']);
  });

  it("an EIO reading current.json fails the run and leaves the state whole (was: collect took it for no state and removed every snapshot and history file)", () => {
    const dir = project();
    ok(segment(["run", ...AS_OF_1], dir));
    secondNight(dir);
    const before = tree(path.join(dir, ".segment"));
    // The first look at current.json once the lock is taken: the collection of leftovers.
    let locked = false;
    const { n } = opIndex(dir, ["run", ...AS_OF_2], (o) => (locked ||= o.path.endsWith("/lock")) && o.path.endsWith("/current.json"));
    const { r } = faulted(dir, ["run", ...AS_OF_2], `nth=${n},errno=EIO`);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/cannot \w+ \S+current\.json: EIO/);
    expect(tree(path.join(dir, ".segment"))).toEqual(before);
    ok(segment(["run", ...AS_OF_2], dir));
    expect(readFileSync(path.join(dir, "out", "moscow", "left.csv"), "utf8")).toBe("id\nc3\n");
  });

  it("a lock that cannot be written is removed, not left empty (was: every run for the next 2 s exited 4)", () => {
    const dir = project();
    ok(segment(["run", ...AS_OF_1], dir));
    const { n } = opIndex(dir, ["run", ...AS_OF_2], (o) => o.op === "writeSync" && o.path.endsWith("/lock"));
    const { r } = faulted(dir, ["run", ...AS_OF_2], `nth=${n},errno=ENOSPC`);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toContain(`cannot write ${path.join(dir, ".segment", "lock")}: ENOSPC (no space left on device)`);
    expect(existsSync(path.join(dir, ".segment", "lock"))).toBe(false);
    ok(segment(["run", ...AS_OF_2], dir));
  });

  it("a failure after the commit says the run is committed, and the next run rewrites out/", () => {
    const dir = project();
    ok(segment(["run", ...AS_OF_1], dir));
    secondNight(dir);
    const { n } = opIndex(dir, ["run", ...AS_OF_2], (o) => o.op === "renameSync" && o.path.includes("/out/"));
    const { r } = faulted(dir, ["run", ...AS_OF_2], `nth=${n},errno=EACCES,persist=1`);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toContain("EACCES (permission denied)");
    expect(r.stderr).toContain("the run is committed");
    const history = segment(["history", "--segment", "moscow", "--json"], dir);
    expect((JSON.parse(history.stdout) as { events: Array<{ customer_id: string; event: string }> }).events.filter((e) => e.event === "leave").map((e) => e.customer_id)).toEqual(["c3"]);
    // Its lock could not be released (every operation failed): the next run takes it over.
    const next = segment(["run", ...AS_OF_2], dir);
    ok(next);
    expect(next.stderr).toContain("took over a stale lock");
    expect(readdirSync(path.join(dir, "out", "moscow")).sort()).toEqual(["entered.csv", "left.csv", "members.csv"]);
  });
});

describe("refusals that change nothing", () => {
  it("an as-of before the last committed run's is refused with exit 2, naming it, unless --allow-backdate", () => {
    const dir = project();
    ok(segment(["run", ...AS_OF_2], dir));
    const state = tree(path.join(dir, ".segment"));
    for (const args of [["run", ...AS_OF_1], ["run", "--dry-run", ...AS_OF_1]]) {
      const r = segment(args, dir);
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stderr).toContain("as of 2026-11-23 is earlier than the last committed run's as-of 2026-11-24");
      expect(r.stderr).toContain("add --allow-backdate");
    }
    expect(tree(path.join(dir, ".segment"))).toEqual(state);
    ok(segment(["run", ...AS_OF_2], dir));
    ok(segment(["run", "--allow-backdate", ...AS_OF_1], dir));
    expect(segment(["run", "--help"], dir).stdout).toContain("--allow-backdate");
  });

  it("a state written by a newer version is refused with exit 2 and left as it is", () => {
    const dir = project();
    ok(segment(["run", ...AS_OF_1], dir));
    const current = path.join(dir, ".segment", "current.json");
    writeFileSync(current, readFileSync(current, "utf8").replace('"format_version":1', '"format_version":2'));
    const state = tree(path.join(dir, ".segment"));
    const r = segment(["run", "--json", ...AS_OF_2], dir);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toContain("was written by a newer segment (state format 2");
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: "state", exit_code: 2 } });
    expect(tree(path.join(dir, ".segment"))).toEqual(state);
  });
});

describe("privacy of the state and the outputs", () => {
  const umask000 = (dir: string, line: string, env: Record<string, string> = {}) =>
    spawnSync("sh", ["-c", `umask 000; ${line}`], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env } });
  const modes = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const full = path.join(d, name);
        const st = statSync(full);
        out[path.relative(dir, full) + (st.isDirectory() ? "/" : "")] = (st.mode & 0o777).toString(8);
        if (st.isDirectory()) walk(full);
      }
    };
    walk(dir);
    return out;
  };

  it("under umask 000, every file a run, an export and a killed run's lock create is 0600 and every folder 0700", () => {
    const dir = project();
    const bin = JSON.stringify(BIN);
    let r = umask000(dir, `node ${bin} run ${AS_OF_1.join(" ")} && node ${bin} export moscow --format csv && node ${bin} export moscow --format xlsx --out moscow.xlsx`);
    expect(r.status, r.stderr).toBe(0);
    secondNight(dir);
    r = umask000(dir, `node ${bin} run ${AS_OF_2.join(" ")} --format csv,json`, { SEGMENT_TEST_ABORT_AT: "outputs-moved" });
    expect(r.signal ?? r.status, r.stderr).not.toBe(0);
    const all = { ...modes(path.join(dir, ".segment")), ...Object.fromEntries(Object.entries(modes(path.join(dir, "out"))).map(([k, v]) => [`out/${k}`, v])) };
    all["moscow.xlsx"] = (statSync(path.join(dir, "moscow.xlsx")).mode & 0o777).toString(8);
    all[".segment/"] = (statSync(path.join(dir, ".segment")).mode & 0o777).toString(8);
    all["out/"] = (statSync(path.join(dir, "out")).mode & 0o777).toString(8);
    expect(Object.keys(all)).toContain("lock");
    expect(Object.keys(all)).toContain("out/moscow.csv");
    expect(Object.keys(all).filter((k) => k.includes("snapshots/") && k.endsWith(".ids")).length).toBeGreaterThan(2);
    const wrong = Object.entries(all).filter(([k, m]) => m !== (k.endsWith("/") ? "700" : "600"));
    expect(wrong, JSON.stringify(all, null, 1)).toEqual([]);
  });

  it("refuses a state or out folder writable by everyone, saying which and chmod 700", () => {
    const dir = project();
    ok(segment(["run", ...AS_OF_1], dir));
    for (const folder of [".segment", "out"]) {
      const full = path.join(dir, folder);
      chmodSync(full, 0o777);
      const before = tree(path.join(dir, ".segment"));
      const r = segment(["run", ...AS_OF_2], dir);
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stderr).toContain(`the ${folder === "out" ? "out" : "state"} folder ${full} is writable by everyone (mode 0777)`);
      expect(r.stderr).toContain(`chmod 700 ${full}`);
      expect(tree(path.join(dir, ".segment"))).toEqual(before);
      chmodSync(full, 0o700);
    }
    ok(segment(["run", ...AS_OF_2], dir));
  });

  it("runs the after_run hook without a shell: metacharacters in its argv are passed literally", () => {
    const args = ["a;b", "$(touch pwned)", "*", "x > y", "`id`", "&&", "|"];
    const script = "require('fs').writeFileSync('argv.json', JSON.stringify(process.argv.slice(1)))";
    const dir = project(`hooks:\n  after_run: ${JSON.stringify(["node", "-e", script, ...args])}\n`);
    ok(segment(["run", ...AS_OF_1], dir));
    expect(JSON.parse(readFileSync(path.join(dir, "argv.json"), "utf8"))).toEqual(args);
    expect(existsSync(path.join(dir, "pwned"))).toBe(false);
    expect(existsSync(path.join(dir, "y"))).toBe(false);
  });
});
