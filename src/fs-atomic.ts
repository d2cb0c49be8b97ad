/** Durable file replacement: temp file in the same folder, fsync, rename, fsync the folder. */
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

/** A file written aside, waiting to be moved over its target. */
export interface StagedFile {
  tmp: string;
  file: string;
}

/** Writes `data` durably to a temp file beside `file` (same folder, so the rename cannot cross mounts). */
export function writeAside(file: string, data: string | Uint8Array, mode = 0o644): StagedFile {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", mode);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fchmodSync(fd, mode);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
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
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes staged files that will not be moved into place. */
export function discardStaged(staged: StagedFile[]): void {
  for (const s of staged) rmSync(s.tmp, { force: true });
}

/** Replaces `file` with `data` so a crash leaves either the old or the new content, never a mix. */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): void {
  moveIntoPlace([writeAside(file, data, mode)]);
}
