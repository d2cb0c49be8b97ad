/**
 * A spinner on stderr for commands that read a lot (ora): shown only on a terminal
 * (`io.animate`: colour allowed, not --quiet, not CI), and only once the work has taken
 * longer than a second, so quick commands never flicker. Off a terminal it does nothing.
 */
import ora, { type Ora } from "ora";
import type { Io } from "./io.js";

/** Wait before the spinner appears. */
const DELAY_MS = 1000;

/** A delayed spinner with a changeable text. */
export class Progress {
  private spinner?: Ora;
  private readonly timer?: NodeJS.Timeout;

  constructor(io: Io, private text: string) {
    if (!io.animate) return;
    this.timer = setTimeout(() => {
      this.spinner = ora({ text: this.text, stream: io.stderr as NodeJS.WriteStream, discardStdin: false }).start();
    }, DELAY_MS);
    this.timer.unref();
  }

  /** Says what is being done now. */
  say(text: string): void {
    this.text = text;
    if (this.spinner) this.spinner.text = text;
  }

  /** Removes the spinner (before the command prints its result). */
  stop(): void {
    clearTimeout(this.timer);
    this.spinner?.stop();
  }
}

/** Runs `work` under a spinner saying `text`, removed when it ends either way. */
export async function withProgress<T>(io: Io, text: string, work: (p: Progress) => Promise<T>): Promise<T> {
  const p = new Progress(io, text);
  try {
    return await work(p);
  } finally {
    p.stop();
  }
}
