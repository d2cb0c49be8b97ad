/**
 * The state folder: the current snapshot of every segment's membership, and the history of
 * every enter and leave, committed together by one atomic rename.
 *
 *   <state>/current.json              the commit point: { format_version, snapshot }
 *   <state>/snapshots/<run>/manifest.json   segments (hash, type, counts...), the committed runs
 *   <state>/snapshots/<run>/members/<n>.ids one JSON string per line, sorted: a membership
 *   <state>/history/<run>.ndjson      the enter/leave events of one run
 *   <state>/lock                      held while a run works (src/state/lock.ts)
 *
 * A run writes its snapshot folder and its history file aside (each fsynced), then replaces
 * current.json. Until that rename nothing it wrote is referenced, so a failed or killed run
 * leaves the previous state exactly as it was; history counts only the runs the current
 * manifest lists, so it can never disagree with the snapshot. Unreferenced leftovers are
 * removed by the next run, under the lock.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { isSystemError, StateError } from "../errors.js";
import { bestEffort, fsyncAsync, fsyncDir, namePath, onFile, pathExists, writeAllAsync, writeAside } from "../fs-atomic.js";
import type { Membership } from "../table/membership.js";
import { JsonLines } from "./json-lines.js";

/** What current.json may point to, and the member files a manifest may name: nothing outside the state folder. */
const SNAPSHOT_NAME = /^snapshots\/[A-Za-z0-9_-]{1,64}$/;
const MEMBER_FILE = /^\d{1,9}\.ids$/;

function damaged(message: string): StateError {
  return new StateError(message, "the state folder is damaged: restore it from a backup, or move it aside to start afresh");
}

/** The state layout this build writes; a newer one is refused. */
export const FORMAT_VERSION = 1;

/** Member counts kept per segment, for the sparkline. */
const COUNTS_KEPT = 30;

/** One segment in a snapshot. */
export interface SegmentState {
  code: string;
  name: string;
  type: "dynamic" | "static";
  active: boolean;
  /** The definition's hash when it was last computed. */
  hash: string;
  /** Run ids: first computed, last computed. */
  created: string;
  computed: string;
  members: number;
  /** Entered and left at the last run that computed it. */
  entered: number;
  left: number;
  /** Member counts at the last runs that computed it, oldest first. */
  counts: number[];
  /** Set when the definition was removed from the segments folder: kept, not computed. */
  archived?: boolean;
  /** File under the snapshot's members/ folder. */
  file: string;
}

/** A committed run, as the run log keeps it. */
export interface RunRecord {
  run_id: string;
  as_of: string;
  started_at: string;
  finished_at: string;
  computed: string[];
  entered: number;
  left: number;
  /** Rows read per export, for the input guard. */
  rows?: Record<string, number>;
}

/** A snapshot's manifest. */
export interface Manifest {
  format_version: number;
  run_id: string;
  segments: Record<string, SegmentState>;
  /** Every committed run, oldest first: the run log, and the history files that count. */
  runs: RunRecord[];
}

/** The named steps of a commit, for tests that kill a run at each of them. */
export type CommitStep = "member-file-written" | "members-written" | "manifest-written" | "history-written";

/** One enter or leave. */
export interface HistoryEvent {
  run_id: string;
  as_of: string;
  at: string;
  segment: string;
  customer_id: string;
  event: "enter" | "leave";
}

/** The enters (or leaves) of one segment in one run: one history line per id. */
export interface HistoryGroup {
  run_id: string;
  as_of: string;
  at: string;
  segment: string;
  event: "enter" | "leave";
  ids: readonly string[];
}

/** Writes the history lines of `groups`, each the JSON of a HistoryEvent (keys in its order). */
function historyLines(groups: readonly HistoryGroup[]): (out: JsonLines) => Promise<void> {
  return async (out) => {
    for (const g of groups) {
      const head = Buffer.from(`{"run_id":${JSON.stringify(g.run_id)},"as_of":${JSON.stringify(g.as_of)},"at":${JSON.stringify(g.at)},"segment":${JSON.stringify(g.segment)},"customer_id":`);
      const tail = Buffer.from(`,"event":${JSON.stringify(g.event)}}\n`);
      // Between two ids of a group, one copy: the line's tail and the next line's head.
      const between = Buffer.concat([tail, head]);
      const { ids } = g;
      if (ids.length === 0) continue;
      out.bytes(head);
      for (let k = 0; k < ids.length; k++) {
        out.string(ids[k]);
        out.bytes(k === ids.length - 1 ? tail : between);
        if (out.full) await out.flush();
      }
    }
  };
}

