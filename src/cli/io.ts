/** The console as commands see it: stdout for data, stderr for messages, colour only where wanted. */
import { availableParallelism } from "node:os";
import { Chalk, type ChalkInstance } from "chalk";

/** Streams and styling handed to every command. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Styling for stderr; a no-op instance when colour is off. */
  style: ChalkInstance;
  quiet: boolean;
  /** Writes a message line to stderr unless quiet. */
  info(line: string): void;
  /** Writes a warning line to stderr (even when quiet: cron mails should show warnings). */
  warn(line: string): void;
  /** Writes data to stdout. */
  out(text: string): void;
  /** The working folder, read once by the process entry. */
  cwd: string;
  /** The clock, epoch ms. */
  now(): number;
  /** True when progress may be animated on stderr: a terminal, colour allowed, not --quiet, not CI. */
  animate: boolean;
  /** The environment, read once by the process entry. */
  env: Readonly<Record<string, string | undefined>>;
  /** Columns tables must fit in: the terminal's, or `COLUMNS` when stdout is no terminal; undefined: no limit. */
  width?: number;
}

/** The width tables fit: a terminal's columns, else a numeric COLUMNS (at least 40), else none. */
export function tableWidth(isTTY: boolean, columns: number | undefined, env: NodeJS.ProcessEnv): number | undefined {
  if (isTTY && columns && columns > 0) return columns;
  const n = Number(env.COLUMNS);
  return Number.isInteger(n) && n > 0 ? Math.max(40, n) : undefined;
}

/** Colour is on only for a TTY, and never with NO_COLOR, TERM=dumb, --no-color or --quiet. */
export function wantsColour(env: NodeJS.ProcessEnv, isTTY: boolean, noColorFlag: boolean, quiet: boolean): boolean {
  if (noColorFlag || quiet || !isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return true;
}

/** Makes the Io for a process run. */
export function makeIo(opts: { quiet: boolean; color: boolean }): Io {
  // A terminal of no width (a bare pty) would make the spinner redraw without end.
  const animate = opts.color && !process.env.CI && (process.stderr.columns ?? 0) > 0;
  const style = new Chalk({ level: opts.color ? 1 : 0 });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    style,
    quiet: opts.quiet,
    info(line) {
      if (!opts.quiet) process.stderr.write(line + "\n");
    },
    warn(line) {
      process.stderr.write(style.yellow("warning: ") + line + "\n");
    },
    out(text) {
      process.stdout.write(text);
    },
    cwd: process.cwd(),
    now: () => Date.now(),
    env: process.env,
    animate,
    width: tableWidth(process.stdout.isTTY === true, process.stdout.columns, process.env),
  };
}

/**
 * Threads for the fact pass: one per core (os.availableParallelism), or SEGMENT_THREADS
 * (1 keeps every read on the main thread).
 */
export function threadsOf(io: Pick<Io, "env">): { threads: number; parallelFrom?: number } {
  const n = Number(io.env.SEGMENT_THREADS);
  // Given explicitly, the threads are used whatever the size of the exports (the tests do).
  return Number.isInteger(n) && n >= 1 ? { threads: n, parallelFrom: 0 } : { threads: availableParallelism() };
}
