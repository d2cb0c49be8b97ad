// Runs one command of a case against the built binary: exit code, signal, capped output,
// the child's own peak RSS, a timeout (a hang) and a hard memory stop (to spare the machine).
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The launcher of the package. */
export const BIN = path.join(ROOT, "bin", "segment.js");
const PROBE = path.join(ROOT, "test", "fuzz", "rss-probe.mjs");
/** Captured output kept per stream; the byte counts are kept whole. */
const KEEP_BYTES = 256 * 1024;
/** The uid and gid the permission cases run as when the fuzzer runs as root. */
export const NOBODY = 65534;
export const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;

function vmKb(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs `segment args...` in `cwd`. `rssFile` is a path the probe may write (writable by the
 * child's user). Resolves with { code, signal, stdout, stderr, stdoutBytes, stderrBytes,
 * timedOut, memoryKilled, maxRssKb, ms }.
 */
export function runSegment({ args, cwd, rssFile, timeoutMs = 30_000, killRssMb = 3000, asNobody = false, stdin }) {
  return new Promise((resolve) => {
    const node = [process.execPath, "--import", PROBE, BIN, ...args];
    const argv = asNobody && IS_ROOT ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...node] : node;
    const t0 = Date.now();
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", SEGMENT_FUZZ_RSS: rssFile, HOME: cwd },
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out = { stdout: [], stderr: [], stdoutBytes: 0, stderrBytes: 0 };
    for (const name of ["stdout", "stderr"]) {
      child[name].on("data", (b) => {
        const kept = out[`${name}Bytes`];
        if (kept < KEEP_BYTES) out[name].push(b.subarray(0, KEEP_BYTES - kept));
        out[`${name}Bytes`] += b.length;
      });
    }
    if (stdin !== undefined) {
      child.stdin.on("error", () => {});
      child.stdin.end(stdin);
    }
    let timedOut = false;
    let memoryKilled = false;
    let hwm = 0;
    const poll = setInterval(() => {
      const rss = vmKb(child.pid, "VmRSS");
      hwm = Math.max(hwm, vmKb(child.pid, "VmHWM"), rss);
      if (rss > killRssMb * 1024) {
        memoryKilled = true;
        child.kill("SIGKILL");
      }
    }, 100);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", () => {});
    child.on("close", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      let maxRssKb = hwm;
      try {
        maxRssKb = Number(readFileSync(rssFile, "utf8")) || hwm;
        rmSync(rssFile, { force: true });
      } catch {
        // No probe file: the child died before its exit handler; the polled high-water mark stands.
      }
      resolve({
        args, code, signal, timedOut, memoryKilled, maxRssKb, ms: Date.now() - t0,
        stdout: Buffer.concat(out.stdout).toString("utf8"), stderr: Buffer.concat(out.stderr).toString("utf8"),
        stdoutBytes: out.stdoutBytes, stderrBytes: out.stderrBytes,
      });
    });
  });
}
