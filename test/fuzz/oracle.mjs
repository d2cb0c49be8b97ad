// What every command run of a case must satisfy, whatever its input: CLI.md's exit codes, no
// stack trace, no signal or hang, bounded memory and stderr, a placed message on failure,
// and a refusal where the spec calls the input broken.

const STACK = [/^\s{4}at \S/m, /\bRangeError\b/, /\bTypeError\b/, /\bReferenceError\b/, /Invalid string length/, /Maximum call stack/, /heap out of memory/, /FATAL ERROR/, /node:internal\//, /Invalid array length/];
const EXT = "(?:csv|tsv|txt|json|ndjson|jsonl|gz|ya?ml)";
/** A file or folder named in a message: a name with an export or YAML extension, `<stdin>`, or an absolute path. */
const PLACE = new RegExp(`(?:<stdin>|[\\w.~-]+\\.${EXT}\\b|(?:^|[\\s"'\`(=])\\/[\\w.\\-/]+|(?:^|[\\s"'\`(])(?:\\.{1,2}\\/)?[\\w.-]+\\/[\\w.\\-/]*)`, "m");
/** A line number after a file name. */
const LINE = new RegExp(`(?:<stdin>|\\.${EXT}):\\d+`);
/** Largest stderr accepted (a message may quote a value, not echo a 10 MB one). */
export const MAX_STDERR = 64 * 1024;

function jsonError(stdout) {
  const last = stdout.trim().split("\n").pop() ?? "";
  try {
    const o = JSON.parse(last);
    return o && o.ok === false ? o : null;
  } catch {
    return null;
  }
}

const firstLines = (s, n = 6) => s.split("\n").filter((l) => l.trim()).slice(0, n).join("\n").slice(0, 800);

/**
 * Findings of one run `r` (from exec.runSegment) of command `cmd` ({ args, expect, needLine, why }).
 * `rssLimitMb` bounds the child's peak RSS.
 */
export function judgeRun(r, cmd, { rssLimitMb = 600, timeoutMs } = {}) {
  const out = [];
  const add = (cls, detail, excerpt = firstLines(r.stderr) || firstLines(r.stdout)) => out.push({ class: cls, detail, excerpt });
  const text = `${r.stderr}\n${r.stdout.slice(0, 64 * 1024)}`;
  if (r.timedOut) add("hang", `no exit after ${Math.round((timeoutMs ?? r.ms) / 1000)} s`);
  else if (r.memoryKilled) add("memory", `killed at ${Math.round(r.maxRssKb / 1024)} MB RSS (hard stop)`);
  else if (r.signal) add("signal", `killed by ${r.signal}`);
  else if (r.code === 1) add("crash", "exit 1 (a bug, CLI.md)");
  else if (![0, 2, 3].includes(r.code)) add("crash", `exit ${r.code}`);
  const stack = STACK.find((re) => re.test(text));
  if (stack && !out.some((f) => f.class === "crash")) add("crash", `stack trace or internal error in output (${stack.source})`, firstLines(text.slice(Math.max(0, text.search(stack) - 200)), 8));
  if (!r.memoryKilled && r.maxRssKb > rssLimitMb * 1024) add("memory", `peak RSS ${Math.round(r.maxRssKb / 1024)} MB > ${rssLimitMb} MB`);
  if (r.stderrBytes > MAX_STDERR) add("huge-stderr", `stderr is ${r.stderrBytes} bytes (> ${MAX_STDERR})`, firstLines(r.stderr.slice(0, 400), 2));
  if (r.timedOut || r.memoryKilled || r.signal) return out;
  if (r.code === 0 && cmd.expect === "mustReject") add("silent-acceptance", `exit 0, but the spec says reject: ${cmd.why ?? "broken input"}`, firstLines(r.stderr) || firstLines(r.stdout, 3));
  // A crash is reported as such; whether its message is placed is beside the point.
  if (r.code !== 0 && r.code !== 1) {
    const err = jsonError(r.stdout);
    const problems = err?.error?.problems ?? err?.problems ?? [];
    const placed = PLACE.test(r.stderr) || problems.some((p) => p.file);
    const lined = LINE.test(r.stderr) || problems.some((p) => p.file && p.line);
    if (!r.stderr.trim() && !err) add("unplaced-message", `exit ${r.code} with no message at all`);
    else if (!placed) add("unplaced-message", `exit ${r.code}: the message names no file or folder`);
    else if (cmd.needLine && !lined) add("unplaced-message", `exit ${r.code}: the message names no line (${cmd.why ?? "a row or YAML error"})`);
  }
  return out;
}
