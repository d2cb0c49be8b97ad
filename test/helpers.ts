/** Runs the built binary in a temp folder, like a user would. */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, expect, onTestFinished } from "vitest";

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The launcher the package installs as `segment`. */
export const BIN = path.join(ROOT, "bin", "segment.js");

const TIMEOUT_MS = 120_000;
// SEGMENT_KEEP_TEMP=1 keeps the temp folders of a failing test (and of its file) to look into.
const KEEP_ON_FAILURE = process.env.SEGMENT_KEEP_TEMP === "1";

/** What a run of the binary produced, and which run it was. */
export interface RunResult {
  args: string[];
  cwd: string;
  code: number;
  /** The signal that ended the run, e.g. SIGTERM at the timeout; null when it exited. */
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs `segment args...` in `cwd` with colour off and no TTY; `input` is piped to its stdin. */
export function segment(args: string[], cwd = ROOT, env: Record<string, string> = {}, input?: string | Buffer): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    input,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: TIMEOUT_MS,
    // Exports of public data sets print megabytes; spawnSync's default cap is 1 MB.
    maxBuffer: 256 * 1024 * 1024,
  });
  return { args, cwd, code: r.status ?? -1, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}\n... (${text.length - max} more characters)` : text);
const indent = (text: string) => (text.trim() === "" ? "  (empty)" : text.trimEnd().replace(/^/gm, "  "));
const quoteArg = (a: string) => (/^[\w./:=@,+-]+$/.test(a) ? a : JSON.stringify(a));

/** The run as a failure message shows it: command line, folder, exit, all of stderr, the start of stdout. */
export function describeRun(r: RunResult): string {
  const exit = r.signal ? `killed by ${r.signal}${r.signal === "SIGTERM" ? ` (timeout ${TIMEOUT_MS / 1000} s?)` : ""}` : `exit ${r.code}`;
  return [
    `$ segment ${r.args.map(quoteArg).join(" ")}`,
    `  (in ${r.cwd}) ${exit}`,
    "stderr:",
    indent(clip(r.stderr, 8000)),
    "stdout:",
    indent(clip(r.stdout, 1500)),
    "",
  ].join("\n");
}

/** Asserts the run's exit code; a failure prints the command line, its stderr and the start of its stdout. */
export function expectExit(r: RunResult, code: number): void {
  expect(r.code, describeRun(r)).toBe(code);
}

/** Asserts that the run exited 0 and returns its stdout parsed as JSON. */
export function parseJson<T = unknown>(r: RunResult): T {
  expectExit(r, 0);
  return JSON.parse(r.stdout) as T;
}

// Temp folders made inside a test are removed when that test finishes; folders made outside
// one (at module or describe level, in beforeAll) when the file's tests are done. helpers.ts
// is evaluated afresh for each test file (vitest isolates files by default), so these hooks
// belong to the importing file's root suite.
const fileDirs = new Set<string>();
let failedInFile = false;

function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  fileDirs.delete(dir);
}

afterEach(({ task }) => {
  if (task.result?.state === "fail") failedInFile = true;
});
afterAll(() => {
  if (KEEP_ON_FAILURE && failedInFile && fileDirs.size) {
    console.error(`kept temp folders (SEGMENT_KEEP_TEMP=1): ${[...fileDirs].join(", ")}`);
    fileDirs.clear();
  }
  for (const dir of [...fileDirs]) remove(dir);
});

/** A fresh temp folder, removed after the test that made it (or after the file, if made outside a test). */
export function tempDir(prefix = "segment-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    onTestFinished(({ task }) => {
      if (KEEP_ON_FAILURE && task.result?.state === "fail") console.error(`kept temp folder of "${task.name}" (SEGMENT_KEEP_TEMP=1): ${dir}`);
      else rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    });
  } catch {
    // Not inside a test: onTestFinished throws, and the folder lives as long as the file's tests.
    fileDirs.add(dir);
  }
  return dir;
}

/**
 * Copies a fixture folder into a temp folder with a config that reads it as the data folder,
 * and an empty segments folder (a project without one is an error).
 */
export function fixtureCopy(name: string, config = "data: .\nsegments: segments\n"): string {
  const dir = tempDir();
  cpSync(path.join(ROOT, "fixtures", name), dir, { recursive: true });
  writeFileSync(path.join(dir, "segment.config.yaml"), config);
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  return dir;
}

/** The shop fixture with every example segment and the bench's suite (26 segments over every export). */
export function suiteProject(): string {
  const dir = fixtureCopy("shop");
  for (const d of [path.join(ROOT, "segments"), path.join(ROOT, "bench", "suite")]) {
    for (const f of readdirSync(d).filter((x) => x.endsWith(".yaml"))) writeFileSync(path.join(dir, "segments", f), readFileSync(path.join(d, f)));
  }
  return dir;
}

/**
 * A project in a temp folder: each file path (relative, folders made as needed) with its
 * text, and an empty `segments/` unless a file is put there.
 */
export function projectDir(files: Record<string, string>): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "segments"), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** One segment of `preview --json` (docs/json.md). */
export interface PreviewedSegment {
  code: string;
  name: string;
  count: number;
  members: string[];
  funnel: Array<{ depth: number; label: string; alone: number; cumulative?: number }>;
  customer?: { id: string; found: boolean; member: boolean; trace: Array<{ depth: number; label: string; pass: boolean; value?: string }> };
}

/** The first (or only) segment of a `preview --json` run's output. */
export function previewed(r: RunResult): PreviewedSegment {
  return parseJson<{ segments: PreviewedSegment[] }>(r).segments[0];
}
