/** Durable file replacement: temp file in the same folder, fsync, rename, fsync the folder. */
import { randomBytes } from "node:crypto";
import { closeSync, constants, copyFileSync, fchmodSync, fdatasync, fsync, fsyncSync, openSync, renameSync, rmSync, statSync, write, writeSync } from "node:fs";
import path from "node:path";

/** A file written aside, waiting to be moved over its target. */
export interface StagedFile {
  tmp: string;
  file: string;
}

/**
 * Runs an operation on a descriptor of `file` and, when it fails, names the file in the
 * error: Node's errors of fd calls (write, fsync, close) carry no path, and the message
 * must say which file a full disk or an I/O error hit.
 */
export function onFile<T>(file: string, op: () => T): T {
  try {
    return op();
  } catch (e) {
    throw namePath(e, file);
  }
}

/** Sets `path` on a system error that has none (see onFile); returns the error. */
export function namePath(e: unknown, file: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === "object" && typeof err.code === "string" && err.path === undefined) err.path = file;
  return e;
}

/**
 * Writes all of `data` at the descriptor's position. A write(2) may write less than asked
 * (a disk filling up writes what fits, and only the next write fails with ENOSPC): one
 * writeSync is not enough to know the file is whole.
 */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** writeAll with the writes on libuv's threads: the caller's thread goes on meanwhile. */
export async function writeAllAsync(fd: number, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) off += await writeAt(fd, buf, off);
}

function writeAt(fd: number, buf: Uint8Array, off: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, buf, off, buf.length - off, null, (e, n) => (e ? reject(e) : resolve(n))));
}

/** fsync on libuv's threads. */
export function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/** fdatasync on libuv's threads. */
export function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

/** True when `file` exists; false only when it does not (existsSync also says false on EIO or EACCES). */
export function pathExists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw e;
  }
}

/** A new hidden temp name beside `file` (same folder, so the rename cannot cross mounts). */
export function tempBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
}

/** Writes `data` durably to a temp file beside `file`. */
export function writeAside(file: string, data: string | Uint8Array, mode = 0o600): StagedFile {
  const tmp = tempBeside(file);
  const fd = openSync(tmp, "wx", mode);
  try {
    onFile(tmp, () => {
      writeAll(fd, data);
      fchmodSync(fd, mode);
      fsyncSync(fd);
    });
  } catch (e) {
    bestEffort(() => closeSync(fd));
    bestEffort(() => rmSync(tmp, { force: true }));
    throw e;
  }
  onFile(tmp, () => closeSync(fd));
  return { tmp, file };
}

/** Copies the staged file `source` durably to a temp file beside `file`, as writeAside writes one. */
export function stageCopy(source: string, file: string, mode = 0o600): StagedFile {
  const tmp = tempBeside(file);
  try {
    onFile(tmp, () => copyFileSync(source, tmp, constants.COPYFILE_EXCL));
    const fd = onFile(tmp, () => openSync(tmp, "r+"));
    try {
      onFile(tmp, () => {
        fchmodSync(fd, mode);
        fsyncSync(fd);
      });
    } finally {
      onFile(tmp, () => closeSync(fd));
    }
  } catch (e) {
    bestEffort(() => rmSync(tmp, { force: true }));
    throw e;
  }
  return { tmp, file };
}

/** Moves staged files over their targets, then fsyncs each folder once. */
export function moveIntoPlace(staged: StagedFile[]): void {
  const dirs = new Set<string>();
  for (const s of staged) {
    renameSync(s.tmp, s.file);
    dirs.add(path.dirname(s.file));
  }
  for (const dir of dirs) fsyncDir(dir);
}

/** Fsyncs a folder, so the names created or renamed in it survive a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    onFile(dir, () => fsyncSync(fd));
  } catch (e) {
    bestEffort(() => closeSync(fd));
    throw e;
  }
  onFile(dir, () => closeSync(fd));
}

/**
 * Removes staged files that will not be moved into place. Best effort: it runs while
 * another error is on its way out, which must not be replaced; what stays is removed by the
 * next run.
 */
export function discardStaged(staged: StagedFile[]): void {
  for (const s of staged) bestEffort(() => rmSync(s.tmp, { force: true }));
}

/** Runs a clean-up step whose failure must not hide the error being reported. */
export function bestEffort(op: () => void): void {
  try {
    op();
  } catch {
    // Left for the next run to clean up.
  }
}

/** Replaces `file` with `data` so a crash leaves either the old or the new content, never a mix. */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): void {
  moveIntoPlace([writeAside(file, data, mode)]);
}
