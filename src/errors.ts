/** Error kinds of `segment` and the exit codes CLI.md assigns to them. */

/** Exit codes of CLI.md. */
export const EXIT = { ok: 0, bug: 1, usage: 2, data: 3, locked: 4, hook: 5 } as const;

/** One problem found in a file, with its position when there is one. */
export interface Problem {
  file?: string;
  line?: number;
  col?: number;
  /** Field path inside a definition or config, e.g. `groups[0].filters[1].between`. */
  path?: string;
  /** The offending value, as read. */
  value?: string;
  message: string;
  /** What to do about it, or the nearest valid choice. */
  hint?: string;
}

/**
 * Longest offending value a message shows, in characters; the rest is cut (a bad row's cell
 * may hold a customer's whole note). `--verbose` shows values whole.
 */
export const SHOWN_VALUE_CHARS = 100;
/** Longest message or hint kept, whatever it quotes. */
const SHOWN_MESSAGE_CHARS = 2000;

let wholeValues = false;

/** `--verbose`: messages show offending values whole. Set once, before any command runs. */
export function showWholeValues(on: boolean): void {
  wholeValues = on;
}

/** True when values are shown whole (--verbose). */
export function shownWholeValues(): boolean {
  return wholeValues;
}

/** A value as messages show it: cut to SHOWN_VALUE_CHARS, saying how long it was. */
export function shownValue(v: string, max = SHOWN_VALUE_CHARS): string {
  if (wholeValues || v.length <= max) return v;
  // Not between the halves of a surrogate pair.
  const end = v.charCodeAt(max - 1) >= 0xd800 && v.charCodeAt(max - 1) < 0xdc00 ? max - 1 : max;
  return `${v.slice(0, end)}… (${v.length} characters)`;
}

/** A problem with its value, message and hint cut for showing (see SHOWN_VALUE_CHARS). */
function shownProblem(p: Problem): Problem {
  const long = (p.value?.length ?? 0) > SHOWN_VALUE_CHARS || p.message.length > SHOWN_MESSAGE_CHARS || (p.hint?.length ?? 0) > SHOWN_MESSAGE_CHARS;
  if (!long || wholeValues) return p;
  return {
    ...p,
    value: p.value === undefined ? undefined : shownValue(p.value),
    message: shownValue(p.message, SHOWN_MESSAGE_CHARS),
    hint: p.hint === undefined ? undefined : shownValue(p.hint, SHOWN_MESSAGE_CHARS),
  };
}

/** Formats a problem as `file:line:col: path: message (value) — hint`. */
export function formatProblem(p: Problem): string {
  let where = "";
  if (p.file) {
    where = p.file;
    if (p.line !== undefined) where += `:${p.line}`;
    if (p.line !== undefined && p.col !== undefined) where += `:${p.col}`;
    where += ": ";
  }
  const path = p.path ? `${p.path}: ` : "";
  // Lists and objects arrive as JSON text already; plain values are quoted.
  const value = p.value === undefined ? "" : /^[[{]/.test(p.value) ? ` (value ${p.value})` : ` (value ${JSON.stringify(p.value)})`;
  const hint = p.hint ? `\n  ${p.hint}` : "";
  return `${where}${path}${p.message}${value}${hint}`;
}

/** Base of every expected failure: carries its exit code and the problems behind it. */
export abstract class SegmentError extends Error {
  readonly exitCode: number;
  readonly problems: Problem[];
  /** Set when the command has already printed its JSON result (which lists the problems): no JSON error follows it. */
  printedAsJson = false;
  /** What kind of failure, as JSON names it (docs/json.md). */
  abstract readonly kind: string;
  constructor(exitCode: number, message: string, problems: Problem[] = []) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.problems = problems.map(shownProblem);
  }
}

/** Wrong flags or arguments (exit 2). */
export class UsageError extends SegmentError {
  override readonly kind = "usage";
  /** `hint`, when given, says what to do; it goes on the next line, as problems' hints do. */
  constructor(message: string, hint?: string) {
    super(EXIT.usage, hint ? `${message}\n  ${hint}` : message);
  }
}

/** The project config is missing or invalid (exit 2). */
export class ConfigError extends SegmentError {
  override readonly kind = "config";
  constructor(problems: Problem[]) {
    super(EXIT.usage, summarise("config", problems), problems);
  }
}

/** One or more segment definitions are invalid (exit 2). */
export class DefinitionError extends SegmentError {
  override readonly kind = "definition";
  constructor(problems: Problem[]) {
    super(EXIT.usage, summarise("definition", problems), problems);
  }
}

/** An export cannot be read (exit 3). */
export class DataError extends SegmentError {
  override readonly kind = "data";
  constructor(problems: Problem[]) {
    super(EXIT.data, summarise("data", problems), problems);
  }
}

/** The state folder cannot be used: written by a newer version, or damaged (exit 2). */
export class StateError extends SegmentError {
  override readonly kind = "state";
  constructor(message: string, hint: string) {
    super(EXIT.usage, `${message}\n  ${hint}`, [{ message, hint }]);
  }
}

/** What the system errors mean, in words (Node's messages put the code first). */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EIO: "input/output error",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  ENOTDIR: "a file stands where a folder should be",
  EISDIR: "a folder stands where a file should be",
  ELOOP: "a symlink loop",
};

