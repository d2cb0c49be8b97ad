/** The state folder and the lock, in a temp folder. */
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from "node:fs";
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
  it("commits a snapshot and its history together, and reads them back", async () => {
    const store = new StateStore(temp());
    expect(store.current()).toBeUndefined();
    const ids = ["C1", "C2", 'odd "id"\n'];
    await store.commit(manifest("r1", 3), new Map([["a", ids]]), [{ run_id: "r1", as_of: "2026-11-23", at: "", segment: "a", event: "enter", ids: ["C1"] }], undefined);
    const m = store.current()!;
    expect(m.run_id).toBe("r1");
    expect(store.members(m, "a")).toEqual(ids);
    expect(store.historyFiles(m)).toHaveLength(1);
  });

  it("writes more history and members than one string can hold, a megabyte at a time", async () => {
    // A first run at a million customers enters millions of members: as one joined string
    // this history (about 600 MB) threw "Invalid string length" before anything was written.
    const store = new StateStore(temp());
    // 4 x 1.2M lines of 124 bytes: 595 MB, past V8's longest string (2^29 - 24 characters).
    const ids = Array.from({ length: 1_200_000 }, (_, i) => `C${String(i).padStart(7, "0")}`);
    const events = ["a", "b", "c", "d"].map((segment) => ({ run_id: "r1", as_of: "2026-11-23", at: "2026-11-23T10:00:00.000Z", segment, event: "enter" as const, ids }));
    await store.commit(manifest("r1", ids.length), new Map([["a", ids]]), events, undefined);
    const m = store.current()!;
    expect(store.members(m, "a")).toHaveLength(ids.length);
    const [file] = store.historyFiles(m);
    // Reference: each line is the JSON of one event object, keys in the order of HistoryEvent.
    const want = (segment: string, id: string) => JSON.stringify({ run_id: "r1", as_of: "2026-11-23", at: "2026-11-23T10:00:00.000Z", segment, customer_id: id, event: "enter" }) + "\n";
    const lineLength = Buffer.byteLength(want("a", ids[0]));
    expect(lineLength * ids.length * 4).toBeGreaterThan(2 ** 29);
    expect(statSync(file).size).toBe(lineLength * ids.length * 4);
    const fd = openSync(file, "r");
    const line = Buffer.alloc(lineLength);
    for (const k of [0, 1, ids.length - 1, ids.length, 3 * ids.length + 17, 4 * ids.length - 1]) {
      const seg = ["a", "b", "c", "d"][Math.floor(k / ids.length)];
      readSync(fd, line, 0, lineLength, k * lineLength);
      expect(line.toString()).toBe(want(seg, ids[k % ids.length]));
    }
    closeSync(fd);
  }, 60_000);

  it("ignores and collects what an uncommitted run left behind", async () => {
    const dir = temp();
    const store = new StateStore(dir);
    await store.commit(manifest("r1", 1), new Map([["a", ["C1"]]]), [], undefined);
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