const NEWLINE = Buffer.from("\n");

/** Writes the member file of a membership: one JSON string a line. */
function memberLines(ids: readonly string[]): (out: JsonLines) => Promise<void> {
  return async (out) => {
    for (const id of ids) {
      out.string(id);
      out.bytes(NEWLINE);
      if (out.full) await out.flush();
    }
  };
}

/** The state folder of a project. */
export class StateStore {
  /** The run whose commit rename has happened in this process: from then on the state is that run's. */
  committedRun?: string;

  constructor(readonly dir: string) {}

  private get currentFile(): string {
    return path.join(this.dir, "current.json");
  }

  /** Creates the state folder (0700) when missing. */
  ensure(): void {
    mkdirSync(path.join(this.dir, "snapshots"), { recursive: true, mode: 0o700 });
    mkdirSync(path.join(this.dir, "history"), { recursive: true, mode: 0o700 });
  }

  /**
   * Refuses a state written by a newer segment before anything is created in it (the lock,
   * missing folders): such a folder is left exactly as it is.
   */
  checkFormat(): void {
    const pointer = readJson(this.currentFile) as { format_version?: number } | undefined;
    if (pointer !== undefined) checkVersion(pointer.format_version, this.currentFile);
  }

  /** The current manifest, or undefined before the first run. */
  current(): Manifest | undefined {
    // Only a missing current.json means "no run yet": one that cannot be read (EIO, EACCES)
    // must fail the run, not start the history afresh.
    const pointer = readJson(this.currentFile) as { format_version?: number; snapshot?: string } | undefined;
    if (pointer === undefined) return undefined;
    checkVersion(pointer.format_version, this.currentFile);
    // Names read from the state never lead out of it (a damaged or planted current.json).
    if (typeof pointer.snapshot !== "string" || !SNAPSHOT_NAME.test(pointer.snapshot)) throw damaged(`${this.currentFile} points to ${JSON.stringify(String(pointer.snapshot)).slice(0, 80)}, not a snapshot of this folder`);
    const file = path.join(this.dir, pointer.snapshot, "manifest.json");
    const manifest = readJson(file) as Manifest | undefined;
    if (manifest === undefined) throw damaged(`${file} is missing: ${this.currentFile} points to it`);
    checkVersion(manifest.format_version, file);
    if (`snapshots/${manifest.run_id}` !== pointer.snapshot) throw damaged(`${file} names run ${JSON.stringify(String(manifest.run_id)).slice(0, 80)}, not the snapshot it is in`);
    for (const seg of Object.values(manifest.segments ?? {})) if (!MEMBER_FILE.test(String(seg.file))) throw damaged(`${file} names the member file ${JSON.stringify(String(seg.file)).slice(0, 80)} for ${String(seg.code).slice(0, 64)}`);
    return manifest;
  }

  /** A segment's members in the current snapshot. */
  members(manifest: Manifest, code: string): Membership {
    const seg = manifest.segments[code];
    if (!seg) return [];
    const text = readFileSync(path.join(this.dir, "snapshots", manifest.run_id, "members", seg.file), "utf8");
    return text === "" ? [] : text.trimEnd().split("\n").map((l) => JSON.parse(l) as string);
  }

  /** writeAside, then the commit point (point). */
  async commit(manifest: Manifest, changed: ReadonlyMap<string, Membership>, events: readonly HistoryGroup[], previous: Manifest | undefined, checkpoint: (step: CommitStep) => void = () => {}): Promise<void> {
    await this.writeAside(manifest, changed, events, previous, checkpoint);
    this.point(manifest);
  }

