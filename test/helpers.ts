/** Runs the built binary in a temp folder, like a user would. */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The launcher the package installs as `segment`. */
export const BIN = path.join(ROOT, "bin", "segment.js");

/** What a run of the binary produced. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `segment args...` in `cwd` with colour off and no TTY. */
export function segment(args: string[], cwd = ROOT, env: Record<string, string> = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temp folder. */
export function tempDir(prefix = "segment-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Copies a fixture folder into a temp folder with a config that reads it as the data folder. */
export function fixtureCopy(name: string, config = "data: .\nsegments: segments\n"): string {
  const dir = tempDir();
  cpSync(path.join(ROOT, "fixtures", name), dir, { recursive: true });
  writeFileSync(path.join(dir, "segment.config.yaml"), config);
  return dir;
}
