/**
 * The run lock: `<state>/lock`, created exclusively, holding the pid, hostname and process
 * start time of its holder. A second run exits 4 at once naming the holder. A lock whose
 * process is dead, or whose pid now belongs to a process started at another time, is taken
 * over with a warning; a live one never is. Taking over goes through a second exclusive
 * file, `lock.takeover`, so two runs that both find the same stale lock cannot both win.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { LockError } from "../errors.js";
import { bestEffort, onFile, writeAll } from "../fs-atomic.js";

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** The process start time, from /proc/<pid>/stat (clock ticks since boot), when known. */
  start: string | null;
  since: string;
}

/** What the lock needs from outside: this process, and the clock. */
export interface LockContext {
  pid: number;
  now: number;
  /** Tells the caller about a stale lock taken over. */
  warn(message: string): void;
}

/** A takeover file older than this was left by a run that died while taking over. */
const TAKEOVER_STALE_MS = 30_000;

/** The start time of a process, or null when it does not exist (or this is not Linux). */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22, counted after the command name in parentheses (which may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True when the holder's process still runs (same host, same pid, same start time). */
export function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true; // Another machine's run: never assume it died.
  // NaN: a lock being written right now; 0 or less: no process (kill(-1) would signal everyone).
  if (Number.isNaN(holder.pid)) return true;
  if (!(holder.pid > 0)) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const start = processStart(holder.pid);
  // The pid exists; without start times to compare, it may be the holder: never take a live lock.
  if (holder.start === null || start === null) return true;
  // The same pid started at another time belongs to another process now.
  return start === holder.start;
}

/** A held lock; release it when the run ends, whatever happened. */
export class RunLock {
  private constructor(private readonly file: string, private readonly token: string) {}

  /** Takes the lock of a state folder, or throws a LockError naming its holder. */
  static acquire(stateDir: string, ctx: LockContext): RunLock {
    const file = path.join(stateDir, "lock");
    const me: LockHolder = { pid: ctx.pid, hostname: hostname(), start: processStart(ctx.pid), since: new Date(ctx.now).toISOString() };
    const token = JSON.stringify(me);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryCreate(file, token)) return new RunLock(file, token);
      const holder = readHolder(file, ctx.now);
      if (holder === undefined) continue; // Released meanwhile: try again.
      if (Number.isNaN(holder.pid)) throw new LockError(`another run is taking the lock ${file} right now (it has created the file and not yet written its pid)`);
      if (isAlive(holder)) throw new LockError(`another run holds the lock ${file}: pid ${holder.pid} on ${holder.hostname}, since ${holder.since}`);
      if (takeOver(file, holder, token, ctx)) {
        ctx.warn(`took over a stale lock left by pid ${holder.pid} on ${holder.hostname} (since ${holder.since}): that process is gone`);
        return new RunLock(file, token);
      }
    }
    throw new LockError(`could not take the lock ${file}: other runs keep taking it`);
  }

  /**
   * Releases the lock, only if it is still ours. Throws when the lock file cannot be read or
   * removed (EIO, EACCES): left in place, it is a dead run's lock the next run takes over.
   */
  release(): void {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // Already gone: nothing to release.
      throw e;
    }
    if (text === this.token) rmSync(this.file, { force: true });
  }
}

function tryCreate(file: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  try {
    onFile(file, () => writeAll(fd, token));
  } catch (e) {
    // An empty lock would hold off every run for a while: remove it, it is ours.
    bestEffort(() => closeSync(fd));
    bestEffort(() => rmSync(file, { force: true }));
    throw e;
  }
  try {
    onFile(file, () => closeSync(fd));
  } catch (e) {
    bestEffort(() => rmSync(file, { force: true }));
    throw e;
  }
  return true;
}

/** An unreadable lock older than this was left by a run that died between creating and writing it. */
const UNWRITTEN_STALE_MS = 2_000;

function readHolder(file: string, now: number): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (typeof h.pid === "number" && typeof h.hostname === "string") return h;
  } catch {
    // Falls through: not a lock we can read.
  }
  // Empty or half written: a run between creating the file and writing it, or one that died
  // there. Only the second stays so for long.
  let age: number;
  try {
    age = now - statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  return { pid: age > UNWRITTEN_STALE_MS ? 0 : Number.NaN, hostname: hostname(), start: null, since: age > UNWRITTEN_STALE_MS ? "unknown (an empty lock file)" : "just now" };
}

/** Replaces a stale lock with ours, under `lock.takeover`; false when another run got there first. */
function takeOver(file: string, stale: LockHolder, token: string, ctx: LockContext): boolean {
  const guard = `${file}.takeover`;
  if (!tryCreate(guard, token)) {
    try {
      if (ctx.now - statSync(guard).mtimeMs > TAKEOVER_STALE_MS) rmSync(guard, { force: true });
    } catch {
      // Gone meanwhile.
    }
    return false;
  }
  try {
    const now = readHolder(file, ctx.now);
    // Still the same stale holder? Then nobody else replaced it while we looked.
    if (now !== undefined && JSON.stringify(now) !== JSON.stringify(stale)) return false;
    const aside = `${file}.stale`;
    if (now !== undefined) renameSync(file, aside);
    rmSync(aside, { force: true });
    return tryCreate(file, token);
  } finally {
    rmSync(guard, { force: true });
  }
}