  /**
   * Writes a new snapshot and its history aside, each file fsynced, then its folder: nothing
   * refers to them until point(). Members are given for the segments whose membership
   * changed or is new; the others are copied from the current snapshot.
   */
  async writeAside(manifest: Manifest, changed: ReadonlyMap<string, Membership>, events: readonly HistoryGroup[], previous: Manifest | undefined, checkpoint: (step: CommitStep) => void = () => {}): Promise<void> {
    this.ensure();
    const snap = path.join(this.dir, "snapshots", manifest.run_id);
    mkdirSync(path.join(snap, "members"), { recursive: true, mode: 0o700 });
    for (const seg of Object.values(manifest.segments)) {
      const given = changed.get(seg.code);
      const ids = given ?? (previous ? this.members(previous, seg.code) : []);
      await writeDurable(path.join(snap, "members", seg.file), memberLines(ids));
      checkpoint("member-file-written");
    }
    fsyncDir(path.join(snap, "members"));
    checkpoint("members-written");
    await writeDurable(path.join(snap, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
    fsyncDir(snap);
    fsyncDir(path.join(this.dir, "snapshots"));
    checkpoint("manifest-written");
    await writeDurable(path.join(this.dir, "history", `${manifest.run_id}.ndjson`), historyLines(events));
    fsyncDir(path.join(this.dir, "history"));
    checkpoint("history-written");
  }

  /** The commit point: current.json names the snapshot writeAside wrote (temp file, fsync, rename, folder fsync). */
  point(manifest: Manifest): void {
    const pointer = writeAside(this.currentFile, JSON.stringify({ format_version: FORMAT_VERSION, snapshot: path.join("snapshots", manifest.run_id) }) + "\n", 0o600);
    try {
      // The commit point.
      renameSync(pointer.tmp, pointer.file);
    } catch (e) {
      bestEffort(() => rmSync(pointer.tmp, { force: true }));
      throw e;
    }
    this.committedRun = manifest.run_id;
    fsyncDir(this.dir);
  }

  /** Removes snapshots and history files no committed manifest refers to (call under the lock). */
  collect(): void {
    const manifest = this.current();
    const keepSnap = manifest?.run_id;
    const keepRuns = new Set(manifest?.runs.map((r) => r.run_id) ?? []);
    const snaps = path.join(this.dir, "snapshots");
    if (pathExists(snaps)) for (const d of readdirSync(snaps)) if (d !== keepSnap) rmSync(path.join(snaps, d), { recursive: true, force: true });
    // A temp file of current.json left by a run killed inside the commit.
    for (const f of readdirSync(this.dir)) if (/^\.current\.json\..+\.tmp$/.test(f)) rmSync(path.join(this.dir, f), { force: true });
    const hist = path.join(this.dir, "history");
    if (pathExists(hist)) for (const f of readdirSync(hist)) if (!keepRuns.has(f.replace(/\.ndjson$/, ""))) rmSync(path.join(hist, f), { force: true });
  }

  /** The enter and leave events of one committed run (none when its file is gone). */
  runEvents(runId: string): HistoryEvent[] {
    const file = path.join(this.dir, "history", `${runId}.ndjson`);
    if (!existsSync(file)) return [];
    const text = readFileSync(file, "utf8");
    return text === "" ? [] : text.trimEnd().split("\n").map((l) => JSON.parse(l) as HistoryEvent);
  }

  /** The history files of the committed runs, oldest first. */
  historyFiles(manifest: Manifest): string[] {
    return manifest.runs.map((r) => path.join(this.dir, "history", `${r.run_id}.ndjson`)).filter((f) => existsSync(f));
  }
}

/** The next member counts of a segment: the last ones plus this run's. */
export function nextCounts(prev: number[] | undefined, members: number): number[] {
  return [...(prev ?? []), members].slice(-COUNTS_KEPT);
}

function checkVersion(v: number | undefined, file: string): void {
  if (typeof v !== "number") throw new StateError(`${file} has no format_version: it is not a segment state file`, "move the state folder aside, or set `state` to another folder");
  if (v > FORMAT_VERSION) throw new StateError(`${file} was written by a newer segment (state format ${v}; this one reads up to ${FORMAT_VERSION})`, "upgrade segment, or point `state` at another folder");
}

/** A JSON file of the state; undefined when it does not exist. A file that cannot be read throws its system error. */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (isSystemError(e) && e.code === "ENOENT") return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new StateError(`cannot read ${file}: ${(e as Error).message}`, "the state folder is damaged: restore it from a backup, or move it aside to start afresh");
  }
}

/**
 * Writes `text`, or the lines `write` gives (src/state/json-lines.ts), durably to a new
 * file. The writes and the fsync go on libuv's threads, so the run's other writes (its
 * output files) go on meanwhile.
 */
async function writeDurable(file: string, text: string | ((out: JsonLines) => Promise<void>)): Promise<void> {
  const fd = openSync(file, "wx", 0o600);
  const out = typeof text === "string" ? undefined : new JsonLines(fd);
  try {
    if (typeof text === "string") await writeAllAsync(fd, Buffer.from(text, "utf8"));
    else {
      await text(out!);
      await out!.end();
    }
    await fsyncAsync(fd);
  } catch (e) {
    // No write may be in flight when the descriptor is closed: its number could be reused.
    await out?.idle();
    bestEffort(() => closeSync(fd));
    throw namePath(e, file);
  }
  onFile(file, () => closeSync(fd));
}
