/**
 * Where a writer's bytes go: a file staged beside its target (moved into place only when the
 * whole output is written, so a failed export never leaves half a file or loses the old one),
 * or a stream such as stdout. Writes wait for the stream to drain, so memory stays bounded
 * however many rows go through. A closed pipe (`segment export x --out - | head`) ends the
 * output quietly: the writer sees `closed` and stops.
 */
import { randomBytes } from "node:crypto";
import { closeSync, createWriteStream, fchmodSync, fsyncSync, openSync, rmSync } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import type { StagedFile } from "../fs-atomic.js";

/** A byte sink with backpressure. */
export class Sink {
  /** True once the reader went away (EPIPE): writes are dropped from then on. */
  closed = false;
  private failure?: Error;

  constructor(readonly stream: Writable, private readonly onEnd: () => Promise<void> = async () => {}) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") this.closed = true;
      else this.failure = e;
    });
  }

  /** Writes a chunk; the promise, when there is one, resolves once the stream has drained. */
  write(chunk: string | Uint8Array): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    if (this.closed) return undefined;
    if (this.stream.write(chunk)) return undefined;
    return this.drained();
  }

  /** Resolves when the stream wants more (at once when it does already). */
  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("error", fail);
        this.stream.off("close", done);
        resolve();
      };
      const fail = (e: NodeJS.ErrnoException) => {
        this.stream.off("drain", done);
        this.stream.off("close", done);
        if (e.code === "EPIPE") resolve();
        else reject(e);
      };
      this.stream.on("drain", done);
      this.stream.on("close", done);
      this.stream.once("error", fail);
    });
  }

  /** Ends the output: for a file, flushed and fsynced. */
  async end(): Promise<void> {
    if (this.failure) throw this.failure;
    await this.onEnd();
    if (this.failure) throw this.failure;
  }
}

/** A sink over a stream the caller owns (stdout): ended by waiting for it to drain, never closed. */
export function streamSink(stream: Writable): Sink {
  const sink: Sink = new Sink(stream, () => sink.drained());
  return sink;
}

/** A file written aside of `file` (same folder), fsynced on end; the caller moves it into place. */
export interface StagedSink {
  sink: Sink;
  staged: StagedFile;
  /** Removes the temp file (after a failure). */
  discard(): void;
}

/** Opens a temp file beside `file` with `mode` (set explicitly, whatever the umask). */
export function stagedFileSink(file: string, mode: number): StagedSink {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", mode);
  fchmodSync(fd, mode);
  const stream = createWriteStream("", { fd, autoClose: false, highWaterMark: 1 << 16 });
  let closed = false;
  const close = () => {
    if (!closed) closeSync(fd);
    closed = true;
  };
  const sink = new Sink(stream, async () => {
    await new Promise<void>((resolve, reject) => {
      stream.once("error", reject);
      stream.end(() => resolve());
    });
    fsyncSync(fd);
    close();
  });
  return {
    sink,
    staged: { tmp, file },
    discard() {
      stream.destroy();
      close();
      rmSync(tmp, { force: true });
    },
  };
}