/** What a failed system call was doing, for the message. */
const SYSCALL_VERBS: Record<string, string> = {
  open: "open", write: "write", fsync: "fsync", close: "close", rename: "rename", mkdir: "create the folder",
  rm: "remove", unlink: "remove", rmdir: "remove", read: "read", scandir: "list", stat: "stat", fchmod: "set the mode of",
};

/**
 * A file of the state or the out folder could not be read or written: a full disk, an I/O
 * error, a permission (exit 2, as for a state folder that cannot be used). The message names
 * the file and the error; the hint says what the run left behind.
 */
export class StorageError extends SegmentError {
  override readonly kind = "storage";
  constructor(readonly failure: NodeJS.ErrnoException, hint: string) {
    const file = failure.path ?? "(unknown file)";
    const verb = SYSCALL_VERBS[failure.syscall ?? ""] ?? failure.syscall ?? "use";
    const message = `cannot ${verb} ${file}: ${failure.code} (${SYSTEM_ERRORS[failure.code ?? ""] ?? failure.message})`;
    super(EXIT.usage, `${message}\n  ${hint}`, [{ file, message, hint }]);
  }
}

/** True for an error of a system call (ENOSPC, EIO, EACCES...), as node:fs throws them. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  const err = e as NodeJS.ErrnoException;
  return err instanceof Error && typeof err.code === "string" && /^E[A-Z0-9]+$/.test(err.code) && typeof err.syscall === "string";
}

/** A run guard tripped: nothing was committed (exit 3, as for bad input). */
export class GuardError extends SegmentError {
  override readonly kind = "guard";
  constructor(problems: Problem[]) {
    super(EXIT.data, summarise("guard", problems) + "\nnothing was changed: the state and out/ are as the last run left them", problems);
  }
}

/** The run committed, but its after_run hook failed (exit 5). */
export class HookError extends SegmentError {
  override readonly kind = "hook";
  constructor(message: string) {
    super(EXIT.hook, `${message}\nthe run itself is committed: the state and out/ are this run's`);
  }
}

/** Another run holds the state lock (exit 4). */
export class LockError extends SegmentError {
  override readonly kind = "locked";
  constructor(message: string) {
    super(EXIT.locked, message);
  }
}

function summarise(kind: string, problems: Problem[]): string {
  const n = problems.length;
  return `${n} ${kind} problem${n === 1 ? "" : "s"}:\n${problems.map((p) => formatProblem(shownProblem(p))).join("\n")}`;
}
