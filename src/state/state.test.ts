/** The state folder and the lock, in a temp folder. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LockError, StateError } from "../errors.js";
import { processStart, RunLock } from "./lock.js";
import { FORMAT_VERSION, StateStore, type Manifest } from "./snapshot.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(path.join(tmpdir(), "segment-state-"));
  dirs.push(d);
  return d;
}

function manifest(run: string, members: number): Manifest {
  return {
    format_version: FORMAT_VERSION, run_id: run,
    segments: { a: { code: "a", name: "A", type: "dynamic", active: true, hash: "h", created: "r1", computed: run, members, entered: members, left: 0, counts: [members], file: "0.ids" } },
    runs: [{ run_id: run, as_of: "2026-11-23", started_at: "", finished_at: "", computed: ["a"], entered: members, left: 0 }],
  };
}

describe("state store", () => {
  it("commits a snapshot and its history together, and reads them back", () => {
    const store = new StateStore(temp());
    expect(store.current()).toBeUndefined();
    const ids = ["C1", "C2", 'odd "id"\n'];
    store.commit(manifest("r1", 3), new Map([["a", ids]]), [{ run_id: "r1", as_of: "2026-11-23", at: "", segment: "a", customer_id: "C1", event: "enter" }], undefined);
    const m = store.current()!;
    expect(m.run_id).toBe("r1");
    expect(store.members(m, "a")).toEqual(ids);
    expect(store.historyFiles(m)).toHaveLength(1);
  });

  it("ignores and collects what an uncommitted run left behind", () => {
    const dir = temp();
    const store = new StateStore(dir);
    store.commit(manifest("r1", 1), new Map([["a", ["C1"]]]), [], undefined);
    // A run that died before its commit: its snapshot folder and history file exist, unreferenced.
    mkdirSync(path.join(dir, "snapshots", "r2", "members"), { recursive: true });
    writeFileSync(path.join(dir, "history", "r2.ndjson"), '{"event":"enter"}\n');
    expect(store.current()!.run_id).toBe("r1");
    expect(store.historyFiles(store.current()!)).toEqual([path.join(dir, "history", "r1.ndjson")]);
    store.collect();
    expect(readdirSync(path.join(dir, "snapshots"))).toEqual(["r1"]);
    expect(readdirSync(path.join(dir, "history"))).toEqual(["r1.ndjson"]);
  });

  it("refuses a state written by a newer version", () => {
    const dir = temp();
    writeFileSync(path.join(dir, "current.json"), JSON.stringify({ format_version: FORMAT_VERSION + 1, snapshot: "snapshots/x" }));
    expect(() => new StateStore(dir).current()).toThrow(StateError);
    expect(() => new StateStore(dir).current()).toThrow(/newer segment/);
  });
});

describe("run lock", () => {
  const ctx = (warnings: string[] = []) => ({ pid: process.pid, now: Date.UTC(2026, 10, 23), warn: (m: string) => warnings.push(m) });

  it("is exclusive while held, and released only by its holder", () => {
    const dir = temp();
    const lock = RunLock.acquire(dir, ctx());
    expect(() => RunLock.acquire(dir, ctx())).toThrow(LockError);
    expect(() => RunLock.acquire(dir, ctx())).toThrow(new RegExp(`pid ${process.pid} on ${hostname()}`));
    lock.release();
    expect(existsSync(path.join(dir, "lock"))).toBe(false);
    RunLock.acquire(dir, ctx()).release();
  });

  it("takes over a lock whose process is gone, with a warning", () => {
    const dir = temp();
    // A process that has exited: its pid is free (or reused, with another start time).
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const pid = Number(dead.stdout);
    writeFileSync(path.join(dir, "lock"), JSON.stringify({ pid, hostname: hostname(), start: "1", since: "2026-11-22T00:00:00.000Z" }));
    const warnings: string[] = [];
    const lock = RunLock.acquire(dir, ctx(warnings));
    expect(warnings[0]).toMatch(new RegExp(`took over a stale lock left by pid ${pid}`));
    expect(JSON.parse(readFileSync(path.join(dir, "lock"), "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("takes over a lock whose pid now belongs to another process", () => {
    const dir = temp();
    // Our own pid, but recorded with a start time that is not ours: the pid was reused.
    const start = processStart(process.pid);
    expect(start).not.toBeNull();
    writeFileSync(path.join(dir, "lock"), JSON.stringify({ pid: process.pid, hostname: hostname(), start: String(Number(start) + 1), since: "x" }));
    const warnings: string[] = [];
    RunLock.acquire(dir, ctx(warnings)).release();
    expect(warnings).toHaveLength(1);
  });

  it("takes an empty lock only once it has stayed empty for a while", () => {
    const dir = temp();
    writeFileSync(path.join(dir, "lock"), "");
    // Just created: a run between creating and writing it. Not ours to take.
    expect(() => RunLock.acquire(dir, ctx())).toThrow(LockError);
    // Empty for 10 s: left by a run that died there.
    const warnings: string[] = [];
    RunLock.acquire(dir, { ...ctx(warnings), now: Date.now() + 10_000 }).release();
    expect(warnings).toHaveLength(1);
  });

  it("never takes a live lock of another host", () => {
    const dir = temp();
    writeFileSync(path.join(dir, "lock"), JSON.stringify({ pid: 1, hostname: "elsewhere.example", start: "1", since: "x" }));
    expect(() => RunLock.acquire(dir, ctx())).toThrow(/pid 1 on elsewhere.example/);
  });
});
