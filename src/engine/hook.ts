/**
 * The `after_run` hook: a command run after a successful `segment run` with the run summary
 * (and the paths of the files it wrote) as JSON on stdin, so "a customer entered a
 * segment" can reach a mailer, an SMS gateway or a task tracker. Run without a shell unless
 * the config says `shell: true`; killed after its timeout. Its output goes to stderr.
 */
import { spawn } from "node:child_process";
import type { HookConfig } from "../config/load-config.js";

/** How a hook ended: null when it succeeded, else what went wrong. */
export type HookOutcome = string | null;

/** Runs the hook with `input` on stdin; resolves to null on exit 0, or to a message. */
export function runHook(hook: HookConfig, input: unknown, output: (chunk: Buffer) => void): Promise<HookOutcome> {
  return new Promise((resolve) => {
    const [file, args] = hook.shell ? ["/bin/sh", ["-c", hook.command as string]] : [(hook.command as string[])[0], (hook.command as string[]).slice(1)];
    const shown = hook.shell ? String(hook.command) : (hook.command as string[]).join(" ");
    const child = spawn(file, args, { cwd: hook.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 2000).unref();
    }, hook.timeoutMs);
    child.stdout.on("data", output);
    child.stderr.on("data", output);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve(`the after_run hook \`${shown}\` could not start: ${e.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve(`the after_run hook \`${shown}\` took longer than ${hook.timeoutMs / 1000} s and was stopped`);
      else if (code === 0) resolve(null);
      else resolve(`the after_run hook \`${shown}\` failed (${signal ? `killed by ${signal}` : `exit ${code}`})`);
    });
    // A hook that does not read its stdin must not fail the write.
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(input) + "\n");
  });
}
