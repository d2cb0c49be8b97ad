/**
 * Text files read whole and checked before anything parses them: the config and the segment
 * definitions. Bytes that are not UTF-8 and NUL bytes are problems with their line and
 * column (a parser would turn the first into U+FFFD and keep the second: `Mos\xffcow` would
 * quietly match nothing); a file too large, a folder, a symlink loop or a file we may not
 * read is a problem naming the file, never a stack trace.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { Problem } from "./errors.js";

/** Largest config or definition file read: a segment with a list of 100,000 ids is about 1.5 MB. */
export const MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024;

/** Offset of the first byte of `buf` (from `from`) that is not part of valid UTF-8; `buf.length` when all is. */
export function firstInvalidUtf8(buf: Uint8Array, from = 0): number {
  let i = from;
  while (i < buf.length) {
    const b = buf[i];
    const n = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    if (n === 0) {
      i++;
      continue;
    }
    if (i + n >= buf.length) return i;
    for (let k = 1; k <= n; k++) if ((buf[i + k] & 0xc0) !== 0x80) return i;
    // Overlong forms, surrogates and code points past U+10FFFF.
    if (n === 2 && ((b === 0xe0 && buf[i + 1] < 0xa0) || (b === 0xed && buf[i + 1] >= 0xa0))) return i;
    if (n === 3 && ((b === 0xf0 && buf[i + 1] < 0x90) || (b === 0xf4 && buf[i + 1] >= 0x90))) return i;
    i += n + 1;
  }
  return buf.length;
}

/** Line and column (1-based, in characters) of byte `offset` of UTF-8 `buf`. */
export function bytePosition(buf: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  let col = 1;
  for (let i = lineStart; i < offset; i++) if ((buf[i] & 0xc0) !== 0x80) col++;
  return { line, col };
}

/** What reading a file gave: its text, or the problems that kept it from being read. */
export interface TextFile {
  text?: string;
  problems: Problem[];
}

/** Reads a UTF-8 text file (shown in messages as `shown`, named `what`), whole, up to `maxBytes`. */
export function readTextFile(file: string, shown: string, what: string, maxBytes = MAX_TEXT_FILE_BYTES): TextFile {
  const fail = (message: string, hint?: string, pos?: { line: number; col: number }): TextFile => ({ problems: [{ file: shown, ...pos, message, hint }] });
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    return fail(...fsProblem(e as NodeJS.ErrnoException, what));
  }
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - size));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      parts.push(chunk.subarray(0, n));
      size += n;
      if (size > maxBytes) return fail(`the ${what} is larger than ${maxBytes / 1024 / 1024} MiB`, "is it the right file? Split large id lists over several segments");
    }
  } catch (e) {
    return fail(...fsProblem(e as NodeJS.ErrnoException, what));
  } finally {
    closeSync(fd);
  }
  const buf = Buffer.concat(parts, size);
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const bad = firstInvalidUtf8(buf, start);
  if (bad < buf.length) {
    return fail(`bytes that are not valid UTF-8 (${buf.subarray(bad, bad + 4).toString("hex")})`, "save the file as UTF-8", bytePosition(buf, bad));
  }
  const nul = buf.indexOf(0, start);
  if (nul !== -1) return fail("a NUL byte: the file is not plain text", "remove it, or save the file again as UTF-8 text", bytePosition(buf, nul));
  return { text: buf.toString("utf8", start), problems: [] };
}

/** A file-system error as a message and what to do, for a file or folder the user named. */
export function fsProblem(e: NodeJS.ErrnoException, what: string): [string, string] {
  switch (e.code) {
    case "ENOENT": return [`the ${what} does not exist`, "check the path"];
    case "ENOTDIR": return [`a part of the ${what}'s path is a file, not a folder`, "check the path"];
    case "EISDIR": return [`the ${what} is a folder, not a file`, "name the file inside it"];
    case "ELOOP": return [`the ${what} is a symlink loop (a link that leads back to itself)`, "fix or remove the link"];
    case "EACCES":
    case "EPERM": return [`permission denied: the ${what} cannot be read by this user`, "check its permissions (e.g. chmod u+r), or run as its owner"];
    case "ENAMETOOLONG": return [`the ${what}'s path is too long`, "use a shorter path"];
    default: return [`the ${what} cannot be read (${e.code ?? e.message})`, "check the file and the disk"];
  }
}
