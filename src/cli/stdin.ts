/**
 * `sources.<name>.file: "-"`: an export piped in. Standard input can be read once, and an
 * export may be read more than once in a command (customers derived from the facts, custom
 * fact columns typed before the pass), so it is first copied to a private temporary file
 * (0600, removed when the process exits) and read from there as any file. The copy streams
 * in fixed chunks: memory does not grow with the export.
 */
import { isatty } from "node:tty";
import { closeSync, mkdtempSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { STDIN, type Config } from "../config/load-config.js";
import { UsageError } from "../errors.js";

/** How messages name an export read from standard input. */
export const STDIN_NAME = "<stdin>";

const CHUNK = 1 << 20;

/** The config with an export named `-` pointed at a copy of standard input (the config itself when none is). */
export function spoolStdin(config: Config, stdinFd = 0): Config {
  const entry = Object.entries(config.sources).find(([, s]) => s?.file?.[0] === STDIN);
  if (!entry) return config;
  const [name, source] = entry;
  // isatty, not process.stdin: making that stream would switch a pipe to non-blocking reads.
  if (isatty(stdinFd)) throw new UsageError(`sources.${name}.file is "-", standard input, which is a terminal: pipe the ${name} export in (e.g. cat ${name}.csv | segment ...)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "segment-stdin-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const staged = path.join(dir, "stdin");
  const fd = openSync(staged, "w", 0o600);
  let head: Buffer | undefined;
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readChunk(stdinFd, buf);
      if (n === 0) break;
      head ??= Buffer.from(buf.subarray(0, 2));
      writeSync(fd, buf, 0, n);
    }
  } finally {
    closeSync(fd);
  }
  // A gzipped stream is read as a .gz file is; the format comes from the config (csv unless it says).
  const gz = head !== undefined && head[0] === 0x1f && head[1] === 0x8b;
  const format = source!.format ?? "csv";
  const file = path.join(dir, `${name}.${format}${gz ? ".gz" : ""}`);
  renameSync(staged, file);
  return { ...config, sources: { ...config.sources, [name]: { ...source!, file: [file], format, shownAs: STDIN_NAME } } };
}

/** One chunk of a blocking read; a non-blocking descriptor with nothing yet is waited on. */
function readChunk(fd: number, buf: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === "EOF") return 0;
      throw e;
    }
  }
}
